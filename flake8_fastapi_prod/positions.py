"""Source positions: where one node lies relative to another, without walking either."""

from __future__ import annotations

import ast


def start_of(node: ast.AST) -> tuple[int, int]:
    return node.lineno, node.col_offset  # type: ignore[attr-defined]


def end_of(node: ast.AST) -> tuple[int, int]:
    return node.end_lineno or node.lineno, node.end_col_offset or 0  # type: ignore[attr-defined]


def contains(outer: ast.AST, inner: ast.AST) -> bool:
    """``inner`` lies within ``outer``'s source span (a loop body, a ``try`` block)."""
    return start_of(outer) <= start_of(inner) and end_of(inner) <= end_of(outer)
