"""Benchmarks: ratios to floors measured in the same run, never absolute targets.

``python -m benchmarks.run`` builds a fixed corpus (the standard library's non-test
files that parse, plus generated FastAPI services of which about 1% of all files
register start-up/shut-down handlers), writes it to a temporary directory and measures,
in rounds so that load from other processes hits every measure alike:

* each flake8 tree plugin called on already-parsed trees, the way flake8 calls it
  (FPR with every rule on, pyflakes, mccabe, flake8-bugbear, flake8-async), next to a
  bare ``ast.parse`` of every file and a bare ``ast.NodeVisitor`` pass; pycodestyle
  through flake8's token pass; whole ``flake8 --select FPR`` runs with ``-j1``/``-j2``;
* ``python -m codemods.lifespan --check`` over the corpus next to its floor: a
  pure-Python substring scan of every file plus a libcst parse of just the files with
  handlers; and a libcst parse of every file (a codemod without a prefilter);
* the codemod with ``-j1`` and ``-j2`` on a tree where every file changes, with the
  peak memory of the whole process tree.

Peers (flake8-bugbear, flake8-async) are looked for in ``.venv/bench-peers`` (install them
there with ``pip install --no-deps --target .venv/bench-peers flake8-bugbear flake8-async``,
so they stay out of the project's own flake8 runs) and on ``sys.path``; missing ones
are named and skipped. ``--quick``: a quarter of the corpus, three rounds.
``--check``: no timing; the plugin and every codemod over the standard library, the
bundled examples and the generated services, failing on any exception.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import gc
import importlib.metadata
import io
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from benchmarks import corpus
from benchmarks.measure import Timing, run_process, timed

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PEERS = ROOT / ".venv" / "bench-peers"
PEERS = ("flake8-bugbear", "flake8-async")
#: plugins too slow to run over the whole corpus every round: measured on every n-th file
#: of the full corpus, next to an ast.parse of the same files
SAMPLED = {"flake8-async": 32}
#: words a file with start-up/shut-down handlers contains (the substring-scan floor)
HANDLER_WORDS = ("on_event", "add_event_handler", "on_startup", "on_shutdown")


@dataclass(frozen=True)
class Size:
    """How big a run is."""

    stdlib_every: int
    services: int
    heavy_services: int
    rounds: int
    slow_rounds: int


FULL = Size(stdlib_every=1, services=8, heavy_services=100, rounds=5, slow_rounds=3)
QUICK = Size(stdlib_every=4, services=2, heavy_services=30, rounds=3, slow_rounds=2)


@dataclass
class Row:
    """One line of the table: a measure and what its ratio is taken against."""

    section: str
    timing: Timing
    floor: Timing | None
    note: str = ""


def use_peers(directory: Path) -> tuple[list[str], list[str]]:
    """Make peers installed in ``directory`` importable; (found with versions, missing)."""
    if directory.is_dir() and str(directory) not in sys.path:
        sys.path.insert(0, str(directory))
        importlib.invalidate_caches()
    found, missing = [], []
    for name in PEERS:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            missing.append(name)
    return found, missing


def subprocess_env() -> dict[str, str]:
    """The environment for child processes: the repository importable, and not the peers
    (whole flake8 runs measure the project's own environment, where flake8 runs every
    installed plugin whatever ``--select`` says)."""
    old = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT)] + ([old] if old else []))}


def quiet_parse(data: bytes | str, filename: str = "<unknown>") -> ast.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(data, filename)


# --- the corpus ----------------------------------------------------------------------


def build_corpus(size: Size, root: Path) -> tuple[list[corpus.Source], list[corpus.Source]]:
    """Write the corpus under ``root``; (every source, the FastAPI modules with handlers)."""
    sources = corpus.stdlib_sources(size.stdlib_every) + corpus.services(
        size.services, with_handlers=size.services
    )
    corpus.write_tree(root, sources)
    handlers = [
        s for s in sources
        if b"fastapi" in s.data and any(w.encode() in s.data for w in HANDLER_WORDS)
    ]
    return sources, handlers


# --- plugins on parsed trees ----------------------------------------------------------


def plugin_rows(sources: list[corpus.Source], root: Path, size: Size) -> list[Row]:
    """Every tree plugin flake8 loads, called as flake8 calls it, on already-parsed trees."""
    from flake8 import processor
    from flake8.options.parse_args import parse_args
    from flake8.plugins.finder import Checkers

    plugins, options = parse_args(["--isolated"])
    names = [str(root / s.relative) for s in sources]
    trees = [quiet_parse(s.data, name) for s, name in zip(sources, names)]
    processors = [processor.FileProcessor(name, options) for name in names]
    token_plugins = Checkers([], plugins.checkers.logical_line, plugins.checkers.physical_line)

    def parse(every: int) -> Callable[[], None]:
        def parse_files() -> None:
            for source, name in zip(sources[::every], names[::every]):
                quiet_parse(source.data, name)
        return parse_files

    def visit_all() -> None:
        visitor = ast.NodeVisitor()
        for tree in trees:
            visitor.visit(tree)

    def call(plugin: object, every: int) -> Callable[[], None]:
        def run_plugin() -> None:
            for tree, file_processor in zip(trees[::every], processors[::every]):
                params = file_processor.keyword_arguments_for(plugin.parameters, {"tree": tree})
                found = plugin.obj(tree=tree, **params)
                for _ in found.run() if hasattr(found, "run") else found:
                    pass
        return run_plugin

    floor = Timing("ast.parse of every file (floor)")
    measures: list[tuple[Timing, Callable[[], None]]] = [
        (floor, parse(1)), (Timing("bare ast.NodeVisitor pass"), visit_all)
    ]
    floors = {1: floor}
    rows = []
    for plugin in plugins.checkers.tree:
        package = plugin.plugin.package
        every = max(1, SAMPLED.get(package, 1) // size.stdlib_every)
        if every not in floors:
            floors[every] = Timing(f"ast.parse of 1 file in {every}")
            measures.append((floors[every], parse(every)))
        label = package + (", all rules" if plugin.entry_name == "FPR" else "")
        label += f" (1 file in {every})" if every > 1 else ""
        measures.append((Timing(label), call(plugin, every)))
        rows.append((measures[-1][0], floors[every]))
    pycodestyle = Timing("pycodestyle (flake8's token pass: tokenize + E/W)")
    gc.collect()
    gc.freeze()  # the corpus and its trees stay; collections should not walk them
    try:
        for _ in range(size.rounds):
            for timing, action in measures:
                gc.collect()
                timing.times.append(timed(action))
            gc.collect()
            pycodestyle.times.append(token_pass(names, token_plugins, options))
    finally:
        gc.unfreeze()
    section = "plugins on parsed trees, called as flake8 calls them"
    return [
        Row(section, floor, floor), Row(section, measures[1][0], floor),
        *(Row(section, timing, against) for timing, against in rows),
        Row(section, pycodestyle, floor, "reads tokens, not the tree"),
    ]


def token_pass(names: list[str], plugins: object, options: argparse.Namespace) -> float:
    """flake8's token pass over every file, timed without building the file checkers."""
    from flake8 import checker

    file_checkers = [
        checker.FileChecker(filename=name, plugins=plugins, options=options) for name in names
    ]
    return timed(lambda: [file_checker.process_tokens() for file_checker in file_checkers])


def flake8_rows(root: Path, env: dict[str, str], rounds: int, floor: Timing) -> list[Row]:
    """Whole ``flake8 --select FPR`` runs, every installed plugin included."""
    rows = []
    for jobs in (1, 2):
        timing = Timing(f"flake8 -j{jobs} --select FPR (whole run)")
        command = [sys.executable, "-m", "flake8", "--isolated", "--select", "FPR",
                   f"-j{jobs}", str(root)]
        for _ in range(rounds):
            elapsed, peak = run_process(command, env=env)
            timing.times.append(elapsed)
            timing.peak_rss.append(peak)
        rows.append(Row("whole flake8 (no peers installed)", timing, floor,
                        "start-up and every installed plugin"))
    return rows


# --- codemods -------------------------------------------------------------------------


@contextlib.contextmanager
def silenced() -> Iterator[None]:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


def codemod_rows(
    sources: list[corpus.Source], handlers: list[corpus.Source], root: Path,
    env: dict[str, str], size: Size, parse_floor: Timing,
) -> list[Row]:
    """``codemods.lifespan --check`` next to the substring-scan and libcst floors."""
    import libcst

    from codemods import lifespan, runner

    paths = [root / s.relative for s in sources]
    texts = [s.data.decode("utf-8") for s in handlers]

    def scan() -> int:
        found = 0
        for path in paths:
            text = path.read_bytes().decode("utf-8", "surrogateescape")
            found += any(word in text for word in HANDLER_WORDS)
        return found

    def parse_handlers() -> None:
        for text in texts:
            libcst.parse_module(text)

    def parse_every_file() -> None:
        for source in sources:
            libcst.parse_module(source.data)

    args = runner.build_parser(lifespan.CODEMOD).parse_args([str(root), "--check", "-q", "-j1"])

    def check_in_process() -> None:
        with silenced():
            code = runner.run(lifespan.CODEMOD, args.paths, args, runner.CODEMODS["lifespan"])
        if code != 1:
            raise RuntimeError(f"codemods.lifespan --check exited {code}")

    scan_timing = Timing("substring scan of every file (read + decode + `in`)")
    handler_parse = Timing(f"libcst parse of the {len(handlers)} files with handlers")
    floor = Timing("floor: substring scan + libcst parse of those files")
    in_process = Timing("codemods.lifespan --check -j1, in process")
    for _ in range(size.rounds):
        scan_timing.times.append(timed(scan))
        handler_parse.times.append(timed(parse_handlers))
        floor.times.append(scan_timing.times[-1] + handler_parse.times[-1])
        in_process.times.append(timed(check_in_process))
    every_parse = Timing("libcst parse of every file (no prefilter)")
    cli = Timing("python -m codemods.lifespan --check (default -j, start-up included)")
    start_up = Timing("python -c 'import codemods.lifespan' (start-up alone)")
    for _ in range(size.slow_rounds):
        every_parse.times.append(timed(parse_every_file))
        cli.times.append(run_process(
            [sys.executable, "-m", "codemods.lifespan", "--check", "-q", str(root)], env=env
        )[0])
        start_up.times.append(run_process(
            [sys.executable, "-c", "import codemods.lifespan"], env=env, expect=(0,)
        )[0])
    section = "codemod --check, ~1% of files with handlers"
    return [
        Row(section, scan_timing, parse_floor),
        Row(section, handler_parse, parse_floor),
        Row(section, floor, floor, "target: codemod ≤ 2× this"),
        Row(section, in_process, floor),
        Row(section, cli, floor),
        Row(section, start_up, floor),
        Row(section, every_parse, parse_floor),
    ]


def parallel_rows(work: Path, env: dict[str, str], size: Size) -> list[Row]:
    """The codemod rewriting a tree where every file changes, with -j1 and -j2."""
    source = work / "heavy-source"
    heavy = corpus.change_heavy(size.heavy_services)
    corpus.write_tree(source, heavy)
    target = work / "heavy-run"
    timings = {jobs: Timing(f"codemods.lifespan -j{jobs}, {len(heavy)} files all change")
               for jobs in (1, 2)}
    for _ in range(size.slow_rounds):
        for jobs, timing in timings.items():
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source, target)
            elapsed, peak = run_process(
                [sys.executable, "-m", "codemods.lifespan", "-q", f"-j{jobs}", str(target)],
                env=env, expect=(0,),
            )
            timing.times.append(elapsed)
            timing.peak_rss.append(peak)
    section = "parallel codemod, change-heavy tree"
    return [Row(section, timings[1], timings[1]),
            Row(section, timings[2], timings[1], "ratio < 1: faster than -j1")]


# --- the table ------------------------------------------------------------------------


def table(rows: list[Row]) -> str:
    lines = []
    section = None
    width = max(len(row.timing.name) for row in rows)
    for row in rows:
        if row.section != section:
            section = row.section
            lines.append(f"\n{section}")
            lines.append(f"  {'measure':<{width}}  {'median':>8}  {'spread':>6}  "
                         f"{'ratio':>7}  {'peak RSS':>8}  to / note")
        ratio = row.timing.median / row.floor.median if row.floor else float("nan")
        peak = f"{max(row.timing.peak_rss) / 2**20:6.0f}MB" if row.timing.peak_rss else ""
        against = row.floor.name.split(" (")[0] if row.floor is not row.timing else "itself"
        note = "; ".join(part for part in (f"× {against}", row.note) if part)
        lines.append(f"  {row.timing.name:<{width}}  {row.timing.median:7.3f}s  "
                     f"{row.timing.spread:6.0%}  {ratio:6.2f}×  {peak:>8}  {note}")
    return "\n".join(lines)


def verdicts(rows: list[Row]) -> list[str]:
    """The issue's three targets, as measured in this run."""
    by_name = {row.timing.name: row for row in rows}
    out = []
    fpr = next(r for r in rows if r.timing.name.startswith("flake8-fastapi-prod"))
    ratio = fpr.timing.median / fpr.floor.median  # type: ignore[union-attr]
    out.append(f"plugin, all FPR rules: {ratio:.2f}× ast.parse (target ≤ 1.0×): "
               + ("met" if ratio <= 1.0 else "MISSED"))
    check = by_name["codemods.lifespan --check -j1, in process"]
    ratio = check.timing.median / check.floor.median  # type: ignore[union-attr]
    out.append(f"codemod --check: {ratio:.2f}× its floor (target ≤ 2×): "
               + ("met" if ratio <= 2.0 else "MISSED"))
    parallel = [r for r in rows if r.section.startswith("parallel")]
    speedup = parallel[0].timing.median / parallel[1].timing.median
    out.append(f"-j2 vs -j1 on the change-heavy tree: {speedup:.2f}× faster (target ≥ 1.7×): "
               + ("met" if speedup >= 1.7 else "MISSED")
               + f" (load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    return out


def benchmark(size: Size, peers: Path, keep: Path | None) -> int:
    found, missing = use_peers(peers)
    env = subprocess_env()
    work = keep or Path(tempfile.mkdtemp(prefix="fpr-bench-"))
    try:
        shutil.rmtree(work / "corpus", ignore_errors=True)
        sources, handlers = build_corpus(size, work / "corpus")
        stdlib = sum(s.relative.startswith("stdlib/") for s in sources)
        print(f"corpus: {stdlib} standard-library files + {len(sources) - stdlib} generated "
              f"({size.services} services) = {len(sources)} files, "
              f"{sum(s.lines for s in sources):,} lines; {len(handlers)} files with handlers "
              f"({len(handlers) / len(sources):.1%})")
        print(f"peers: {', '.join(found) or 'none'}"
              + (f"; missing, skipped: {', '.join(missing)}" if missing else ""))
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs; "
              f"{size.rounds} rounds ({size.slow_rounds} for slow measures); "
              "spread = (max - min) / median", flush=True)
        rows = plugin_rows(sources, work / "corpus", size)
        parse_floor = rows[0].timing
        rows += flake8_rows(work / "corpus", env, size.slow_rounds, parse_floor)
        rows += codemod_rows(sources, handlers, work / "corpus", env, size, parse_floor)
        rows += parallel_rows(work, env, size)
    finally:
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print(table(rows))
    print()
    print("\n".join(verdicts(rows)))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true",
                        help="a quarter of the standard library, fewer services and rounds")
    parser.add_argument("--check", action="store_true",
                        help="no timing: run the plugin and the codemods over the corpus and "
                             "the examples, exit 1 on any exception")
    parser.add_argument("--peers", type=Path, default=DEFAULT_PEERS, metavar="DIR",
                        help="where flake8-bugbear/flake8-async are installed "
                             "(default: %(default)s)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="build the trees in DIR and leave them there")
    args = parser.parse_args(argv)
    size = QUICK if args.quick else FULL
    if args.check:
        from benchmarks.check import check

        return check(size)
    return benchmark(size, args.peers, args.keep)


if __name__ == "__main__":
    raise SystemExit(main())
