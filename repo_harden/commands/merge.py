"""`repo-harden merge`: one report from the JSON reports of audit shards."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from repo_harden.commands.audit import audit_exit_code, fail_on_of
from repo_harden.core.errors import UsageError
from repo_harden.core.model import Finding, Rule, Severity
from repo_harden.engine.policy import Reported
from repo_harden.engine.registry import catalogue
from repo_harden.reporters import Report, RepositoryStatus, renderer
from repo_harden.reporters.text import summary

_FINDING_FIELDS = ("rule", "path", "line", "column", "message", "fingerprint", "severity")


def run_merge(args: argparse.Namespace) -> int:
    from repo_harden.frontend.output import write_atomically

    rules = dict(catalogue(()).rules)
    reported: list[Reported] = []
    statuses: dict[str, RepositoryStatus] = {}
    for path in args.reports:
        document = _read_report(path)
        for record in document["findings"]:
            reported.append(_reported(path, record, rules))
        for repo in document.get("repositories") or ():
            status = RepositoryStatus(str(repo["name"]), str(repo["status"]), repo.get("reason"))
            statuses[status.name] = _worse(statuses.get(status.name), status)
    reported = list({_identity(item): item for item in reported}.values())
    report = Report(
        reported=sorted(reported, key=_order),
        rules=rules,
        repositories=sorted(statuses.values(), key=lambda repo: repo.name.lower()),
    )
    rendered = renderer(args.format)(report)
    if args.output is not None:
        write_atomically(args.output, rendered)
        print(f"{summary(report)}\nWrote the {args.format} report to {args.output}.")
    else:
        sys.stdout.write(rendered)
    return audit_exit_code(report, fail_on_of(args))


def _read_report(path: Path) -> Mapping[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"{path}: cannot read it ({error.strerror})") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise UsageError(f"{path}: not a JSON report ({error})") from None
    if not (
        isinstance(document, dict)
        and document.get("tool") == "repo-harden"
        and isinstance(document.get("findings"), list)
    ):
        raise UsageError(f"{path}: not a repo-harden JSON report (--format json)")
    return document


def _reported(path: Path, record: object, rules: Mapping[str, Rule]) -> Reported:
    if not isinstance(record, dict) or any(key not in record for key in _FINDING_FIELDS):
        raise UsageError(f"{path}: a finding lacks one of {', '.join(_FINDING_FIELDS)}")
    rule = rules.get(str(record["rule"]))
    if rule is None:
        raise UsageError(
            f"{path}: rule {record['rule']} is unknown to this repo-harden; "
            "merge with the version that wrote the report"
        )
    finding = Finding(
        rule.code,
        str(record["path"]),
        record["line"],
        record["column"],
        str(record["message"]),
        str(record["fingerprint"]),
    )
    try:
        severity = Severity(record["severity"])
    except ValueError:
        raise UsageError(f"{path}: unknown severity {record['severity']!r}") from None
    return Reported(finding, rule, severity, repository=record.get("repository"))


def _identity(item: Reported) -> tuple[str | None, str, str]:
    return (item.repository, item.finding.rule, item.finding.fingerprint)


def _order(item: Reported) -> tuple[str, str, int, int, str]:
    finding = item.finding
    return (
        item.repository or "",
        finding.path,
        finding.line or 0,
        finding.column or 0,
        finding.rule,
    )


_STATUS_RANK = {"skipped": 0, "audited": 1, "failed": 2}


def _worse(old: RepositoryStatus | None, new: RepositoryStatus) -> RepositoryStatus:
    """A repository in two reports keeps the status that says the least was done."""
    if old is None:
        return new
    return new if _STATUS_RANK.get(new.status, 2) > _STATUS_RANK.get(old.status, 2) else old
