"""Add imports to a module the way libcst's ``AddImportsVisitor`` does, without its cost.

``AddImportsVisitor`` copies the whole tree, builds two matcher-decorated visitors and
transforms every node: about half of a lifespan conversion.  Only the module's first
statements matter to where it puts an import, so this reads those, and writes the same
code: an import the top import block already has is not added again, names from a
module that block already imports from join that statement (new names first, sorted),
and the rest go after the block (``import`` lines sorted, then ``from`` lines sorted by
module), after a docstring or ``__strict__`` flag, with one blank line before the code
that follows.  Only absolute, unaliased imports outside ``__future__`` are supported:
all the codemods ask for.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import libcst as cst
from libcst.helpers import get_full_name_for_node

#: (module, None) for ``import module``, (module, name) for ``from module import name``
Wanted = tuple[str, str | None]


def add_imports(module: cst.Module, wanted: Iterable[Wanted]) -> cst.Module:
    """``module`` with every wanted import it does not have yet at its top."""
    plain: set[str] = set()
    froms: dict[str, set[str]] = {}
    for name, obj in wanted:
        if name == "__future__":
            raise ValueError("__future__ imports are not supported")
        if obj is None:
            plain.add(name)
        else:
            froms.setdefault(name, set()).add(obj)
    start = 1 if _skip_first(module.body) else 0
    end = start
    while end < len(module.body) and _single_import(module.body[end]) is not None:
        end += 1
    top = [_single_import(statement) for statement in module.body[start:end]]
    for statement in top:
        if isinstance(statement, cst.Import):
            plain -= {alias.evaluated_name for alias in statement.names if alias.asname is None}
        elif statement is not None:
            _drop_imported(statement, froms)
    body = list(module.body)
    body[start:end] = [_merged(statement, froms) for statement in body[start:end]]
    if not plain and not froms:
        return module.with_changes(body=body) if body != list(module.body) else module
    config = module.config_for_parsing
    added = [cst.parse_statement(f"import {name}", config=config) for name in sorted(plain)]
    added += [
        cst.parse_statement(f"from {name} import {', '.join(sorted(objs))}", config=config)
        for name, objs in sorted(froms.items())
    ]
    return module.with_changes(body=[*body[:end], *added, *_blank_line_before(body[end:])])


def _single_import(statement: cst.CSTNode) -> cst.Import | cst.ImportFrom | None:
    """The import a statement line consists of, alone; None for anything else."""
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        small = statement.body[0]
        if isinstance(small, (cst.Import, cst.ImportFrom)):
            return small
    return None


def _absolute_module(statement: cst.ImportFrom) -> str | None:
    """The module a ``from`` import names; None when relative (no package to resolve it)."""
    if statement.relative or statement.module is None:
        return None
    return get_full_name_for_node(statement.module)


def _drop_imported(statement: cst.ImportFrom, froms: dict[str, set[str]]) -> None:
    """Forget the wanted names this top ``from`` import already binds (all, for a ``*``)."""
    name = _absolute_module(statement)
    if name not in froms:
        return
    if isinstance(statement.names, cst.ImportStar):
        del froms[name]
        return
    froms[name] -= {alias.evaluated_name for alias in statement.names if alias.asname is None}
    if not froms[name]:
        del froms[name]


def _merged(
    statement: cst.BaseStatement, froms: dict[str, set[str]]
) -> cst.BaseStatement:
    """A top-block statement, with the names still wanted from its module in front when
    it is the first ``from`` import of that module (they are then no longer wanted)."""
    small = _single_import(statement)
    if not isinstance(small, cst.ImportFrom) or isinstance(small.names, cst.ImportStar):
        return statement
    name = _absolute_module(small)
    if name not in froms:
        return statement
    new = [cst.ImportAlias(name=cst.Name(obj)) for obj in sorted(froms.pop(name))]
    assert isinstance(statement, cst.SimpleStatementLine)
    return statement.with_changes(body=[small.with_changes(names=[*new, *small.names])])


def _skip_first(body: Sequence[cst.BaseStatement]) -> bool:
    """A docstring or ``__strict__`` flag comes first: imports never go before it."""
    if not body or not isinstance(body[0], cst.SimpleStatementLine) or len(body[0].body) != 1:
        return False
    first = body[0].body[0]
    if isinstance(first, cst.Expr):
        return isinstance(first.value, cst.SimpleString)
    return (
        isinstance(first, cst.Assign)
        and len(first.targets) == 1
        and isinstance(first.targets[0].target, cst.Name)
        and first.targets[0].target.value == "__strict__"
    )


def _blank_line_before(statements: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
    """At least one blank line between the added imports and the code after them."""
    if not statements:
        return statements
    first = statements[0]
    if first.leading_lines and first.leading_lines[0].comment is None:
        return statements
    return [
        first.with_changes(leading_lines=(cst.EmptyLine(), *first.leading_lines)),
        *statements[1:],
    ]
