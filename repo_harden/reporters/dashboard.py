"""The data of the audit dashboard: what `html.py` embeds in the page for its script to show.

Compact, because an organization of 10,000 repositories has 100,000 findings: tables are
stored by column, and paths and messages (often the same across repositories) are kept
once in a string table and referred to by index. Posture is judged here, in Python, where
it is tested; the page only draws it.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from repo_harden import __version__
from repo_harden.core.lazy import lazy_compile
from repo_harden.core.model import Rule, Severity, rule_family
from repo_harden.core.record import record
from repo_harden.engine.records import AUDITED, STATUSES, Exemption, RepositoryStatus, Trend
from repo_harden.reporters import Report
from repo_harden.reporters.sarif import rule_url

SEVERITIES = (Severity.ERROR, Severity.WARNING, Severity.NOTE)
DEFAULT_WEB = "https://github.com"
_COMMIT = lazy_compile(r"[0-9a-f]{40}")


@record
class Control:
    """A control a security team asks of every repository: met when none of `fails` is
    reported; not judged (neither met nor failed) when one of `unknown` is."""

    label: str
    fails: tuple[str, ...]
    unknown: tuple[str, ...] = ()


CONTROLS = (
    Control("Actions pinned to a commit", ("PIN001",)),
    Control("Images pinned by digest", ("PIN002",)),
    Control("Downloads verified before they run", ("DL001", "DL002", "DL005")),
    Control("Lockfiles present and in sync", ("LCK001", "LCK002")),
    Control("CODEOWNERS covers the workflows", ("OWN001", "OWN002")),
    Control("Default branch protected, with reviews", ("BP001", "BP002"), ("BP012",)),
    Control("No force push to the default branch", ("BP001", "BP003"), ("BP012",)),
)
WORKFLOW_FAMILY = "WF"


@record
class Posture:
    """How many audited repositories meet a control, fail it, or could not be judged."""

    control: Control
    checked: bool  # False: the audit did not ask for its rules
    met: int
    failed: int
    unknown: int


def controls(rules: Mapping[str, Rule]) -> list[Control]:
    """The standing controls, and one per workflow rule (WF) when the catalogue has them."""
    found = [c for c in CONTROLS if any(code in rules for code in c.fails)]
    found += [
        Control(f"No {rule.code} ({rule.name})", (rule.code,))
        for rule in rules.values()
        if rule_family(rule.code) == WORKFLOW_FAMILY
    ]
    return found


def posture(report: Report) -> list[Posture]:
    audited = [repo.name for repo in _repositories(report) if repo.status == AUDITED]
    codes: dict[str, set[str]] = {}
    for item in report.reported:
        codes.setdefault(item.repository or "", set()).add(item.rule.code)
    selected = set(report.selected_rules) if report.selected_rules is not None else None
    found = []
    for control in controls(report.rules):
        checked = selected is None or any(code in selected for code in control.fails)
        met = failed = unknown = 0
        for name in audited:
            reported = codes.get(name, set())
            if any(code in reported for code in control.fails):
                failed += 1
            elif any(code in reported for code in control.unknown):
                unknown += 1
            else:
                met += 1
        found.append(Posture(control, checked, met, failed, unknown))
    return found


def dashboard_data(report: Report) -> dict[str, Any]:
    """Everything the page shows, as JSON-ready data."""
    strings = _Strings()
    repositories = _repositories(report)
    index = {repo.name: number for number, repo in enumerate(repositories)}
    rules = list(report.rules.values())
    rule_index = {rule.code: number for number, rule in enumerate(rules)}
    web = _web_base(repositories)
    day = report.day or datetime.date.today()
    return {
        "meta": {"tool": "repo-harden", "version": __version__, "day": day.isoformat()},
        "web": web,
        "rules": [[r.code, r.name, r.severity.value, r.summary, r.doc, rule_url(r)] for r in rules],
        "selected": list(report.selected_rules) if report.selected_rules is not None else None,
        "repos": _repository_columns(repositories, web),
        "findings": _finding_columns(report, index, rule_index, strings),
        "posture": [
            [p.control.label, list(p.control.fails), p.checked, p.met, p.failed, p.unknown]
            for p in posture(report)
        ],
        "trend": _trend(report.trend, index),
        "exceptions": _exemptions(report.exemptions, index, day),
        "strings": strings.table,
    }


def _repositories(report: Report) -> list[RepositoryStatus]:
    """The report's repositories, and any that only its findings name (a report of old)."""
    listed = list(report.repositories or ())
    known = {repo.name for repo in listed}
    for item in report.reported:
        name = item.repository or ""
        if name not in known:
            known.add(name)
            listed.append(RepositoryStatus(name, AUDITED))
    return listed


def safe_web_url(url: str | None) -> str | None:
    """A repository's web address, if it is one a link may point to (https or http)."""
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        return None
    return url.rstrip("/")


def _web_base(repositories: Sequence[RepositoryStatus]) -> str | None:
    """The host most repositories live on, so each needs no URL of its own; None when no
    repository says where it lives (then the page makes no links to it)."""
    bases: Counter[str] = Counter()
    for repo in repositories:
        url = safe_web_url(repo.url)
        if url is not None and url.endswith("/" + repo.name):
            bases[url.removesuffix("/" + repo.name)] += 1
    if bases:
        return bases.most_common(1)[0][0]
    return DEFAULT_WEB if not any(repo.url for repo in repositories) else None


def _repository_columns(repositories: Sequence[RepositoryStatus], web: str | None) -> Any:
    urls: list[str | None] = []
    for repo in repositories:
        url = safe_web_url(repo.url)
        urls.append(None if url is None or url == f"{web}/{repo.name}" else url)
    return {
        "name": [repo.name for repo in repositories],
        "status": [STATUSES.index(repo.status) for repo in repositories],
        "reason": [repo.reason for repo in repositories],
        "head": [
            repo.head if repo.head and _COMMIT.fullmatch(repo.head) else None
            for repo in repositories
        ],
        "url": urls,
    }


def _finding_columns(
    report: Report, index: Mapping[str, int], rule_index: Mapping[str, int], strings: _Strings
) -> Any:
    new = report.trend.new_findings if report.trend is not None else frozenset()
    columns: dict[str, list[int]] = {key: [] for key in ("repo", "rule", "sev", "path", "line")}
    columns.update(col=[], msg=[], new=[])
    for number, item in enumerate(report.reported):
        finding = item.finding
        repository = item.repository or ""
        columns["repo"].append(index[repository])
        columns["rule"].append(rule_index[item.rule.code])
        columns["sev"].append(SEVERITIES.index(item.severity))
        columns["path"].append(strings.add(finding.path))
        columns["line"].append(finding.line or 0)
        columns["col"].append(finding.column or 0)
        columns["msg"].append(strings.add(finding.message))
        if (repository, finding.fingerprint) in new:
            columns["new"].append(number)
    return columns


def _trend(trend: Trend | None, index: Mapping[str, int]) -> Any:
    if trend is None:
        return None
    return {
        "previous": trend.previous,
        "compared": trend.compared,
        "new": dict(trend.new),
        "fixed": dict(trend.fixed),
        "drift": [[d.repository, list(d.worse), list(d.better)] for d in trend.drift],
        "appeared": len(trend.appeared),
        "disappeared": len(trend.disappeared),
    }


def _exemptions(
    exemptions: Iterable[Exemption] | None, index: Mapping[str, int], day: datetime.date
) -> Any:
    if exemptions is None:
        return None
    return [
        [
            index.get(e.repository or "", -1),
            e.kind,
            list(e.rules),
            e.path,
            e.line or 0,
            e.owner,
            e.reason,
            e.expires.isoformat() if e.expires else None,
            (e.expires - day).days if e.expires else None,
            e.config,
            list(e.problems),
        ]
        for e in exemptions
    ]


class _Strings:
    """Each distinct text once; rows refer to it by its index."""

    def __init__(self) -> None:
        self.table: list[str] = []
        self._index: dict[str, int] = {}

    def add(self, text: str) -> int:
        found = self._index.get(text)
        if found is None:
            found = self._index[text] = len(self.table)
            self.table.append(text)
        return found
