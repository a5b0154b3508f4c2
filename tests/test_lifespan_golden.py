"""Golden tests for ``python -m codemods.lifespan``.

Each ``tests/data/lifespan/<case>/`` holds ``input.py``, the expected ``expected.py`` and
``notes.txt`` (what the run reports), and optionally ``args.txt`` (command-line flags).
Every golden is also checked for idempotence, for closing the lint findings it claims
to fix, and, where the module runs on its own, for starting and stopping the same way
under a real ``TestClient``.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
import warnings
from pathlib import Path

import pytest
from plugin_runs import run_plugin
from fastapi.testclient import TestClient

from codemods.lifespan import CODEMOD, might_change
from codemods.lifespan_rewrite import Options
from codemods.runner import Outcome, build_parser
from codemods.runner import main as runner_main

CASES_DIR = Path(__file__).parent / "data" / "lifespan"
CASES = sorted(path.name for path in CASES_DIR.iterdir() if path.is_dir())


def _read(path: Path) -> str:
    """Bytes decoded as is, so CRLF files stay CRLF."""
    return path.read_bytes().decode("utf-8")


def _options(case: str) -> object:
    args_file = CASES_DIR / case / "args.txt"
    args = args_file.read_text().split() if args_file.exists() else []
    return CODEMOD.configure(build_parser(CODEMOD).parse_args([*args, "unused.py"]))


def _run(source: str, options: object) -> Outcome:
    """What the runner does with one file's text."""
    if not CODEMOD.might_change(source):
        return Outcome(source)
    return CODEMOD.transform(source, options)


def _notes(outcome: Outcome) -> str:
    lines = [f"{note.line}: {note.text}" for note in outcome.notes]  # type: ignore[union-attr]
    lines += [f"{note.line}: refused: {note.text}" for note in outcome.refused]
    return "".join(line + "\n" for line in lines)


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str) -> None:
    outcome = _run(_read(CASES_DIR / case / "input.py"), _options(case))
    assert outcome.code == _read(CASES_DIR / case / "expected.py")
    assert _notes(outcome) == (CASES_DIR / case / "notes.txt").read_text()


@pytest.mark.parametrize("case", CASES)
def test_second_run_changes_nothing(case: str) -> None:
    expected = _read(CASES_DIR / case / "expected.py")
    assert _run(expected, _options(case)).code == expected


def _findings(source: str) -> set[tuple[int, str]]:
    return {(line, message.split()[0]) for line, _, message in run_plugin(source, "<unknown>")}


def _switched_off(options: object) -> set[str]:
    """Findings the command line asked the codemod to leave (``--no-pool-pre-ping``…)."""
    assert isinstance(options, Options)
    off = {"FPR106"} if options.pool_size is None else set()
    off |= {"FPR107"} if options.pool_recycle is None else set()
    return off | ({"FPR108"} if not options.pool_pre_ping else set())


@pytest.mark.parametrize("case", CASES)
def test_lint_closes(case: str) -> None:
    """No finding the codemod fixes survives, unless a note says it is left on purpose."""
    options = _options(case)
    outcome = _run(_read(CASES_DIR / case / "input.py"), options)
    try:
        ast.parse(outcome.code)
    except SyntaxError:
        pytest.skip("syntax newer than this Python: the plugin cannot parse it here")
    left_on_purpose = set(re.findall(r"FPR\d{3}", _notes(outcome))) | _switched_off(options)
    remaining = {
        code for _, code in _findings(outcome.code)
        if code in CODEMOD.fixes and code not in left_on_purpose
    }
    assert remaining == set()


@pytest.mark.parametrize("case", [c for c in CASES if c.startswith("lookalike_")])
def test_lookalikes_stay_byte_identical(case: str) -> None:
    source = _read(CASES_DIR / case / "input.py")
    assert _run(source, _options(case)).code == source


# --- the converted code runs ---------------------------------------------------------


def _lifecycle(source: str, app_expression: str = "app") -> list[str]:
    """Exec a golden module, start and stop its app, return what its handlers printed."""
    namespace: dict[str, object] = {"__name__": "golden_module"}
    output = io.StringIO()
    with contextlib.redirect_stdout(output), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        exec(compile(source, "<golden>", "exec"), namespace)
        with TestClient(eval(app_expression, namespace)):
            print("--running")
    return output.getvalue().splitlines()


_INCLUDED_ROUTER = "(lambda a: (a.include_router(router), a)[1])(__import__('fastapi').FastAPI())"

#: Goldens that run stand-alone, and how to get their app.
RUNNABLE = {
    "add_event_handler": "app",
    "conditional": "app",
    "constructor_lists": "app",
    "crlf": "app",
    "decorators": "app",
    "dispose_into_user_lifespan": "app",
    "engine_sync_dispose": "app",
    "factory_app": "app",
    "factory_early_return": "app",
    "fastapi_alias": "application",
    "name_collision": "app",
    "runtime_decided_handlers": "app",
    "same_line_statements": "app",
    "stacked_decorators": "app",
    "tabs": "app",
}


@pytest.mark.parametrize("case", sorted(RUNNABLE))
def test_converted_app_runs_handlers_in_the_same_order(case: str) -> None:
    before = _lifecycle(_read(CASES_DIR / case / "input.py"), RUNNABLE[case])
    after = _lifecycle(_read(CASES_DIR / case / "expected.py"), RUNNABLE[case])
    assert after == before
    assert "--running" in after and len(after) > 1


def test_converted_app_raises_no_on_event_deprecation() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        namespace: dict[str, object] = {"__name__": "golden_module"}
        exec(compile(_read(CASES_DIR / "decorators" / "expected.py"), "<golden>", "exec"),
             namespace)


def test_existing_lifespan_now_runs_the_ignored_handlers_inside_it() -> None:
    case = CASES_DIR / "existing_lifespan"
    assert _lifecycle(_read(case / "input.py")) == ["lifespan enter", "--running", "lifespan exit"]
    assert _lifecycle(_read(case / "expected.py")) == [
        "lifespan enter", "never_ran", "--running", "never_ran_either", "lifespan exit",
    ]


def test_router_handlers_run_once_instead_of_twice() -> None:
    case = CASES_DIR / "router"
    before = _lifecycle(_read(case / "input.py"), _INCLUDED_ROUTER)
    after = _lifecycle(_read(case / "expected.py"), _INCLUDED_ROUTER)
    assert before == ["router ctor", "router_up"] * 2 + ["--running"] + ["router_down"] * 2
    assert after == ["router ctor", "router_up", "--running", "router_down"]


def test_router_lifespan_now_runs_its_handlers_inside_it() -> None:
    """FastAPI ran them as copies in the app, before the router lifespan; now inside it."""
    case = CASES_DIR / "router_factory_with_lifespan"
    before = _lifecycle(_read(case / "input.py"), _INCLUDED_ROUTER)
    after = _lifecycle(_read(case / "expected.py"), _INCLUDED_ROUTER)
    assert before == ["load", "router lifespan enter", "--running", "router lifespan exit"]
    assert after == ["router lifespan enter", "load", "--running", "router lifespan exit"]


# --- prefilter and command line -----------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from fastapi import FastAPI\napp = FastAPI(on_startup=[f])\n", True),
        ("import sqlalchemy as sa\nengine = sa.create_engine(url)\n", True),
        ("from fastapi import FastAPI\nfrom .db import engine\napp = FastAPI()\n", True),
        # the word alone is not enough: SQLAlchemy's own sources are full of it
        ("from . import util\ndef create_engine(url):\n    return url\n", False),
        ("import os\n# app.on_event('startup') in a comment\n", False),
        ("from fastapi import FastAPI\ntext = 'on_event'\n", False),
        ("from myframework import App\napp.on_event('startup')(f)\n", False),
    ],
)
def test_might_change_needs_framework_context(source: str, expected: bool) -> None:
    assert might_change(source) is expected


def test_command_line_check_and_write(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    target = tmp_path / "app.py"
    source = _read(CASES_DIR / "decorators" / "input.py")
    target.write_text(source)
    assert runner_main("lifespan", ["--check", str(target)]) == 1
    assert target.read_text() == source
    assert runner_main("lifespan", [str(target)]) == 0
    assert target.read_text() == _read(CASES_DIR / "decorators" / "expected.py")
    assert runner_main("lifespan", ["--check", str(target)]) == 0
    assert "1 files scanned, 0 would change" in capsys.readouterr().out
