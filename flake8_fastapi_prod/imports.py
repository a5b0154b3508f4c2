"""Qualified names through a module's imports, so ``F()`` is known to be ``FastAPI()``.

``from fastapi import FastAPI as F`` binds ``F`` to ``fastapi.FastAPI``;
``import sqlalchemy as sa`` binds ``sa`` to ``sqlalchemy``; a relative
``from .db import engine`` binds ``engine`` to ``.db.engine``.  Names that no import
binds resolve to None, except builtins, which resolve to ``builtins.<name>``
unless the module rebinds them.
"""

from __future__ import annotations

import ast
import builtins

_BUILTINS = frozenset(dir(builtins))


class ImportTable:
    """Local name -> qualified name, filled from the import statements seen so far."""

    __slots__ = ("names", "modules", "shadowed")

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        #: top-level packages imported anywhere in the module (``fastapi``, ``sqlalchemy``)
        self.modules: set[str] = set()
        #: builtins the module binds itself (``def open(...)``)
        self.shadowed: set[str] = set()

    def add_import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.modules.add(alias.name.split(".", 1)[0])
            if alias.asname:
                self.names[alias.asname] = alias.name
            else:
                top = alias.name.split(".", 1)[0]
                self.names[top] = top

    def add_import_from(self, node: ast.ImportFrom) -> None:
        module = "." * node.level + (node.module or "")
        if node.level == 0 and node.module:
            self.modules.add(node.module.split(".", 1)[0])
        prefix = module if module.endswith(".") else module + "."
        for alias in node.names:
            if alias.name == "*":
                continue
            self.names[alias.asname or alias.name] = prefix + alias.name

    def shadow(self, name: str) -> None:
        """A local definition hides an import or builtin of the same name."""
        self.names.pop(name, None)
        if name in _BUILTINS:
            self.shadowed.add(name)

    def imports_any(self, modules: frozenset[str]) -> bool:
        return not self.modules.isdisjoint(modules)

    def qualify(self, node: ast.expr) -> str | None:
        """The qualified name of a ``Name`` or dotted ``Attribute`` chain, or None."""
        chain = _chain(node)
        if chain is None:
            return None
        head, parts = chain
        base = self.names.get(head)
        if base is None:
            if head in _BUILTINS and head not in self.shadowed:
                base = "builtins." + head
            else:
                return None
        return ".".join((base, *parts))


def dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None (a call or subscript in the chain)."""
    chain = _chain(node)
    return None if chain is None else ".".join((chain[0], *chain[1]))


def _chain(node: ast.expr) -> tuple[str, list[str]] | None:
    """``a.b.c`` -> (``a``, [``b``, ``c``]); None when the chain does not start at a name."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.reverse()
    return node.id, parts
