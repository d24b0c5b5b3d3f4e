"""JSON: the stable machine-readable report (field names are a public contract)."""

from __future__ import annotations

import json
from typing import Any

from repo_harden import __version__
from repo_harden.engine.policy import Reported
from repo_harden.reporters import Report


def finding_record(item: Reported) -> dict[str, Any]:
    finding = item.finding
    record: dict[str, Any] = {
        "rule": finding.rule,
        "name": item.rule.name,
        "severity": item.severity.value,
        "path": finding.path,
        "line": finding.line,
        "column": finding.column,
        "message": finding.message,
        "fingerprint": finding.fingerprint,
    }
    if item.repository is not None:
        record["repository"] = item.repository
    return record


def render_json(report: Report) -> str:
    document: dict[str, Any] = {
        "tool": "repo-harden",
        "version": __version__,
        "findings": [finding_record(item) for item in report.reported],
    }
    if report.repositories is not None:
        document["repositories"] = [
            {"name": repo.name, "status": repo.status, "reason": repo.reason}
            for repo in report.repositories
        ]
    return json.dumps(document, indent=2) + "\n"
