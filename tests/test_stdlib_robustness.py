"""The plugin never raises on valid Python: every standard-library file, no exception;
and its rule gates drop nothing there (same findings as with every rule on)."""

from __future__ import annotations

import ast
import sysconfig
import warnings
from pathlib import Path

from plugin_runs import run_plugin

from flake8_fastapi_prod.checker import Plugin


def stdlib_trees() -> list[tuple[Path, ast.Module, bytes]]:
    """Every stdlib file that parses on this interpreter (flake8 reports the rest as E999)."""
    root = Path(sysconfig.get_paths()["stdlib"])
    trees = []
    for path in sorted(root.rglob("*.py")):
        if "site-packages" in path.parts:
            continue
        try:
            source = path.read_bytes()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                trees.append((path, ast.parse(source, str(path)), source))
        except (SyntaxError, ValueError):
            continue
    return trees


def test_no_plugin_exception_over_the_standard_library() -> None:
    trees = stdlib_trees()
    assert len(trees) > 1000
    failures = []
    for path, tree, source in trees:
        lines = source.decode("utf-8", "replace").splitlines(True)
        try:
            gated = list(Plugin(tree, str(path), lines).run())
            if gated != list(Plugin(tree, str(path)).run()):
                failures.append(f"{path}: a rule gate dropped findings")
        except Exception as exc:  # noqa: BLE001 - collected and reported below
            failures.append(f"{path}: {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures[:20])


def test_rule_gates_drop_nothing_on_the_bundled_apps() -> None:
    """The example app, the codemod golden cases and the runtime apps hold every code."""
    root = Path(__file__).resolve().parent.parent
    paths = sorted((*root.glob("examples/**/*.py"), *root.glob("tests/data/**/*.py")))
    found = set()
    for path in paths:
        source = path.read_text(encoding="utf-8")
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue  # the codemods' unparsable-input cases
        found.update(m.split()[0] for _, _, m in run_plugin(source, str(path), tree))
    assert len(found) >= 20
