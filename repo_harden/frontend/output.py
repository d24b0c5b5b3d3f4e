"""Write files so that a crash or a full disk never leaves half of one behind."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


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
