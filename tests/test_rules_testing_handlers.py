"""Tricky cases for FPR501–FPR504 (tests) and FPR601–FPR604 (path operations)."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from flake8_fastapi_prod import testfiles
from flake8_fastapi_prod.rules import handlers
from flake8_fastapi_prod.checker import Plugin
from plugin_runs import run_plugin


def found(source: str, filename: str = "app.py") -> list[tuple[int, str]]:
    return [(line, m.split()[0]) for line, _, m in run_plugin(textwrap.dedent(source), filename)]


def codes(source: str, filename: str = "app.py", prefix: str = "FPR") -> list[str]:
    return [code for _, code in found(source, filename) if code.startswith(prefix)]


def lines(source: str, code: str, filename: str = "app.py") -> list[int]:
    return [line for line, c in found(source, filename) if c == code]


# --- test detection and the options ------------------------------------------------


def test_patterns_match_base_name_or_whole_path() -> None:
    patterns = testfiles.TestPatterns(("test_*.py", "*/checks/*.py"), ("test_*", "check_*"))
    assert patterns.is_test_file("./tests/test_items.py")
    assert patterns.is_test_file("src/checks/items.py")
    assert not patterns.is_test_file("src/app/items.py")
    assert patterns.is_fixture_file("tests/conftest.py")
    assert not patterns.is_fixture_file("conftest_helpers.py")
    assert patterns.is_test_function("check_items")
    assert not patterns.is_test_function("helper")


def test_configure_falls_back_to_defaults_for_empty_lists() -> None:
    try:
        configured = testfiles.configure([], [""])
        assert configured == testfiles.TestPatterns()
    finally:
        testfiles.configure(None, None)


ASYNC_TEST_WITH_TESTCLIENT = """\
from fastapi.testclient import TestClient
from app.main import app

async def test_items():
    client = TestClient(app)

async def check_items():
    client = TestClient(app)
"""


def _flake8(tmp_path: Path, *args: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "FPR", *args, "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    return sorted(result.stdout.split())


def test_flake8_defaults_treat_test_files_only(tmp_path: Path) -> None:
    (tmp_path / "test_items.py").write_text(ASYNC_TEST_WITH_TESTCLIENT)
    (tmp_path / "check_items.py").write_text(ASYNC_TEST_WITH_TESTCLIENT)
    out = _flake8(tmp_path, "--format", "%(path)s:%(row)d:%(code)s")
    assert out == ["./test_items.py:5:FPR502"]


def test_flake8_reads_the_patterns_from_setup_cfg(tmp_path: Path) -> None:
    (tmp_path / "setup.cfg").write_text(
        "[flake8]\nfpr-test-files = check_*.py, */it/*.py\nfpr-test-functions = check_*\n"
    )
    (tmp_path / "test_items.py").write_text(ASYNC_TEST_WITH_TESTCLIENT)
    (tmp_path / "check_items.py").write_text(ASYNC_TEST_WITH_TESTCLIENT)
    (tmp_path / "it").mkdir()
    (tmp_path / "it" / "items.py").write_text(ASYNC_TEST_WITH_TESTCLIENT)
    for jobs in ("1", "2"):  # the worker processes see the options too
        out = _flake8(tmp_path, "-j", jobs, "--format", "%(path)s:%(row)d:%(code)s")
        assert out == ["./check_items.py:8:FPR502", "./it/items.py:8:FPR502"]


def test_flake8_command_line_overrides_the_config(tmp_path: Path) -> None:
    (tmp_path / "setup.cfg").write_text("[flake8]\nfpr-test-files = check_*.py\n")
    (tmp_path / "check_items.py").write_text(ASYNC_TEST_WITH_TESTCLIENT)
    out = _flake8(
        tmp_path, "--fpr-test-functions=test_*,check_*", "--format", "%(row)d:%(code)s"
    )
    assert out == ["5:FPR502", "8:FPR502"]


# --- FPR501 --------------------------------------------------------------------------


def test_fpr501_in_application_code_and_any_alias() -> None:
    source = """\
    import httpx
    from httpx import Client as C

    def make(app):
        return httpx.AsyncClient(base_url="http://t", app=app), C(app=app)
    """
    assert lines(source, "FPR501") == [5, 5]


def test_fpr501_message_shows_the_transport_and_the_lifespan() -> None:
    tree = ast.parse("import httpx\nhttpx.AsyncClient(app=app)\n")
    (message,) = [m for _, _, m, _ in Plugin(tree, "app.py").run() if m.startswith("FPR501")]
    assert "transport=httpx.ASGITransport(app=app)" in message
    assert "LifespanManager" in message and "httpx.AsyncClient(app=...)" in message


def test_fpr501_sync_client_is_told_about_testclient_and_wsgi() -> None:
    tree = ast.parse("import httpx\nhttpx.Client(app=app)\n")
    (message,) = [m for _, _, m, _ in Plugin(tree, "app.py").run() if m.startswith("FPR501")]
    assert "TestClient(app)" in message and "WSGITransport" in message


def test_fpr501_ignores_other_keywords_and_other_clients() -> None:
    source = """\
    import httpx
    from starlette.testclient import TestClient
    c = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
    d = TestClient(app=app)
    """
    assert "FPR501" not in codes(source)


# --- FPR502 --------------------------------------------------------------------------


def test_fpr502_only_in_test_files() -> None:
    source = """\
    from fastapi.testclient import TestClient
    async def test_items():
        TestClient(app)
    """
    assert lines(source, "FPR502", "test_items.py") == [3]
    assert lines(source, "FPR502", "items_test.py") == [3]
    assert lines(source, "FPR502", "app.py") == []
    assert lines(source, "FPR502", "conftest.py") == []


def test_fpr502_not_in_async_fixture_or_nested_function() -> None:
    source = """\
    import pytest_asyncio
    from fastapi.testclient import TestClient

    @pytest_asyncio.fixture
    async def client():
        return TestClient(app)

    async def test_items():
        def sync_part():
            return TestClient(app)
        run = lambda: TestClient(app)
    """
    assert lines(source, "FPR502", "test_items.py") == []


def test_fpr502_local_testclient_class_is_not_starlettes() -> None:
    source = """\
    class TestClient:
        pass

    async def test_items():
        TestClient()
    """
    assert lines(source, "FPR502", "test_items.py") == []


# --- FPR503 --------------------------------------------------------------------------


def test_fpr503_aliases_and_libraries() -> None:
    source = """\
    import anyio
    import asyncio as aio
    from time import sleep as nap

    async def test_a(client):
        await client.post("/jobs")
        await anyio.sleep(1)
        await aio.sleep(delay=0.2)
        nap(3)
    """
    assert lines(source, "FPR503", "test_a.py") == [7, 8, 9]


def test_fpr503_silent_in_loops_fixtures_nested_and_for_zero_or_variables() -> None:
    source = """\
    import time, asyncio, pytest

    @pytest.fixture
    def server():
        time.sleep(2)

    def test_retry(client):
        for _ in range(10):
            if client.get("/").status_code == 200:
                break
            time.sleep(0.5)

    async def test_misc(delay):
        await asyncio.sleep(0)
        await asyncio.sleep(delay)
        time.sleep(True)
        def helper():
            time.sleep(1)
    """
    assert lines(source, "FPR503", "test_misc.py") == []


def test_fpr503_needs_work_started_before_the_sleep() -> None:
    source = """\
    import subprocess, threading, time

    def test_no_work(db):
        time.sleep(1)
        assert db.count() == 1

    def test_cache_get_is_no_request(cache):
        cache.get("k")
        time.sleep(1)
        assert cache.size() == 1

    def test_thread(worker):
        threading.Thread(target=worker).start()
        time.sleep(1)
        assert worker.done

    def test_server():
        proc = subprocess.Popen(["uvicorn", "app:app"])
        time.sleep(2)
        assert proc.poll() is None

    def test_celery(task):
        task.delay(1)
        time.sleep(1)
        task.assert_called_once()

    def test_api_client_get(api_client):
        api_client.get("/refresh")
        time.sleep(1)
        assert api_client.get("/status").json()["fresh"]
    """
    assert lines(source, "FPR503", "test_x.py") == [14, 24, 29]


def test_fpr503_negative_next_assertion_decides_only_the_pending_sleeps() -> None:
    source = """\
    import time

    def test_mixed(client, outbox):
        client.post("/signup")
        time.sleep(1)
        assert outbox == []
        client.post("/confirm")
        time.sleep(1)
        assert len(outbox) == 1
        time.sleep(1)
    """
    assert lines(source, "FPR503", "test_x.py") == [8, 10]


def test_fpr503_sleep_after_a_loop_is_still_flagged() -> None:
    source = """\
    import time

    def test_after_loop(client):
        for item in ("a", "b"):
            client.post("/items", json={"name": item})
        time.sleep(1)
    """
    assert lines(source, "FPR503", "test_after_loop.py") == [6]


def test_fpr504_clear_on_another_app_does_not_clear() -> None:
    """Overrides on a sub-application are not cleared by clearing the main app's;
    ``client.app`` may be the main app, so it still counts."""
    source = """\
    import pytest
    from app.main import api, app

    @pytest.fixture
    def sub_app_overrides():
        api.dependency_overrides[get_db] = fake_db
        yield
        app.dependency_overrides.clear()

    @pytest.fixture
    def through_client(client):
        app.dependency_overrides[get_db] = fake_db
        yield
        client.app.dependency_overrides.clear()

    @pytest.fixture
    def same_app():
        api.dependency_overrides[get_db] = fake_db
        yield
        del api.dependency_overrides[get_db]
    """
    assert lines(source, "FPR504", "conftest.py") == [6]


def test_fpr503_tenacity_sleep_is_time_sleep() -> None:
    source = """\
    from tenacity import sleep

    def test_enrich(client):
        client.post("/alerts")
        sleep(1)
        assert client.get("/alerts").json()
    """
    assert lines(source, "FPR503", "test_enrich.py") == [5]


def test_fpr503_timers_triggers_and_polling_helpers_are_not_waits() -> None:
    """A sleep inside an expression is a timer or a dummy task; a sleep followed by
    ``.set()``/``.cancel()``/a state flag drives running work; a sleep before a polling
    helper is not the wait. The plain waits next to them stay flagged."""
    source = """\
    import asyncio, time

    async def test_timer(client):
        task = asyncio.create_task(client.post("/jobs"))
        timer = asyncio.ensure_future(asyncio.sleep(5.0))
        done, _ = await asyncio.wait({task, timer}, return_when=asyncio.FIRST_COMPLETED)
        assert task in done

    async def test_cancel(client):
        caller = asyncio.ensure_future(client.post("/slow"))
        await asyncio.sleep(0.01)
        caller.cancel()
        assert caller.cancelled()

    async def test_phase(client, phase):
        asyncio.create_task(client.post("/probe"))
        await asyncio.sleep(0.25)
        phase["name"] = "burst"
        assert phase

    def test_poll(client):
        client.post("/alerts")
        time.sleep(0.1)
        wait_for_alerts(client, 1)

    async def test_plain_wait(client):
        asyncio.create_task(client.post("/jobs"))
        await asyncio.sleep(0.5)
        assert (await client.get("/jobs")).json()
    """
    assert lines(source, "FPR503", "test_timers.py") == [28]


def test_fpr503_time_passing_for_a_limit_is_not_waiting_for_work() -> None:
    """Cause R of the held-out evaluation: thresholds, rate-limit windows, upper bounds."""
    source = """\
    import asyncio
    import time

    async def test_threshold(http_client, settings, token):
        await http_client.post("/login")
        settings.auth_credentials_update_threshold = 1
        time.sleep(1.1)
        response = await http_client.put("/password", headers=token)
        assert response.status_code == 400

    def test_rate_window(client, user):
        response = client.post("/register", json=user)
        assert response.status_code == 201
        time.sleep(5)
        for _ in range(5):
            response = client.post("/register", json=user)
            assert response.status_code == 201

    async def test_no_spin(multiplexer):
        await multiplexer.start()
        await asyncio.sleep(0.3)
        await multiplexer.stop()
        assert read_count <= 1

    def test_token_expires(client):
        client.post("/tokens")
        time.sleep(2)
        assert client.get("/tokens/1").json()["expired"]

    def test_still_waits_for_the_result(client):
        client.post("/exports")
        time.sleep(1)
        assert client.get("/exports/1").json()["done"]
    """
    assert lines(source, "FPR503", "test_x.py") == [32]


def test_fpr503_awaited_call_counts_only_before_a_mock_assertion() -> None:
    source = """\
    import asyncio

    async def test_paid(on_paid_mock, wallet):
        await pay_invoice(wallet_id=wallet.id)
        await asyncio.sleep(1)
        assert on_paid_mock.call_count == 1

    async def test_awaited_mock_method(notifier):
        await process_order(1)
        await asyncio.sleep(1)
        notifier.send.assert_awaited_once()

    async def test_distinct_rows(db):
        await db.commit()
        await asyncio.sleep(1)
        assert (await latest(db)).id == 2
    """
    assert lines(source, "FPR503", "test_x.py") == [5, 10]


# --- FPR504 --------------------------------------------------------------------------


def test_fpr504_clear_before_the_yield_is_no_teardown() -> None:
    source = """\
    import pytest
    from app.main import app

    @pytest.fixture
    def client():
        app.dependency_overrides[get_db] = fake
        app.dependency_overrides.clear()
        yield TestClient(app)
    """
    assert lines(source, "FPR504", "conftest.py") == [6]


def test_fpr504_pop_clears_only_the_key_it_names() -> None:
    source = """\
    import pytest
    from app.main import app

    @pytest.fixture
    def client(session, redis):
        app.dependency_overrides[get_db] = lambda: session
        app.dependency_overrides[get_redis] = lambda: redis
        yield app
        app.dependency_overrides.pop(get_db)

    @pytest.fixture
    def other(session):
        app.dependency_overrides.update({get_db: lambda: session, get_user: fake})
        yield app
        del app.dependency_overrides[get_db], app.dependency_overrides[get_user]

    @pytest.fixture
    def third(session):
        app.dependency_overrides.update(OVERRIDES)
        yield app
        app.dependency_overrides.pop(get_db)
    """
    assert lines(source, "FPR504", "conftest.py") == [7, 19]


def test_fpr504_requested_cleaner_fixture_silences_only_its_users() -> None:
    source = """\
    import pytest
    from app.main import app

    @pytest.fixture
    def clean_overrides():
        yield
        app.dependency_overrides = {}

    def test_uses_cleaner(clean_overrides):
        app.dependency_overrides[get_db] = fake

    def test_without_cleaner():
        app.dependency_overrides[get_db] = fake
    """
    assert lines(source, "FPR504", "test_x.py") == [13]


def test_fpr504_fixture_paired_with_a_clearing_sibling_by_every_test() -> None:
    """Cause Q: a fixture's override ends with the test when every test of the module that
    requests it also requests a fixture whose teardown clears the overrides."""
    source = """\
    import pytest
    from app.main import app

    @pytest.fixture
    def mock_db_session():
        app.dependency_overrides[get_db] = lambda: FakeDb()
        yield
        app.dependency_overrides = {}

    @pytest.fixture
    def as_admin():
        app.dependency_overrides[get_current_user] = lambda: ADMIN

    @pytest.fixture
    def as_user():
        app.dependency_overrides[get_current_user] = lambda: USER

    @pytest.fixture
    def as_guest():
        app.dependency_overrides[get_current_user] = lambda: GUEST

    def test_admin(mock_db_session, as_admin): ...

    @pytest.mark.usefixtures("mock_db_session", "as_admin")
    def test_admin_again(): ...

    def test_user_with_cleaner(mock_db_session, as_user): ...

    def test_user_without_cleaner(as_user): ...
    """
    # as_user has one consumer without the cleaner; as_guest has no consumer here
    assert lines(source, "FPR504", "test_x.py") == [16, 20]
    # in a conftest.py the consumers are elsewhere: not excused
    assert lines(source, "FPR504", "conftest.py") == [12, 16, 20]


def test_fpr504_fixtures_in_support_modules_under_a_tests_folder() -> None:
    """Cause T: ``tests/database.py``, ``test/fixtures/fixtures_app.py``."""
    source = """\
    import pytest
    from app.main import app

    @pytest.fixture
    def client():
        app.dependency_overrides[get_db] = override_get_db
        return TestClient(app)
    """
    assert lines(source, "FPR504", "tests/database.py") == [6]
    assert lines(source, "FPR504", "backend/test/fixtures/fixtures_app.py") == [6]
    assert lines(source, "FPR504", "app/fixtures.py") == []


def test_fpr504_xunit_teardown_and_finalizer_function() -> None:
    teardown = """\
    from app.main import app

    class TestItems:
        def teardown_method(self):
            app.dependency_overrides.pop(get_db, None)

        def test_items(self):
            app.dependency_overrides[get_db] = fake
    """
    assert lines(teardown, "FPR504", "test_x.py") == []
    finalizer = """\
    import pytest
    from app.main import app

    @pytest.fixture
    def client(request):
        app.dependency_overrides[get_db] = fake
        def restore():
            app.dependency_overrides.clear()
        request.addfinalizer(restore)
        return TestClient(app)
    """
    assert lines(finalizer, "FPR504", "test_x.py") == []


def test_fpr504_app_from_parameter_or_local_factory_is_not_shared() -> None:
    source = """\
    import pytest

    @pytest.fixture
    def client(app):
        app.dependency_overrides[get_db] = fake
        return TestClient(app)

    def test_local():
        application = create_app()
        application.dependency_overrides[get_db] = fake
        create_app().dependency_overrides[get_db] = fake
    """
    assert lines(source, "FPR504", "test_x.py") == []


def test_fpr504_reports_once_per_function_and_not_outside_tests() -> None:
    source = """\
    from app.main import app

    app.dependency_overrides[get_db] = fake

    def helper():
        app.dependency_overrides[get_db] = fake

    def test_two():
        app.dependency_overrides[get_db] = fake
        app.dependency_overrides[get_user] = fake
    """
    assert lines(source, "FPR504", "test_x.py") == [9]
    assert lines(source, "FPR504", "app.py") == []


# --- FPR601 --------------------------------------------------------------------------

PATCH_SOURCE = """\
from fastapi import Depends, FastAPI, UploadFile
app = FastAPI()

@app.patch("/items/{item_id}")
def patch_item(item_id: int, update: ItemUpdate, file: UploadFile,
               user: Annotated[User, Depends(current_user)], q: str | None = None):
    item = db.get(Item, item_id)
    item.name = update.name
    item.price = update.price
    item.file_name = file.filename
    item.owner = user.id
    data = update.model_dump(exclude_unset=True)
    data = update.dict()
    user.model_dump(); item.sqlmodel_update(data)

@app.put("/items/{item_id}")
def put_item(item_id: int, update: ItemUpdate):
    item.name = update.name
    update.model_dump()
"""


def test_fpr601_patch_only_body_models_only_once_per_copy() -> None:
    assert lines(PATCH_SOURCE, "FPR601") == [8, 13]


def test_fpr601_api_route_methods_and_rebound_parameter() -> None:
    source = """\
    from fastapi import APIRouter
    router = APIRouter()

    @router.api_route("/a", methods=["GET", "patch"])
    def a(body: Body):
        return item.model_copy(update=body.model_dump())

    @router.api_route("/b", methods=METHODS)
    def b(body: Body):
        return item.model_copy(update=body.model_dump())

    @router.patch("/c")
    def c(body: Body):
        body = Body(**merge(body))
        return item.model_copy(update=body.model_dump())

    @router.patch("/d")
    def d(body: Body):
        return item.model_copy(update=body.model_dump(**options))
    """
    assert lines(source, "FPR601") == [6]


def test_fpr601_all_required_same_module_model_is_silent() -> None:
    source = """\
    from typing import Optional
    from fastapi import APIRouter
    from pydantic import BaseModel, Field
    router = APIRouter()

    class TierUpdate(BaseModel):
        tier_id: int
        note: str = Field(..., max_length=10)

    class NameUpdate(BaseModel):
        name: Optional[str]

    class Child(TierUpdate):
        extra: int = 0

    @router.patch("/a")
    async def a(values: TierUpdate):
        await crud.update(values.model_dump())

    @router.patch("/b")
    async def b(values: NameUpdate, other: Child, imported: ImportedModel):
        await crud.update(values.model_dump())
        await crud.update(other.model_dump())
        await crud.update(imported.model_dump())
    """
    assert lines(source, "FPR601") == [22, 23, 24]


# --- FPR602 --------------------------------------------------------------------------


def test_fpr602_sizes_and_non_uploads() -> None:
    source = """\
    from fastapi import UploadFile

    async def save(file: UploadFile, other, size: int):
        await file.read(size)
        await file.read(size=1024)
        await other.read()
        file.file.read(4096)
        await file.read(None)
        await file.read(size=-1)
    """
    assert lines(source, "FPR602") == [8, 9]


def test_fpr602_any_union_with_uploadfile() -> None:
    source = """\
    from typing import Union
    from fastapi import UploadFile

    async def install(file: UploadFile | str, other: Union[str, UploadFile, None]):
        contents = await file.read()
        more = await other.read()
    """
    assert lines(source, "FPR602") == [5, 6]


def test_fpr603_lone_quoted_default_is_ddl() -> None:
    source = """\
    import sqlalchemy as sa

    def default(self):
        return sa.text(f"'{self.ws_uuid}'::uuid")

    def default_array(self):
        return sa.text(f"'{self.tags}'::text[]")

    def lookup(self, name):
        return sa.text(f"name = '{name}'")
    """
    assert lines(source, "FPR603") == [10]


def test_fpr602_file_handed_over_by_a_dependency() -> None:
    """The dependency that provides the file may check its size; a file parameter next
    to an unrelated dependency is still flagged."""
    source = """\
    from typing import Annotated
    from fastapi import Depends, UploadFile

    async def checked(file: UploadFile = Depends(validate_size)):
        return await file.read()

    async def annotated(file: Annotated[UploadFile, Depends(validate_size)]):
        return await file.read()

    async def plain(file: UploadFile, user=Depends(current_user)):
        return await file.read()
    """
    assert lines(source, "FPR602") == [11]


def test_fpr602_string_and_alias_imports() -> None:
    source = """\
    import fastapi as fa
    from starlette import datastructures

    async def one(file: fa.UploadFile):
        return await file.read()

    async def two(file: datastructures.UploadFile):
        return await file.read()

    class UploadFile:
        pass

    async def three(file: UploadFile):
        return await file.read()
    """
    assert lines(source, "FPR602") == [5, 8]


# --- FPR603 --------------------------------------------------------------------------


def test_fpr603_local_variable_chain_and_last_assignment() -> None:
    source = """\
    from sqlalchemy import text

    def search(db, name, order):
        base = "SELECT * FROM items"
        where = " WHERE name = :name"
        db.execute(text(base + where), {"name": name})
        sql = base + " WHERE name = '" + order + "'"
        db.execute(text(sql))
        sql = "SELECT 1"
        db.execute(text(sql))
        stmt = text(f"SELECT * FROM items WHERE name = '{name}'")
        db.execute(stmt)
    """
    assert lines(source, "FPR603") == [8, 11]


def test_fpr603_only_names_attributes_and_subscripts_are_values() -> None:
    """Causes P and G: SQL fragments from helper calls, enum members, regex-checked text."""
    source = """\
    import re
    from enum import Enum, StrEnum
    from sqlalchemy import text

    async def purge(db, conn, now, name, request):
        await db.execute(f"DELETE FROM a WHERE t < {db.timestamp_placeholder('now')}")
        await (conn or db).execute(f"DELETE FROM a WHERE t < {db.timestamp_now}")
        tsph = db.timestamp_placeholder("now")
        await db.execute(f"UPDATE a SET t = {tsph} WHERE id = :id")
        await db.execute(f"SELECT * FROM a WHERE n = '{str(name)}'")
        await db.execute(f"SELECT * FROM a WHERE n = '{name.strip().lower()}'")
        await db.execute(f"SELECT * FROM a WHERE n = '{request.query_params['n']}'")
        await db.execute(f"SELECT * FROM a WHERE n = '{other.timestamp_now}'")

    class Unit(StrEnum):
        DAY = "day"

        def sql(self):
            return text(f"'1 {self.value}'::interval"), text(f"'1 {self}'::interval")

    class Plain:
        def sql(self):
            return text(f"'1 {self.value}'::interval")

    def member():
        return text(f"SELECT * FROM a WHERE u = '{Unit.DAY.value}'")

    def checked(expr, raw):
        if re.match(DATETIME, expr):
            return text(f"'{expr}'")
        if not PATTERN.fullmatch(raw):
            raise ValueError(raw)
        return text(f"'{expr}'"), text(f"'{raw}'")
    """
    assert lines(source, "FPR603") == [10, 11, 12, 13, 23, 33]


def test_fpr603_constant_parts_and_bound_parameters() -> None:
    source = """\
    from sqlalchemy import text
    SCHEMA = "public"

    def ok(db, cursor, user_id, clauses):
        limit = 10
        db.execute(text(f"SELECT * FROM {SCHEMA}.users LIMIT {limit}"))
        db.execute(text("SELECT * FROM t WHERE " + " AND ".join(clauses)))
        db.execute(text(f"SELECT * FROM {Item.__tablename__} WHERE id = :id"), {"id": user_id})
        cursor.execute("SELECT * FROM t WHERE id = %s" % ("1",))
        cursor.execute("SELECT * FROM t WHERE id = %(id)s", {"id": user_id})
        cursor.execute("SELECT {} FROM t".format(settings.COLUMNS))
    """
    assert lines(source, "FPR603") == []


def test_fpr603_loop_over_literals_is_constant_but_other_loops_are_not() -> None:
    source = """\
    def run(cursor, tables):
        for verb in ("INSERT OR REPLACE", "REPLACE"):
            cursor.execute(f"{verb} INTO t(id) VALUES (?)", (1,))
        for key in tables:
            cursor.execute(f"DELETE FROM t WHERE k = {key}")
    """
    assert lines(source, "FPR603") == [5]


def test_fpr603_keyword_argument_percent_assign_and_module_level() -> None:
    source = """\
    import sqlalchemy as sa

    def by_keyword(session, user_id):
        session.execute(statement=sa.text("DELETE FROM t WHERE id = " + str(user_id)))

    def percent_assign(cursor, user_id):
        sql = "DELETE FROM t WHERE id = %s"
        sql %= user_id
        cursor.executemany(sql, rows)

    conn.execute(f"DELETE FROM t WHERE name = '{name}'")
    """
    assert lines(source, "FPR603") == [4, 9, 11]


def test_fpr603_value_positions_only() -> None:
    source = """\
    from sqlalchemy import text

    def positions(db, col, value, ids, table, cond, n):
        db.execute(text(f"SELECT * FROM {table} ORDER BY {col}"))
        db.execute(text(f"SELECT * FROM t WHERE {cond}"))
        db.execute(text(f"SELECT * FROM t WHERE a > {value}"))
        db.execute(text(f"SELECT * FROM t WHERE a IN ({ids})"))
        db.execute(text(f"INSERT INTO t VALUES (1, {value})"))
        db.execute(text(f"SELECT * FROM t WHERE a BETWEEN 1 AND {n}"))
        db.execute(text(f"SELECT * FROM t WHERE a = 1 AND {cond}"))
        db.execute(text("SELECT * FROM t WHERE a LIKE '%%%s%%'" % value))
        db.execute(text("SELECT {0} FROM t WHERE b = '{1}'".format(col, value)))
        db.execute(text("SELECT %(c)s FROM t" % {"c": col}))
    """
    assert lines(source, "FPR603") == [6, 7, 8, 9, 11, 12]


def test_fpr603_unbindable_statements_typed_values_and_bind_names() -> None:
    source = """\
    from uuid import UUID
    from sqlalchemy import text
    EXCLUDED = ("a", "b")

    async def ok(session, timeout_ms: int, user_id: UUID, values, tz):
        await session.execute(text(f"SET LOCAL statement_timeout = {timeout_ms}"))
        await session.execute(text(f"SET LOCAL TIME ZONE '{tz.key}'"))
        await session.execute(text(f"CREATE DATABASE {values}"))
        await session.execute(text(f"SELECT * FROM t WHERE id = '{user_id}'"))
        await session.execute(text(f"SELECT * FROM t LIMIT {int(values)}"))
        for i, v in enumerate(values):
            await session.execute(text(f"SELECT * FROM t WHERE a LIKE :pattern_{i}"))
        for name in EXCLUDED:
            await session.execute(text(f"DELETE FROM t WHERE name = '{name}'"))
        await session.execute(text(f"SELECT * FROM t WHERE id IN ({', '.join(values)})"))
    """
    assert lines(source, "FPR603") == []


def test_fpr603_skips_tests_and_alembic_migrations() -> None:
    source = """\
    from sqlalchemy import text

    def seed(db, name):
        db.execute(text(f"DELETE FROM t WHERE name = '{name}'"))
    """
    assert lines(source, "FPR603", "app/items.py") == [4]
    assert lines(source, "FPR603", "tests/fixtures/db.py") == []
    assert lines(source, "FPR603", "conftest.py") == []
    assert lines(source, "FPR603", "test_items.py") == []
    migration = "from alembic import op\n" + textwrap.dedent(source)
    assert lines(migration, "FPR603", "migrations/versions/1_x.py") == []


def test_fpr603_message_names_the_variable() -> None:
    tree = ast.parse("def f(c, x):\n    q = f'SELECT * FROM t WHERE a = {x}'\n    c.execute(q)\n")
    (message,) = [m for _, _, m, _ in Plugin(tree, "app.py").run() if m.startswith("FPR603")]
    assert "an f-string (in `q`)" in message and "`.execute()`" in message


# --- FPR604 --------------------------------------------------------------------------


def test_fpr604_forms_and_local_catches() -> None:
    source = """\
    from fastapi import FastAPI
    app = FastAPI()

    @app.get("/a")
    def a(x: int):
        if x < 0:
            raise ValueError
        try:
            raise KeyError(x)
        except LookupError:
            pass
        try:
            raise TypeError(x)
        except (KeyError, ValueError):
            pass
        try:
            raise Exception("x")
        except:
            raise
        try:
            pass
        finally:
            raise Exception("in finally")
    """
    assert lines(source, "FPR604") == [7, 13, 23]


def test_fpr604_handler_registered_later_in_the_module_and_shadowed_names() -> None:
    source = """\
    from fastapi import FastAPI
    app = FastAPI(exception_handlers={KeyError: on_key_error})

    @app.get("/a")
    def a(x: int):
        raise KeyError(x)

    @app.get("/b")
    def b(x: int):
        raise TypeError(x)

    def dependency():
        raise ValueError("not a path operation")

    app.add_exception_handler(TypeError, on_type_error)
    """
    assert lines(source, "FPR604") == []
    shadowed = """\
    from fastapi import FastAPI
    app = FastAPI()

    class ValueError(Exception):
        pass

    @app.get("/a")
    def a():
        raise ValueError("custom")
    """
    assert lines(shadowed, "FPR604") == []


def test_fpr604_endpoint_that_exists_to_raise() -> None:
    source = """\
    from fastapi import APIRouter
    router = APIRouter()

    @router.get("/error")
    def error_check() -> None:
        \"\"\"Raise on purpose to check error reporting.\"\"\"
        raise Exception("expected error")

    @router.get("/other")
    def other(x: int) -> None:
        log(x)
        raise Exception("not only a raise")
    """
    assert lines(source, "FPR604") == [12]


def test_fpr604_lookup_error_handler_covers_key_error_only() -> None:
    source = """\
    from fastapi import FastAPI
    app = FastAPI()

    @app.exception_handler(LookupError)
    async def on_lookup(request, exc):
        ...

    @app.get("/a")
    def a(x: int):
        if x:
            raise KeyError(x)
        raise ValueError(x)
    """
    assert lines(source, "FPR604") == [12]


def test_fpr604_handled_exceptions_option() -> None:
    """Cause O: handlers registered in another module, listed in the project's config."""
    source = """\
    from fastapi import APIRouter
    router = APIRouter()

    @router.put("/password")
    async def update_password(data: dict):
        if data["a"] != data["b"]:
            raise ValueError("Passwords do not match.")
        if not data:
            raise KeyError("a")
    """
    assert lines(source, "FPR604") == [7, 9]
    try:
        handlers.configure_handled_exceptions([" builtins.ValueError", ""])
        assert lines(source, "FPR604") == [9]
        handlers.configure_handled_exceptions(["Exception"])
        assert lines(source, "FPR604") == []
    finally:
        handlers.configure_handled_exceptions(None)
    tree = ast.parse(textwrap.dedent(source))
    (message,) = [m for _, _, m, _ in Plugin(tree, "app.py").run() if "ValueError" in m]
    assert message.endswith("or register an exception handler for it")


def test_flake8_reads_handled_exceptions_from_setup_cfg(tmp_path: Path) -> None:
    (tmp_path / "views.py").write_text(
        "from fastapi import APIRouter\nrouter = APIRouter()\n\n"
        "@router.get('/a')\ndef a(x: int):\n    if x:\n        raise ValueError(x)\n"
        "    raise TypeError(x)\n"
    )
    assert _flake8(tmp_path, "--format", "%(row)d:%(code)s") == ["7:FPR604", "8:FPR604"]
    (tmp_path / "setup.cfg").write_text("[flake8]\nfpr-handled-exceptions = ValueError\n")
    for jobs in ("1", "2"):
        out = _flake8(tmp_path, "-j", jobs, "--format", "%(row)d:%(code)s")
        assert out == ["8:FPR604"]


def test_fpr604_sees_handlers_registered_elsewhere_in_the_project(tmp_path: Path) -> None:
    """The app module registers a ValueError handler for routers defined in other files;
    registrations in tests, strings and comments do not count."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'shop'\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text(
        "from fastapi import FastAPI\nfrom .errors import on_value_error\n"
        "app = FastAPI()\napp.add_exception_handler(ValueError, on_value_error)\n"
        '"""app.add_exception_handler(TypeError, ...)"""  # exception_handler(KeyError)\n'
    )
    (tmp_path / "app" / "items.py").write_text(
        "from fastapi import APIRouter\nrouter = APIRouter()\n\n"
        "@router.get('/a')\ndef a(x: int):\n    if x > 1:\n        raise ValueError(x)\n"
        "    if x:\n        raise TypeError(x)\n    raise KeyError(x)\n"
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "conftest.py").write_text(
        "from app.main import app\napp.add_exception_handler(KeyError, lambda r, e: None)\n"
    )
    (tmp_path / "test_errors.py").write_text(
        "from fastapi import FastAPI\nFastAPI(exception_handlers={TypeError: print})\n"
    )
    for jobs in ("1", "2"):
        out = _flake8(tmp_path, "-j", jobs, "--format", "%(path)s:%(row)d:%(code)s")
        assert set(out) == {"./app/items.py:9:FPR604", "./app/items.py:10:FPR604"}
    # an editor lints the buffer on standard input under the file's real name
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "FPR604", "--format", "%(row)d",
         "--stdin-display-name", str(tmp_path / "app" / "items.py"), "-"],
        input=(tmp_path / "app" / "items.py").read_text(), capture_output=True, text=True,
        check=False,
    )
    assert result.stdout.split() == ["9", "10"], result.stderr


def test_fpr601_imported_model_only_when_the_dump_is_applied() -> None:
    """Cause K: an imported model's fields cannot be seen; flag only field-by-field writes."""
    source = """\
    from fastapi import APIRouter
    from app.schemas import UserUpdate
    router = APIRouter()

    @router.patch("/a")
    async def a(values: UserUpdate):
        await crud.update(db=db, object=values.model_dump(), username="x")
        return values.model_dump()

    @router.patch("/b")
    def b(values: UserUpdate):
        for key, value in values.model_dump().items():
            setattr(user, key, value)

    @router.patch("/c")
    def c(values: UserUpdate):
        data = values.dict()
        for key, value in data.items():
            setattr(user, key, value)

    @router.patch("/d")
    def d(values: UserUpdate):
        items["1"] = {**items["1"], **values.model_dump()}
        user.sqlmodel_update(values.model_dump())
        stored.update(**values.dict())

    @router.patch("/e")
    def e(values: UserUpdate):
        data = values.model_dump()
        for key in data:
            log(key)
    """
    assert lines(source, "FPR601") == [12, 17, 23, 24, 25]


@pytest.mark.parametrize("code", ["FPR502", "FPR503", "FPR504"])
def test_test_rules_lint_examples_as_a_test_module(code: str) -> None:
    from flake8_fastapi_prod.rules import BY_CODE

    assert BY_CODE[code].example_filename == "test_app.py"  # type: ignore[attr-defined]
