"""``python -m benchmarks.run --check``: no timing, only "never raises".

The plugin runs over every parsable file of the corpus (standard library, generated
services, the bundled examples), gated as flake8 runs it and with every rule on, and
must report the same either way; every codemod and ``codemods all`` run through the
shared runner over the same tree (``--check``: nothing is written), where an "internal
error" skip is a failure; and each codemod's ``transform`` runs without its prefilter
on the examples, the services and a sample of small standard-library files, where the
output must parse and a second run must change nothing.
"""

from __future__ import annotations

import ast
import contextlib
import io
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import libcst

from benchmarks import corpus
from codemods import chain, runner
from codemods.runner import Codemod, Skip
from flake8_fastapi_prod.checker import Plugin

if TYPE_CHECKING:
    from benchmarks.run import Size

ROOT = Path(__file__).resolve().parent.parent
#: standard-library files at most this long are sampled for the prefilter-free runs
SMALL = 250


def example_sources() -> list[corpus.Source]:
    """The bundled example app, as corpus files."""
    return [
        corpus.Source("examples/" + path.relative_to(ROOT / "examples").as_posix(),
                      path.read_bytes())
        for path in sorted((ROOT / "examples").rglob("*.py"))
    ]


def _parses(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def codemods() -> list[tuple[str, Codemod]]:
    """Every registered codemod and the chain of them all."""
    found = [(name, runner.load_codemod(path)) for name, path in runner.CODEMODS.items()]
    return [*found, ("all", chain.Chain(runner.CODEMODS))]


def _options(codemod: Codemod) -> object:
    return codemod.configure(runner.build_parser(codemod).parse_args(["."]))


def check_plugin(sources: list[corpus.Source]) -> list[str]:
    failures = []
    for source in sources:
        if not corpus.parses(source.data):
            continue
        tree = ast.parse(source.data)
        lines = source.data.decode("utf-8", "replace").splitlines(True)
        try:
            if list(Plugin(tree, source.relative, lines).run()) != list(
                Plugin(tree, source.relative).run()
            ):
                failures.append(f"plugin: {source.relative}: a rule gate dropped findings")
        except Exception as error:  # noqa: BLE001 - every failure is reported
            failures.append(f"plugin: {source.relative}: {type(error).__name__}: {error}")
    return failures


def check_runner(root: Path) -> list[str]:
    """Each codemod through the runner over the tree: no internal error."""
    failures = []
    for name, codemod in codemods():
        args = runner.build_parser(codemod).parse_args([str(root), "--check", "-q", "-j1"])
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            runner.run(codemod, args.paths, args)
        failures += [f"{name}: {line}" for line in out.getvalue().splitlines()
                     if ": skipped: internal error" in line]
    return failures


def check_transform(sources: list[corpus.Source]) -> list[str]:
    """Each codemod's transform without its prefilter: output parses, a rerun is a no-op."""
    failures = []
    for name, codemod in codemods():
        options = _options(codemod)
        for source in sources:
            text = source.data.decode("utf-8")
            where = f"{name}: {source.relative}"
            try:
                first = codemod.transform(text, options).code
                if first == text:
                    continue
                if _parses(text) and not _parses(first):
                    failures.append(f"{where}: the rewritten file does not parse")
                elif codemod.transform(first, options).code != first:
                    failures.append(f"{where}: a second run changes the file again")
            except (Skip, libcst.ParserSyntaxError):
                continue
            except Exception as error:  # noqa: BLE001 - every failure is reported
                failures.append(f"{where}: {type(error).__name__}: {error}")
    return failures


def check(size: Size) -> int:
    """Run every check over the corpus of ``size``; print failures; 1 if there are any."""
    stdlib = corpus.stdlib_sources(size.stdlib_every)
    generated = corpus.services(size.services, with_handlers=size.services // 2)
    generated += corpus.change_heavy(2)
    examples = example_sources()
    small = [s for s in stdlib if s.lines <= SMALL]
    sample = small[:: max(1, len(small) // (size.services * 2))]
    work = Path(tempfile.mkdtemp(prefix="fpr-check-"))
    try:
        corpus.write_tree(work, stdlib + generated + examples)
        failures = check_plugin(stdlib + generated + examples)
        failures += check_runner(work)
        failures += check_transform(generated + examples + sample)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    total = len(stdlib) + len(generated) + len(examples)
    print(f"checked: plugin and codemods over {total} files; codemod transforms without "
          f"prefilter over {len(generated) + len(examples) + len(sample)} files")
    for failure in failures:
        print(failure)
    print(f"{len(failures)} failures")
    return 1 if failures else 0
