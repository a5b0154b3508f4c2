"""Property tests on generated valid Python programs (hypothesis + hypothesmith).

* the plugin never raises, whatever the program and whether it is a test module;
* each codemod (and ``codemods all``) never raises on a valid program apart from its
  documented ``Skip``; what it writes parses, and a second run changes nothing;
* a program with no FastAPI/Starlette/SQLAlchemy/httpx marker comes back byte-identical.

Programs are hypothesmith's grammar-generated modules, alone or spliced with FastAPI and
SQLAlchemy snippets so that the rules and codemods have something to chew on.

CI runs the ``ci`` profile (few examples, derandomized: the same programs every run).
The long run explores far more::

    HYPOTHESIS_PROFILE=long python -m pytest tests/test_properties.py
"""

from __future__ import annotations

import ast
import os
import warnings

import hypothesmith
import libcst
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from plugin_runs import run_plugin

from codemods import chain, runner
from codemods.runner import Codemod, Skip

_SLOW_GENERATION = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")

settings.register_profile(
    "ci", max_examples=25, deadline=None, derandomize=True, database=None,
    suppress_health_check=_SLOW_GENERATION,
)
settings.register_profile(
    "long", max_examples=2000, deadline=None, suppress_health_check=_SLOW_GENERATION
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)

#: words in any program one of the codemods or the rules look at
MARKERS = ("fastapi", "starlette", "sqlalchemy", "sqlmodel", "httpx", "on_event",
           "add_event_handler", "on_startup", "on_shutdown", "engine", "lifespan")

HEADER = """\
from fastapi import FastAPI, APIRouter, BackgroundTasks, Depends
from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import create_async_engine
import httpx
app = FastAPI()
router = APIRouter()
engine = create_engine("postgresql://db/app")
"""

SNIPPETS = (
    '@app.on_event("startup")\nasync def start():\n    await engine.connect()\n',
    '@router.on_event("shutdown")\ndef stop():\n    engine.dispose()\n',
    'app.add_event_handler("startup", lambda: None)\n',
    'other = FastAPI(on_startup=[print], on_shutdown=[engine.dispose])\n',
    'async def dep(tasks: BackgroundTasks):\n    tasks.add_task(print, 1)\n    yield engine\n',
    '@app.get("/x")\nasync def x(d=Depends(dep)):\n    return httpx.AsyncClient(app=app)\n',
    'def make():\n    return create_async_engine("postgresql+asyncpg://db/app")\n',
    'if engine:\n    app.on_event("startup")(print)\n',
)


def _join(parts: list[str]) -> str:
    return "".join(part if part.endswith("\n") else part + "\n" for part in parts)


def _parses(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


#: the long run lets hypothesmith steer towards bigger programs; CI keeps them small
_STEER = PROFILE == "long"
random_programs = hypothesmith.from_grammar(auto_target=_STEER)
framework_programs = st.builds(
    lambda body, snippets, header: _join([HEADER] * header + [body, *snippets]),
    hypothesmith.from_grammar(auto_target=_STEER),
    st.lists(st.sampled_from(SNIPPETS), min_size=1, max_size=4),
    st.integers(0, 1),
)
programs = st.one_of(random_programs, framework_programs)


def _codemods() -> list[tuple[str, Codemod, object]]:
    loaded = [(name, runner.load_codemod(path)) for name, path in runner.CODEMODS.items()]
    loaded.append(("all", chain.Chain(runner.CODEMODS)))
    return [
        (name, codemod, codemod.configure(runner.build_parser(codemod).parse_args(["."])))
        for name, codemod in loaded
    ]


CODEMODS = _codemods()


@given(programs, st.sampled_from(["app/main.py", "tests/test_api.py", "conftest.py"]))
def test_plugin_never_raises(source: str, filename: str) -> None:
    assume(_parses(source))
    run_plugin(source, filename)


@given(programs)
def test_codemod_output_parses_and_is_stable(source: str) -> None:
    """Every codemod and their chain, on the same program."""
    assume(_parses(source))
    for name, codemod, options in CODEMODS:
        try:
            first = codemod.transform(source, options).code
        except Skip:
            continue  # the documented refusal: the runner reports it and leaves the file
        except libcst.ParserSyntaxError:
            # libcst rejects a few programs CPython accepts (a line continuation right
            # before the end of the file, "\\\r\n"): the runner reports "cannot parse"
            continue
        assert _parses(first), f"{name}: the rewritten program does not parse"
        again = codemod.transform(first, options).code
        assert again == first, f"{name}: a second run changed the program again"


@given(random_programs)
def test_programs_without_markers_come_back_identical(source: str) -> None:
    assume(not any(marker in source.lower() for marker in MARKERS))
    for name, codemod, options in CODEMODS:
        try:
            assert codemod.transform(source, options).code == source, name
        except (Skip, libcst.ParserSyntaxError):
            continue  # left as it is, which is what the runner does with it
