"""FPR201–FPR203, FPR301–FPR302, FPR401–FPR404 on the cases their examples leave out."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from flake8_fastapi_prod import knowledge
from flake8_fastapi_prod.analysis import Walker
from flake8_fastapi_prod.checker import Plugin
from plugin_runs import run_plugin
from flake8_fastapi_prod.rules import background, blocking, sessions

MINE = (*sessions.RULES, *blocking.RULES, *background.RULES)
MY_CODES = {rule.code for rule in MINE}
ROOT = Path(__file__).resolve().parent.parent


def findings(source: str, filename: str = "app.py") -> list[tuple[int, str]]:
    return sorted(
        (line, message.split()[0])
        for line, _, message in run_plugin(source, filename)
        if message.split()[0] in MY_CODES
    )


def codes(source: str) -> list[str]:
    return sorted(code for _, code in findings(source))


# --- FPR301 ------------------------------------------------------------------------

BLOCKING = [
    ("alias_import", "import time as t\nasync def f():\n    t.sleep(1)\n", 1),
    ("from_import_alias", "from time import sleep as nap\nasync def f():\n    nap(1)\n", 1),
    ("await_asyncio_sleep", "import asyncio\nasync def f():\n    await asyncio.sleep(1)\n", 0),
    ("module_def_sleep", "def sleep(s):\n    ...\nasync def f():\n    sleep(1)\n", 0),
    ("sync_def", "import time\ndef f():\n    time.sleep(1)\n", 0),
    ("parameter_shadows_builtin", "async def f(open):\n    open('x')\n", 0),
    ("local_shadows_import",
     "import requests\nasync def f(c):\n    requests = c\n    requests.get('x')\n", 0),
    ("lambda_to_threadpool",
     "import time\nfrom fastapi.concurrency import run_in_threadpool\n"
     "async def f():\n    await run_in_threadpool(lambda: time.sleep(1))\n", 0),
    ("nested_def_to_thread",
     "import asyncio, requests\nasync def f():\n    def work():\n"
     "        return requests.get('u').json()\n    return await asyncio.to_thread(work)\n", 0),
    ("callable_handed_over",
     "import asyncio, time\nasync def f():\n    await asyncio.to_thread(time.sleep, 1)\n", 0),
    ("nested_async_def_counts",
     "import time\ndef outer():\n    async def inner():\n        time.sleep(1)\n"
     "    return inner\n", 1),
    ("comprehension_runs_on_loop",
     "import requests\nasync def f(urls):\n    return [requests.get(u) for u in urls]\n", 1),
    ("method_of_class",
     "import time\nclass A:\n    async def f(self):\n        time.sleep(1)\n", 1),
    ("open_builtin", "async def f():\n    with open('x') as fh:\n        return fh.read()\n", 1),
    ("aiofiles", "import aiofiles\nasync def f():\n    async with aiofiles.open('x') as fh:\n"
     "        return await fh.read()\n", 0),
    ("requests_exceptions_only",
     "import requests\nasync def f():\n    try:\n        pass\n"
     "    except requests.RequestException:\n        raise requests.HTTPError('x')\n", 0),
    ("requests_session_built_not_used",
     "import requests\nasync def f():\n    s = requests.Session()\n    return s\n", 0),
    ("requests_session_module_method",
     "import requests\nhttp = requests.Session()\nasync def f():\n    return http.get('u')\n", 1),
    ("httpx_sync_function", "import httpx\nasync def f():\n    return httpx.get('u')\n", 1),
    ("httpx_async_client",
     "import httpx\nasync def f():\n    async with httpx.AsyncClient() as c:\n"
     "        return await c.get('u')\n", 0),
    ("redis_sync_module_client",
     "import redis\nr = redis.Redis()\nasync def f():\n    return r.get('k')\n", 1),
    ("redis_asyncio_client",
     "import redis.asyncio as redis\nr = redis.Redis()\nasync def f():\n"
     "    return await r.get('k')\n", 0),
    ("redis_pipeline_built",
     "import redis\nr = redis.Redis()\nasync def f():\n    p = r.pipeline()\n", 0),
    ("path_annotated_parameter",
     "from pathlib import Path\nasync def f(p: Path):\n    return p.read_bytes()\n", 1),
    ("path_exists_not_flagged",
     "from pathlib import Path\nasync def f(p: Path):\n    return p.exists()\n", 0),
    ("path_module_chain",
     "from pathlib import Path\nBASE = Path(__file__).resolve().parent.parent\n"
     "async def f():\n    return (BASE / 'static' / 'x.txt').read_text()\n", 1),
    ("anyio_path",
     "import anyio\nasync def f(p):\n    return await anyio.Path(p).read_text()\n", 0),
    ("session_constructor_and_methods",
     "from sqlalchemy.orm import Session\nasync def f():\n    with Session(engine) as s:\n"
     "        s.execute(q)\n        s.commit()\n", 3),
    ("module_sessionmaker_factory",
     "from sqlalchemy.orm import sessionmaker\nSessionLocal = sessionmaker(bind=engine)\n"
     "async def f():\n    db = SessionLocal()\n    db.add(x)\n    db.commit()\n", 2),
    ("sessionmaker_with_async_class",
     "from sqlalchemy.orm import sessionmaker\nfrom sqlalchemy.ext.asyncio import AsyncSession\n"
     "S = sessionmaker(engine, class_=AsyncSession)\nasync def f():\n"
     "    async with S() as db:\n        await db.commit()\n", 0),
    ("imported_factory_sync_with",
     "from .db import SessionLocal\nasync def f():\n    with SessionLocal() as db:\n"
     "        return db.query(User).all()\n", 2),
    ("imported_factory_async_with",
     "from .db import async_session\nasync def f():\n    async with async_session() as db:\n"
     "        return (await db.execute(q)).all()\n", 0),
    ("coroutine_passed_to_wait_for",
     "import asyncio\nfrom .db import async_session\nasync def f():\n    db = async_session()\n"
     "    await asyncio.wait_for(db.execute(q), 5)\n", 0),
    ("annotated_alias_session",
     "from typing import Annotated\nfrom sqlalchemy.orm import Session\n"
     "from fastapi import Depends\n"
     "SessionDep = Annotated[Session, Depends(get_db)]\nasync def f(session: SessionDep):\n"
     "    session.add(x)\n    session.commit()\n    session.refresh(x)\n", 2),
    ("sync_engine_module",
     "from sqlalchemy import create_engine\nengine = create_engine('postgresql://x')\n"
     "async def f():\n    with engine.connect() as conn:\n        conn.execute(q)\n", 2),
    ("async_engine_module",
     "from sqlalchemy.ext.asyncio import create_async_engine\n"
     "engine = create_async_engine('postgresql+asyncpg://x')\nasync def f():\n"
     "    async with engine.connect() as conn:\n        await conn.execute(q)\n", 0),
    ("imported_engine_sync_with",
     "from .db import engine\nasync def f():\n    with engine.begin() as conn:\n"
     "        conn.execute(q)\n", 2),
    ("imported_engine_plain_connect",
     "from .db import engine\nasync def f():\n    conn = engine.connect()\n"
     "    conn.execute(q)\n    conn.close()\n", 2),
    ("imported_engine_awaited_connect",
     "from .db import engine\nasync def f():\n    conn = await engine.connect()\n"
     "    await conn.execute(q)\n", 0),
    ("self_attribute_not_followed",
     "class A:\n    async def f(self):\n        self.session.query(X)\n", 0),
    ("global_assigned_later_not_guessed",
     "import redis\nr = None\nasync def startup():\n    global r\n    r = redis.Redis()\n"
     "async def f():\n    return r.get('k')\n", 0),
    ("subprocess_alias", "from subprocess import Popen as P\nasync def f():\n    P(['ls'])\n", 1),
    ("os_system", "import os\nasync def f():\n    os.system('ls')\n", 1),
]


@pytest.mark.parametrize(("name", "source", "count"), BLOCKING, ids=[c[0] for c in BLOCKING])
def test_fpr301(name: str, source: str, count: int) -> None:
    assert codes(source).count("FPR301") == count


def test_fpr301_message_names_the_replacement() -> None:
    tree = ast.parse("import time as t\nasync def f():\n    t.sleep(1)\n")
    (message,) = [m for _, _, m, _ in Plugin(tree, "app.py").run()]
    assert "`time.sleep`" in message and "asyncio.sleep" in message


@pytest.mark.parametrize(
    ("filename", "count"),
    [
        ("app/routes.py", 2),
        ("app/test_routes.py", 0),
        ("conftest.py", 0),
        ("tests/helpers.py", 0),
        ("app/testing_utils.py", 2),
    ],
)
def test_fpr301_is_silent_in_test_code(filename: str, count: int) -> None:
    """A blocking call in an async test holds up only that test: test modules,
    conftest.py and tests/ folders are not checked."""
    source = (
        "import pathlib, time\n"
        "async def test_upload(tmp_path: pathlib.Path):\n"
        "    (tmp_path / 'a.txt').write_text('x')\n"
        "    time.sleep(0.1)\n"
    )
    assert [code for _, code in findings(source, filename)].count("FPR301") == count


def test_fpr301_path_returned_by_an_annotated_helper() -> None:
    source = (
        "from pathlib import Path\n"
        "def _target(d: Path, name: str) -> Path:\n    return d / name\n"
        "def _label(d: Path) -> str:\n    return d.name\n"
        "class Store:\n"
        "    def _item_path(self, i: int) -> Path:\n        return Path('/data') / str(i)\n"
        "    async def load(self, i: int) -> bytes:\n"
        "        item = self._item_path(i)\n        return item.read_bytes()\n"
        "async def save(d: Path, data: bytes):\n"
        "    target = _target(d, 'x.pdf')\n    target.write_bytes(data)\n"
        "    label = _label(d)\n    label.strip()\n"
        "    other = helper(d)\n    other.write_bytes(data)\n"
    )
    assert findings(source) == [(11, "FPR301"), (14, "FPR301")]


def test_fpr302_only_in_path_operations() -> None:
    source = (
        "import asyncio\nfrom fastapi import FastAPI\napp = FastAPI()\n"
        "@app.get('/a')\nasync def a():\n    loop = asyncio.get_running_loop()\n"
        "    return await loop.run_in_executor(None, work)\n"
        "async def helper():\n"
        "    return await asyncio.get_running_loop().run_in_executor(None, work)\n"
    )
    assert findings(source) == [(7, "FPR302")]


def test_fpr302_is_off_by_default_but_the_plugin_is_not() -> None:
    assert blocking.RunInExecutorInPathOperation.default_off
    assert "FPR302" in Plugin.default_ignored
    # flake8 disables a whole plugin whose class has a truthy ``off_by_default``
    assert not getattr(Plugin, "off_by_default", False)


# --- FPR201–FPR203 ---------------------------------------------------------------------

SESSIONS = [
    ("tutorial_try_finally",
     "from .database import SessionLocal\ndef get_db():\n    db = SessionLocal()\n    try:\n"
     "        yield db\n    finally:\n        db.close()\n", []),
    ("except_without_finally",
     "from .database import SessionLocal\ndef get_db():\n    db = SessionLocal()\n    try:\n"
     "        yield db\n    except Exception:\n        db.rollback()\n        raise\n"
     "    db.close()\n", ["FPR201"]),
    ("yield_constructor",
     "from sqlalchemy.orm import Session\ndef get_db():\n    yield Session(engine)\n", ["FPR201"]),
    ("pytest_fixture_is_not_a_dependency",
     "import pytest\nfrom sqlalchemy.orm import Session\n@pytest.fixture\ndef db():\n"
     "    s = Session(engine)\n    yield s\n    s.close()\n", []),
    ("returned_from_depends",
     "from sqlalchemy.orm import Session\nfrom fastapi import Depends\ndef get_db():\n"
     "    return Session(engine)\ndef r(db=Depends(get_db)):\n    ...\n", ["FPR201"]),
    ("returned_factory_not_a_dependency",
     "from sqlalchemy.orm import Session\ndef make_session():\n    return Session(engine)\n",
     []),
    ("returned_from_conventional_dependency_name",
     "from .database import SessionLocal\ndef get_db():\n    db = SessionLocal()\n"
     "    return db\n", ["FPR201"]),
    ("conventional_name_used_as_context_manager",
     "from sqlalchemy.orm import Session\ndef get_session():\n    return Session(engine)\n"
     "def job():\n    with get_session() as s:\n        s.commit()\n", []),
    ("async_dbapi_connection",
     "import asyncpg\nasync def get_conn():\n    conn = await asyncpg.connect(DSN)\n"
     "    yield conn\n    await conn.close()\n", ["FPR201"]),
    ("async_dbapi_connection_closed",
     "import asyncpg\nasync def get_conn():\n    conn = await asyncpg.connect(DSN)\n    try:\n"
     "        yield conn\n    finally:\n        await conn.close()\n", []),
    ("app_state_factory",
     "def get_db(request):\n    db = request.app.state.session_factory()\n    yield db\n",
     ["FPR201"]),
    ("aiohttp_session_is_not_a_db_session",
     "from aiohttp import ClientSession\nasync def get_http():\n    s = ClientSession()\n"
     "    yield s\n", []),
    ("requests_session_is_not_a_db_session",
     "from requests import Session\ndef get_http():\n    s = Session()\n    yield s\n", []),
    ("module_level_sessionmaker_is_fine",
     "from sqlalchemy.orm import sessionmaker\n"
     "from sqlalchemy.ext.asyncio import async_sessionmaker\n"
     "SessionLocal = sessionmaker(bind=engine)\nAsyncLocal = async_sessionmaker(engine)\n", []),
    ("module_level_session_in_class_body",
     "from .db import SessionLocal\nclass Repo:\n    session = SessionLocal()\n", ["FPR203"]),
    ("module_level_session_as_default",
     "from .db import SessionLocal\ndef f(db=SessionLocal()):\n    ...\n", ["FPR203"]),
    ("sessionmaker_rebinding_session_name",
     "from sqlalchemy.orm import sessionmaker\nSession = sessionmaker(bind=engine)\n"
     "session = Session()\n", ["FPR203"]),
    ("dbapi_connection_outside_fastapi", "import sqlite3\nconn = sqlite3.connect('x.db')\n", []),
    ("dbapi_connection_in_fastapi_module",
     "import sqlite3\nfrom fastapi import FastAPI\nconn = sqlite3.connect('x.db')\n", ["FPR203"]),
    ("scoped_session_registry",
     "from sqlalchemy.orm import scoped_session, sessionmaker\n"
     "db_session = scoped_session(sessionmaker(bind=engine))\n", []),
    ("settings_lru_cache_call",
     "from functools import lru_cache\nfrom pydantic_settings import BaseSettings\n"
     "class S(BaseSettings):\n    x: int = 1\n@lru_cache()\ndef get_settings():\n    return S()\n",
     []),
    ("settings_functools_cache",
     "import functools\nfrom pydantic_settings import BaseSettings\n"
     "class S(BaseSettings):\n    x: int = 1\n@functools.cache\ndef get_settings():\n"
     "    return S()\n", []),
    ("settings_subclass_chain",
     "from pydantic_settings import BaseSettings\nclass Base(BaseSettings):\n    pass\n"
     "class Prod(Base):\n    pass\ndef get_settings():\n    return Prod()\n", ["FPR202"]),
    ("settings_module_singleton",
     "from pydantic_settings import BaseSettings\nclass S(BaseSettings):\n    x: int = 1\n"
     "settings = S()\ndef get_settings():\n    return settings\n", []),
    ("parametrised_config_helper",
     "from .config import DetectionSettings\n"
     "def get_detection_config(days: int = 30) -> DetectionSettings:\n"
     "    return DetectionSettings(enabled=True, days=days)\n", []),
    ("imported_settings_built_from_values",
     "from .schemas import Settings\nfrom arq.connections import RedisSettings\n"
     "def get_settings():\n    return Settings(show_warning=True)\n"
     "def get_redis_settings():\n    return RedisSettings(host='redis', port=6379)\n", []),
    ("imported_settings_from_the_environment",
     "from .config import Settings\ndef get_settings():\n    return Settings()\n"
     "def get_test_settings():\n    return Settings(_env_file='.env.test')\n",
     ["FPR202", "FPR202"]),
    ("basemodel_is_not_settings",
     "from pydantic import BaseModel\nclass Settings(BaseModel):\n    pass\n"
     "def get_settings():\n    return Settings()\n", []),
    ("client_yielded_from_async_with",
     "import httpx\nfrom fastapi import Depends\nasync def get_client():\n"
     "    async with httpx.AsyncClient() as c:\n        yield c\n"
     "def f(c=Depends(get_client)):\n    ...\n", []),
]


@pytest.mark.parametrize(("name", "source", "expected"), SESSIONS, ids=[c[0] for c in SESSIONS])
def test_sessions(name: str, source: str, expected: list[str]) -> None:
    assert codes(source) == sorted(expected)


def test_fpr201_reports_the_unprotected_yield() -> None:
    source = (
        "from sqlalchemy.orm import sessionmaker\nSessionLocal = sessionmaker()\n"
        "def get_db():\n    db = SessionLocal()\n    yield db\n    db.close()\n"
    )
    assert findings(source) == [(5, "FPR201")]


# --- FPR401–FPR404 -----------------------------------------------------------------------

H = (
    "from fastapi import BackgroundTasks\nfrom starlette.background import BackgroundTask\n"
)
GUARDED = "    try:\n        {}\n    except Exception:\n        raise\n"

BACKGROUND = [
    ("parameter_with_any_name",
     H + "def t():\n    return 1\ndef h(zzz: BackgroundTasks):\n    zzz.add_task(t)\n",
     ["FPR401", "FPR402"]),
    ("optional_annotation",
     H + "from typing import Optional\ndef t():\n    return 1\n"
     "def h(x: Optional[BackgroundTasks] = None):\n    x.add_task(t)\n", ["FPR401", "FPR402"]),
    ("string_annotation",
     H + "def t():\n    return 1\ndef h(x: 'BackgroundTasks'):\n    x.add_task(t)\n",
     ["FPR401", "FPR402"]),
    ("unannotated_receiver_is_not_a_task_queue",
     H + "def t():\n    return 1\ndef h(x):\n    x.add_task(t)\n", []),
    ("local_background_tasks",
     H + "def t():\n    return 1\ndef h():\n    tasks = BackgroundTasks()\n    tasks.add_task(t)\n"
     "    return JSONResponse({}, background=tasks)\n", ["FPR401", "FPR402"]),
    ("background_keyword_background_task",
     H + "def t():\n    work()\ndef h():\n    return Response(background=BackgroundTask(t))\n",
     ["FPR402"]),
    ("background_task_func_keyword",
     H + "def t():\n    return work()\ndef h():\n    return BackgroundTask(func=t)\n",
     ["FPR401", "FPR402"]),
    ("task_defined_after_handler",
     H + "def h(b: BackgroundTasks):\n    b.add_task(t)\ndef t():\n    return 1\n",
     ["FPR401", "FPR402"]),
    ("task_nested_in_handler",
     H + "def h(b: BackgroundTasks):\n    def t():\n        return 1\n    b.add_task(t)\n",
     ["FPR401", "FPR402"]),
    ("partial",
     H + "import functools\ndef t(x):\n    return x\ndef h(b: BackgroundTasks):\n"
     "    b.add_task(functools.partial(t, 1))\n", ["FPR401", "FPR402"]),
    ("bare_return_and_none",
     H + "def t(x):\n" + GUARDED.format("if x:\n            return\n        return None") +
     "def h(b: BackgroundTasks):\n    b.add_task(t, 1)\n", []),
    ("return_in_nested_helper",
     H + "def t():\n" + GUARDED.format("def inner():\n            return 5\n        inner()") +
     "def h(b: BackgroundTasks):\n    b.add_task(t)\n", []),
    ("imported_task_not_followed",
     H + "from .tasks import t\ndef h(b: BackgroundTasks):\n    b.add_task(t)\n", []),
    ("method_not_followed",
     H + "class S:\n    def t(self):\n        return 1\n    def h(self, b: BackgroundTasks):\n"
     "        b.add_task(self.t)\n", []),
    ("timeout_wait_for",
     H + "import asyncio\nasync def t():\n" + GUARDED.format("await asyncio.wait_for(fetch(), 5)") +
     "def h(b: BackgroundTasks):\n    b.add_task(t)\n", []),
    ("timeout_keyword",
     H + "async def t():\n" + GUARDED.format("await client.get(u, timeout=5)") +
     "def h(b: BackgroundTasks):\n    b.add_task(t)\n", []),
    ("timeout_none_does_not_count",
     H + "async def t():\n" + GUARDED.format("await client.get(u, timeout=None)") +
     "def h(b: BackgroundTasks):\n    b.add_task(t)\n", ["FPR404"]),
    ("anyio_move_on_after",
     H + "import anyio\nasync def t():\n" +
     GUARDED.format("with anyio.move_on_after(5):\n            await fetch()") +
     "def h(b: BackgroundTasks):\n    b.add_task(t)\n", []),
    ("only_sleeps",
     H + "import asyncio\nasync def t():\n" + GUARDED.format("await asyncio.sleep(1)") +
     "def h(b: BackgroundTasks):\n    b.add_task(t)\n", []),
    ("sync_task_needs_no_timeout",
     H + "def t():\n" + GUARDED.format("fetch()")
     + "def h(b: BackgroundTasks):\n    b.add_task(t)\n",
     []),
    ("local_shadows_module_dict",
     H + "jobs = {}\ndef t(i):\n" + GUARDED.format("jobs = load()\n        jobs[i] = 1") +
     "def h(b: BackgroundTasks):\n    b.add_task(t, 1)\n", []),
    ("global_augmented_list",
     H + "done = []\ndef t(i):\n    global done\n" + GUARDED.format("done += [i]") +
     "def h(b: BackgroundTasks):\n    b.add_task(t, 1)\n", ["FPR403"]),
    ("del_from_module_dict",
     H + "jobs = dict()\ndef t(i):\n" + GUARDED.format("del jobs[i]") +
     "def h(b: BackgroundTasks):\n    b.add_task(t, 1)\n", ["FPR403"]),
    ("module_dict_outside_tasks", H + "jobs = {}\ndef f(i):\n    jobs[i] = 1\n", []),
    # asyncio's documented idiom: a module-level set keeps running tasks referenced
    ("task_registry_keeps_tasks_alive",
     H + "import asyncio\n_tasks = set()\ndef t(i):\n" + GUARDED.format("work(i)")
     + "async def h(b: BackgroundTasks):\n    task = asyncio.create_task(notify())\n"
     "    _tasks.add(task)\n    task.add_done_callback(_tasks.discard)\n"
     "    _tasks.add(asyncio.ensure_future(audit()))\n    b.add_task(t, 1)\n", []),
    ("task_registry_next_to_task_state",
     H + "import asyncio\n_tasks = set()\nresults = []\ndef t(i):\n"
     + GUARDED.format("work(i)")
     + "async def h(b: BackgroundTasks):\n    task = asyncio.create_task(notify())\n"
     "    _tasks.add(task)\n    results.append(1)\n    b.add_task(t, 1)\n", ["FPR403"]),
    # Cause U: a client passed in as a parameter was built elsewhere (its timeout unseen)
    ("awaits_only_methods_of_parameters",
     H + "async def t(redis_client, ctx, key):\n" +
     GUARDED.format("await redis_client.delete(key)\n        await ctx.db.commit()") +
     "def h(b: BackgroundTasks):\n    b.add_task(t, r, c, 'k')\n", []),
    ("parameter_and_module_level_client",
     H + "async def t(redis_client, key):\n" +
     GUARDED.format("await redis_client.delete(key)\n        await crud.user.update(key)") +
     "def h(b: BackgroundTasks):\n    b.add_task(t, r, 'k')\n", ["FPR404"]),
    ("parameter_rebound_in_the_task",
     H + "async def t(redis_client, key):\n" +
     GUARDED.format("redis_client = Redis()\n        await redis_client.delete(key)") +
     "def h(b: BackgroundTasks):\n    b.add_task(t, r, 'k')\n", ["FPR404"]),
    ("awaited_parameter_function_is_own_work",
     H + "async def t(fetch, url):\n" + GUARDED.format("await fetch(url)") +
     "def h(b: BackgroundTasks):\n    b.add_task(t, f, 'u')\n", ["FPR404"]),
    ("scheduler_of_imported_task",
     H + "from .tasks import t\nJOBS = {}\ndef h(b: BackgroundTasks):\n    JOBS['1'] = 'pending'\n"
     "    b.add_task(t, '1')\n", ["FPR403"]),
]


@pytest.mark.parametrize(
    ("name", "source", "expected"), BACKGROUND, ids=[c[0] for c in BACKGROUND]
)
def test_background(name: str, source: str, expected: list[str]) -> None:
    assert codes(source) == sorted(expected)


# --- shared tables and the single walk --------------------------------------------------------


def test_blocking_tables() -> None:
    assert knowledge.blocking_replacement("requests.get") == "httpx.AsyncClient"
    assert knowledge.blocking_replacement("requests.Session") is None
    assert knowledge.blocking_replacement("requests.HTTPError") is None
    assert knowledge.blocking_replacement("redis.Redis") is None
    client = knowledge.blocking_client("redis.Redis")
    assert client is not None and client.blocks("get") and not client.blocks("pipeline")
    session = knowledge.blocking_client("requests.Session")
    assert session is not None and session.blocks("post") and not session.blocks("mount")


def test_my_rules_do_not_walk_again(monkeypatch: pytest.MonkeyPatch) -> None:
    source = (ROOT / "examples" / "shop" / "app" / "workers.py").read_text(encoding="utf-8")
    tree = ast.parse(source)

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("a rule walked the tree again")

    monkeypatch.setattr(ast, "walk", forbidden)
    monkeypatch.setattr(ast.NodeVisitor, "generic_visit", forbidden)
    rules = [rule("workers.py") for rule in MINE]
    hooks: dict[type, list] = {}
    for rule in rules:
        for node_type in rule.visits:
            hooks.setdefault(node_type, []).append(rule.visit)
    facts = Walker(hooks).walk(tree)
    found = {finding.code for rule in rules for finding in rule.results(facts)}
    assert found == MY_CODES


def test_example_module_shows_every_code() -> None:
    source = (ROOT / "examples" / "shop" / "app" / "workers.py").read_text(encoding="utf-8")
    assert set(codes(source)) == MY_CODES
