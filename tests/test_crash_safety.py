"""A codemod run killed with SIGKILL part-way never leaves a damaged file behind.

The codemod rewrites a generated tree in which every file changes; the run is killed
once some files are done. Every file must then be byte-identical to its original or to
its fully converted version (never truncated or half-written), and a second run must
finish the job. With worker processes, killing only the parent must not leave orphans
that go on writing.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks import corpus

REPO = Path(__file__).resolve().parent.parent
SERVICES = 40  # 80 files, about 3 s of work for one process


def _tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` by relative path (temporary files included)."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*")) if path.is_file()
    }


def _codemod(root: Path, *flags: str, **popen: object) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "codemods.lifespan", "-q", *flags, str(root)]
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **popen
    )


Trees = tuple[Path, dict[str, bytes], dict[str, bytes]]


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> Trees:
    """The original tree, its files, and its files once fully converted."""
    base = tmp_path_factory.mktemp("crash")
    original = base / "original"
    corpus.write_tree(original, corpus.change_heavy(SERVICES))
    converted = base / "converted"
    shutil.copytree(original, converted)
    process = _codemod(converted, "-j2")
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr.decode()
    before, after = _tree(original), _tree(converted)
    assert set(before) == set(after) and all(before[p] != after[p] for p in before)
    return original, before, after


def _kill_part_way(
    root: Path, original: dict[str, bytes], process: subprocess.Popen[bytes], group: bool
) -> int:
    """SIGKILL the run (its process group, or the parent alone) once a few files are
    rewritten; the number of files rewritten by then."""
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline and process.poll() is None:
        done = sum((root / path).read_bytes() != data for path, data in original.items())
        if done >= 5:
            break
        time.sleep(0.01)
    if group:
        os.killpg(process.pid, signal.SIGKILL)
    else:
        process.kill()
    process.wait(timeout=60)
    return done


def _group_members(group: int) -> list[int]:
    """Live (not zombie) processes in a process group, from /proc."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            members.append(int(entry))
    return members


def _assert_whole_files(root: Path, before: dict[str, bytes], after: dict[str, bytes]) -> None:
    now = _tree(root)
    leftovers = [path for path in now if path not in before]
    # an interrupted atomic write may leave its temporary file (never a .py file)
    assert all(Path(p).name.startswith(".") and p.endswith(".tmp") for p in leftovers), leftovers
    damaged = [path for path in before if now.get(path) not in (before[path], after[path])]
    assert not damaged, f"half-written or missing files: {damaged}"


@pytest.mark.parametrize(
    "jobs, kill_group", [("-j1", True), ("-j2", True), ("-j2", False)],
    ids=["one process", "workers, whole group killed", "workers, parent alone killed"],
)
def test_sigkill_part_way_leaves_whole_files_and_a_rerun_finishes(
    trees: Trees, tmp_path: Path, jobs: str, kill_group: bool
) -> None:
    original, before, after = trees
    root = tmp_path / "tree"
    shutil.copytree(original, root)
    process = _codemod(root, jobs, start_new_session=True)
    done = _kill_part_way(root, before, process, kill_group)
    assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    assert 0 < done < len(before)
    if not kill_group:
        deadline = time.monotonic() + 10
        while _group_members(process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _group_members(process.pid), "workers outlived their killed parent"
    _assert_whole_files(root, before, after)

    rerun = _codemod(root, jobs)
    _, stderr = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, stderr.decode()
    now = _tree(root)
    assert {path: now[path] for path in before} == after
