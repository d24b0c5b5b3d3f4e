"""An audit's findings on disk, not in memory: each repository's are written to an anonymous
temporary file as it finishes, and read back, one at a time, each time the report goes over
them. The memory an audit holds then does not grow with the findings of the organization
(10,000 repositories have some 40,000 of them), only with the number of repositories.

The file is private to this run (not the shared cache, which another audit may rewrite, and
which is given up when the disk fails): it has no name, and goes away with the process.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import IO, Any

from repo_harden.core.model import Finding, Rule, Severity
from repo_harden.engine.policy import Reported

_SEVERITIES = {severity.value: severity for severity in Severity}


class SpooledFindings(Collection[Reported]):
    """The findings of an audit in the order they were added, as `Reported`; iterable any
    number of times (each pass reads the file again), with their count in memory."""

    def __init__(self, rules: Mapping[str, Rule] | None = None) -> None:
        self._rules: Mapping[str, Rule] = rules if rules is not None else {}
        self._file: IO[bytes] | None = None  # opened by the first repository with findings
        self._count = 0

    def add(self, found: Sequence[Reported]) -> None:
        """A repository's findings (read back as they are: each was made, so checked, by
        `reported_from_record` or by the checks)."""
        if not found:
            return
        if self._file is None:
            # Closed by `close`, or with the process (it has no name to leave behind).
            self._file = tempfile.TemporaryFile(prefix="repo-harden-findings-")  # noqa: SIM115
        repository = found[0].repository
        rows = [_row(item, repository) for item in found]
        self._file.seek(0, os.SEEK_END)  # a pass over the findings may have moved it
        self._file.write(json.dumps([repository, rows]).encode() + b"\n")
        self._count += len(found)

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Reported]:
        if self._file is None:
            return
        self._file.flush()
        offset = 0
        while True:
            # Each line from its own offset: two passes at once do not disturb each other.
            self._file.seek(offset)
            line = self._file.readline()
            if not line:
                return
            offset = self._file.tell()
            repository, rows = json.loads(line)
            for row in rows:
                yield self._reported(row, repository)

    def _reported(self, row: list[Any], repository: str | None) -> Reported:
        code, severity, path, line, column, message, fingerprint = row[:7]
        finding = Finding(code, path, line, column, message, fingerprint)
        named = row[7] if len(row) > 7 else repository
        return Reported(finding, self._rules[code], _SEVERITIES[severity], named)

    def __contains__(self, item: object) -> bool:
        return any(found == item for found in self)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
            self._count = 0


def _row(item: Reported, repository: str | None) -> list[Any]:
    """A finding as a JSON row: its repository only when not the line's."""
    finding = item.finding
    row: list[Any] = [
        finding.rule,
        item.severity.value,
        finding.path,
        finding.line,
        finding.column,
        finding.message,
        finding.fingerprint,
    ]
    if item.repository != repository:
        row.append(item.repository)
    return row
