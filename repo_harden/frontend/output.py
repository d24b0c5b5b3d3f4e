"""Where a report goes, and what the run exits with: standard output or a file written so
that a crash or a full disk never leaves half of one behind, colour only on a terminal, and
the one exit-code rule of every front end."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from repo_harden.core.errors import ExitCode, UsageError
from repo_harden.core.escape import line_start
from repo_harden.core.lazy import lazy_compile
from repo_harden.core.model import Severity
from repo_harden.engine.policy import Reported
from repo_harden.reporters import Report, chunked_renderer, renderer

if TYPE_CHECKING:
    from repo_harden.engine.records import RepositoryStatus

STDOUT = "-"
# Symbolic links that stand for a stream of this process, the only ones written through.
_STREAMS = lazy_compile(r"/dev/(?:stdout|stderr|fd/\d+)|/proc/self/fd/\d+")


def write_atomically(path: Path | str, text: str | Iterable[str]) -> None:
    """Write `text` (or its pieces, in order) to `path` whole or not at all, never through
    a planted link.

    A regular file is replaced by renaming a finished temporary file over it; a symbolic
    link is replaced the same way, not written through (a scanned checkout may hold a
    link to a script that a later step runs); the new file never has an execute bit, and a
    new one gets the umask's mode. A device or a pipe (`/dev/null`, `/dev/stdout`) is
    written to. Any failure is a one-line `UsageError`, and nothing is left behind.
    """
    shown = str(path)
    if not shown:
        raise UsageError("an output path must not be empty (`-` is the standard output)")
    path = Path(path)
    try:
        info = path.lstat()
    except FileNotFoundError:
        info = None
    except OSError as error:
        raise UsageError(f"{shown}: cannot write it: {error.strerror}") from None
    try:
        if info is not None and stat.S_ISDIR(info.st_mode):
            raise UsageError(f"{shown}: is a folder; name a file to write the report to")
        if info is not None and _written_to(path, info):
            with path.open("w", encoding="utf-8", newline="") as file:
                _write(file, text)
            return
        keep = (
            stat.S_IMODE(info.st_mode) if info is not None and stat.S_ISREG(info.st_mode) else None
        )
        _replace(path, text, _new_mode(keep))
    except OSError as error:
        reason = error.strerror or str(error)
        raise UsageError(f"{shown}: cannot write it: {reason}") from None


def rewrite_atomically(path: Path, text: str) -> None:
    """Replace a regular file of a checkout with `text`, whole or not at all, keeping its
    mode: a fixed script stays executable. A symbolic link is refused (`UsageError`), not
    followed: a fix edits the files a scan read, never what a link points at."""
    try:
        info = path.lstat()
    except OSError as error:
        raise UsageError(f"{path}: cannot rewrite it: {error.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise UsageError(f"{path}: not a regular file (a symbolic link?); fix the file itself")
    try:
        _replace(path, text, stat.S_IMODE(info.st_mode))
    except OSError as error:
        raise UsageError(f"{path}: cannot rewrite it: {error.strerror or error}") from None


def _written_to(path: Path, info: os.stat_result) -> bool:
    """A device, a pipe, or a link to a stream of this process: written to, not replaced."""
    if stat.S_ISLNK(info.st_mode):
        return _STREAMS.fullmatch(str(path.absolute())) is not None
    return not stat.S_ISREG(info.st_mode)


def _new_mode(existing: int | None) -> int:
    """The file's mode without execute bits, or what the umask gives a new file."""
    if existing is not None:
        return existing & ~0o111
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _write(file: TextIO, text: str | Iterable[str]) -> None:
    if isinstance(text, str):
        file.write(text)
    else:
        file.writelines(text)  # a report in pieces: never whole in memory


def _replace(path: Path, text: str | Iterable[str], mode: int) -> None:
    folder = path.parent if str(path.parent) else Path()
    if not folder.is_dir():
        raise UsageError(f"{path}: the folder {folder} does not exist")
    import tempfile

    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            _write(file, text)
            file.flush()
            os.fsync(file.fileno())
            os.fchmod(file.fileno(), mode)
        Path(temporary).replace(path)  # a link at `path` is replaced, its target untouched
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


def exit_now(code: int) -> NoReturn:
    """Exit without tearing the interpreter down (a tenth of a hook's run time, an eighth of
    a scan's): for a process that holds no open files, locks or connections, flushing the
    output is all the cleanup it needs."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):  # the reader went away (`| head`)
            stream.flush()
    os._exit(code)


def silence_stdout() -> int:
    """The reader of our output went away (`| head`): stop writing, without a traceback when
    Python flushes stdout at exit (https://docs.python.org/3/library/signal.html#note-on-sigpipe)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return ExitCode.FINDINGS


def check_page_destination(format_name: str, output: Path | str | None) -> None:
    """A page of HTML on a terminal is never wanted: ask for a file before any work is done
    (`-o -` still writes it to standard output, for a pipe)."""
    if format_name == "html" and output is None and sys.stdout.isatty():
        raise UsageError(
            "--format html writes a web page: give -o FILE (`-o -` writes it to standard output)"
        )


def deliver(
    report: Report,
    format_name: str,
    output: Path | str | None,
    footer: str = "",
    *,
    streamed: bool = False,
) -> None:
    """The report in `format_name`, to standard output (`output` None or `-`), or written to
    `output` with a summary on standard output instead; `footer` is a line for the person
    reading it. `streamed`: written a piece at a time as its findings are read back (an
    organization's report is never whole in memory)."""
    rendered = (
        chunked_renderer(format_name)(report) if streamed else [renderer(format_name)(report)]
    )
    if output is None or str(output) == STDOUT:
        sys.stdout.writelines(rendered)
        if footer:
            print(footer, file=sys.stderr)
        return
    write_atomically(output, rendered)
    from repo_harden.reporters.text import summary  # not for a json or sarif report on stdout

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
        shown_crash = "\n".join(line_start(line) for line in crash.splitlines())
        print(f"repo-harden: internal error, please report it: {shown_crash}", file=sys.stderr)
    if crashes:
        return ExitCode.USAGE
    if any(_failed(repo) for repo in repositories):
        return ExitCode.INCOMPLETE
    if fail_on is not None and any(item.severity.rank >= fail_on.rank for item in reported):
        return ExitCode.FINDINGS
    return ExitCode.OK


def _failed(repo: RepositoryStatus) -> bool:
    from repo_harden.engine.records import FAILED  # only an audit has repositories

    return repo.status == FAILED
