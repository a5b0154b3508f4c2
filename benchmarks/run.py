"""Benchmarks: ratios to floors measured in the same run, never absolute targets.

``python -m benchmarks.run`` prints, for the parsable standard-library files, the
plugin's own cost when called on trees that are already parsed (as flake8 does) next
to a bare ``ast.parse`` of the same files.  Median and spread of several repetitions.
"""

from __future__ import annotations

import argparse
import ast
import statistics
import sysconfig
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from flake8_fastapi_prod.checker import Plugin


def stdlib_sources() -> list[tuple[str, bytes]]:
    root = Path(sysconfig.get_paths()["stdlib"])
    sources = []
    for path in sorted(root.rglob("*.py")):
        if "site-packages" in path.parts:
            continue
        data = path.read_bytes()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ast.parse(data)
        except (SyntaxError, ValueError):
            continue
        sources.append((str(path), data))
    return sources


def measure(action: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times


def describe(name: str, times: list[float], floor: float) -> str:
    median = statistics.median(times)
    spread = (max(times) - min(times)) / median if median else 0.0
    return f"{name:<44} {median:8.3f}s  ±{spread:5.1%}  {median / floor:6.2f}×"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sources = stdlib_sources()
    lines = sum(data.count(b"\n") for _, data in sources)
    print(f"corpus: {len(sources)} standard-library files, {lines} lines")

    def parse_all() -> list[ast.AST]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [ast.parse(data, name) for name, data in sources]

    def parse_each() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name, data in sources:
                ast.parse(data, name)

    trees = parse_all()
    named = list(zip((name for name, _ in sources), trees))

    def plugin_all() -> None:
        for name, tree in named:
            for _ in Plugin(tree, name).run():
                pass

    def visitor_all() -> None:
        visitor = ast.NodeVisitor()
        for tree in trees:
            visitor.visit(tree)

    parse_times = measure(parse_each, args.repeat)
    floor = statistics.median(parse_times)
    print(f"{'measure':<44} {'median':>9}  {'spread':>6}  {'× parse':>7}")
    print(describe("ast.parse (floor)", parse_times, floor))
    print(describe("bare ast.NodeVisitor pass", measure(visitor_all, args.repeat), floor))
    print(describe("flake8-fastapi-prod, all rules, parsed trees", measure(plugin_all, args.repeat),
                   floor))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
