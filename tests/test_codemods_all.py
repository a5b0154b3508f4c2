"""``python -m codemods all``: every codemod in one pass, one read and one write per file.

Driven by a small header-adding codemod defined here next to the real asgi_transport
codemod, so chaining, option union, line mapping and failures can be seen on real files.
"""

import argparse
import builtins
import json
import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from codemods import chain, runner
from codemods.__main__ import main as codemods_main
from codemods.runner import Note, Outcome, Skip

REPO = Path(__file__).resolve().parent.parent

HEADER_PATH = "tests.test_codemods_all:HEADER"
ASGI_PATH = "codemods.asgi_transport:CODEMOD"
REGISTRY = {"header": HEADER_PATH, "asgi_transport": ASGI_PATH}


@dataclass(frozen=True)
class HeaderOptions:
    header: str


class HeaderCodemod:
    """Adds a header line above files that contain MARK; notes every MARK line.

    REFUSE lines are refused, SKIPME skips the file, BADOUTPUT makes it write broken code.
    """

    name = "header"
    summary = "Add a header"
    fixes = ("FPR998",)

    def __init__(self, option: str = "--header", dest: str | None = None) -> None:
        self.option = option
        self.dest = dest

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        kwargs = {"dest": self.dest} if self.dest else {}
        parser.add_argument(self.option, default="# checked", **kwargs)

    def configure(self, args: argparse.Namespace) -> object:
        return HeaderOptions(getattr(args, self.dest or self.option.lstrip("-")))

    def might_change(self, source: str) -> bool:
        return "MARK" in source

    def transform(self, source: str, options: object) -> Outcome:
        assert isinstance(options, HeaderOptions)
        if "SKIPME" in source:
            raise Skip("unsupported construct")
        lines = source.splitlines()
        notes = tuple(Note(n, "marked") for n, line in enumerate(lines, 1) if "MARK" in line)
        refused = tuple(Note(n, "no") for n, line in enumerate(lines, 1) if "REFUSE" in line)
        broken = "def broken(:\n" if "BADOUTPUT" in source else ""
        return Outcome(f"{options.header}\n{broken}{source}", notes, refused)


HEADER = HeaderCodemod()
SAME_OPTION = HeaderCodemod()
SAME_DEST = HeaderCodemod("--other-header", dest="header")

BOTH = (
    "import httpx\n"
    "MARK = 1\n"
    "\n"
    "client = httpx.AsyncClient(\n"
    "    app=app,\n"
    ")  # MARK\n"
)


def write(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def run_all(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    registry: dict[str, str] = REGISTRY,
) -> tuple[int, str, str]:
    monkeypatch.setattr(runner, "CODEMODS", dict(registry))
    code = codemods_main(["all", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


DRIVER = (
    "import json, sys\n"
    "from codemods import runner\n"
    "from codemods.__main__ import main\n"
    "runner.CODEMODS.clear()\n"
    "runner.CODEMODS.update(json.loads(sys.argv[1]))\n"
    "raise SystemExit(main(sys.argv[2:]))\n"
)


def run_cli(cwd: Path, registry: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    """``python -m codemods ...`` in a fresh interpreter, with ``registry`` registered."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(registry), *argv],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )


def test_one_read_and_one_write_per_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {
        "both.py": BOTH,
        "httpx_only.py": "import httpx\nc = httpx.AsyncClient(app=app)\n",
        "mark_only.py": "MARK = 1\n",
        "neither.py": "def broken(:\n",
    })
    monkeypatch.chdir(tmp_path)
    reads: Counter[str] = Counter()
    writes: Counter[str] = Counter()
    real_open, real_replace = builtins.open, os.replace

    def counting_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, str) and file.endswith(".py"):
            reads[os.path.basename(file)] += 1
        return real_open(file, mode, *args, **kwargs)

    def counting_replace(source: Any, target: Any) -> None:
        writes[os.path.basename(target)] += 1
        real_replace(source, target)

    monkeypatch.setattr(builtins, "open", counting_open)
    monkeypatch.setattr(os, "replace", counting_replace)
    code, out, err = run_all([".", "-j1"], capsys, monkeypatch)
    monkeypatch.undo()

    assert (code, err) == (0, "")
    assert reads == {"both.py": 1, "httpx_only.py": 1, "mark_only.py": 1, "neither.py": 1}
    assert writes == {"both.py": 1, "httpx_only.py": 1, "mark_only.py": 1}
    assert (tmp_path / "both.py").read_text() == (
        "# checked\n"
        "import httpx\n"
        "MARK = 1\n"
        "\n"
        "client = httpx.AsyncClient(\n"
        "    transport=httpx.ASGITransport(app=app),\n"
        ")  # MARK\n"
    )
    # Notes name their codemod and point at the file as it was read, although the
    # header codemod moved every line down before asgi_transport saw the text.
    assert out.splitlines() == [
        "changed: both.py",
        "both.py:2: header: marked",
        "both.py:6: header: marked",
        "both.py:4: asgi_transport: `httpx.AsyncClient(app=...)` -> "
        "`transport=httpx.ASGITransport(app=...)`",
        "both.py: asgi_transport: ASGITransport does not run the app's lifespan "
        "(start-up/shut-down): if these tests need it, wrap the app in "
        "asgi_lifespan.LifespanManager (see FPR501)",
        "changed: httpx_only.py",
        "httpx_only.py:2: asgi_transport: `httpx.AsyncClient(app=...)` -> "
        "`transport=httpx.ASGITransport(app=...)`",
        "httpx_only.py: asgi_transport: ASGITransport does not run the app's lifespan "
        "(start-up/shut-down): if these tests need it, wrap the app in "
        "asgi_lifespan.LifespanManager (see FPR501)",
        "changed: mark_only.py",
        "mark_only.py:1: header: marked",
        "4 files scanned, 3 changed, 0 skipped",
    ]


def test_second_run_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"a.py": "import httpx\nc = httpx.AsyncClient(app=app)\n"})
    assert run_all([str(tmp_path), "-q"], capsys, monkeypatch)[0] == 0
    code, out, _ = run_all([str(tmp_path), "--check"], capsys, monkeypatch)
    assert (code, out) == (0, "1 files scanned, 0 would change, 0 skipped\n")


def test_a_codemod_sees_the_text_the_previous_one_wrote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"a.py": "MARK = 1\n"})
    header = "import httpx\nc = httpx.AsyncClient(app=app)"
    code, out, _ = run_all([str(tmp_path), "--header", header], capsys, monkeypatch)
    assert code == 0
    # Only the header brought httpx in: asgi_transport's prefilter saw the new text.
    assert (tmp_path / "a.py").read_text() == (
        "import httpx\nc = httpx.AsyncClient(transport=httpx.ASGITransport(app=app))\n"
        "MARK = 1\n"
    )
    # Lines the header inserted are reported at the line they were inserted at.
    assert f"{tmp_path / 'a.py'}:1: asgi_transport: `httpx.AsyncClient(app=...)` -> " \
           "`transport=httpx.ASGITransport(app=...)`" in out.splitlines()


def test_a_skip_leaves_the_whole_file_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = "import httpx\nMARK = SKIPME\nc = httpx.AsyncClient(app=app)\n"
    write(tmp_path, {"a.py": source})
    code, out, _ = run_all([str(tmp_path / "a.py")], capsys, monkeypatch)
    assert code == 2
    assert out.splitlines() == [
        f"{tmp_path / 'a.py'}: skipped: header: unsupported construct",
        "1 files scanned, 0 changed, 1 skipped",
    ]
    assert (tmp_path / "a.py").read_text() == source


def test_unparsable_files_and_broken_output_are_skips(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    broken_input = "MARK = (\nhttpx.AsyncClient(app=app)\n"
    broken_output = "import httpx\nMARK = BADOUTPUT\nc = httpx.AsyncClient(app=app)\n"
    write(tmp_path, {"a.py": broken_input, "b.py": broken_output})
    code, out, _ = run_all([str(tmp_path)], capsys, monkeypatch)
    assert code == 2
    lines = out.splitlines()
    # The file itself does not parse: reported like any other codemod run does.
    assert lines[0].startswith(f"{tmp_path / 'a.py'}: skipped: cannot parse: ")
    # The header codemod wrote code that does not parse: the next codemod says so.
    assert lines[1].startswith(
        f"{tmp_path / 'b.py'}: skipped: asgi_transport: cannot parse what the codemods "
        "before it wrote: "
    )
    assert lines[2:] == ["2 files scanned, 0 changed, 2 skipped"]
    assert (tmp_path / "a.py").read_text() == broken_input
    assert (tmp_path / "b.py").read_text() == broken_output


def test_refusals_keep_exit_code_zero_and_are_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"a.py": "MARK = 1\nREFUSE = 2\n"})
    code, out, _ = run_all([str(tmp_path)], capsys, monkeypatch)
    assert code == 0
    assert f"{tmp_path / 'a.py'}:2: refused: header: no" in out.splitlines()
    assert out.endswith("1 files scanned, 1 changed, 0 skipped, 1 refused\n")


def test_options_are_the_union_of_every_codemods(tmp_path: Path) -> None:
    help_text = run_cli(tmp_path, REGISTRY, "all", "--help")
    assert help_text.returncode == 0
    assert help_text.stdout.startswith("usage: python -m codemods all ")
    for option in ("--header", "--diff", "--check", "--exclude", "--jobs", "--quiet"):
        assert option in help_text.stdout
    assert "FPR501" in help_text.stdout and "FPR998" in help_text.stdout

    write(tmp_path, {"a.py": "MARK = 1\n"})
    result = run_cli(tmp_path, REGISTRY, "all", ".", "--header", "# custom", "-q")
    assert (result.returncode, result.stderr) == (0, "")
    assert (tmp_path / "a.py").read_text() == "# custom\nMARK = 1\n"


@pytest.mark.parametrize(("attribute", "message"), [
    ("SAME_OPTION", "codemod 'second': argument --header: conflicting option string: "
                    "--header"),
    ("SAME_DEST", "codemod 'second': option 'header' is also used by codemod 'header'"),
])
def test_clashing_options_are_refused_before_any_work(
    tmp_path: Path, attribute: str, message: str
) -> None:
    write(tmp_path, {"a.py": "MARK = 1\n"})
    registry = {"header": HEADER_PATH, "second": f"tests.test_codemods_all:{attribute}"}
    result = run_cli(tmp_path, registry, "all", ".")
    assert result.returncode == 2
    assert result.stderr == f"python -m codemods all: error: {message}\n"
    assert result.stdout == ""
    assert (tmp_path / "a.py").read_text() == "MARK = 1\n"


def test_an_unavailable_codemod_stops_all(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {"a.py": "MARK = 1\n"})
    registry = {**REGISTRY, "ghost": "codemods.no_such_module:CODEMOD"}
    code, out, err = run_all([str(tmp_path)], capsys, monkeypatch, registry=registry)
    assert (code, out) == (2, "")
    assert err == (
        "python -m codemods all: error: codemod 'ghost' is unavailable: "
        "No module named 'codemods.no_such_module'\n"
    )


def test_parallel_run_matches_serial(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {f"pkg/m{i:02}.py": f"import httpx\nMARK = {i}\nc = httpx.AsyncClient(app=a)\n"
             for i in range(40)}
    files["pkg/m05.py"] = "MARK = SKIPME\n"
    files["pkg/m06.py"] = "x = 1\n"
    for tree in ("one", "two"):
        write(tmp_path / tree, files)
    monkeypatch.chdir(tmp_path / "one")
    serial = run_all([".", "-j1"], capsys, monkeypatch)
    monkeypatch.chdir(tmp_path / "two")
    parallel = run_all([".", "-j2"], capsys, monkeypatch)  # the Chain is pickled
    assert parallel == serial
    assert serial[0] == 2
    assert serial[1].endswith("40 files scanned, 38 changed, 1 skipped\n")
    written = [
        {p.relative_to(tmp_path / tree): p.read_text() for p in (tmp_path / tree).rglob("*.py")}
        for tree in ("one", "two")
    ]
    assert written[0] == written[1]
    assert written[0][Path("pkg/m01.py")].startswith("# checked\nimport httpx\n")


def test_carry_maps_lines_back_to_the_file_as_read() -> None:
    old = "a\nb\nc\n"
    new = "header\na\nB1\nB2\nc\n"
    assert chain._carry([1, 2, 3], old, new) == [1, 1, 2, 2, 3]
    assert chain._carry([], "", "x\n") == [1]
    assert chain._carry([1, 2], "a\r\nb\r\n", "a\r\nb\r\nc\r\n") == [1, 2, 2]


def test_listing_shows_every_codemod_with_its_codes() -> None:
    listing = subprocess.run(
        [sys.executable, "-m", "codemods"], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert listing.returncode == 0
    lines = listing.stdout.splitlines()
    assert lines[0].startswith("lifespan  ")
    assert lines[1].startswith("asgi_transport  Replace httpx's removed `app=`")
    assert lines[1].endswith("[fixes: FPR501]")
    assert "python -m codemods all PATH..." in listing.stdout


def test_real_registry_fixes_lifespan_and_transport_in_one_run(tmp_path: Path) -> None:
    try:
        runner.load_codemod(runner.CODEMODS["lifespan"])
    except ImportError:
        pytest.skip("codemods.lifespan has not landed yet")
    write(tmp_path, {
        "app/__init__.py": "",
        "app/main.py": (
            "from fastapi import FastAPI\n"
            "\n"
            "app = FastAPI()\n"
            "\n"
            "\n"
            "@app.on_event(\"startup\")\n"
            "async def connect():\n"
            "    pass\n"
        ),
        "tests/test_api.py": (
            "import httpx\n"
            "\n"
            "from app.main import app\n"
            "\n"
            "\n"
            "async def test_home():\n"
            "    async with httpx.AsyncClient(app=app, base_url=\"http://t\") as client:\n"
            "        await client.get(\"/\")\n"
        ),
    })
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-m", "codemods", "all", ".", "-q"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        "changed: app/main.py",
        "changed: tests/test_api.py",
        "3 files scanned, 2 changed, 0 skipped",
    ]
    main = (tmp_path / "app/main.py").read_text()
    assert "on_event" not in main and "lifespan" in main
    assert "transport=httpx.ASGITransport(app=app)" in (tmp_path / "tests/test_api.py").read_text()
