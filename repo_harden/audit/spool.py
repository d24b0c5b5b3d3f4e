"""An audit's findings on disk, not in memory: each repository's are written to an anonymous
temporary file as it finishes (a block at a time), and read back, one at a time, each time
the report goes over them. The memory an audit holds then does not grow with the findings
of the organization (10,000 repositories have some 40,000 of them), only with the number
of repositories.

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
# Written and read back a block at a time: a write per repository was a system call on the
# thread that runs the checks, and each one gave the interpreter lock to the request threads.
_BLOCK = 1 << 16


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
        self._file: IO[bytes] | None = None  # opened by the first block written
        self._end = 0  # the bytes of whole lines written to it
        self._pending = bytearray()  # whole lines not written yet (less than a block)
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
        if self._memory is not None:
            self._memory.append(line)
            return
        self._pending += line + b"\n"
        if len(self._pending) >= _BLOCK:
            self._flush()

    def _flush(self) -> None:
        """Write the pending lines; if the file fails, keep every line in memory instead."""
        if not self._pending or self._memory is not None:
            return
        pending, self._pending = bytes(self._pending), bytearray()
        try:
            self._write(pending)
        except OSError as error:
            self._keep_in_memory(error, pending)

    def _write(self, lines: bytes) -> None:
        if self._file is None:
            # Unnamed: it goes with the process, whatever happens; `close` ends it sooner.
            self._file = tempfile.TemporaryFile(prefix="repo-harden-findings-", buffering=0)  # noqa: SIM115
        self._file.seek(self._end)
        written = 0
        while written < len(lines):
            written += self._file.write(lines[written:]) or 0
        self._end += len(lines)

    def _keep_in_memory(self, error: OSError, pending: bytes) -> None:
        """The temporary file failed (no space, no temporary folder): its findings and the
        rest are kept in memory, as before there was a spool; nothing is lost."""
        self._memory = [*self._written_lines(), *pending.split(b"\n")[:-1]]
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._note is not None:
            reason = error.strerror or str(error)
            self._note(f"cannot keep the findings in a temporary file ({reason}); in memory")

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Reported]:
        for line in self._lines():
            repository, rows = json.loads(line)
            for row in rows:
                yield self._reported(row, repository)

    def _lines(self) -> Iterator[bytes]:
        """Every line added, in order, each pass on its own: two passes at once, or a pass
        and `add`, do not disturb each other. A pass that reaches the end writes what is
        pending and goes on from there, so it sees what was added while it ran."""
        offset, seen = 0, 0  # the bytes and the lines of the file this pass has read
        while True:
            if self._memory is not None:
                yield from self._memory[seen:]
                return
            for line in self._written_lines(offset):
                offset += len(line) + 1
                seen += 1
                yield line
            if not self._pending:
                return
            self._flush()

    def _written_lines(self, offset: int = 0) -> Iterator[bytes]:
        """The lines of the file from `offset` (the start of one) to its end as it is now."""
        partial, end = b"", self._end
        while self._file is not None and offset < end:
            self._file.seek(offset)
            block = self._file.read(min(_BLOCK, end - offset))
            if not block:
                return
            offset += len(block)
            *whole, partial = (partial + block).split(b"\n")
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
        self._pending = bytearray()


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
