"""A run's files in parts (`scan --jobs`): what the parts are, what each sends back, and
how their results become one run's.

The files of the `per_file` checks are dealt out in turn to the parts a `Spread` allows;
each part's result is plain data, so that a `Spread` can run it in another process."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from repo_harden.core.declare import Check
from repo_harden.core.model import Finding, Position, Severity
from repo_harden.core.parsed import FileProblem, ParsedFiles
from repo_harden.core.record import record

_Part = TypeVar("_Part")


class Spread(Protocol):
    """Where the chunks of a run go: `map(work, count, processes)` returns `[work(0), ...,
    work(count - 1)]`, computed by up to `processes` processes forked from this one, each
    taking the next chunk as it finishes one (a process slowed by a busy core takes fewer).
    A result is plain data (tuples, lists, dicts, strings, numbers, None), which any
    process can be sent. A run uses at most `parts` processes, of `smallest_part` files at
    least each."""

    @property
    def parts(self) -> int: ...

    @property
    def smallest_part(self) -> int: ...

    def map(self, work: Callable[[int], _Part], count: int, processes: int) -> list[_Part]: ...


# Each process takes its files in about this many chunks: enough for a fast one to take
# over from a slow one, few enough that a chunk's bookkeeping costs nothing.
CHUNKS_PER_PROCESS = 8
MOST_CHUNKS = 255  # a chunk is named by one byte


@record
class PartRun:
    """What one chunk of a run found, and what its process read, and could not parse, for
    the first time while it ran it."""

    findings: list[Finding]
    crashes: list[str]
    problems: dict[str, FileProblem]
    read: tuple[str, ...]
    listed: bool

    def plain(self) -> _PlainPart:
        """This part as tuples, lists, dicts, strings and numbers (`marshal` sends them)."""
        findings = [
            (f.rule, f.path, f.line, f.column, f.message, f.fingerprint, _severity_value(f))
            for f in self.findings
        ]
        problems = {
            path: (problem.message, *((problem.at.line, problem.at.column) if problem.at else ()))
            for path, problem in self.problems.items()
        }
        return findings, self.crashes, problems, self.read, self.listed

    @classmethod
    def from_plain(cls, plain: _PlainPart) -> PartRun:
        """The part `plain` made, back."""
        findings, crashes, problems, read, listed = plain
        return cls(
            [Finding(*f[:6], Severity(f[6]) if f[6] else None) for f in findings],
            crashes,
            {
                path: FileProblem(p[0], Position(p[1], p[2]) if len(p) == 3 else None)
                for path, p in problems.items()
            },
            read,
            listed,
        )


def _severity_value(finding: Finding) -> str | None:
    return finding.severity.value if finding.severity is not None else None


_PlainFinding = tuple[str, str, int | None, int | None, str, str, str | None]
_PlainPart = tuple[
    list[_PlainFinding], list[str], dict[str, tuple[Any, ...]], tuple[str, ...], bool
]


Chunk = dict[tuple[str, ...], list[str]]
"""The files of a chunk, for each `patterns` of the `per_file` checks."""


@record
class Split:
    """A run's files in chunks, and how many processes take them."""

    chunks: list[Chunk]
    processes: int


def split_of(
    checks: Sequence[Check], files_for: dict[tuple[str, ...], list[str]], spread: Spread
) -> Split | None:
    """The files of the `per_file` checks dealt out in turn to chunks (the files of a
    folder, often alike, go to every chunk), for as many processes as `spread` allows;
    None when that is one."""
    shared = sorted({path for c in checks if c.per_file for path in files_for[c.patterns]})
    processes = min(spread.parts, len(shared) // max(1, spread.smallest_part), MOST_CHUNKS)
    if processes < 2:
        return None
    count = min(processes * CHUNKS_PER_PROCESS, len(shared), MOST_CHUNKS)
    chunk_of = {path: index % count for index, path in enumerate(shared)}
    chunks: list[Chunk] = [{} for _ in range(count)]
    for patterns in dict.fromkeys(c.patterns for c in checks if c.per_file):
        for chunk in chunks:
            chunk[patterns] = []
        for path in files_for[patterns]:
            chunks[chunk_of[path]][patterns].append(path)
    return Split(chunks, processes)


def merged(parsed: ParsedFiles, parts: list[PartRun]) -> PartRun:
    """The parts as one run: their findings, files read and crashes (a check that crashed
    in several parts, once). Their parse problems go into `parsed`, which the run reports
    (a file's first problem is kept, as in one part)."""
    findings: list[Finding] = []
    crashes: dict[str, str] = {}  # by the check's code
    read: dict[str, None] = {}
    for part in parts:
        findings.extend(part.findings)
        for crash in part.crashes:
            crashes.setdefault(crash.partition(" ")[0], crash)
        for path, problem in part.problems.items():
            parsed.problems.setdefault(path, problem)
        read.update(dict.fromkeys(part.read))
    listed = any(part.listed for part in parts)
    return PartRun(findings, list(crashes.values()), {}, tuple(read), listed)
