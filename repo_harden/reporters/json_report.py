"""JSON: the stable machine-readable report (field names are a public contract)."""

from __future__ import annotations

import json
from typing import Any

from repo_harden import __version__
from repo_harden.engine.records import (
    exemption_record,
    finding_record,
    repository_record,
    trend_record,
)
from repo_harden.reporters import Report


def render_json(report: Report) -> str:
    document: dict[str, Any] = {
        "tool": "repo-harden",
        "version": __version__,
        "findings": [finding_record(item) for item in report.reported],
    }
    if report.repositories is not None:
        document["repositories"] = [repository_record(repo) for repo in report.repositories]
    if report.selected_rules is not None:
        document["selected_rules"] = list(report.selected_rules)
    if report.exemptions is not None:
        document["exceptions"] = [exemption_record(item) for item in report.exemptions]
    if report.trend is not None:
        document["trend"] = trend_record(report.trend)
    return json.dumps(document, indent=2) + "\n"
