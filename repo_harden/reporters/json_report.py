"""JSON: the stable machine-readable report (field names are a public contract)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from repo_harden import __version__
from repo_harden.engine.records import (
    exemption_record,
    finding_record,
    repository_record,
    trend_record,
)
from repo_harden.reporters import Report
from repo_harden.reporters.json_stream import indented_json, slot


def render_json(report: Report) -> str:
    return "".join(json_chunks(report))


def json_chunks(report: Report) -> Iterator[str]:
    """The JSON report in pieces, a finding at a time (see `json_stream`)."""
    findings = slot()
    document: dict[str, Any] = {
        "tool": "repo-harden",
        "version": __version__,
        "findings": findings,
    }
    if report.repositories is not None:
        document["repositories"] = [repository_record(repo) for repo in report.repositories]
    if report.selected_rules is not None:
        document["selected_rules"] = list(report.selected_rules)
    if report.exemptions is not None:
        document["exceptions"] = [exemption_record(item) for item in report.exemptions]
    if report.trend is not None:
        document["trend"] = trend_record(report.trend)
    yield from indented_json(document, findings, map(finding_record, report.reported))
    yield "\n"
