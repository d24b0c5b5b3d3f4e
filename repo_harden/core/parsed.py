"""Parsed files, shared by every check of one run: each file is read and parsed once.

A reader declares a `Reading` (a name and a function of the cache and a path); checks ask
`parsed.read(WORKFLOW, path)` and get what the reader made of the file, parsed on the first
request only. A file that cannot be read or parsed is remembered as a problem, and the engine
reports each one once, as RH000. The cache knows no file format: adding a reader touches
the reader alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from repo_harden.core.model import Position
from repo_harden.core.record import record
from repo_harden.core.snapshot import RepoSnapshot

T = TypeVar("T")


class ParseError(Exception):
    """A file is not what its name says (bad syntax, or the wrong shape); a reader raises it
    and the cache turns it into an RH000 finding for that file."""

    def __init__(self, message: str, position: Position | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


@record
class FileProblem:
    """Why a file a check needed could not be used."""

    message: str
    at: Position | None


@record
class Reading(Generic[T]):
    """One way of reading a file, declared once by its reader: `kind` names it in the cache;
    `read` returns None for an absent or unreadable file and raises `ParseError` for a bad one."""

    kind: str
    read: Callable[[ParsedFiles, str], T | None]


class ParsedFiles:
    """The files of one snapshot, read and parsed on demand, each at most once per reading."""

    def __init__(self, snapshot: RepoSnapshot) -> None:
        self.snapshot = snapshot
        self.problems: dict[str, FileProblem] = {}
        self._memo: dict[tuple[str, str], object] = {}

    def text(self, path: str) -> str | None:
        """The file's text, or None; an unreadable file is recorded as a problem."""
        text = self.snapshot.read_text(path)
        if text is None:
            reason = self.snapshot.unreadable_reason(path)
            if reason is not None:
                self.problem(path, f"not checked: {reason}", None)
        return text

    def read(self, reading: Reading[T], path: str) -> T | None:
        """What `reading` makes of the file, parsed once; None when it is absent or bad."""
        return self.memo(reading.kind, path, lambda: reading.read(self, path))

    def memo(self, kind: str, path: str, compute: Callable[[], T | None]) -> T | None:
        """`compute()` once per (`kind`, `path`) in this run; a `ParseError` it raises is a
        problem of `path` (RH000) and gives None."""
        key = (kind, path)
        if key not in self._memo:
            try:
                self._memo[key] = compute()
            except ParseError as error:
                self.problem(path, error.message, error.position)
                self._memo[key] = None
        return self._memo[key]  # type: ignore[return-value]

    def problem(self, path: str, message: str, at: Position | None) -> None:
        """Record why `path` could not be used; the first problem of a file is the one shown."""
        self.problems.setdefault(path, FileProblem(message, at))
