"""`repo-harden merge`: one report from the JSON reports of audit shards."""

from __future__ import annotations

import argparse
import datetime
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from repo_harden.commands.audit import EXIT_CODES_AUDIT_HELP
from repo_harden.core.errors import UsageError
from repo_harden.core.record import field, record
from repo_harden.frontend.help_format import raw_description_help
from repo_harden.frontend.options import add_fail_on_option
from repo_harden.reporters import AUDIT_FORMATS

if TYPE_CHECKING:
    from repo_harden.commands import Subcommands
    from repo_harden.core.model import Rule
    from repo_harden.engine.policy import Reported
    from repo_harden.engine.records import Exemption, RepositoryStatus, Trend


@record(frozen=False)
class _Read:
    """What one JSON report holds."""

    found: list[Reported] = field(default_factory=list)
    repositories: list[RepositoryStatus] = field(default_factory=list)
    exemptions: list[Exemption] | None = None
    trend: Trend | None = None
    selected_rules: tuple[str, ...] | None = None


def add_parser(commands: Subcommands) -> None:
    merge = commands.add_parser(
        "merge",
        help="join the JSON reports of audit shards into one report",
        description="Join JSON reports of `repo-harden audit --shard K/N` (or any audits) "
        "into one report; its exit code is the audit's, for the whole organization.",
        epilog=EXIT_CODES_AUDIT_HELP,
        formatter_class=raw_description_help,
    )
    merge.set_defaults(run=run)
    merge.add_argument(
        "reports",
        nargs="+",
        type=Path,
        metavar="REPORT.json",
        help="reports of `repo-harden audit --format json`",
    )
    merge.add_argument(
        "--format",
        choices=AUDIT_FORMATS,
        default="text",
        help="text (default), json, sarif, or html: the dashboard page (give -o FILE)",
    )
    merge.add_argument(
        "-o", "--output", metavar="FILE", help="write the report to FILE (`-`: standard output)"
    )
    add_fail_on_option(merge, "warning")


def run(args: argparse.Namespace) -> int:
    from repo_harden.engine.catalogue import catalogue
    from repo_harden.engine.config import Config
    from repo_harden.engine.overrides import Overrides, apply_overrides
    from repo_harden.engine.trend import merge_trends
    from repo_harden.frontend.output import check_page_destination, deliver, exit_code
    from repo_harden.reporters import Report

    check_page_destination(args.format, args.output)
    rules = dict(catalogue(()).rules)
    reads = [_read_report(path, rules) for path in args.reports]
    reported = [item for read in reads for item in read.found]
    statuses: dict[str, RepositoryStatus] = {}
    for read in reads:
        for status in read.repositories:
            statuses[status.name] = _worse(statuses.get(status.name), status)
    reported = list({_identity(item): item for item in reported}.values())
    exemptions = [e for read in reads for e in read.exemptions or ()]
    selected = {code for read in reads for code in read.selected_rules or ()}
    report = Report(
        reported=sorted(reported, key=_order),
        rules=rules,
        repositories=sorted(statuses.values(), key=lambda repo: repo.name.lower()),
        exemptions=list(dict.fromkeys(exemptions))
        if any(read.exemptions is not None for read in reads)
        else None,
        trend=merge_trends(read.trend for read in reads if read.trend is not None),
        selected_rules=tuple(code for code in rules if code in selected)
        if any(read.selected_rules is not None for read in reads)
        else None,
        day=datetime.date.today(),
    )
    deliver(report, args.format, args.output)
    fail_on = apply_overrides(Config(), Overrides(fail_on=args.fail_on)).fail_on
    return exit_code(report.reported, fail_on, repositories=report.repositories or ())


def _read_report(path: Path, rules: Mapping[str, Rule]) -> _Read:
    from repo_harden.engine.records import (
        RecordError,
        exemption_from_record,
        reported_from_record,
        status_from_record,
        trend_from_record,
    )

    document = _read_json(path)
    read = _Read()
    try:
        read.found = [reported_from_record(record, rules) for record in document["findings"]]
        repositories = _optional_list(document, "repositories") or []
        read.repositories = [status_from_record(record) for record in repositories]
        exemptions = _optional_list(document, "exceptions")
        if exemptions is not None:
            read.exemptions = [exemption_from_record(record) for record in exemptions]
        if document.get("trend") is not None:
            read.trend = trend_from_record(document["trend"])
        selected = _optional_list(document, "selected_rules")
        if selected is not None:
            read.selected_rules = tuple(str(code) for code in selected)
    except RecordError as error:
        raise UsageError(f"{path}: not a repo-harden JSON report: {error}") from None
    if "repositories" not in document:  # what `audit` writes and `scan` does not
        raise UsageError(
            f"{path}: not an audit report (no `repositories`: a `repo-harden scan` report?); "
            "merge joins the JSON reports of `repo-harden audit`"
        )
    return read


def _optional_list(document: Mapping[str, Any], key: str) -> list[Any] | None:
    from repo_harden.engine.records import RecordError

    value = document.get(key)
    if value is not None and not isinstance(value, list):
        raise RecordError(f"`{key}` is not a list")
    return value


def _not_json(name: str) -> object:
    """`NaN`, `Infinity`: Python's json reads them, JSON has no such thing."""
    raise ValueError(f"{name} is not a JSON value")


def _read_json(path: Path) -> Mapping[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"), parse_constant=_not_json)
    except OSError as error:
        raise UsageError(f"{path}: cannot read it ({error.strerror})") from None
    except (ValueError, UnicodeDecodeError, RecursionError) as error:
        raise UsageError(f"{path}: not a JSON report ({error})") from None
    if not (
        isinstance(document, dict)
        and document.get("tool") == "repo-harden"
        and isinstance(document.get("findings"), list)
    ):
        raise UsageError(f"{path}: not a repo-harden JSON report (--format json)")
    return document


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
