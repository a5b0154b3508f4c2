"""flake8 report formats for CI: SARIF 2.1.0 and GitHub Actions annotations.

``flake8 --format=fpr-sarif`` writes one SARIF log whose rules carry the registry's
summary, rationale, example and fix, so code scanning shows the same text as
``docs/rules.md``; codes of other plugins (E501, F401, ...) appear with a minimal rule.
``flake8 --format=fpr-github`` prints one ``::error``/``::warning`` workflow command per
violation, which GitHub Actions turns into annotations on the pull request.
"""

from __future__ import annotations

import json
import os
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import quote

import flake8
from flake8.formatting.base import BaseFormatter
from flake8.statistics import Statistics
from flake8.violation import Violation

from . import __version__
from .docs import rule_section
from .rule import Rule
from .rules import ALL_RULES

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
PROJECT = "flake8-fastapi-prod"
#: ``[project.urls]`` label whose URL is the rendered ``docs/rules.md``
RULES_URL_LABEL = "rules"


def level(code: str) -> str:
    """FPR findings fail in production: ``error``; other plugins' codes: ``warning``."""
    return "error" if code.startswith("FPR") else "warning"


def display_path(filename: str, root: Path) -> str:
    """``filename`` relative to ``root`` in POSIX form, or absolute when outside it."""
    path = Path(os.path.normpath(filename))
    if path.is_absolute():
        try:
            path = path.relative_to(root)
        except ValueError:
            return path.as_posix()
    elif path.parts and path.parts[0] == os.pardir:
        return Path(os.path.normpath(root / path)).as_posix()
    return path.as_posix()


def artifact_uri(filename: str, root: Path) -> str:
    """A relative URI reference for files under ``root``, a ``file:`` URI otherwise."""
    path = display_path(filename, root)
    return Path(path).as_uri() if Path(path).is_absolute() else quote(path)


def installed_rules_url() -> str | None:
    """The ``[project.urls]`` entry labelled ``Rules``, if the installed package has one."""
    try:
        entries = metadata.metadata(PROJECT).get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return None
    for entry in entries:
        label, _, url = entry.partition(",")
        if label.strip().lower() == RULES_URL_LABEL:
            return url.strip()
    return None


def help_text(rule: type[Rule]) -> str:
    """The rule's documentation as plain text, from the registry's attributes."""
    fix = (
        f"Fixed by `python -m codemods.{rule.codemod}`. {rule.fix_safety}".rstrip()
        if rule.codemod
        else "No automatic fix."
    )
    parts = [
        rule.summary,
        rule.rationale,
        "Example:\n" + rule.flags[0].rstrip(),
        "Use instead:\n" + rule.use_instead.rstrip(),
    ]
    if rule.limitations:
        parts.append("What it does not see: " + rule.limitations)
    parts.append(fix)
    return "\n\n".join(parts)


def rule_descriptor(rule: type[Rule], rules_url: str | None) -> dict[str, Any]:
    """A SARIF ``reportingDescriptor`` built from one registry rule."""
    descriptor: dict[str, Any] = {
        "id": rule.code,
        "name": rule.__name__,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": f"{rule.summary} {rule.rationale}"},
        "help": {"text": help_text(rule), "markdown": rule_section(rule)},
        "defaultConfiguration": {"enabled": not rule.default_off, "level": level(rule.code)},
    }
    if rule.codemod:
        descriptor["properties"] = {"fixedBy": f"python -m codemods.{rule.codemod}"}
    if rules_url:
        descriptor["helpUri"] = f"{rules_url}#{rule.code.lower()}"
    return descriptor


def sarif_log(
    violations: list[Violation], root: Path, rules_url: str | None = None
) -> dict[str, Any]:
    """A complete SARIF log for one flake8 run over files under ``root``."""
    rules = [rule_descriptor(rule, rules_url) for rule in ALL_RULES]
    index = {rule["id"]: number for number, rule in enumerate(rules)}
    results = []
    for violation in violations:
        if violation.code not in index:
            index[violation.code] = len(rules)
            rules.append({"id": violation.code})
        region = {
            "startLine": max(violation.line_number, 1),
            "startColumn": max(violation.column_number, 1),
        }
        location = {
            "artifactLocation": {
                "uri": artifact_uri(violation.filename, root),
                "uriBaseId": "%SRCROOT%",
            },
            "region": region,
        }
        results.append({
            "ruleId": violation.code,
            "ruleIndex": index[violation.code],
            "level": level(violation.code),
            "message": {"text": violation.text},
            "locations": [{"physicalLocation": location}],
        })
    driver = {
        "name": "flake8",
        "version": flake8.__version__,
        "informationUri": "https://flake8.pycqa.org/",
        "rules": rules,
    }
    plugin = {"name": PROJECT, "version": __version__}
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": driver, "extensions": [plugin]},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": root.as_uri().rstrip("/") + "/"}},
            "results": results,
        }],
    }


class SarifFormatter(BaseFormatter):
    """``--format=fpr-sarif``: collect every violation, write one SARIF log at the end."""

    def after_init(self) -> None:
        self.violations: list[Violation] = []

    @classmethod
    def add_options(cls, manager: Any) -> None:
        manager.add_option(
            "--fpr-docs-url",
            parse_from_config=True,
            default=installed_rules_url(),
            help="URL of the rendered docs/rules.md; fpr-sarif links each FPR rule to "
            "URL#code (default: the package's `Rules` project URL, if any)",
        )

    def start(self) -> None:
        # one JSON document per file: replace it, where flake8's default appends
        if self.filename:
            Path(self.filename).resolve().parent.mkdir(parents=True, exist_ok=True)
            self.output_fd = open(self.filename, "w", encoding="utf-8")

    def handle(self, error: Violation) -> None:
        self.violations.append(error)

    def show_statistics(self, statistics: Statistics) -> None:
        """Statistics have no place in a SARIF log and would corrupt the JSON."""

    def show_benchmarks(self, benchmarks: list[tuple[str, float]]) -> None:
        """Benchmarks have no place in a SARIF log and would corrupt the JSON."""

    def stop(self) -> None:
        rules_url = getattr(self.options, "fpr_docs_url", None)
        log = sarif_log(self.violations, Path.cwd(), rules_url)
        self._write(json.dumps(log, indent=2, ensure_ascii=False))
        super().stop()


def escape_data(text: str) -> str:
    """Escape a workflow command's message, as GitHub's ``@actions/core`` does."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value (``:`` and ``,`` delimit properties)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


class GitHubFormatter(BaseFormatter):
    """``--format=fpr-github``: one GitHub Actions annotation command per violation."""

    def format(self, error: Violation) -> str:
        properties = {
            "file": display_path(error.filename, Path.cwd()),
            "line": str(max(error.line_number, 1)),
            "col": str(max(error.column_number, 1)),
            "title": error.code,
        }
        fields = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
        return f"::{level(error.code)} {fields}::{escape_data(error.text)}"
