"""The inventory's answer, and its formats: `text` (a table, then the answer per
repository), `json` (the contract: `items`, `repositories`, and `runs` with
`--ran-between`), `csv` (one row per item). `cyclonedx` is in `reporters.cyclonedx`.

Every repository asked about is in the answer, never left out: with a query, each is
`affected` (an item matches), `not-affected` (read in full, nothing matches) or `unknown`
(not read, or something that may hold a match could not be read), with the reasons.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence

from repo_harden import __version__
from repo_harden.core.escape import line_start, shown
from repo_harden.core.record import field, record
from repo_harden.engine.records import FAILED, SKIPPED, RepositoryStatus, repository_record
from repo_harden.inventory.model import Inventory, Item
from repo_harden.inventory.purl import purl_of
from repo_harden.inventory.query import Query
from repo_harden.inventory.records import item_record
from repo_harden.inventory.runs import WorkflowRun

AFFECTED, NOT_AFFECTED, UNKNOWN = "affected", "not-affected", "unknown"
SHOWN_REASONS = 3


@record
class Answer:
    """One repository in the answer: its status as an audit records it, and with a query,
    whether it is affected, and what was not read."""

    status: RepositoryStatus
    answer: str | None
    matches: int
    unread: tuple[str, ...]


@record(frozen=False)
class InventoryReport:
    inventories: Mapping[str, Inventory]
    repositories: Sequence[RepositoryStatus]
    query: Query = field(default_factory=Query)
    runs: list[WorkflowRun] | None = None  # None: --ran-between was not asked
    notes: list[str] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)
    _answers: list[Answer] | None = field(default=None, init=False, repr=False)

    def items(self) -> list[tuple[str, Item]]:
        """The items to show: every item, or with a query only the matches."""
        return [
            (name, item)
            for name in sorted(self.inventories, key=str.lower)
            for item in self.inventories[name].items
            if not self.query or self.query.matches(item)
        ]

    def answers(self) -> list[Answer]:
        """Each repository's answer, worked out once (the report is complete when asked)."""
        if self._answers is None:
            self._answers = [self._answer(status) for status in self.repositories]
        return self._answers

    def _answer(self, status: RepositoryStatus) -> Answer:
        inventory = self.inventories.get(status.name)
        if inventory is None:
            verdict = NOT_AFFECTED if status.reason == "empty" else UNKNOWN
            return Answer(status, verdict if self.query else None, 0, ())
        matches = sum(1 for item in inventory.items if self.query and self.query.matches(item))
        kinds = self.query.kinds if self.query else frozenset()
        unread = tuple(
            dict.fromkeys(
                u.what for u in inventory.unread if not self.query or kinds & set(u.kinds)
            )
        )
        if not self.query:
            return Answer(status, None, 0, unread)
        verdict = AFFECTED if matches else UNKNOWN if unread else NOT_AFFECTED
        return Answer(status, verdict, matches, unread)

    @property
    def matched(self) -> bool:
        return bool(self.query) and any(answer.answer == AFFECTED for answer in self.answers())

    @property
    def incomplete(self) -> bool:
        """Some repository could not be read, or (with a query) its answer is unknown."""
        return any(
            a.status.status == FAILED or (a.answer == UNKNOWN and a.status.status != SKIPPED)
            for a in self.answers()
        )


# Text -----------------------------------------------------------------------------------


def printable(text: str) -> str:
    """Scanned text as a terminal or a CI log may show it (`core.escape.shown`): a file
    cannot write what the reader sees."""
    return shown(text)


def render_text(report: InventoryReport) -> str:
    rows = [_text_row(name, item) for name, item in report.items()]
    parts = [_table(["REPOSITORY", "WHERE", "KIND", "WHAT", "COMMIT/DIGEST", "VIA"], rows)]
    if report.runs is not None:
        parts.append(_runs_text(report.runs))
    parts.append(_answers_text(report))
    text = "\n\n".join("\n".join(line_start(line) for line in part) for part in parts if part)
    return "\n".join([text, *report.notes]) + "\n"


def _text_row(name: str, item: Item) -> list[str]:
    where = f"{item.path}:{item.line}" if item.line else item.path
    what = item.reference
    if item.kind == "download":
        what += "" if item.verified else "  (no checksum check)"
    pinned = item.digest if item.kind == "image" else item.sha
    via = " > ".join(item.via)
    return [printable(text) for text in (name, where, item.kind, what, pinned or "-", via or "-")]


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    if not rows:
        return []
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]


def _runs_text(runs: Sequence[WorkflowRun]) -> list[str]:
    if not runs:
        return ["No run of a matching workflow in that window."]
    lines = [f"Runs of the matching workflows in the window ({len(runs)}):"]
    for run in runs:
        fork = ", from a fork" if run.from_fork else ""
        branch = f"{run.head_branch}@" if run.head_branch else ""
        head = f"  {run.repository} {run.workflow} {run.created_at} {run.event}{fork} "
        lines.append(printable(f"{head}{branch}{run.head_sha[:12]} {run.conclusion or ''}"))
        lines.append(printable(f"    {run.url}"))
        if run.downloaded:
            for found in run.downloaded:
                lines.append(printable(f"    downloaded {found.name}@{found.ref} ({found.sha})"))
        elif run.logs == "kept":
            lines.append("    logs kept: no matching action downloaded")
        else:
            why = f" ({run.logs_reason})" if run.logs_reason else ""
            lines.append(printable(f"    logs {run.logs}{why}: what it downloaded is unknown"))
    return lines


def _answers_text(report: InventoryReport) -> list[str]:
    answers = report.answers()
    if not report.query:
        count = sum(len(inventory.items) for inventory in report.inventories.values())
        lines = [
            f"{_count(count, 'item', 'items')} in "
            f"{_count(len(report.inventories), 'repository', 'repositories')}."
        ]
        lines += [
            printable(f"  {a.status.name}: {a.status.status}: {a.status.reason}")
            for a in answers
            if a.status.reason
        ]
        lines += [
            printable(f"  {a.status.name}: not read: {what}") for a in answers for what in a.unread
        ]
        return lines
    groups = {
        verdict: [a for a in answers if a.answer == verdict]
        for verdict in (AFFECTED, UNKNOWN, NOT_AFFECTED)
    }
    lines = [
        f"{_count(len(groups[AFFECTED]), 'repository', 'repositories')} affected, "
        f"{len(groups[NOT_AFFECTED])} not affected, {len(groups[UNKNOWN])} unknown "
        f"({'; '.join(report.query.describe())})."
    ]
    for answer in groups[AFFECTED]:
        matches = _count(answer.matches, "match", "matches")
        lines.append(printable(f"  affected: {answer.status.name} ({matches})"))
    for answer in groups[UNKNOWN]:
        reasons = [answer.status.reason] if answer.status.reason else []
        reasons += list(answer.unread)
        shown = reasons[:SHOWN_REASONS]
        more = len(reasons) - len(shown)
        shown += [f"and {more} more (--format json lists them)"] if more > 0 else []
        lines.append(printable(f"  unknown: {answer.status.name}: {'; '.join(shown)}"))
    return lines


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


# JSON -----------------------------------------------------------------------------------


def render_json(report: InventoryReport) -> str:
    document: dict[str, object] = {
        "tool": "repo-harden",
        "version": __version__,
        "query": report.query.describe() if report.query else None,
        "items": [item_record(item, name) for name, item in report.items()],
        "repositories": [_answer_record(answer, bool(report.query)) for answer in report.answers()],
    }
    if report.runs is not None:
        document["runs"] = [run_record(run) for run in report.runs]
    return json.dumps(document, indent=2) + "\n"


def _answer_record(answer: Answer, asked: bool) -> dict[str, object]:
    record: dict[str, object] = repository_record(answer.status)
    if asked:
        record["answer"] = answer.answer
        record["matches"] = answer.matches
    record["unread"] = list(answer.unread)
    return record


def run_record(run: WorkflowRun) -> dict[str, object]:
    return {
        "repository": run.repository,
        "workflow": run.workflow,
        "id": run.id,
        "url": run.url,
        "event": run.event,
        "head_sha": run.head_sha,
        "head_branch": run.head_branch,
        "created_at": run.created_at,
        "from_fork": run.from_fork,
        "conclusion": run.conclusion,
        "logs": run.logs,
        "logs_reason": run.logs_reason,
        "downloaded": [
            {"name": found.name, "ref": found.ref, "sha": found.sha} for found in run.downloaded
        ],
    }


# CSV ------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "repository", "path", "line", "kind", "name", "ref", "version", "sha", "digest", "purl",
    "via", "job", "triggers", "verified",
)  # fmt: skip
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def render_csv(report: InventoryReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for name, item in report.items():
        writer.writerow(_csv_cell(value) for value in _csv_row(name, item))
    return out.getvalue()


def _csv_row(name: str, item: Item) -> Iterable[object]:
    verified = "" if item.verified is None else str(item.verified).lower()
    return (
        name, item.path, item.line or "", item.kind, item.name, item.ref or "",
        item.version or "", item.sha or "", item.digest or "", purl_of(item) or "",
        " > ".join(item.via), item.job or "", " ".join(item.triggers), verified,
    )  # fmt: skip


def _csv_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula gets a `'` first
    (scanned text must not run in the reader's spreadsheet)."""
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def render(report: InventoryReport, format_name: str) -> str:
    if format_name == "text":
        return render_text(report)
    if format_name == "json":
        return render_json(report)
    if format_name == "csv":
        return render_csv(report)
    raise ValueError(f"no inventory format {format_name!r}")
