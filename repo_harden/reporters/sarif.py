"""SARIF 2.1.0, shaped for GitHub code scanning: rule metadata, help, partialFingerprints."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from repo_harden import __version__
from repo_harden.core.model import Rule, Severity
from repo_harden.engine.policy import Reported
from repo_harden.reporters import Report
from repo_harden.reporters.json_stream import indented_json, slot

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
DOCS_URL = "https://github.com/repo-harden/repo-harden/blob/main/docs/rules.md#{anchor}"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}
# GitHub code scanning sorts security alerts by this CVSS-like score.
_SECURITY_SEVERITY = {Severity.ERROR: "7.5", Severity.WARNING: "5.0", Severity.NOTE: "2.0"}


def rule_url(rule: Rule) -> str:
    return DOCS_URL.format(anchor=f"{rule.code.lower()}-{rule.name}")


def _rule_descriptor(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.summary},
        "help": {"text": rule.doc, "markdown": rule.doc},
        "helpUri": rule_url(rule),
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {
            "tags": ["security", "supply-chain"],
            "precision": "high",
            "security-severity": _SECURITY_SEVERITY[rule.severity],
        },
    }


def artifact_uri(path: str) -> str:
    """A repo-relative path as a relative URI reference: percent-encoded (` `, `#`, `?`,
    `%` and the bytes of a name that is not UTF-8), so that it names the file it names."""
    return quote(path, safe="/", errors="surrogateescape") if path else "."


def _location(item: Reported) -> dict[str, Any]:
    finding = item.finding
    physical: dict[str, Any] = {
        "artifactLocation": {"uri": artifact_uri(finding.path), "uriBaseId": "%SRCROOT%"}
    }
    if finding.line is not None:
        region = {"startLine": finding.line}
        if finding.column is not None:
            region["startColumn"] = finding.column
        physical["region"] = region
    return {"physicalLocation": physical}


def _result(item: Reported, index: dict[str, int]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": item.rule.code,
        "ruleIndex": index[item.rule.code],
        "level": _LEVEL[item.severity],
        "message": {"text": item.finding.message},
        "locations": [_location(item)],
        "partialFingerprints": {"repoHarden/v1": item.finding.fingerprint},
    }
    if item.repository is not None:
        result["properties"] = {"repository": item.repository}
    return result


def render_sarif(report: Report) -> str:
    return "".join(sarif_chunks(report))


def sarif_chunks(report: Report) -> Iterator[str]:
    """The SARIF log in pieces, a result at a time (see `json_stream`)."""
    results = slot()
    rules = list(report.rules.values())
    index = {rule.code: position for position, rule in enumerate(rules)}
    run = {
        "tool": {
            "driver": {
                "name": "repo-harden",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": "https://github.com/repo-harden/repo-harden",
                "rules": [_rule_descriptor(rule) for rule in rules],
            }
        },
        "results": results,
        "columnKind": "unicodeCodePoints",
    }
    document = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    yield from indented_json(document, results, (_result(item, index) for item in report.reported))
    yield "\n"
