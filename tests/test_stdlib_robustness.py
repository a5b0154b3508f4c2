"""The plugin never raises on valid Python: every standard-library file, no exception;
and its rule gates drop nothing there (same findings as with every rule on)."""

from __future__ import annotations

import ast
import sysconfig
import warnings
from pathlib import Path

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
