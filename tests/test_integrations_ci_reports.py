"""``flake8 --format=fpr-sarif`` and ``--format=fpr-github`` on a broken app, run for real.

The SARIF log is validated against the SARIF 2.1.0 JSON schema shipped in
``tests/data/sarif/`` (formats such as ``uri`` checked too) and compared, result by
result, with flake8's default output of the same run.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema
import pytest

from flake8_fastapi_prod.docs import rule_section
from flake8_fastapi_prod.formatters import artifact_uri, escape_data, escape_property
from flake8_fastapi_prod.rules import ALL_RULES

SCHEMA = Path(__file__).parent / "data" / "sarif" / "sarif-schema-2.1.0.json"
DOCS_URL = "https://example.org/flake8-fastapi-prod/docs/rules.md"

MAIN = '''\
from fastapi import FastAPI
from sqlalchemy import create_engine

engine = create_engine("postgresql://db.internal/shop")
app = FastAPI()


@app.on_event("startup")
async def connect() -> None:
    """Connect."""
''' + "# E501: " + "x" * 100 + "\n"
# a name with the characters GitHub's workflow commands and URIs must escape
ODD_NAME = "odd, 100% routes.py"
ODD = '''\
from fastapi import APIRouter

router = APIRouter()


@router.on_event("shutdown")
def close() -> None:
    ...
'''
LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>\w+) (?P<text>.*)$")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("project")
    (root / "app").mkdir()
    (root / "app" / "main.py").write_text(MAIN, encoding="utf-8")
    (root / "app" / ODD_NAME).write_text(ODD, encoding="utf-8")
    (root / "setup.cfg").write_text(
        f"[flake8]\nmax-line-length = 100\nfpr-docs-url = {DOCS_URL}\n", encoding="utf-8"
    )
    return root


def flake8(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "FPR,E501", *args, "app"],
        cwd=root, capture_output=True, text=True, timeout=120, check=False,
    )


def default_output(root: Path) -> list[dict[str, str]]:
    result = flake8(root)
    assert result.returncode == 1, result.stderr
    matches = [LINE.match(line) for line in result.stdout.splitlines()]
    assert all(matches), result.stdout
    return [match.groupdict() for match in matches if match]


def validate(log: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    checker = jsonschema.Draft4Validator.FORMAT_CHECKER
    # the format checks must be real, or a relative helpUri would pass unnoticed
    assert not checker.conforms("docs/rules.md#fpr103", "uri")
    jsonschema.Draft4Validator(schema, format_checker=checker).validate(log)


def test_sarif_log_is_valid_and_matches_flake8(project: Path) -> None:
    expected = default_output(project)
    assert {"FPR101", "FPR104", "E501"} <= {row["code"] for row in expected}
    result = flake8(project, "--format=fpr-sarif", "--output-file=reports/flake8.sarif")
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    log = json.loads((project / "reports" / "flake8.sarif").read_text(encoding="utf-8"))
    validate(log)

    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    found = [
        {
            "path": unquote(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]),
            "line": str(r["locations"][0]["physicalLocation"]["region"]["startLine"]),
            "col": str(r["locations"][0]["physicalLocation"]["region"]["startColumn"]),
            "code": r["ruleId"],
            "text": r["message"]["text"],
        }
        for r in run["results"]
    ]
    assert found == expected
    for r in run["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        assert r["level"] == ("error" if r["ruleId"].startswith("FPR") else "warning")
    artifacts = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]]
    assert {artifact["uriBaseId"] for artifact in artifacts} == {"%SRCROOT%"}
    assert {artifact["uri"] for artifact in artifacts} == {
        "app/main.py", "app/odd%2C%20100%25%20routes.py"
    }
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.as_uri() + "/"


def test_sarif_rules_carry_the_registry_text(project: Path) -> None:
    result = flake8(project, "--format=fpr-sarif")
    log = json.loads(result.stdout)
    rules = {rule["id"]: rule for rule in log["runs"][0]["tool"]["driver"]["rules"]}
    for rule in ALL_RULES:
        descriptor = rules[rule.code]
        assert descriptor["shortDescription"]["text"] == rule.summary
        assert rule.rationale in descriptor["fullDescription"]["text"]
        assert descriptor["help"]["markdown"] == rule_section(rule)
        assert rule.use_instead.rstrip() in descriptor["help"]["text"]
        assert descriptor["helpUri"] == f"{DOCS_URL}#{rule.code.lower()}"
        assert descriptor["defaultConfiguration"]["enabled"] is not rule.default_off
        fixed_by = descriptor.get("properties", {}).get("fixedBy")
        assert fixed_by == (f"python -m codemods.{rule.codemod}" if rule.codemod else None)
    # codes of other plugins: a minimal rule, no invented text
    assert rules["E501"] == {"id": "E501"}


def test_sarif_on_stdout_stays_json_with_statistics_and_a_reused_file(project: Path) -> None:
    result = flake8(project, "--format=fpr-sarif", "--statistics", "--benchmark")
    validate(json.loads(result.stdout))
    clean = project / "clean"
    clean.mkdir(exist_ok=True)
    (clean / "app").mkdir(exist_ok=True)
    (clean / "app" / "ok.py").write_text("VALUE = 1\n", encoding="utf-8")
    for _ in range(2):  # a second run replaces the log instead of appending a second one
        result = flake8(clean, "--format=fpr-sarif", "--output-file=out.sarif")
        assert result.returncode == 0, result.stderr
    log = json.loads((clean / "out.sarif").read_text(encoding="utf-8"))
    validate(log)
    assert log["runs"][0]["results"] == []


def parse_workflow_command(line: str) -> tuple[str, dict[str, str], str]:
    """Read a ``::command k=v,...::message`` line the way the Actions runner does."""
    match = re.fullmatch(r"::(\w+) ([^:]*)::(.*)", line)
    assert match, line

    def unescape(text: str) -> str:
        for escaped, char in (("%3A", ":"), ("%2C", ","), ("%0D", "\r"), ("%0A", "\n")):
            text = text.replace(escaped, char)
        return text.replace("%25", "%")

    command, raw_properties, message = match.groups()
    properties = dict(item.split("=", 1) for item in raw_properties.split(","))
    return command, {k: unescape(v) for k, v in properties.items()}, unescape(message)


def test_github_annotations_match_flake8(project: Path) -> None:
    expected = default_output(project)
    result = flake8(project, "--format=fpr-github")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(expected)
    for line, row in zip(lines, expected):
        command, properties, message = parse_workflow_command(line)
        assert command == ("error" if row["code"].startswith("FPR") else "warning")
        assert properties == {
            "file": row["path"].removeprefix("./"),
            "line": row["line"],
            "col": row["col"],
            "title": row["code"],
        }
        assert message == row["text"]
    assert any("file=app/odd%2C 100%25 routes.py,line=6,col=2,title=FPR101::" in line
               for line in lines)


def test_workflow_command_escaping() -> None:
    assert escape_data("100% done\r\nnext: a, b") == "100%25 done%0D%0Anext: a, b"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_artifact_uris_relative_inside_the_root_absolute_outside(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    assert artifact_uri("./app/main.py", root) == "app/main.py"
    assert artifact_uri(str(root / "app" / "a b.py"), root) == "app/a%20b.py"
    outside = tmp_path / "other" / "x.py"
    assert artifact_uri(str(outside), root) == outside.as_uri()
    assert artifact_uri("../other/x.py", root) == outside.as_uri()
