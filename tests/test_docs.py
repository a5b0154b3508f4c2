"""docs/rules.md and the README table are generated from the registry and never stale."""

from __future__ import annotations

from flake8_fastapi_prod import docs


def test_rules_md_is_current() -> None:
    assert docs.RULES_MD.read_text(encoding="utf-8") == docs.rules_markdown(), (
        "docs/rules.md is stale: run `python -m flake8_fastapi_prod.docs`"
    )


def test_readme_table_is_current() -> None:
    readme = docs.README.read_text(encoding="utf-8")
    assert docs.readme_with_table(readme) == readme, (
        "README rules table is stale: run `python -m flake8_fastapi_prod.docs`"
    )
