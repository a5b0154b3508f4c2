"""``python -m flake8_fastapi_prod``: ``rules`` lists every code, ``explain CODE`` shows one.

The text is the rule registry's, the same attributes ``docs/rules.md`` is generated from.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Sequence

from .docs import first_line
from .rule import Rule
from .rules import ALL_RULES

WIDTH = 88
PROG = "python -m flake8_fastapi_prod"


def _fill(text: str, first: str, rest: str) -> str:
    """Wrap at spaces only, so `code spans` are never split."""
    return textwrap.fill(
        text, WIDTH, initial_indent=first, subsequent_indent=rest,
        break_long_words=False, break_on_hyphens=False,
    )


def _paragraph(text: str, indent: str = "  ") -> str:
    return _fill(text, indent, indent)


def _source(code: str) -> str:
    return textwrap.indent(code.rstrip(), "    ")


def _default(rule: type[Rule]) -> str:
    if rule.default_off:
        return f"off by default: enable with `flake8 --extend-select {rule.code}`"
    return "on by default"


def explain(rule: type[Rule]) -> str:
    """What the rule flags, why, a flagged example, the fix and the codemod, as plain text."""
    parts = [
        f"{rule.code}: {first_line(rule.message)}",
        f"({_default(rule)})",
        "",
        "What it flags:",
        _paragraph(rule.summary),
        "",
        "Why it fails in production:",
        _paragraph(rule.rationale),
        "",
        "Flagged:",
        "",
        _source(rule.flags[0]),
        "",
        "Use instead:",
        "",
        _source(rule.use_instead),
        "",
    ]
    if rule.limitations:
        parts += ["What it does not see:", _paragraph(rule.limitations), ""]
    parts.append("Automatic fix:")
    if rule.codemod:
        parts.append(_paragraph(f"`python -m codemods.{rule.codemod}` fixes it. {rule.fix_safety}"))
    else:
        parts.append("  none: no codemod fixes this; change the code as shown above.")
    return "\n".join(parts)


def rules_listing() -> str:
    """Every code with its default state, its codemod and what it flags."""
    header = f"{'code':<8}{'default':<9}{'fixed by':<16}what it flags"
    indent = " " * len(f"{'':<8}{'':<9}{'':<16}")
    lines = [header]
    for rule in ALL_RULES:
        prefix = f"{rule.code:<8}{'off' if rule.default_off else 'on':<9}{rule.codemod or '-':<16}"
        lines.append(_fill(rule.summary, prefix, indent))
    lines += ["", f"explain one with: {PROG} explain CODE"]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("rules", help="list every FPR code")
    explain_parser = commands.add_parser("explain", help="explain one or more FPR codes")
    explain_parser.add_argument("codes", nargs="+", metavar="CODE", help="e.g. FPR103")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "rules":
        print(rules_listing())
        return 0
    by_code = {rule.code: rule for rule in ALL_RULES}
    unknown = [code for code in args.codes if code.upper() not in by_code]
    if unknown:
        sys.stderr.write(
            f"{PROG}: unknown rule code{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"`{PROG} rules` lists the {len(by_code)} known codes\n"
        )
        return 2
    print("\n\n".join(explain(by_code[code.upper()]) for code in args.codes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
