"""Every rule flags its own examples and stays silent on its look-alikes."""

from __future__ import annotations

import pytest
from plugin_runs import run_plugin

from flake8_fastapi_prod.rule import Rule
from flake8_fastapi_prod.rules import ALL_RULES


def codes(source: str, filename: str = "app.py") -> list[str]:
    return [message.split()[0] for _, _, message in run_plugin(source, filename)]


CASES = [
    pytest.param(rule, index, source, id=f"{rule.code}-{kind}{index}")
    for rule in ALL_RULES
    for kind, sources in (("flags", rule.flags), ("passes", rule.passes))
    for index, source in enumerate(sources)
]


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.code)
def test_rule_metadata_is_complete(rule: type[Rule]) -> None:
    assert rule.code.startswith("FPR") and len(rule.code) == 6
    assert len(rule.flags) >= 3 and len(rule.passes) >= 3
    assert "\n" not in rule.message
    for text in (rule.summary, rule.rationale, rule.use_instead):
        assert text.strip()
    if rule.codemod:
        assert rule.fix_safety


@pytest.mark.parametrize(("rule", "index", "source"), CASES)
def test_rule_examples(rule: type[Rule], index: int, source: str) -> None:
    found = codes(source, getattr(rule, "example_filename", "app.py"))
    if source in rule.flags:
        assert rule.code in found, f"{rule.code} example {index} not flagged: {found}"
    else:
        assert rule.code not in found, f"{rule.code} look-alike {index} flagged"


def test_codes_are_unique() -> None:
    assert len({rule.code for rule in ALL_RULES}) == len(ALL_RULES)
