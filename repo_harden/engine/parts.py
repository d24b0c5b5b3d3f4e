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
    """Where the parts of a run go: `map(work, count)` returns `[work(0), ...,
    work(count - 1)]`, perhaps computed in processes forked from this one. A result is plain
    data (tuples, lists, dicts, strings, numbers, None), which any process can be sent. A
    run makes at most `parts` parts, of `smallest_part` files at least."""

    @property
    def parts(self) -> int: ...

    @property
    def smallest_part(self) -> int: ...

    def map(self, work: Callable[[int], _Part], count: int) -> list[_Part]: ...


@record
class PartRun:
    """What one part of a run found, and what it read (its process's own record of it)."""

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


def parts_of(
    checks: Sequence[Check], files_for: dict[tuple[str, ...], list[str]], spread: Spread
) -> list[frozenset[str]]:
    """The files of the `per_file` checks dealt out in turn (the files of a folder, often
    alike, go to every part) to as many parts as `spread` allows."""
    shared = sorted({path for c in checks if c.per_file for path in files_for[c.patterns]})
    count = max(1, min(spread.parts, len(shared) // max(1, spread.smallest_part)))
    return [frozenset(shared[index::count]) for index in range(count)]


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
