"""Tests for the shared codemod runner, driven by a tiny marker-renaming codemod.

The runner's promises (byte-identical untouched files, encodings and newlines kept,
deterministic output, exit codes) are checked on real temporary trees, in-process and
through ``python`` subprocesses for the command line.
"""

import argparse
import io
import os
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import libcst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from codemods import runner
from codemods.__main__ import describe, main as codemods_main
from codemods.runner import Note, Outcome, Skip

REPO = Path(__file__).resolve().parent.parent

# Transform calls made in this process: empty after a run whose work went to worker processes.
CALLS: list[str] = []


@dataclass(frozen=True)
class MarkerOptions:
    new_name: str


class _Rename(libcst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, new_name: str) -> None:
        super().__init__()
        self.new_name = new_name
        self.renamed: list[int] = []
        self.refused: list[int] = []

    def visit_Attribute(self, node: libcst.Attribute) -> bool:
        if node.attr.value == "OLD_NAME":
            self.refused.append(self.get_metadata(PositionProvider, node).start.line)
        node.value.visit(self)
        return False

    def leave_Name(self, original: libcst.Name, updated: libcst.Name) -> libcst.Name:
        if original.value != "OLD_NAME":
            return updated
        self.renamed.append(self.get_metadata(PositionProvider, original).start.line)
        return updated.with_changes(value=self.new_name)


class MarkerCodemod:
    """Renames the name OLD_NAME; leaves `x.OLD_NAME` alone; EXPLODE/SKIPME trigger failures."""

    name = "marker"
    summary = "Rename OLD_NAME"
    fixes = ("FPR999",)

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--new-name", default="NEW_NAME")

    def configure(self, args: argparse.Namespace) -> object:
        return MarkerOptions(args.new_name)

    def might_change(self, source: str) -> bool:
        return "OLD_NAME" in source

    def transform(self, source: str, options: object) -> Outcome:
        assert isinstance(options, MarkerOptions)
        CALLS.append(source)
        if "EXPLODE" in source:
            raise RuntimeError("boom")
        if "SKIPME" in source:
            raise Skip("unsupported construct")
        rename = _Rename(options.new_name)
        code = MetadataWrapper(libcst.parse_module(source)).visit(rename).code
        notes: tuple[Note | str, ...] = tuple(
            Note(line, f"renamed OLD_NAME to {options.new_name}") for line in rename.renamed
        )
        if rename.renamed:
            notes += (f"{len(rename.renamed)} renamed",)
        return Outcome(code, notes, tuple(Note(line, "attribute") for line in rename.refused))


CODEMOD = MarkerCodemod()

TREE: dict[str, bytes] = {
    "pkg/crlf.py": b"import os\r\nOLD_NAME = 1\r\nprint(OLD_NAME)\r\n",
    "pkg/latin1.py": b"# -*- coding: latin-1 -*-\nOLD_NAME = '\xe9'\n",
    "pkg/bom.py": "\ufeffOLD_NAME = 'ü'\n".encode(),
    "pkg/broken.py": b"OLD_NAME = (\n",
    "pkg/nocookie.py": b"OLD_NAME = '\xe9'\n",
    "pkg/untouched.py": b"x = 1\n",
    "pkg/attr.py": b"obj.OLD_NAME = 2\n",
    "pkg/tool.py": b"#!/usr/bin/env python\nOLD_NAME = 1\n",
    "pkg/notes.txt": b"OLD_NAME\n",
    ".venv/lib/site.py": b"OLD_NAME = 1\n",
    "node_modules/dep/x.py": b"OLD_NAME = 1\n",
}

EXPECTED: dict[str, bytes] = {
    "pkg/crlf.py": b"import os\r\nNEW_NAME = 1\r\nprint(NEW_NAME)\r\n",
    "pkg/latin1.py": b"# -*- coding: latin-1 -*-\nNEW_NAME = '\xe9'\n",
    "pkg/bom.py": "\ufeffNEW_NAME = 'ü'\n".encode(),
    "pkg/tool.py": b"#!/usr/bin/env python\nNEW_NAME = 1\n",
}

OLD_MTIME_NS = 1_000_000_000 * 10**9


def make_tree(root: Path, files: dict[str, bytes]) -> None:
    """Write ``files`` with an old mtime, so any rewrite is visible in st_mtime_ns."""
    for relative, data in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, ns=(OLD_MTIME_NS, OLD_MTIME_NS))
    if "pkg/tool.py" in files:
        (root / "pkg/tool.py").chmod(0o755)


def snapshot(root: Path) -> dict[str, tuple[bytes, int, int]]:
    """Bytes, mtime and permission bits of every file, for whole-tree comparisons."""
    return {
        path.relative_to(root).as_posix(): (
            path.read_bytes(), path.stat().st_mtime_ns, stat.S_IMODE(path.stat().st_mode)
        )
        for path in sorted(root.rglob("*")) if path.is_file()
    }


def run_in_process(
    argv: list[str], capsys: pytest.CaptureFixture[str], import_path: str | None = None
) -> tuple[int, str]:
    args = runner.build_parser(CODEMOD).parse_args(argv)
    code = runner.run(CODEMOD, args.paths, args, import_path)
    return code, capsys.readouterr().out


DRIVER = (
    "import sys\n"
    "from codemods import runner\n"
    "runner.CODEMODS['marker'] = 'test_runner:CODEMOD'\n"
    "raise SystemExit(runner.main('marker', sys.argv[1:]))\n"
)


def run_cli(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """The real command line in a fresh interpreter, with the marker codemod registered."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "tests")])}
    return subprocess.run(
        [sys.executable, "-c", DRIVER, *argv],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
    )


def test_rewrite_keeps_encodings_newlines_and_permissions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(tmp_path, TREE)
    before = snapshot(tmp_path)
    monkeypatch.chdir(tmp_path)

    code, out = run_in_process([".", "-j1"], capsys)

    after = snapshot(tmp_path)
    assert code == 2
    for relative, expected in EXPECTED.items():
        assert after[relative][0] == expected, relative
        assert after[relative][1] != OLD_MTIME_NS
    assert after["pkg/tool.py"][2] == 0o755
    unchanged = set(TREE) - set(EXPECTED)
    assert {name: after[name] for name in unchanged} == {name: before[name] for name in unchanged}
    assert set(after) == set(TREE), "temporary files left behind"
    lines = out.splitlines()
    assert lines[4].startswith("pkg/broken.py: skipped: cannot parse: parser error: ")
    assert lines[:4] + lines[5:] == [
        "pkg/attr.py:1: refused: attribute",
        "changed: pkg/bom.py",
        "pkg/bom.py:1: renamed OLD_NAME to NEW_NAME",
        "pkg/bom.py: 1 renamed",
        "changed: pkg/crlf.py",
        "pkg/crlf.py:2: renamed OLD_NAME to NEW_NAME",
        "pkg/crlf.py:3: renamed OLD_NAME to NEW_NAME",
        "pkg/crlf.py: 2 renamed",
        "changed: pkg/latin1.py",
        "pkg/latin1.py:2: renamed OLD_NAME to NEW_NAME",
        "pkg/latin1.py: 1 renamed",
        "pkg/nocookie.py: skipped: cannot decode: invalid or missing encoding declaration",
        "changed: pkg/tool.py",
        "pkg/tool.py:2: renamed OLD_NAME to NEW_NAME",
        "pkg/tool.py: 1 renamed",
        "8 files scanned, 4 changed, 2 skipped, 1 refused",
    ]

    # A second run finds nothing left to change and rewrites nothing.
    code, out = run_in_process([".", "-j1", "--quiet"], capsys)
    assert code == 2
    assert snapshot(tmp_path) == after
    assert out.splitlines()[-1] == "8 files scanned, 0 changed, 2 skipped, 1 refused"


def test_prefilter_means_never_parsed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_tree(tmp_path, {"a.py": b"def broken(:\n", "b.py": b"x = 1\n"})
    CALLS.clear()
    code, out = run_in_process([str(tmp_path)], capsys)
    assert (code, CALLS) == (0, [])
    assert out == "2 files scanned, 0 changed, 0 skipped\n"


def test_explicit_files_bypass_filters_and_excludes_apply(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(tmp_path, {
        ".venv/lib/site.py": b"OLD_NAME = 1\n",
        "script": b"OLD_NAME = 1\n",
        "gen_a/x.py": b"OLD_NAME = 1\n",
        "src/gen/y.py": b"OLD_NAME = 1\n",
        "src/keep.py": b"OLD_NAME = 1\n",
        "src/skip_me.py": b"OLD_NAME = 1\n",
    })
    monkeypatch.chdir(tmp_path)
    argv = [".venv/lib/site.py", "script", ".", "--check", "-q",
            "--exclude", "gen_*", "--exclude", "src/gen/*", "--exclude", "skip_me.py"]
    code, out = run_in_process(argv, capsys)
    assert code == 1
    assert out.splitlines() == [
        "would change: .venv/lib/site.py",
        "would change: script",
        "would change: src/keep.py",
        "3 files scanned, 3 would change, 0 skipped",
    ]


def test_duplicate_paths_are_processed_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(tmp_path, {"src/a.py": b"OLD_NAME = 1\n"})
    monkeypatch.chdir(tmp_path)
    code, out = run_in_process(["src", "./src/a.py", ".", "-q"], capsys)
    assert code == 0
    assert out == "changed: src/a.py\n1 files scanned, 1 changed, 0 skipped\n"


def test_codemod_failures_become_skips(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(tmp_path, {
        "explode.py": b"OLD_NAME = EXPLODE\n",
        "skip.py": b"OLD_NAME = SKIPME\n",
        "fine.py": b"OLD_NAME = 1\n",
    })
    before = snapshot(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, out = run_in_process([".", "missing.py", "--quiet"], capsys)
    assert code == 2
    assert out.splitlines() == [
        "missing.py: skipped: no such file or directory",
        "explode.py: skipped: internal error: RuntimeError: boom",
        "changed: fine.py",
        "skip.py: skipped: unsupported construct",
        "3 files scanned, 1 changed, 3 skipped",
    ]
    after = snapshot(tmp_path)
    assert after["explode.py"] == before["explode.py"]
    assert after["skip.py"] == before["skip.py"]


def test_unencodable_result_is_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_tree(tmp_path, {"latin1.py": TREE["pkg/latin1.py"]})
    before = snapshot(tmp_path)
    code, out = run_in_process([str(tmp_path), "--new-name", "ŁÓD"], capsys)
    assert code == 2
    assert "latin1.py: skipped: cannot encode: 'latin-1' codec" in out
    assert snapshot(tmp_path) == before


def test_diff_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(tmp_path, {"a.py": b"x = 1\nOLD_NAME = 2", "b.py": b"y = OLD_NAME\n"})
    before = snapshot(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, out = run_in_process([".", "--diff", "-q"], capsys)
    assert code == 0
    assert snapshot(tmp_path) == before
    assert out == (
        "--- a/a.py\n+++ b/a.py\n@@ -1,2 +1,2 @@\n x = 1\n"
        "-OLD_NAME = 2\n\\ No newline at end of file\n"
        "+NEW_NAME = 2\n\\ No newline at end of file\n"
        "--- a/b.py\n+++ b/b.py\n@@ -1 +1 @@\n-y = OLD_NAME\n+y = NEW_NAME\n"
        "2 files scanned, 2 would change, 0 skipped\n"
    )


def test_progress_only_on_a_tty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    make_tree(tmp_path, {f"m{i}.py": b"x = 1\n" for i in range(3)})
    monkeypatch.setattr(runner, "PROGRESS_MIN_FILES", 2)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    run_in_process([str(tmp_path)], capsys)
    assert "\r[3/3]" in terminal.getvalue()
    assert terminal.getvalue().endswith("\r")

    monkeypatch.setattr(sys, "stderr", io.StringIO())
    run_in_process([str(tmp_path)], capsys)
    assert sys.stderr.getvalue() == ""


def big_tree(root: Path) -> None:
    """Enough files for the process pool, with failures spread through the order."""
    files = {f"pkg/m{i:02}.py": f"OLD_NAME = {i}\n".encode() for i in range(45)}
    files["pkg/m07.py"] = b"OLD_NAME = (\n"
    files["pkg/m21.py"] = b"OLD_NAME = EXPLODE\n"
    files["pkg/m33.py"] = b"x = 1\n"
    make_tree(root, files)


def test_parallel_run_in_process_matches_serial(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    big_tree(tmp_path / "one")
    big_tree(tmp_path / "two")
    monkeypatch.chdir(tmp_path / "one")
    serial = run_in_process([".", "-j1"], capsys)
    CALLS.clear()
    monkeypatch.chdir(tmp_path / "two")
    parallel = run_in_process([".", "-j2"], capsys)  # the codemod instance is pickled
    assert CALLS == [], "the work was expected to happen in worker processes"
    assert parallel == serial
    assert serial[0] == 2
    written = [{name: data for name, (data, _, _) in snapshot(tmp_path / tree).items()}
               for tree in ("one", "two")]
    assert written[0] == written[1]
    assert written[0]["pkg/m01.py"] == b"NEW_NAME = 1\n"


def test_cli_parallel_output_is_deterministic(tmp_path: Path) -> None:
    big_tree(tmp_path)
    before = snapshot(tmp_path)
    serial = run_cli(tmp_path, ".", "--diff", "-j1")
    parallel = run_cli(tmp_path, ".", "--diff", "-j2")
    assert snapshot(tmp_path) == before
    assert (parallel.returncode, parallel.stdout) == (serial.returncode, serial.stdout)
    assert serial.returncode == 2
    assert serial.stdout.index("pkg/m07.py: skipped") < serial.stdout.index("a/pkg/m08.py")
    assert "pkg/m21.py: skipped: internal error: RuntimeError: boom" in serial.stdout
    assert serial.stdout.endswith("45 files scanned, 42 would change, 2 skipped\n")


def test_cli_exit_codes(tmp_path: Path) -> None:
    make_tree(tmp_path, {"pkg/a.py": b"OLD_NAME = 1\n", "pkg/clean.py": b"x = 1\n"})
    before = snapshot(tmp_path)

    check = run_cli(tmp_path, "pkg", "--check")
    assert (check.returncode, check.stdout) == (
        1, "would change: pkg/a.py\npkg/a.py:1: renamed OLD_NAME to NEW_NAME\n"
           "pkg/a.py: 1 renamed\n2 files scanned, 1 would change, 0 skipped\n")
    diff = run_cli(tmp_path, "pkg", "--diff", "--quiet")
    assert diff.returncode == 0
    assert diff.stdout.startswith("--- a/pkg/a.py\n+++ b/pkg/a.py\n")
    both = run_cli(tmp_path, "pkg", "--diff", "--check", "--quiet")
    assert both.returncode == 1
    assert both.stdout == "would change: pkg/a.py\n" + diff.stdout
    assert snapshot(tmp_path) == before
    assert check.stderr == diff.stderr == both.stderr == ""

    write = run_cli(tmp_path, "pkg", "--new-name", "RENAMED", "-q")
    assert write.returncode == 0
    assert (tmp_path / "pkg/a.py").read_bytes() == b"RENAMED = 1\n"
    assert snapshot(tmp_path)["pkg/clean.py"] == before["pkg/clean.py"]
    again = run_cli(tmp_path, "pkg", "--check")
    assert (again.returncode, again.stdout) == (0, "2 files scanned, 0 would change, 0 skipped\n")

    (tmp_path / "pkg/b.py").write_bytes(b"OLD_NAME = (\n")
    (tmp_path / "pkg/c.py").write_bytes(b"OLD_NAME = 1\n")
    skipped = run_cli(tmp_path, "pkg", "--check")
    assert skipped.returncode == 2, "a skip wins over would-change"

    usage = run_cli(tmp_path, "pkg", "--jobs", "0")
    assert usage.returncode == 2
    assert "--jobs: must be at least 1" in usage.stderr


def test_main_reports_unknown_and_unavailable_codemods(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(runner.CODEMODS, "ghost", "codemods.no_such_module:CODEMOD")
    assert runner.main("nope", ["."]) == 2
    assert runner.main("ghost", ["."]) == 2
    err = capsys.readouterr().err
    assert "unknown codemod 'nope'" in err
    assert "codemod 'ghost' is unavailable: No module named 'codemods.no_such_module'" in err


def test_listing(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(runner, "CODEMODS", {
        "marker": "test_runner:CODEMOD",
        "ghost": "codemods.no_such_module:CODEMOD",
    })
    assert describe() == [
        "ghost   (unavailable: ModuleNotFoundError: No module named 'codemods.no_such_module')",
        "marker  Rename OLD_NAME [fixes: FPR999]",
    ]
    assert codemods_main(["--bogus"]) == 2
    assert codemods_main(["ghost", "."]) == 2
    capsys.readouterr()

    listing = subprocess.run(
        [sys.executable, "-m", "codemods"], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert listing.returncode == 0
    assert listing.stdout.startswith("lifespan  ")
    assert "python -m codemods.NAME --help" in listing.stdout


def test_codemods_main_dispatches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(tmp_path, {"a.py": b"OLD_NAME = 1\n"})
    monkeypatch.setitem(runner.CODEMODS, "marker", "test_runner:CODEMOD")
    assert codemods_main(["marker", str(tmp_path), "--check", "-q", "-j1"]) == 1
    assert capsys.readouterr().out.endswith("1 files scanned, 1 would change, 0 skipped\n")
