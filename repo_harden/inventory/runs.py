"""Workflow runs, as `inventory --ran-between` reports them: a run of a workflow that matched
a query, and the actions its job logs show the runner downloaded. Reading them is
`repo_harden.audit.workflow_runs`; here are the values, the window, and reading a log."""

from __future__ import annotations

from datetime import date, datetime

from repo_harden.core.errors import UsageError
from repo_harden.core.lazy import lazy_compile
from repo_harden.core.record import field, record

_DOWNLOAD = lazy_compile(
    r"Download action repository '(?P<name>[^'@\s]+)@(?P<ref>[^'\s]+)' "
    r"\(SHA:(?P<sha>[0-9a-fA-F]{40})\)"
)
_IMMUTABLE = lazy_compile(
    r"Download immutable action package '(?P<name>[^'@\s]+)@(?P<ref>[^'\s]+)'"
)
_SOURCE_COMMIT = lazy_compile(r"Source commit SHA: (?P<sha>[0-9a-fA-F]{40})")
KEPT, EXPIRED, NOT_READ = "kept", "expired", "not read"


@record
class Downloaded:
    """An action as a run's log shows the runner downloaded it."""

    name: str
    ref: str
    sha: str


@record(frozen=False)
class WorkflowRun:
    repository: str
    workflow: str  # the workflow file's path
    id: int
    url: str
    event: str
    head_sha: str
    head_branch: str | None
    created_at: str
    from_fork: bool
    conclusion: str | None
    logs: str = NOT_READ  # kept, expired, or not read (with `logs_reason`)
    logs_reason: str | None = None
    downloaded: list[Downloaded] = field(default_factory=list)


def parse_window(text: str) -> tuple[str, str]:
    """`FROM..TO`, each a date (`2025-03-14`) or a time (`2025-03-14T09:00:00Z`), as
    GitHub's `created` filter reads them."""
    start, dots, end = text.partition("..")
    if not dots or not start.strip() or not end.strip():
        raise UsageError(f"--ran-between {text!r}: expected FROM..TO, e.g. 2025-03-14..2025-03-15")
    return _moment(start.strip(), text), _moment(end.strip(), text)


def _moment(value: str, text: str) -> str:
    try:
        if "T" in value:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        else:
            date.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"--ran-between {text!r}: {value!r} is not a date (2025-03-14) or a time "
            "(2025-03-14T09:00:00Z)"
        ) from None
    return value


def downloads_in_log(text: str) -> list[Downloaded]:
    """The actions a job log shows downloaded, in order, each once."""
    found: list[Downloaded] = []
    for match in _DOWNLOAD.finditer(text):
        found.append(Downloaded(match["name"], match["ref"], match["sha"].lower()))
    for match in _IMMUTABLE.finditer(text):
        commit = _SOURCE_COMMIT.search(text, match.end(), match.end() + 2000)
        if commit is not None:
            found.append(Downloaded(match["name"], match["ref"], commit["sha"].lower()))
    return list(dict.fromkeys(found))
