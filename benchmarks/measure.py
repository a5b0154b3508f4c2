"""Timing and memory helpers: repetitions, medians and spreads, peak RSS of a process tree."""

from __future__ import annotations

import os
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass
class Timing:
    """The wall times of one measure's repetitions."""

    name: str
    times: list[float] = field(default_factory=list)
    #: peak resident memory of the measured process tree, bytes (subprocess measures)
    peak_rss: list[int] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def spread(self) -> float:
        """(max - min) / median: how far apart the repetitions were."""
        median = self.median
        return (max(self.times) - min(self.times)) / median if median else 0.0


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _rss_of_tree(root: int) -> int:
    """Resident memory of ``root`` and all its descendants, from /proc (Linux), bytes."""
    total = 0
    pending = [root]
    while pending:
        pid = pending.pop()
        try:
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as children:
                    pending.extend(int(child) for child in children.read().split())
        except (OSError, ValueError):
            continue  # the process ended while we looked
    return total


def run_process(
    command: Sequence[str], *, env: dict[str, str] | None = None, cwd: str | None = None,
    expect: Sequence[int] = (0, 1),
) -> tuple[float, int]:
    """Run ``command`` to completion: its wall time and the peak RSS of its process tree
    (workers included; sampled every 10 ms, so 0 where /proc is missing)."""
    peak = 0
    start = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.01):
            peak = max(peak, _rss_of_tree(process.pid))

    if os.path.isdir("/proc"):
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
    _, stderr = process.communicate()
    elapsed = time.perf_counter() - start
    done.set()
    if process.returncode not in expect:
        raise RuntimeError(
            f"{' '.join(command)} exited {process.returncode}: {stderr.decode()[-2000:]}"
        )
    return elapsed, peak
