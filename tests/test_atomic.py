"""Reports are written atomically, without ever replacing what is not a regular file."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

from repo_harden.frontend.output import write_atomically


def test_replaces_a_file_whole_and_keeps_its_mode(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text("old")
    report.chmod(0o600)
    write_atomically(report, "new")
    assert report.read_text() == "new"
    assert stat.S_IMODE(report.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary left


def test_a_symlink_is_replaced_never_written_through(tmp_path: Path) -> None:
    """Issue 14, item 1: a checkout that plants `repo-harden.sarif` as a link to a script a
    later step runs must not get that script overwritten (and still executable)."""
    script = tmp_path / "repo-harden"
    script.write_text("#!/bin/sh\necho the real tool\n")
    script.chmod(0o755)
    link = tmp_path / "repo-harden.sarif"
    link.symlink_to(script)
    write_atomically(link, '{"message": "$(touch /tmp/pwned)"}')
    assert script.read_text() == "#!/bin/sh\necho the real tool\n"
    assert not link.is_symlink()
    assert link.read_text() == '{"message": "$(touch /tmp/pwned)"}'
    assert stat.S_IMODE(link.stat().st_mode) & 0o111 == 0


def test_an_executable_report_loses_its_execute_bits(tmp_path: Path) -> None:
    report = tmp_path / "report.sarif"
    report.write_text("old")
    report.chmod(0o755)
    write_atomically(report, "new")
    assert stat.S_IMODE(report.stat().st_mode) == 0o644


def test_a_new_report_gets_the_umask_mode(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        write_atomically(tmp_path / "new.json", "{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o640


def test_a_fifo_is_written_to_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    write_atomically(fifo, "through the pipe")
    reader.join(timeout=10)
    assert received == ["through the pipe"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)
