"""The shape of a rule: its metadata, its examples and its detection, in one class.

Like Fixit's rules, each rule carries the examples it must flag and the
look-alikes it must not; the test suite runs every rule over its own examples and
``docs/rules.md`` is generated from the same attributes, so the text exists once.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, ClassVar, NamedTuple

if TYPE_CHECKING:
    from .analysis import ModuleFacts, Walker


def last_names(qualnames: Iterable[str]) -> tuple[str, ...]:
    """The words a module that uses any of ``qualnames`` must contain.

    Whatever the import spelling (``import sqlalchemy as sa``, ``from sqlalchemy import
    create_engine as ce``), the last component of a qualified name is written in the
    source: in the import, or in the attribute chain of the call.
    """
    return tuple(sorted({name.rsplit(".", 1)[-1] for name in qualnames}))


def package_names(qualnames: Iterable[str]) -> tuple[str, ...]:
    """The top-level packages of ``qualnames``: every import of them spells the package."""
    return tuple(sorted({name.split(".", 1)[0] for name in qualnames}))


class Finding(NamedTuple):
    """One error: where, and the arguments of the rule's message template."""

    line: int
    col: int
    code: str
    message: str


class Rule:
    """Base class: subclasses set the metadata and implement hooks and/or ``finish``."""

    code: ClassVar[str]
    #: one line, ``str.format`` template, says what to do instead
    message: ClassVar[str]
    #: what the rule finds, in a sentence or two (ruff's "What it does")
    summary: ClassVar[str]
    #: why it fails in production (ruff's "Why is this bad")
    rationale: ClassVar[str]
    #: the fixed code (ruff's "Use instead")
    use_instead: ClassVar[str]
    #: sources that must produce this code, each at least once
    flags: ClassVar[tuple[str, ...]]
    #: look-alikes that must not produce it
    passes: ClassVar[tuple[str, ...]]
    #: the codemod that removes it (``python -m codemods.<name>``), if any
    codemod: ClassVar[str | None] = None
    #: how safe the codemod's fix is (ruff's "Fix safety")
    fix_safety: ClassVar[str] = ""
    #: what the rule deliberately does not see
    limitations: ClassVar[str] = ""
    #: opinionated rules are off until selected
    default_off: ClassVar[bool] = False
    #: silent in test code (``TestPatterns.is_test_code``): the mistake only costs
    #: something in an app that serves requests
    serving_code_only: ClassVar[bool] = False
    #: node types whose visit calls ``visit`` during the walk
    visits: ClassVar[tuple[type[ast.AST], ...]] = ()
    #: words of which a module's source must contain one for the rule to be able to
    #: report there (see :func:`last_names`); a module without them costs the rule no
    #: hook calls. Empty: every module
    requires: ClassVar[tuple[str, ...]] = ()

    def __init__(self, filename: str = "<unknown>") -> None:
        self.filename = filename
        self.findings: list[Finding] = []

    def report(self, node: ast.AST, **fields: object) -> None:
        self.findings.append(
            Finding(
                getattr(node, "lineno", 1),
                getattr(node, "col_offset", 0),
                self.code,
                f"{self.code} {self.message.format(**fields)}",
            )
        )

    def visit(self, node: ast.AST, walker: Walker) -> None:
        """Called for each node of a type in ``visits``, in the walk's context."""

    def finish(self, facts: ModuleFacts) -> None:
        """Called once the walk is over and every fact of the module is known."""

    def results(self, facts: ModuleFacts) -> Iterator[Finding]:
        self.finish(facts)
        yield from self.findings
