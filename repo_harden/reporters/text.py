"""Text: `path:line:col: CODE message`, the form editors and CI logs turn into links."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from repo_harden.core.escape import line_start, shown
from repo_harden.core.model import Severity
from repo_harden.engine.policy import Reported
from repo_harden.reporters import Report

_COLORS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.NOTE: "36"}


def _paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def location(item: Reported) -> str:
    finding = item.finding
    where = finding.path or item.repository or "(repository)"
    if item.repository and finding.path:
        where = f"{item.repository}:{finding.path}"
    for part in (finding.line, finding.column):
        if part is None:
            break
        where += f":{part}"
    return where


def render_line(item: Reported, color: bool) -> str:
    """One finding on one line, whatever its path and message hold (see `core.escape`)."""
    code = _paint(item.rule.code, f"1;{_COLORS[item.severity]}", color)
    where = _paint(line_start(location(item)), "1", color)
    return f"{where}: {code} {shown(item.finding.message)}"


def render_text(report: Report) -> str:
    return "".join(text_chunks(report))


def text_chunks(report: Report) -> Iterator[str]:
    """The text report line by line: findings, an audit's tables, the summary."""
    for item in report.reported:
        yield render_line(item, report.color) + "\n"
    if report.repositories is not None:
        for line in audit_tables(report):
            yield line + "\n"
    yield summary(report) + "\n"


def audit_tables(report: Report) -> list[str]:
    """After an audit's findings: a table per repository, then per rule family."""
    by_repo: dict[str, Counter[Severity]] = {}
    for item in report.reported:
        by_repo.setdefault(item.repository or "", Counter())[item.severity] += 1
    rows = [["repository", "status", "errors", "warnings", "notes", "reason"]]
    for repo in report.repositories or ():
        counts = by_repo.get(repo.name, Counter())
        found = [str(counts[s]) if repo.status == "audited" else "-" for s in _ORDER]
        rows.append([line_start(repo.name), repo.status, *found, shown(repo.reason or "")])
    families: dict[str, tuple[Counter[str], set[str]]] = {}
    for item in report.reported:
        family = _family(item.rule.code)
        counter, repos = families.setdefault(family, (Counter(), set()))
        counter[item.rule.code] += 1
        repos.add(item.repository or "")
    family_rows = [["rule family", "findings", "repositories", "rules"]]
    for family in sorted(families):
        counter, repos = families[family]
        rules = ", ".join(f"{code} {count}" for code, count in sorted(counter.items()))
        family_rows.append([family, str(sum(counter.values())), str(len(repos)), rules])
    statuses = Counter(repo.status for repo in report.repositories or ())
    totals = ", ".join(f"{statuses[s]} {s}" for s in ("audited", "skipped", "failed"))
    return ["", *_table(rows), "", *_table(family_rows), "", f"Repositories: {totals}."]


_ORDER = (Severity.ERROR, Severity.WARNING, Severity.NOTE)


def _family(code: str) -> str:
    return code.rstrip("0123456789")


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def counted(count: int, noun: str) -> str:
    """`1 file`, `2 files`."""
    return f"{count} {noun}{'s' if count != 1 else ''}"


def summary(report: Report) -> str:
    counts = Counter(item.severity for item in report.reported)
    hidden = _hidden(report)
    if not report.reported:
        done = _paint("No findings", "1;32", report.color)
        return f"{done} in {counted(report.files_checked, 'file')} checked.{hidden}"
    parts = [
        counted(counts[severity], severity.value)
        for severity in (Severity.ERROR, Severity.WARNING, Severity.NOTE)
        if counts[severity]
    ]
    return (
        f"Found {counted(len(report.reported), 'finding')} ({', '.join(parts)}) "
        f"{_where(report)}.{hidden}\n"
        "Run `repo-harden rules CODE` to read why a rule matters and how to fix it."
    )


def _where(report: Report) -> str:
    """`in 2 files`, `about the repository`, `in 1 file and about the repository`: a
    repository-level finding (no path: OWN001, BP...) is in no file."""
    files = {(item.repository, item.finding.path) for item in report.reported}
    repositories = {repository for repository, path in files if not path}
    places = []
    if len(repositories) < len(files):
        places.append(f"in {counted(len(files) - len(repositories), 'file')}")
    if len(repositories) == 1:
        places.append("about the repository")
    elif repositories:
        places.append(f"about {len(repositories)} repositories")
    return " and ".join(places)


def _hidden(report: Report) -> str:
    parts = []
    if report.suppressed_inline:
        foreign = report.suppressed_foreign
        by = f" ({foreign} by zizmor comments)" if foreign else ""
        parts.append(f"{report.suppressed_inline} ignored inline{by}")
    if report.waived:
        parts.append(f"{report.waived} waived (see `repo-harden waivers`)")
    if report.baselined:
        parts.append(f"{report.baselined} known from the baseline")
    if report.not_shown:
        parts.append(f"{report.not_shown} more not shown (at most max-findings-per-file per file)")
    return f" {', '.join(parts).capitalize()}." if parts else ""
