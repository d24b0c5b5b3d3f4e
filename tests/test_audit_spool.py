"""The audit's findings on disk (`audit.spool`): read back whole, in order, any number of
times, while nothing of them stays in memory."""

from __future__ import annotations

from repo_harden.audit.spool import SpooledFindings
from repo_harden.engine.catalogue import catalogue
from repo_harden.engine.records import finding_record
from tests.test_reporters import reported


def _records(*messages: str) -> list[dict[str, object]]:
    return [finding_record(reported(message=message)) for message in messages]


def test_findings_read_back_in_order_with_their_repository() -> None:
    spool = SpooledFindings(dict(catalogue().rules))
    spool.add("acme/a", _records("first", "second\nline"))
    spool.add("acme/empty", [])
    spool.add("acme/b", _records("caf\u00e9 \udce9"))
    found = [(item.repository, item.finding.message) for item in spool]
    assert found == [
        ("acme/a", "first"),
        ("acme/a", "second\nline"),
        ("acme/b", "caf\u00e9 \udce9"),
    ]
    assert len(spool) == 3
    assert [item.finding.message for item in spool] == [m for _, m in found]  # again


def test_adding_after_a_pass_appends_and_passes_do_not_disturb_each_other() -> None:
    spool = SpooledFindings(dict(catalogue().rules))
    spool.add("acme/a", _records("a1"))
    spool.add("acme/b", _records("b1"))
    outer = iter(spool)
    first = next(outer)
    assert [item.finding.message for item in spool] == ["a1", "b1"]  # a second pass, whole
    spool.add("acme/c", _records("c1"))
    assert [first.finding.message] + [item.finding.message for item in outer] == ["a1", "b1", "c1"]
    assert [item.repository for item in spool] == ["acme/a", "acme/b", "acme/c"]


def test_an_empty_spool_opens_no_file_and_closes() -> None:
    spool = SpooledFindings()
    assert len(spool) == 0 and not spool and list(spool) == []
    spool.close()
    assert list(spool) == []
