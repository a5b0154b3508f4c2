"""Run the plugin the way flake8 does, and check the rule gates on every test source.

``Plugin`` skips the rules whose ``requires`` words a module does not contain; a gate
that is wrong would silently drop findings. Every test that runs the plugin through
:func:`run_plugin` also runs it with every rule on and asserts the same findings.
"""

from __future__ import annotations

import ast

from flake8_fastapi_prod.checker import Plugin


def run_plugin(
    source: str, filename: str = "app.py", tree: ast.AST | None = None
) -> list[tuple[int, int, str]]:
    """The findings (line, column, message) flake8 would report, gates checked."""
    tree = tree if tree is not None else ast.parse(source)
    gated = [(line, col, message) for line, col, message, _ in
             Plugin(tree, filename, source.splitlines(True)).run()]
    ungated = [(line, col, message) for line, col, message, _ in Plugin(tree, filename).run()]
    assert gated == ungated, f"a rule gate dropped findings in {filename}"
    return gated
