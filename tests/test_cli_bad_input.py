"""Bad input to the codemod command line and to the plugin's options.

Each bad file gives one clear line naming it, exit code 2 where something was skipped,
and every other file is converted as usual. The plugin with odd or invalid option values
gives flake8's own one-line error, never a traceback.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from codemods import lifespan, runner
from codemods.runner import Outcome

REPO = Path(__file__).resolve().parent.parent

CONVERTIBLE = b"""\
from fastapi import FastAPI

app = FastAPI()


@app.on_event("startup")
async def start() -> None:
    print("start")
"""


def run_lifespan(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    """``python -m codemods.lifespan ARGV`` in process: exit code and output lines."""
    code = runner.main("lifespan", ["-q", "-j1", *argv])
    return code, capsys.readouterr().out.splitlines()


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory holding one good file, ``good.py``, that the codemod converts."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "good.py").write_bytes(CONVERTIBLE)
    yield tmp_path


def assert_good_converted(tree: Path) -> None:
    converted = (tree / "good.py").read_bytes()
    assert b"@app.on_event" not in converted and b"lifespan" in converted


def test_nonexistent_path(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_lifespan(capsys, "missing.py", "good.py")
    assert code == 2
    assert out[0] == "missing.py: skipped: no such file or directory"
    assert out[-1] == "1 files scanned, 1 changed, 1 skipped"
    assert_good_converted(tree)


def test_directory_without_python_files(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree / "docs").mkdir()
    (tree / "docs" / "README.txt").write_text("no code here\n")
    code, out = run_lifespan(capsys, "docs", "good.py")
    assert code == 0
    assert out[0] == "docs: no Python files found"
    assert_good_converted(tree)


def test_read_only_file_is_not_rewritten(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    locked = tree / "locked.py"
    locked.write_bytes(CONVERTIBLE)
    locked.chmod(0o444)
    code, out = run_lifespan(capsys, ".")
    assert code == 2
    assert "locked.py: skipped: read-only file: not rewritten" in out
    assert locked.read_bytes() == CONVERTIBLE
    assert stat.S_IMODE(locked.stat().st_mode) == 0o444
    assert_good_converted(tree)
    # --check reads it like any other file
    locked_check, out = run_lifespan(capsys, "--check", "locked.py")
    assert locked_check == 1 and out[0] == "would change: locked.py"


def test_symlink_loop(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree / "loop_a.py").symlink_to("loop_b.py")
    (tree / "loop_b.py").symlink_to("loop_a.py")
    code, out = run_lifespan(capsys, ".")
    assert code == 2
    loops = [line for line in out if "loop_" in line]
    assert loops and all(
        line.endswith(": skipped: cannot read: Too many levels of symbolic links")
        for line in loops
    )
    assert_good_converted(tree)
    code, out = run_lifespan(capsys, "loop_a.py")
    assert code == 2
    assert out[0] == "loop_a.py: skipped: cannot read: Too many levels of symbolic links"


def test_file_deleted_before_it_is_read(
    tree: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tree / "gone.py").write_bytes(CONVERTIBLE)
    collect = runner.collect_files

    def collect_then_delete(*args: object) -> tuple[list[str], list[tuple[str, str]]]:
        found = collect(*args)  # type: ignore[arg-type]
        os.unlink("gone.py")  # deleted after the file list was made, before it is read
        return found

    monkeypatch.setattr(runner, "collect_files", collect_then_delete)
    code, out = run_lifespan(capsys, ".")
    assert code == 2
    assert "gone.py: skipped: cannot read: No such file or directory" in out
    assert not (tree / "gone.py").exists()
    assert_good_converted(tree)


class DeletingCodemod:
    """codemods.lifespan, except that transforming ``gone.py`` deletes it meanwhile."""

    def __getattr__(self, name: str) -> object:
        return getattr(lifespan.CODEMOD, name)

    def transform(self, source: str, options: object) -> Outcome:
        outcome = lifespan.CODEMOD.transform(source, options)
        if "gone" in source:
            os.unlink("gone.py")
        return outcome


def test_file_deleted_while_it_is_transformed(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tree / "gone.py").write_bytes(CONVERTIBLE + b"# gone\n")
    codemod = DeletingCodemod()
    args = runner.build_parser(lifespan.CODEMOD).parse_args([".", "-q", "-j1"])
    code = runner.run(codemod, args.paths, args)  # type: ignore[arg-type]
    out = capsys.readouterr().out.splitlines()
    assert code == 2
    assert "gone.py: skipped: not rewritten: deleted while the codemod ran" in out
    assert not (tree / "gone.py").exists(), "a deleted file must not come back"
    assert sorted(p.name for p in tree.iterdir()) == ["good.py"], "temporary file left"
    assert_good_converted(tree)


def test_hundred_thousand_line_file(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    big = tree / "big.py"
    body = "".join(f"def handler_{i}(request):\n    return {{'n': {i}}}\n\n\n"
                   for i in range(25_000))
    big.write_text("from fastapi import FastAPI, Request\n\n" + body)
    assert big.read_text().count("\n") > 100_000
    before = big.read_bytes()
    code, out = run_lifespan(capsys, ".")
    assert code == 0
    assert out[-1] == "2 files scanned, 1 changed, 0 skipped"
    assert big.read_bytes() == before
    assert_good_converted(tree)


@pytest.mark.parametrize("nesting", [
    pytest.param("x = " + "(" * 1500 + "1" + ")" * 1500 + "\n", id="1500 brackets"),
    pytest.param("x = " + " + ".join(["a"] * 3000) + "\n", id="3000-term expression"),
    pytest.param("if a == 0:\n    pass\n"
                 + "".join(f"elif a == {i}:\n    pass\n" for i in range(1, 1200)),
                 id="1200-branch elif chain"),
])
def test_very_deep_nesting_is_a_clean_skip(
    tree: Path, capsys: pytest.CaptureFixture[str], nesting: str
) -> None:
    deep = tree / "deep.py"
    deep.write_bytes(CONVERTIBLE + nesting.encode())
    code, out = run_lifespan(capsys, ".")
    assert code == 2
    assert [line for line in out if line.startswith("deep.py")] == [
        next(line for line in out if line.startswith("deep.py: skipped: too deeply nested"))
    ]
    assert deep.read_bytes() == CONVERTIBLE + nesting.encode()
    assert_good_converted(tree)


def test_deep_nesting_in_a_worker_does_not_break_the_pool(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for i in range(24):
        (tree / f"app_{i:02}.py").write_bytes(CONVERTIBLE)
    (tree / "app_07.py").write_bytes(CONVERTIBLE + b"x = " + b"(" * 1500 + b"1" + b")" * 1500)
    code = runner.main("lifespan", ["-q", "-j2", "."])
    out = capsys.readouterr().out.splitlines()
    assert code == 2
    assert [line for line in out if "skipped" in line] == [
        "app_07.py: skipped: too deeply nested to rewrite safely "
        "(too many nested parentheses, line 9)",
        "25 files scanned, 24 changed, 1 skipped",
    ]


def test_bom_and_latin1_cookie_are_kept(tree: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tree / "bom.py").write_bytes(b"\xef\xbb\xbf" + CONVERTIBLE + "# caf\u00e9\n".encode())
    latin1 = b"# -*- coding: latin-1 -*-\n" + CONVERTIBLE + b"# caf\xe9\n"
    (tree / "latin1.py").write_bytes(latin1)
    code, out = run_lifespan(capsys, ".")
    assert code == 0
    assert out[-1] == "3 files scanned, 3 changed, 0 skipped"
    bom = (tree / "bom.py").read_bytes()
    assert bom.startswith(b"\xef\xbb\xbf") and bom.count(b"\xef\xbb\xbf") == 1
    assert "# caf\u00e9\n".encode() in bom and b"lifespan" in bom
    converted = (tree / "latin1.py").read_bytes()
    assert converted.startswith(b"# -*- coding: latin-1 -*-\n")
    assert converted.endswith(b"# caf\xe9\n") and b"lifespan" in converted


# --- the plugin's options -------------------------------------------------------------


def flake8(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", *argv], cwd=cwd, capture_output=True, text=True,
        timeout=120,
    )


@pytest.mark.parametrize("value", ["", ",,,", " , test_*.py ,", "[", "*", "**/*.py,\u00e9*"])
def test_odd_test_file_patterns_are_accepted(tmp_path: Path, value: str) -> None:
    (tmp_path / "test_app.py").write_text(
        "import time\n\n\ndef test_x(client):\n    client.get('/')\n    time.sleep(1)\n"
    )
    result = flake8(tmp_path, "--isolated", "--select", "FPR", f"--fpr-test-files={value}",
                    "--fpr-test-functions=" + value, ".")
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("config", [
    "fpr-test-files =\n    test_*.py,\n    ,\n",
    "fpr-test-files =\n",
    "fpr-test-functions = [\n",
])
def test_odd_config_values_are_accepted(tmp_path: Path, config: str) -> None:
    # (A non-numeric value for a numeric option in the config file, e.g.
    # ``max-line-length = lots``, is a ValueError traceback from flake8 7.5 itself, with or
    # without this plugin; on the command line it is the clean error tested below.)
    (tmp_path / "app.py").write_text("x = 1\n")
    (tmp_path / "setup.cfg").write_text("[flake8]\nselect = FPR\n" + config)
    result = flake8(tmp_path, ".")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "option", ["--max-line-length=abc", "--max-complexity=-x", "--fpr-test-files"]
)
def test_bad_command_line_values_give_flake8s_error(tmp_path: Path, option: str) -> None:
    (tmp_path / "app.py").write_text("x = 1\n")
    result = flake8(tmp_path, "--isolated", option)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("flake8: error: ")
