"""The audit's findings on disk (`audit.spool`): read back whole, in order, any number of
times, while nothing of them stays in memory."""

from __future__ import annotations

import errno
import tempfile

import pytest

from repo_harden.audit import spool as spools
from repo_harden.audit.spool import SpooledFindings
from repo_harden.core.model import Severity
from repo_harden.engine.catalogue import catalogue
from repo_harden.engine.policy import Reported
from tests.test_reporters import reported


def _found(repository: str, *messages: str) -> list[Reported]:
    return [reported(message=message, repository=repository) for message in messages]


def test_findings_read_back_equal_and_in_order() -> None:
    spool = SpooledFindings(dict(catalogue().rules))
    added = [
        *_found("acme/a", "first", "second\nline"),
        reported(path="caf\u00e9/\udce9.yml", line=None, column=None, repository="acme/a"),
        reported(severity=Severity.NOTE, repository="acme/other"),  # not the line's
    ]
    spool.add(added)
    spool.add([])
    spool.add(_found("acme/b", "third"))
    assert list(spool) == [*added, *_found("acme/b", "third")]
    assert len(spool) == 5
    assert list(spool) == [*added, *_found("acme/b", "third")]  # a second pass, the same


def test_adding_after_a_pass_appends_and_passes_do_not_disturb_each_other() -> None:
    spool = SpooledFindings(dict(catalogue().rules))
    spool.add(_found("acme/a", "a1"))
    spool.add(_found("acme/b", "b1"))
    outer = iter(spool)
    first = next(outer)
    assert [item.finding.message for item in spool] == ["a1", "b1"]  # a second pass, whole
    spool.add(_found("acme/c", "c1"))
    assert [first.finding.message] + [item.finding.message for item in outer] == ["a1", "b1", "c1"]
    assert [item.repository for item in spool] == ["acme/a", "acme/b", "acme/c"]


def test_an_empty_spool_opens_no_file_and_closes() -> None:
    spool = SpooledFindings()
    assert len(spool) == 0 and not spool and list(spool) == []
    spool.close()
    assert list(spool) == []


def test_a_temporary_file_that_fails_keeps_the_findings_in_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    notes: list[str] = []
    spool = SpooledFindings(dict(catalogue().rules), notes.append)
    spool.add(_found("acme/a", "a1", "a2"))
    assert len(list(spool)) == 2  # a pass writes what is pending
    assert spool._file is not None

    def full(data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(spool._file, "write", full, raising=False)
    spool.add(_found("acme/b", "b1"))
    spool.add(_found("acme/c", "c1"))
    assert [(i.repository, i.finding.message) for i in spool] == [
        ("acme/a", "a1"), ("acme/a", "a2"), ("acme/b", "b1"), ("acme/c", "c1"),
    ]  # fmt: skip
    assert len(spool) == 4
    assert notes == [
        "cannot keep the findings in a temporary file (No space left on device); in memory"
    ]


def test_no_temporary_file_keeps_the_findings_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "TemporaryFile", refused)
    notes: list[str] = []
    spool = SpooledFindings(dict(catalogue().rules), notes.append)
    spool.add(_found("acme/a", "a1"))
    spool.add(_found("acme/b", "b1"))
    assert [item.finding.message for item in spool] == ["a1", "b1"]
    assert notes == ["cannot keep the findings in a temporary file (Permission denied); in memory"]


def test_findings_are_written_a_block_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """A write per repository was a system call on the thread that runs the checks; what is
    pending stays under a block, so memory still does not grow with the findings."""
    writes: list[int] = []
    opened = tempfile.TemporaryFile

    class Counted:
        def __init__(self, *args: object, **kwargs: object) -> None:
            self._file = opened(*args, **kwargs)  # type: ignore[call-overload]

        def write(self, data: bytes) -> int:
            writes.append(len(data))
            return int(self._file.write(data))

        def __getattr__(self, name: str) -> object:
            return getattr(self._file, name)

    monkeypatch.setattr(tempfile, "TemporaryFile", Counted)
    spool = SpooledFindings(dict(catalogue().rules))
    repositories = 2_000
    for number in range(repositories):
        spool.add(_found(f"acme/r{number}", f"finding {number}"))
        assert len(spool._pending) < spools._BLOCK
    messages = [item.finding.message for item in spool]
    assert messages == [f"finding {number}" for number in range(repositories)]
    assert sum(writes) > 2 * spools._BLOCK  # the findings are on disk, not in memory
    assert len(writes) <= sum(writes) // spools._BLOCK + 1


def test_a_finding_longer_than_a_block_that_holds_forged_lines_reads_back_as_itself() -> None:
    """A repository's text in a message cannot end its line in the spool and start a forged
    one, even when the line is longer than a block and crosses the file's block bounds."""
    spool = SpooledFindings(dict(catalogue().rules))
    forged = '"]\n["acme/evil", [["PIN001", "error", "x", 1, 1, "forged", "f"]]]\n' * 4_000
    assert len(forged) > 3 * spools._BLOCK
    spool.add(_found("acme/a", "before"))
    spool.add(_found("acme/b", forged))
    spool.add(_found("acme/c", "after"))
    read = [(item.repository, item.finding.message) for item in spool]
    assert read == [("acme/a", "before"), ("acme/b", forged), ("acme/c", "after")]
