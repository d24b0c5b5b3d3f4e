"""argparse's help formatters, told the terminal's width up front.

argparse makes a formatter for every `add_argument` (to check the argument's format), and
each one asks `shutil.get_terminal_size` for the width: importing shutil, with bz2, lzma
and fnmatch behind it, was about 3 ms of every command's and hook's start-up, for a width
that only `--help` reads. `terminal_columns` answers as shutil does, from `os` alone.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

_FALLBACK_COLUMNS = 80


def terminal_columns() -> int:
    """`shutil.get_terminal_size().columns`: $COLUMNS when it is a positive number, else the
    width of the terminal on standard output, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns > 0:
        return columns
    stdout = sys.__stdout__  # None under pythonw, or when closed
    try:
        return os.get_terminal_size(stdout.fileno()).columns or _FALLBACK_COLUMNS  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return _FALLBACK_COLUMNS


def plain_help(prog: str) -> argparse.HelpFormatter:
    """`argparse.HelpFormatter`, at the terminal's width (less 2, as argparse takes it)."""
    return argparse.HelpFormatter(prog, width=terminal_columns() - 2)


def raw_description_help(prog: str) -> argparse.HelpFormatter:
    """`argparse.RawDescriptionHelpFormatter`, at the terminal's width (less 2)."""
    return argparse.RawDescriptionHelpFormatter(prog, width=terminal_columns() - 2)


class HelpParser(argparse.ArgumentParser):
    """An `ArgumentParser` whose formatter knows the width without `shutil`, unless one is
    given; its subcommands' parsers are made of this class too (argparse's default)."""

    def __init__(self, **options: Any) -> None:
        options.setdefault("formatter_class", plain_help)
        super().__init__(**options)
