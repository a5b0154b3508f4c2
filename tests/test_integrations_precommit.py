"""The hooks of ``.pre-commit-hooks.yaml``, run by the real ``pre-commit try-repo``.

pre-commit installs this repository into its own virtual environment (from PyPI for the
dependencies), as it would for a team that adds the hooks to its config. The hook
repository is a commit of the current working tree (tracked and untracked files, minus
the ignored ones), so what is tested is what is on disk, committed or not.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOOK_TIMEOUT = 120  # each try-repo builds the hook environment, from PyPI
RUN_TIMEOUT = 60

BROKEN_APP = '''\
from fastapi import FastAPI

app = FastAPI()


@app.on_event("startup")
async def connect() -> None:
    ...


@app.on_event("shutdown")
async def disconnect() -> None:
    ...
'''
CLEAN_APP = '''\
from contextlib import asynccontextmanager

from fastapi import FastAPI


@asynccontextmanager
async def lifespan(app: FastAPI):
    yield


app = FastAPI(lifespan=lifespan)
'''


def _env(home: Path) -> dict[str, str]:
    """No inherited GIT_* variables (as in a git hook), a private pre-commit home."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update(
        PRE_COMMIT_HOME=str(home),
        PATH=os.pathsep.join([str(BIN), env.get("PATH", "")]),
        GIT_AUTHOR_NAME="test", GIT_AUTHOR_EMAIL="test@example.invalid",
        GIT_COMMITTER_NAME="test", GIT_COMMITTER_EMAIL="test@example.invalid",
    )
    return env


def _git(cwd: Path, env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=True,
    )
    return result.stdout


class HookRepo:
    """A commit of the working tree, and ``pre-commit try-repo`` against it."""

    def __init__(self, base: Path) -> None:
        self.env = _env(base / "pre-commit-home")
        self.path = base / "hook-repo"
        listed = _git(ROOT, self.env, "ls-files", "-z", "--cached", "--others",
                      "--exclude-standard")
        for name in filter(None, listed.split("\0")):
            source = ROOT / name
            if source.is_file():
                target = self.path / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
        _git(self.path, self.env, "init", "-q")
        _git(self.path, self.env, "add", "-A")
        _git(self.path, self.env, "commit", "-q", "-m", "working tree")
        self.rev = _git(self.path, self.env, "rev-parse", "HEAD").strip()

    def try_repo(self, project: Path, hook: str | None) -> subprocess.CompletedProcess[str]:
        """Run one hook, or every hook when ``hook`` is None, on all files of ``project``.

        try-repo builds the hook environment afresh in a temporary store on every call.
        """
        pre_commit = shutil.which("pre-commit", path=str(BIN))
        assert pre_commit, "pre-commit is not installed: pip install -e '.[test]'"
        return subprocess.run(
            [pre_commit, "try-repo", str(self.path), *([hook] if hook else []),
             "--ref", self.rev, "--all-files", "--color=never"],
            cwd=project, env=self.env, capture_output=True, text=True, check=False,
            timeout=HOOK_TIMEOUT,
        )

    def project(self, base: Path, source: str) -> Path:
        """A git repository holding ``app/main.py`` with ``source``, staged."""
        (base / "app").mkdir(parents=True)
        (base / "app" / "main.py").write_text(source, encoding="utf-8")
        _git(base, self.env, "init", "-q")
        _git(base, self.env, "add", "-A")
        return base


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> HookRepo:
    return HookRepo(tmp_path_factory.mktemp("pre-commit"))


def _flake8_fpr(project: Path) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "FPR", "app"],
        cwd=project, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False,
    )
    return result.stdout.splitlines()


def test_lint_hook_fails_on_a_broken_app(hook_repo: HookRepo, tmp_path: Path) -> None:
    project = hook_repo.project(tmp_path / "broken", BROKEN_APP)
    (project / "app" / "clean.py").write_text(CLEAN_APP, encoding="utf-8")
    _git(project, hook_repo.env, "add", "-A")
    expected = _flake8_fpr(project)
    assert len([line for line in expected if line.startswith("app/main.py:")]) == 2
    assert not [line for line in expected if line.startswith("app/clean.py:")]

    result = hook_repo.try_repo(project, "fpr-lint")
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "flake8-fastapi-prod (FPR codes)" in out and "Failed" in out
    reported = [line for line in out.splitlines() if line.startswith("app/")]
    assert sorted(reported) == sorted(expected), out


def test_fixer_hook_rewrites_and_fails_then_both_pass(
    hook_repo: HookRepo, tmp_path: Path
) -> None:
    project = hook_repo.project(tmp_path / "fix", BROKEN_APP)
    result = hook_repo.try_repo(project, "fpr-lifespan")
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "files were modified by this hook" in out
    rewritten = (project / "app" / "main.py").read_text(encoding="utf-8")
    assert "on_event" not in rewritten and "lifespan" in rewritten
    assert _git(project, hook_repo.env, "diff", "--name-only").split() == ["app/main.py"]
    assert _flake8_fpr(project) == []

    # the user reviews and stages the rewrite; then every hook passes and nothing changes
    _git(project, hook_repo.env, "add", "-A")
    again = hook_repo.try_repo(project, None)
    out = again.stdout + again.stderr
    assert again.returncode == 0, out
    assert out.count("Passed") == 2, out
    assert (project / "app" / "main.py").read_text(encoding="utf-8") == rewritten
