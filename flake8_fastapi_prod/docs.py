"""Generate ``docs/rules.md`` and the README rules table from the rule registry.

``python -m flake8_fastapi_prod.docs`` rewrites both; a test fails when either is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .rule import Rule
from .rules import ALL_RULES

ROOT = Path(__file__).resolve().parent.parent
RULES_MD = ROOT / "docs" / "rules.md"
README = ROOT / "README.md"
TABLE_START = "<!-- rules-table:start -->"
TABLE_END = "<!-- rules-table:end -->"


def first_line(message: str) -> str:
    """The message template as users see it, placeholders shown as ``…``."""
    out, depth = [], 0
    for char in message:
        if char == "{":
            depth += 1
            if depth == 1:
                out.append("…")
        elif char == "}":
            depth -= 1
        elif depth == 0:
            out.append(char)
    return "".join(out)


def rules_table() -> str:
    rows = ["| code | what it flags | fixed by | on by default |", "|---|---|---|---|"]
    for rule in ALL_RULES:
        codemod = f"`codemods.{rule.codemod}`" if rule.codemod else "—"
        default = "no (select it)" if rule.default_off else "yes"
        link = f"[{rule.code}](docs/rules.md#{rule.code.lower()})"
        rows.append(f"| {link} | {rule.summary} | {codemod} | {default} |")
    return "\n".join(rows) + "\n"


def rule_section(rule: type[Rule]) -> str:
    parts = [
        f"## {rule.code}",
        "",
        f"**Message:** {first_line(rule.message)}",
        "",
        "### What it does",
        "",
        rule.summary,
        "",
        "### Why is this bad",
        "",
        rule.rationale,
        "",
        "### Example",
        "",
        "```python",
        rule.flags[0].rstrip(),
        "```",
        "",
        "### Use instead",
        "",
        "```python",
        rule.use_instead.rstrip(),
        "```",
        "",
    ]
    if rule.limitations:
        parts += ["### What it does not see", "", rule.limitations, ""]
    parts += ["### Fix safety", ""]
    if rule.codemod:
        parts += [f"Fixed by `python -m codemods.{rule.codemod}`. {rule.fix_safety}", ""]
    else:
        parts += ["No automatic fix.", ""]
    if rule.default_off:
        parts += [f"Off by default: enable with `--extend-select {rule.code}`.", ""]
    return "\n".join(parts)


def rules_markdown() -> str:
    header = (
        "# Rules\n\n"
        "Generated from the rule registry by `python -m flake8_fastapi_prod.docs`; "
        "do not edit by hand.\n\n"
    )
    return header + rules_table() + "\n" + "\n".join(rule_section(r) for r in ALL_RULES)


def readme_with_table(readme: str) -> str:
    start = readme.index(TABLE_START) + len(TABLE_START)
    end = readme.index(TABLE_END)
    return readme[:start] + "\n" + rules_table() + readme[end:]


def main() -> int:
    RULES_MD.parent.mkdir(exist_ok=True)
    RULES_MD.write_text(rules_markdown(), encoding="utf-8")
    README.write_text(readme_with_table(README.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {RULES_MD.relative_to(ROOT)} and the table in {README.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
