"""Codemod defaults from ``[tool.flake8-fastapi-prod]`` in pyproject.toml, through the real CLI.

Each run is a fresh ``python`` process in a temporary project, so the exit codes, the
one-line errors and the nearest-pyproject.toml search are what a user gets.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from codemods import runner

REPO = Path(__file__).resolve().parent.parent

CLIENT = "import httpx\nc = httpx.AsyncClient(app=app)\n"

# The header codemod of test_codemods_all next to asgi_transport: a codemod whose option
# (--header) the asgi_transport command line does not have.
REGISTRY = {
    "header": "tests.test_codemods_all:HEADER",
    "asgi_transport": "codemods.asgi_transport:CODEMOD",
}
DRIVER = (
    "import json, sys\n"
    "from codemods import runner\n"
    "from codemods.__main__ import main\n"
    "runner.CODEMODS.clear()\n"
    "runner.CODEMODS.update(json.loads(sys.argv[1]))\n"
    "raise SystemExit(main(sys.argv[2:]))\n"
)


def project(root: Path, table: str, files: dict[str, str] | None = None) -> Path:
    """A project with ``table`` as its [tool.flake8-fastapi-prod] body, and some files."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        "[project]\nname = \"demo\"\n\n[tool.flake8-fastapi-prod]\n" + table
    )
    for relative, text in (files or {}).items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return root


def codemods(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """``python -m codemods ARGV`` with the test registry."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(REGISTRY), *argv],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
    )


def test_configured_excludes_and_jobs_apply_and_flags_override(tmp_path: Path) -> None:
    root = project(tmp_path, 'exclude = ["legacy"]\njobs = 1\n', {
        "src/a.py": CLIENT, "legacy/b.py": CLIENT,
    })
    configured = codemods(root, "asgi_transport", ".", "--check", "-q")
    assert (configured.returncode, configured.stderr) == (1, "")
    assert configured.stdout == (
        "would change: src/a.py\n1 files scanned, 1 would change, 0 skipped\n"
    )
    # --exclude on the command line replaces the configured list.
    overridden = codemods(root, "asgi_transport", ".", "--check", "-q", "--exclude", "src")
    assert (overridden.returncode, overridden.stdout) == (
        1, "would change: legacy/b.py\n1 files scanned, 1 would change, 0 skipped\n"
    )
    bad_jobs_flag = codemods(root, "asgi_transport", ".", "--jobs", "0")
    assert bad_jobs_flag.returncode == 2


def test_scalar_option_from_config_and_the_flag_that_overrides_it(tmp_path: Path) -> None:
    root = project(tmp_path, 'header = "# from pyproject"\n', {"a.py": "MARK = 1\n"})
    configured = codemods(root, "all", "a.py", "--diff", "-q")
    assert configured.returncode == 0
    assert "+# from pyproject\n" in configured.stdout
    overridden = codemods(root, "all", "a.py", "--diff", "-q", "--header", "# from flag")
    assert overridden.returncode == 0
    assert "+# from flag\n" in overridden.stdout
    assert "pyproject" not in overridden.stdout


def test_another_codemods_key_is_not_an_error(tmp_path: Path) -> None:
    root = project(tmp_path, 'header = "# x"\n', {"a.py": CLIENT})
    result = codemods(root, "asgi_transport", ".", "-q")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "changed: a.py\n1 files scanned, 1 changed, 0 skipped\n"


def test_switches_are_booleans(tmp_path: Path) -> None:
    root = project(tmp_path, "quiet = true\n", {"a.py": CLIENT})
    result = codemods(root, "asgi_transport", "a.py", "--check")
    assert result.stdout == "would change: a.py\n1 files scanned, 1 would change, 0 skipped\n"


@pytest.mark.parametrize(("table", "message"), [
    ('exlude = ["x"]\n', "unknown key 'exlude' (did you mean 'exclude'?)"),
    ("colour = 1\n", "unknown key 'colour' (known: "),
    ("check = true\n", "'check' can only be given on the command line"),
    ("diff = true\n", "'diff' can only be given on the command line"),
    ("jobs = 0\n", "jobs: invalid value 0: must be at least 1, got 0"),
    ('jobs = "many"\n', "jobs: invalid value 'many': invalid literal for int()"),
    ("jobs = true\n", "jobs: expected a string or a number, got True"),
    ('exclude = "legacy"\n', "exclude: expected a list, got 'legacy'"),
    ('quiet = "yes"\n', "quiet: expected true or false, got 'yes'"),
    ("jobs = [\n", "cannot read: "),
])
def test_configuration_errors_are_one_line_and_exit_2(
    tmp_path: Path, table: str, message: str
) -> None:
    root = project(tmp_path, table, {"a.py": CLIENT})
    result = codemods(root, "asgi_transport", ".")
    assert (result.returncode, result.stdout) == (2, "")
    pyproject = root / "pyproject.toml"
    prefix = f"python -m codemods.asgi_transport: error: {pyproject}: "
    assert result.stderr.startswith(prefix), result.stderr
    assert message in result.stderr
    assert result.stderr.count("\n") == 1
    assert (root / "a.py").read_text() == CLIENT


def test_all_checks_the_configuration_too(tmp_path: Path) -> None:
    root = project(tmp_path, 'heder = "# x"\n', {"a.py": CLIENT})
    result = codemods(root, "all", ".")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"python -m codemods all: error: {root / 'pyproject.toml'}: "
        "[tool.flake8-fastapi-prod]: unknown key 'heder' (did you mean 'header'?)\n"
    )
    assert (root / "a.py").read_text() == CLIENT


def test_table_that_is_not_a_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool]\n"flake8-fastapi-prod" = 3\n')
    (tmp_path / "a.py").write_text(CLIENT)
    result = codemods(tmp_path, "asgi_transport", ".")
    assert result.returncode == 2
    assert result.stderr.endswith(": [tool.flake8-fastapi-prod] must be a table\n")


def test_the_nearest_pyproject_to_the_paths_is_used(tmp_path: Path) -> None:
    outer = project(tmp_path / "outer", 'exclude = ["legacy"]\n', {
        "legacy/a.py": CLIENT,
        # A subproject with its own pyproject.toml and no table: the outer one does not apply.
        "sub/pyproject.toml": "[project]\nname = \"sub\"\n",
        "sub/legacy/a.py": CLIENT,
    })
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # Found from the paths on the command line, not from the working directory.
    result = codemods(elsewhere, "asgi_transport", str(outer), "--check", "-q")
    assert (result.returncode, result.stdout) == (0, "0 files scanned, 0 would change, 0 skipped\n")
    result = codemods(elsewhere, "asgi_transport", str(outer / "sub"), "--check", "-q")
    assert (result.returncode, result.stdout.splitlines()) == (1, [
        f"would change: {outer / 'sub' / 'legacy' / 'a.py'}",
        "1 files scanned, 1 would change, 0 skipped",
    ])


def test_exclude_paths_are_relative_to_the_pyproject(tmp_path: Path) -> None:
    root = project(tmp_path / "proj", 'exclude = ["src/generated/*"]\n', {
        "src/generated/client.py": CLIENT,
        "src/app.py": CLIENT,
    })
    for cwd, path in ((root, "."), (tmp_path, "proj"), (root / "src", "..")):
        result = codemods(cwd, "asgi_transport", path, "--check", "-q")
        assert result.returncode == 1, cwd
        assert result.stdout.endswith("1 files scanned, 1 would change, 0 skipped\n"), cwd
        assert "app.py" in result.stdout


def test_no_pyproject_or_no_table_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(CLIENT)
    bare = codemods(tmp_path, "asgi_transport", ".", "--check", "-q")
    (tmp_path / "pyproject.toml").write_text("[tool.other]\nexclude = 1\n")
    other_tool = codemods(tmp_path, "asgi_transport", ".", "--check", "-q")
    assert bare.returncode == other_tool.returncode == 1
    assert bare.stdout == other_tool.stdout


def test_lifespan_pool_defaults_from_pyproject(tmp_path: Path) -> None:
    """The README example: the lifespan codemod's pool sizes set once for the project."""
    try:
        runner.load_codemod(runner.CODEMODS["lifespan"])
    except ImportError:
        pytest.skip("codemods.lifespan has not landed yet")
    root = project(tmp_path, "pool-size = 5\nmax-overflow = 2\nno-pool-pre-ping = true\n", {
        "db.py": "from sqlalchemy import create_engine\n\n"
                 "engine = create_engine(\"postgresql://db/app\")\n",
    })
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def lifespan(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "codemods.lifespan", "db.py", "--diff", "-q", *argv],
            cwd=root, env=env, capture_output=True, text=True, timeout=120,
        )

    configured = lifespan()
    assert (configured.returncode, configured.stderr) == (0, "")
    added = [line for line in configured.stdout.splitlines() if line.startswith("+engine")]
    assert len(added) == 1
    assert "pool_size=5" in added[0] and "max_overflow=2" in added[0]
    assert "pool_pre_ping" not in added[0]
    overridden = lifespan("--pool-size", "7")
    assert "pool_size=7" in overridden.stdout and "max_overflow=2" in overridden.stdout


def test_readme_example_is_accepted(tmp_path: Path) -> None:
    try:
        runner.load_codemod(runner.CODEMODS["lifespan"])
    except ImportError:
        pytest.skip("codemods.lifespan has not landed yet")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Codemods: configuration", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    assert example.startswith("[tool.flake8-fastapi-prod]\n")
    (tmp_path / "pyproject.toml").write_text(example)
    (tmp_path / "legacy").mkdir()
    (tmp_path / "legacy" / "old.py").write_text(CLIENT)
    (tmp_path / "new.py").write_text(CLIENT)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-m", "codemods", "all", ".", "--check", "-q"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert (result.returncode, result.stderr) == (1, "")
    assert result.stdout == "would change: new.py\n1 files scanned, 1 would change, 0 skipped\n"
