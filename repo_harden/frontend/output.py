"""Where a report goes, and what the run exits with: standard output or a file written so
that a crash or a full disk never leaves half of one behind, colour only on a terminal, and
the one exit-code rule of every front end."""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from repo_harden.core.errors import ExitCode
from repo_harden.core.model import Severity
from repo_harden.engine.policy import Reported
from repo_harden.engine.records import FAILED, RepositoryStatus
from repo_harden.reporters import Report, renderer
from repo_harden.reporters.text import summary


def write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, then rename it over `path`.

    A symbolic link is written through, to its target. A path that exists but is not a
    regular file (`/dev/null`, `/dev/stdout`, a FIFO) is written to directly: renaming
    a file over it would replace the device itself.
    """
    target = path.resolve() if path.is_symlink() else path
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        with target.open("w", encoding="utf-8", newline="") as file:
            file.write(text)
        return
    _replace(target, text, stat.S_IMODE(mode) if mode is not None else 0o644)


def _replace(path: Path, text: str, mode: int) -> None:
    folder = path.parent if str(path.parent) else Path()
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        Path(temporary).chmod(mode)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def use_color(stream: object) -> bool:
    """Colour only on a terminal; NO_COLOR and FORCE_COLOR win (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"


def silence_stdout() -> int:
    """The reader of our output went away (`| head`): stop writing, without a traceback when
    Python flushes stdout at exit (https://docs.python.org/3/library/signal.html#note-on-sigpipe)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return ExitCode.FINDINGS


def deliver(report: Report, format_name: str, output: Path | None, footer: str = "") -> None:
    """The report in `format_name`, to standard output, or written to `output` with a
    summary on standard output instead; `footer` is a line for the person reading it."""
    rendered = renderer(format_name)(report)
    if output is None:
        sys.stdout.write(rendered)
        if footer:
            print(footer, file=sys.stderr)
        return
    write_atomically(output, rendered)
    lines = [summary(report), footer, f"Wrote the {format_name} report to {output}."]
    print("\n".join(line for line in lines if line))


def exit_code(
    reported: Iterable[Reported],
    fail_on: Severity | None,
    *,
    repositories: Iterable[RepositoryStatus] = (),
    crashes: Sequence[str] = (),
) -> int:
    """The one exit-code rule: 2 when repo-harden crashed (its crashes are printed, in full),
    3 when a repository could not be audited, else 1 for a finding at or above `fail_on`."""
    for crash in crashes:
        print(f"repo-harden: internal error, please report it: {crash}", file=sys.stderr)
    if crashes:
        return ExitCode.USAGE
    if any(repo.status == FAILED for repo in repositories):
        return ExitCode.INCOMPLETE
    if fail_on is not None and any(item.severity.rank >= fail_on.rank for item in reported):
        return ExitCode.FINDINGS
    return ExitCode.OK
