"""``codemods.asgi_transport``: golden files, the real command line, and a real FastAPI app.

The golden pairs live in ``tests/data/asgi_transport/{before,after}``; ``lookalikes.py``
(nothing to rewrite) and ``shadowed.py`` (refused) are their own expected output. The
runtime test converts an async test module written for httpx < 0.28 and runs it against
its FastAPI app with the installed httpx (0.28+).
"""

import asyncio
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from asgi_lifespan import LifespanManager

from codemods.asgi_transport import CODEMOD
from codemods.runner import Note

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data" / "asgi_transport"
CASES = sorted(path.name for path in (DATA / "before").glob("*.py"))

LIFESPAN_NOTE = (
    "ASGITransport does not run the app's lifespan (start-up/shut-down): if these tests "
    "need it, wrap the app in asgi_lifespan.LifespanManager (see FPR501)"
)


def run_codemod(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """``python -m codemods.asgi_transport`` in a fresh interpreter."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "codemods.asgi_transport", *argv],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )


@pytest.mark.parametrize("name", CASES)
def test_golden(name: str) -> None:
    before = (DATA / "before" / name).read_text()
    after = (DATA / "after" / name).read_text()
    assert CODEMOD.might_change(before)
    assert CODEMOD.transform(before, None).code == after
    again = CODEMOD.transform(after, None)
    assert (again.code, again.notes) == (after, ()), "not idempotent"


def test_only_lookalikes_and_refusals_are_left_unchanged() -> None:
    unchanged = [n for n in CASES if (DATA / "before" / n).read_text() ==
                 (DATA / "after" / n).read_text()]
    assert unchanged == ["lookalikes.py", "shadowed.py"]


def test_command_line_on_the_golden_tree(tmp_path: Path) -> None:
    shutil.copytree(DATA / "before", tmp_path / "tests")
    check = run_codemod(tmp_path, "tests", "--check", "-q")
    assert (check.returncode, check.stderr) == (1, "")

    result = run_codemod(tmp_path, "tests")
    assert (result.returncode, result.stderr) == (0, "")
    for name in CASES:
        assert (tmp_path / "tests" / name).read_text() == (DATA / "after" / name).read_text()
    lines = result.stdout.splitlines()
    assert lines[-1] == "7 files scanned, 5 changed, 0 skipped, 5 refused"
    assert "changed: tests/lookalikes.py" not in lines
    assert "tests/from_import.py: " + LIFESPAN_NOTE in lines
    assert "tests/transport_imported.py:10: `httpx.AsyncClient(app=...)` -> " \
           "`transport=Transport(app=...)`" in lines
    assert "tests/module_alias.py:16: `httpx.AsyncClient(app=...)` -> " \
           "`transport=hx.ASGITransport(app=...)`" in lines
    refused = [line.split(": refused: ")[0] for line in lines if ": refused: " in line]
    assert refused == [
        "tests/shadowed.py:9",
        "tests/sync_clients.py:27",
        "tests/sync_clients.py:32",
        "tests/sync_clients.py:37",
        "tests/sync_clients.py:42",
    ]

    again = run_codemod(tmp_path, "tests", "--check", "-q")
    assert (again.returncode, again.stdout.splitlines()[-1]) == (
        0, "7 files scanned, 0 would change, 0 skipped, 5 refused")


def test_refusals_say_what_to_do_instead() -> None:
    source = (DATA / "before" / "sync_clients.py").read_text()
    refused = {note.line: note.text for note in CODEMOD.transform(source, None).refused}
    assert "a sync Client cannot use ASGITransport" in refused[27]
    assert "TestClient" in refused[27]
    assert "app of unknown kind" in refused[32]
    assert "WSGI app: ASGITransport cannot serve it" in refused[37]
    assert "delete `app=` by hand" in refused[42]
    shadowed = CODEMOD.transform((DATA / "before" / "shadowed.py").read_text(), None)
    assert [note.text for note in shadowed.refused] == [
        "`httpx.AsyncClient(app=...)`: the name `httpx` means something else here; pass "
        "`transport=httpx.ASGITransport(app=...)` by hand"
    ]


def test_notes_point_at_each_call() -> None:
    outcome = CODEMOD.transform((DATA / "before" / "module_alias.py").read_text(), None)
    assert outcome.notes == (
        Note(11, "`httpx.AsyncClient(app=...)` -> `transport=httpx.ASGITransport(app=...)`"),
        Note(16, "`httpx.AsyncClient(app=...)` -> `transport=hx.ASGITransport(app=...)`"),
        Note(26, "`httpx.AsyncClient(app=...)` -> `transport=httpx.ASGITransport(app=...)`"),
        LIFESPAN_NOTE,
    )
    wsgi_only = CODEMOD.transform(
        "import httpx\nfrom flask import Flask\nhttpx.Client(app=Flask(__name__))\n", None
    )
    assert wsgi_only.notes == (
        Note(3, "`httpx.Client(app=...)` -> `transport=httpx.WSGITransport(app=...)`"),
    )


@pytest.mark.parametrize("source", [
    "import httpx\nclient = httpx.Client()\n",
    "from app import make\nclient = make(app=app)\n",
    "import httpx\nif app == other:\n    pass\n",
    "def broken(:\n    httpx\n",
])
def test_prefilter_rejects_files_without_httpx_and_app_keyword(source: str) -> None:
    assert not CODEMOD.might_change(source)


def test_prefilter_means_the_file_is_never_parsed(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("def broken(:\n    import httpx\n")
    (tmp_path / "other.py").write_text("x = dict(app=1)\n")
    result = run_codemod(tmp_path, ".")
    assert (result.returncode, result.stdout) == (0, "2 files scanned, 0 changed, 0 skipped\n")


@pytest.mark.parametrize(("before", "after"), [
    # the client's own module alias, inside a function that imports httpx itself
    ("def f():\n    import httpx as h\n    return h.AsyncClient(app=app)\n",
     "def f():\n    import httpx as h\n"
     "    return h.AsyncClient(transport=h.ASGITransport(app=app))\n"),
    # an imported httpx module is reused for a from-imported client
    ("import httpx\nfrom httpx import Client\nfrom flask import Flask as F\n"
     "c = Client(app=F(__name__))\n",
     "import httpx\nfrom httpx import Client\nfrom flask import Flask as F\n"
     "c = Client(transport=httpx.WSGITransport(app=F(__name__)))\n"),
    # a parameter named httpx: the module's own import is not visible there
    ("import httpx as hx\nfrom httpx import AsyncClient\n"
     "def f(httpx):\n    return AsyncClient(app=app)\n",
     "import httpx as hx\nfrom httpx import AsyncClient\n"
     "def f(httpx):\n    return AsyncClient(transport=hx.ASGITransport(app=app))\n"),
    # CRLF files keep their newlines, also on the added import
    ("from httpx import AsyncClient\r\n\r\nc = AsyncClient(app=app)\r\n",
     "from httpx import AsyncClient\r\nimport httpx\r\n\r\n"
     "c = AsyncClient(transport=httpx.ASGITransport(app=app))\r\n"),
])
def test_import_reuse(before: str, after: str) -> None:
    assert CODEMOD.transform(before, None).code == after


def test_parameter_named_httpx_without_other_import_is_refused() -> None:
    source = "from httpx import AsyncClient\ndef f(httpx):\n    return AsyncClient(app=app)\n"
    outcome = CODEMOD.transform(source, None)
    assert outcome.code == source
    assert [note.line for note in outcome.refused] == [3]


def load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_tests(module: ModuleType) -> list[str]:
    """Run every ``test_*`` coroutine of ``module`` the way an async test runner would."""
    names = sorted(name for name in vars(module) if name.startswith("test_"))
    for name in names:
        asyncio.run(getattr(module, name)())
    return names


def test_converted_module_runs_against_a_real_fastapi_app(tmp_path: Path) -> None:
    assert tuple(map(int, httpx.__version__.split(".")[:2])) >= (0, 28)
    original = load(DATA / "runtime" / "items_api.py", "items_api_before")
    with pytest.raises(TypeError, match="unexpected keyword argument 'app'"):
        asyncio.run(original.test_read_item())

    shutil.copy(DATA / "runtime" / "items_api.py", tmp_path / "items_api.py")
    result = run_codemod(tmp_path, "items_api.py", "-q")
    assert (result.returncode, result.stdout) == (
        0, "changed: items_api.py\n1 files scanned, 1 changed, 0 skipped\n")

    converted = load(tmp_path / "items_api.py", "items_api_after")
    assert run_tests(converted) == ["test_create_item", "test_read_item"]
    assert converted.EVENTS == [], "ASGITransport ran the lifespan"
    written = (tmp_path / "items_api.py").read_text()
    assert "transport=httpx.ASGITransport(app=app),  # served in process, no network" in written


def test_lifespan_manager_runs_the_lifespan_for_asgi_transport(tmp_path: Path) -> None:
    """The recipe FPR501's documentation gives, checked with asgi-lifespan."""
    module = load(DATA / "runtime" / "items_api.py", "items_api_lifespan")

    async def with_manager(use_manager_app: bool) -> httpx.Response:
        async with LifespanManager(module.app) as manager:
            assert module.EVENTS == ["startup"]
            app = manager.app if use_manager_app else module.app
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                return await client.get("/greeting")

    response = asyncio.run(with_manager(use_manager_app=True))
    assert response.json() == {"greeting": "hello"}
    assert module.EVENTS == ["startup", "shutdown"]

    # Start-up runs either way, but the lifespan's state only reaches requests through
    # manager.app: ASGITransport(app=app) inside the manager fails on request.state.
    module.EVENTS.clear()
    with pytest.raises(AttributeError, match="greeting"):
        asyncio.run(with_manager(use_manager_app=False))
    assert module.EVENTS[0] == "startup"
