"""An audit's findings on disk, not in memory: each repository's are written to an anonymous
temporary file as it finishes, and read back, one at a time, each time the report goes over
them. The memory an audit holds then does not grow with the findings of the organization
(10,000 repositories have some 40,000 of them), only with the number of repositories.

The file is private to this run (not the shared cache, which another audit may rewrite, and
which is given up when the disk fails): it has no name, and goes away with the process.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import IO, Any

from repo_harden.core.model import Finding, Rule, Severity
from repo_harden.engine.policy import Reported

_SEVERITIES = {severity.value: severity for severity in Severity}
_BLOCK = 1 << 16  # read back a block at a time


class SpooledFindings(Collection[Reported]):
    """The findings of an audit in the order they were added, as `Reported`; iterable any
    number of times (each pass reads the file again), with their count in memory."""

    def __init__(
        self,
        rules: Mapping[str, Rule] | None = None,
        note: Callable[[str], None] | None = None,
    ) -> None:
        self._rules: Mapping[str, Rule] = rules if rules is not None else {}
        self._note = note
        self._file: IO[bytes] | None = None  # opened by the first repository with findings
        self._end = 0  # the bytes of whole lines written to it
        self._memory: list[bytes] | None = None  # the lines, once the file failed
        self._count = 0

    def add(self, found: Sequence[Reported]) -> None:
        """A repository's findings (read back as they are: each was made, so checked, by
        `reported_from_record` or by the checks)."""
        if not found:
            return
        repository = found[0].repository
        line = json.dumps([repository, [_row(item, repository) for item in found]]).encode()
        self._count += len(found)
        if self._memory is None:
            try:
                self._write(line + b"\n")
                return
            except OSError as error:
                self._keep_in_memory(error)
        assert self._memory is not None
        self._memory.append(line)

    def _write(self, line: bytes) -> None:
        if self._file is None:
            # Unnamed: it goes with the process, whatever happens; `close` ends it sooner.
            self._file = tempfile.TemporaryFile(prefix="repo-harden-findings-", buffering=0)  # noqa: SIM115
        self._file.seek(self._end)
        written = 0
        while written < len(line):
            written += self._file.write(line[written:]) or 0
        self._end += len(line)

    def _keep_in_memory(self, error: OSError) -> None:
        """The temporary file failed (no space, no temporary folder): its findings and the
        rest are kept in memory, as before there was a spool; nothing is lost."""
        self._memory = list(self._file_lines())
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._note is not None:
            reason = error.strerror or str(error)
            self._note(f"cannot keep the findings in a temporary file ({reason}); in memory")

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Reported]:
        lines = iter(self._memory) if self._memory is not None else self._file_lines()
        for line in lines:
            repository, rows = json.loads(line)
            for row in rows:
                yield self._reported(row, repository)

    def _file_lines(self) -> Iterator[bytes]:
        """The lines written, each pass from its own offset: two passes at once, or a pass
        and `add`, do not disturb each other."""
        offset, pending = 0, b""
        while self._file is not None and offset < self._end:
            self._file.seek(offset)
            block = self._file.read(min(_BLOCK, self._end - offset))
            if not block:
                return
            offset += len(block)
            *whole, pending = (pending + block).split(b"\n")
            yield from whole

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
        self._memory, self._end, self._count = None, 0, 0


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
