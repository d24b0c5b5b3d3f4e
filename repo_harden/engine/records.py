"""One codec between a reported finding and its record, and between a repository's status
and its record. The JSON report writes them (their field names are a public contract),
the audit's cache keeps them, and `merge` reads them back: all three through here, so a
record read back is exactly what was written.

Reading checks every field's type: a record from a file is input, and a wrong one is a
`RecordError` that names the field, never a traceback or a report with holes in it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from repo_harden.core.model import Finding, Rule, Severity
from repo_harden.engine.policy import Reported

AUDITED, SKIPPED, FAILED = "audited", "skipped", "failed"
STATUSES = (AUDITED, SKIPPED, FAILED)


@dataclass(frozen=True)
class RepositoryStatus:
    """For audits: whether a repository was audited, skipped or failed, and why."""

    name: str
    status: str
    reason: str | None = None


class RecordError(ValueError):
    """A record is not what this codec writes; the message names the field."""


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


def reported_from_record(
    record: object, rules: Mapping[str, Rule], repository: str | None = None
) -> Reported:
    """The finding a record describes; `repository` when the record does not name one."""
    if not isinstance(record, dict):
        raise RecordError("a finding is not a JSON object")
    code = _text(record, "rule")
    rule = rules.get(code)
    if rule is None:
        raise RecordError(
            f"rule {code!r} is unknown to this repo-harden; use the version that wrote it"
        )
    severity = _text(record, "severity")
    if severity not in {level.value for level in Severity}:
        raise RecordError(f"unknown severity {severity!r}")
    finding = Finding(
        code,
        _text(record, "path"),
        _position(record, "line"),
        _position(record, "column"),
        _text(record, "message"),
        _text(record, "fingerprint"),
    )
    named = record.get("repository", repository)
    if named is not None and not isinstance(named, str):
        raise RecordError("`repository` is not a string")
    return Reported(finding, rule, Severity(severity), repository=named)


def repository_record(status: RepositoryStatus) -> dict[str, Any]:
    return {"name": status.name, "status": status.status, "reason": status.reason}


def status_from_record(record: object) -> RepositoryStatus:
    if not isinstance(record, dict):
        raise RecordError("a repository is not a JSON object")
    status = _text(record, "status")
    if status not in STATUSES:
        raise RecordError(f"unknown repository status {status!r}")
    reason = record.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise RecordError("a repository's `reason` is not a string")
    return RepositoryStatus(_text(record, "name"), status, reason)


def _text(record: Mapping[str, object], key: str) -> str:
    value = record.get(key)
    if not isinstance(value, str):
        raise RecordError(f"`{key}` is missing or not a string")
    return value


def _position(record: Mapping[str, object], key: str) -> int | None:
    if key not in record:
        raise RecordError(f"`{key}` is missing")
    value = record[key]
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RecordError(f"`{key}` is not a number")
    if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
        raise RecordError(f"`{key}` is not a whole number")
    if value < 1:
        raise RecordError(f"`{key}` is not a 1-based position")
    return int(value)
