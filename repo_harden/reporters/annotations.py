"""GitHub workflow commands: annotations on the pull request, most severe first.

GitHub shows only the first few annotations of each kind per step, so the
errors come first and a last line counts everything.
"""

from __future__ import annotations

from repo_harden.core.escape import workflow_data, workflow_property
from repo_harden.core.model import Severity
from repo_harden.engine.policy import Reported
from repo_harden.reporters import Report
from repo_harden.reporters.text import summary

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}


def annotation(item: Reported) -> str:
    finding = item.finding
    properties = []
    if finding.path:
        properties.append(f"file={workflow_property(finding.path)}")
    if finding.line is not None:
        properties.append(f"line={finding.line}")
    if finding.column is not None:
        properties.append(f"col={finding.column}")
    title = f"{item.rule.code} {item.rule.name}"
    if item.repository:
        title = f"{item.repository}: {title}"
    properties.append(f"title={workflow_property(title)}")
    return f"::{_COMMAND[item.severity]} {','.join(properties)}::{workflow_data(finding.message)}"


def render_github(report: Report) -> str:
    ordered = sorted(report.reported, key=lambda item: -item.severity.rank)
    lines = [annotation(item) for item in ordered]
    lines.append(summary(report))
    return "\n".join(lines) + "\n"
