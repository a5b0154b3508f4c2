"""``python -m flake8_fastapi_prod rules`` and ``explain CODE`` print the registry's text."""

from __future__ import annotations

import subprocess
import sys

import pytest

from flake8_fastapi_prod.__main__ import main
from flake8_fastapi_prod.docs import first_line
from flake8_fastapi_prod.rule import Rule
from flake8_fastapi_prod.rules import ALL_RULES


def _words(text: str) -> str:
    """Whitespace-insensitive form, so wrapped paragraphs compare with the registry's."""
    return " ".join(text.split())


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8_fastapi_prod", *args],
        capture_output=True, text=True, timeout=60, check=False,
    )


def test_explain_fpr103_from_the_command_line() -> None:
    rule = next(r for r in ALL_RULES if r.code == "FPR103")
    result = _cli("explain", "FPR103")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith(f"FPR103: {first_line(rule.message)}\n")
    assert _words(rule.rationale) in _words(out)
    for line in rule.flags[0].rstrip().splitlines():
        assert f"    {line}".rstrip() in out.splitlines()
    for line in rule.use_instead.rstrip().splitlines():
        assert f"    {line}".rstrip() in out.splitlines()
    assert "Automatic fix:" in out
    assert f"`python -m codemods.{rule.codemod}` fixes it." in out


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda rule: rule.code)
def test_explain_every_rule(rule: type[Rule], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", rule.code.lower()]) == 0
    out = _words(capsys.readouterr().out)
    for text in (rule.summary, rule.rationale, rule.limitations, rule.fix_safety):
        assert _words(text) in out
    if rule.codemod:
        assert f"`python -m codemods.{rule.codemod}` fixes it." in out
    else:
        assert "no codemod fixes this" in out
    assert ("off by default" in out) is rule.default_off


def test_rules_lists_every_code_once_with_its_default() -> None:
    result = _cli("rules")
    assert result.returncode == 0, result.stderr
    rows = {
        line.split()[0]: line.split()[1]
        for line in result.stdout.splitlines()
        if line.startswith("FPR")
    }
    assert list(rows) == [rule.code for rule in ALL_RULES]
    assert rows == {rule.code: "off" if rule.default_off else "on" for rule in ALL_RULES}
    for rule in ALL_RULES:
        assert _words(rule.summary) in _words(result.stdout)


def test_unknown_code_exits_2_with_a_clear_message() -> None:
    result = _cli("explain", "FPR999")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "unknown rule code FPR999" in result.stderr
    assert "python -m flake8_fastapi_prod rules" in result.stderr


def test_missing_command_is_a_usage_error() -> None:
    result = _cli()
    assert result.returncode == 2
    assert "usage:" in result.stderr
