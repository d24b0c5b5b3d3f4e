"""One codec between a reported finding and its record, a repository's status and its
record, an exception (waiver or inline ignore) and its record, and an audit's trend and its
record. The JSON report writes them (their field names are a public contract), the audit's
cache keeps them, and `merge` reads them back: all through here, so a record read back is
exactly what was written.

Reading checks every field's type: a record from a file is input, and a wrong one is a
`RecordError` that names the field, never a traceback or a report with holes in it.
"""

from __future__ import annotations

import datetime
import math
import sys
from collections.abc import Mapping
from typing import Any

from repo_harden.core.model import Finding, Rule, Severity
from repo_harden.core.record import field, record
from repo_harden.engine.policy import Reported

AUDITED, SKIPPED, FAILED = "audited", "skipped", "failed"
STATUSES = (AUDITED, SKIPPED, FAILED)


@record(slots=True)
class RepositoryStatus:
    """For audits: whether a repository was audited, skipped or failed, and why."""

    name: str
    status: str
    reason: str | None = None
    head: str | None = None  # the commit audited (the default branch's head)
    url: str | None = None  # the repository's web page, on github.com or an Enterprise host


WAIVER, INLINE = "waiver", "inline"


@record(slots=True)
class Exemption:
    """An exception to the policy: a waiver of the config (`path` is its glob, `line` its
    line in `config`) or an inline ignore (`path` and `line` are where the comment is).
    `problems` says why it exempts nothing (an invalid one)."""

    kind: str
    rules: tuple[str, ...]
    path: str
    line: int | None
    owner: str
    reason: str
    expires: datetime.date | None
    config: str = ""
    problems: tuple[str, ...] = ()
    repository: str | None = None


@record
class Drift:
    """A repository whose branch protection changed between two audits: the BP rules it
    newly fails (`worse`) and those it passes now (`better`)."""

    repository: str
    worse: tuple[str, ...]
    better: tuple[str, ...]


@record
class Trend:
    """What changed since the previous audit of the same targets, over the repositories
    audited both times (`compared`): new and fixed findings per rule family, protection
    drift, and which findings are new (by repository and fingerprint)."""

    previous: str  # when the previous audit finished, ISO 8601
    compared: int
    new: Mapping[str, int] = field(default_factory=dict)
    fixed: Mapping[str, int] = field(default_factory=dict)
    drift: tuple[Drift, ...] = ()
    new_findings: frozenset[tuple[str, str]] = frozenset()
    appeared: tuple[str, ...] = ()  # audited now, not then
    disappeared: tuple[str, ...] = ()  # audited then, not now


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
    # An org audit holds every finding until the report; the same path, message and
    # fingerprint recur across repositories (shared templates), so one copy is kept of each.
    finding = Finding(
        rule.code,
        sys.intern(_text(record, "path")),
        _position(record, "line"),
        _position(record, "column"),
        sys.intern(_text(record, "message")),
        sys.intern(_text(record, "fingerprint")),
    )
    named = record.get("repository", repository)
    if named is not None and not isinstance(named, str):
        raise RecordError("`repository` is not a string")
    return Reported(finding, rule, Severity(severity), repository=named)


def repository_record(status: RepositoryStatus) -> dict[str, Any]:
    return {
        "name": status.name,
        "status": status.status,
        "reason": status.reason,
        "head": status.head,
        "url": status.url,
    }


def status_from_record(record: object) -> RepositoryStatus:
    if not isinstance(record, dict):
        raise RecordError("a repository is not a JSON object")
    status = _text(record, "status")
    if status not in STATUSES:
        raise RecordError(f"unknown repository status {status!r}")
    return RepositoryStatus(
        _text(record, "name"),
        status,
        _optional_text(record, "reason"),
        head=_optional_text(record, "head"),
        url=_optional_text(record, "url"),
    )


def exemption_record(exemption: Exemption) -> dict[str, Any]:
    record: dict[str, Any] = {
        "kind": exemption.kind,
        "rules": list(exemption.rules),
        "path": exemption.path,
        "line": exemption.line,
        "owner": exemption.owner,
        "reason": exemption.reason,
        "expires": exemption.expires.isoformat() if exemption.expires else None,
        "config": exemption.config,
        "problems": list(exemption.problems),
    }
    if exemption.repository is not None:
        record["repository"] = exemption.repository
    return record


def exemption_from_record(record: object, repository: str | None = None) -> Exemption:
    if not isinstance(record, dict):
        raise RecordError("an exception is not a JSON object")
    kind = _text(record, "kind")
    if kind not in (WAIVER, INLINE):
        raise RecordError(f"unknown exception kind {kind!r}")
    expires = _optional_text(record, "expires")
    try:
        expiry = datetime.date.fromisoformat(expires) if expires is not None else None
    except ValueError:
        raise RecordError(f"`expires` is not a date: {expires!r}") from None
    named = record.get("repository", repository)
    if named is not None and not isinstance(named, str):
        raise RecordError("`repository` is not a string")
    return Exemption(
        kind,
        _texts(record, "rules"),
        _text(record, "path"),
        _position(record, "line"),
        _text(record, "owner"),
        _text(record, "reason"),
        expiry,
        config=_text(record, "config"),
        problems=_texts(record, "problems"),
        repository=named,
    )


def trend_record(trend: Trend) -> dict[str, Any]:
    return {
        "previous": trend.previous,
        "compared": trend.compared,
        "new": dict(sorted(trend.new.items())),
        "fixed": dict(sorted(trend.fixed.items())),
        "drift": [
            {"repository": d.repository, "worse": list(d.worse), "better": list(d.better)}
            for d in trend.drift
        ],
        "new_findings": [
            {"repository": repository, "fingerprint": fingerprint}
            for repository, fingerprint in sorted(trend.new_findings)
        ],
        "appeared": list(trend.appeared),
        "disappeared": list(trend.disappeared),
    }


def trend_from_record(record: object) -> Trend:
    if not isinstance(record, dict):
        raise RecordError("`trend` is not a JSON object")
    previous, compared = _text(record, "previous"), _count(record, "compared")
    drift = []
    for item in _list(record, "drift"):
        if not isinstance(item, dict):
            raise RecordError("a drift is not a JSON object")
        worse, better = _texts(item, "worse"), _texts(item, "better")
        drift.append(Drift(_text(item, "repository"), worse, better))
    new_findings = set()
    for item in _list(record, "new_findings"):
        if not isinstance(item, dict):
            raise RecordError("a new finding is not a JSON object")
        new_findings.add((_text(item, "repository"), _text(item, "fingerprint")))
    return Trend(
        previous,
        compared,
        new=_counts(record, "new"),
        fixed=_counts(record, "fixed"),
        drift=tuple(drift),
        new_findings=frozenset(new_findings),
        appeared=_texts(record, "appeared"),
        disappeared=_texts(record, "disappeared"),
    )


def _text(record: Mapping[str, object], key: str) -> str:
    value = record.get(key)
    if not isinstance(value, str):
        raise RecordError(f"`{key}` is missing or not a string")
    return value


def _optional_text(record: Mapping[str, object], key: str) -> str | None:
    value = record.get(key)
    if value is not None and not isinstance(value, str):
        raise RecordError(f"`{key}` is not a string")
    return value


def _list(record: Mapping[str, object], key: str) -> list[object]:
    value = record.get(key)
    if not isinstance(value, list):
        raise RecordError(f"`{key}` is missing or not a list")
    return value


def _texts(record: Mapping[str, object], key: str) -> tuple[str, ...]:
    values = _list(record, key)
    if not all(isinstance(value, str) for value in values):
        raise RecordError(f"`{key}` holds something other than strings")
    return tuple(str(value) for value in values)


def _count(record: Mapping[str, object], key: str) -> int:
    value = record.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RecordError(f"`{key}` is missing or not a count")
    return value


def _counts(record: Mapping[str, object], key: str) -> dict[str, int]:
    value = record.get(key)
    if not isinstance(value, dict):
        raise RecordError(f"`{key}` is missing or not a JSON object")
    return {str(name): _count(value, name) for name in value}


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
