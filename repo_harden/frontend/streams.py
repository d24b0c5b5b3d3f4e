"""Standard streams a caller closed (`>&-`, `2>&-`): Python makes them None, and the first
`print` would fail with a traceback after the work is done. They are opened on the null
device instead, as if the caller had redirected them there: the exit code still tells."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def open_closed_streams() -> None:
    """Give a closed standard output or error a stream on the null device (open for the
    rest of the process, as the streams it stands for would have been)."""
    if sys.stdout is None:
        sys.stdout = Path(os.devnull).open("w", encoding="utf-8")  # noqa: SIM115
    if sys.stderr is None:
        sys.stderr = Path(os.devnull).open("w", encoding="utf-8")  # noqa: SIM115
