"""The flake8 entry point: one walk of the tree flake8 already parsed, then every rule."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from . import __version__, testfiles
from .analysis import NodeHook, Walker
from .rule import Rule
from .rules import ALL_RULES, handlers


def _hooks(rules: list[Rule]) -> dict[type, list[NodeHook]]:
    hooks: dict[type, list[NodeHook]] = {}
    for rule in rules:
        for node_type in rule.visits:
            hooks.setdefault(node_type, []).append(rule.visit)
    return hooks


#: every word some rule requires, each looked up once per file
_GATE_WORDS = frozenset(word for rule in ALL_RULES for word in rule.requires)


def _rules_for(source: str) -> list[type[Rule]]:
    """The rules that can report in a module (see ``Rule.requires``)."""
    present = {word for word in _GATE_WORDS if word in source}
    return [r for r in ALL_RULES if not r.requires or not present.isdisjoint(r.requires)]


class Plugin:
    """flake8 calls ``run()`` once per file with the tree it parsed."""

    name = "flake8-fastapi-prod"
    version = __version__
    # Not ``off_by_default``: flake8 reads that attribute as "disable the whole plugin
    # unless --enable-extensions names it".
    default_ignored: ClassVar[list[str]] = [r.code for r in ALL_RULES if r.default_off]

    def __init__(
        self, tree: ast.AST, filename: str = "<unknown>", lines: Sequence[str] | None = None
    ) -> None:
        self.tree = tree
        self.filename = filename
        #: the file's lines, which flake8 has read already (None: every rule runs)
        self.lines = lines

    @classmethod
    def add_options(cls, manager: Any) -> None:
        if cls.default_ignored:
            manager.extend_default_ignore(cls.default_ignored)
        manager.add_option(
            "--fpr-test-files",
            parse_from_config=True,
            comma_separated_list=True,
            default=list(testfiles.DEFAULT_TEST_FILES),
            help="fnmatch patterns (base name or whole path) of test modules for "
            "FPR502-FPR504 (default: %(default)s); conftest.py always holds fixtures",
        )
        manager.add_option(
            "--fpr-test-functions",
            parse_from_config=True,
            comma_separated_list=True,
            default=list(testfiles.DEFAULT_TEST_FUNCTIONS),
            help="fnmatch patterns of test function names for FPR502-FPR504 "
            "(default: %(default)s)",
        )
        manager.add_option(
            "--fpr-handled-exceptions",
            parse_from_config=True,
            comma_separated_list=True,
            default=[],
            help="exception names the project maps to responses with handlers registered "
            "in another module (e.g. ValueError); FPR604 does not report raising them",
        )

    @classmethod
    def parse_options(cls, options: Any) -> None:
        testfiles.configure(
            getattr(options, "fpr_test_files", None), getattr(options, "fpr_test_functions", None)
        )
        handlers.configure_handled_exceptions(getattr(options, "fpr_handled_exceptions", None))

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        rule_classes = ALL_RULES if self.lines is None else _rules_for("".join(self.lines))
        if testfiles.configured().is_test_code(self.filename):
            rule_classes = [r for r in rule_classes if not r.serving_code_only]
        rules = [rule_class(self.filename) for rule_class in rule_classes]
        facts = Walker(_hooks(rules)).walk(self.tree)
        for rule in rules:
            for finding in rule.results(facts):
                yield finding.line, finding.col, finding.message, type(self)
