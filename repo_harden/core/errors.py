"""User-facing failures, and the exit codes every front end returns. A `FatalError` is
printed as one line and exits with code 2, never a traceback."""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    """The exit codes of `repo-harden` and its hooks: a public contract, like rule codes."""

    OK = 0  # nothing at or above --fail-on
    FINDINGS = 1  # findings at or above --fail-on (or, for `owners`, an unowned path)
    USAGE = 2  # a usage or configuration error, or an internal error
    INCOMPLETE = 3  # an audit could not finish some repositories (the rest is reported)
    INTERRUPTED = 130  # Ctrl-C, as a shell reports SIGINT


class FatalError(Exception):
    """Something the user must fix before repo-harden can run."""


class ConfigError(FatalError):
    """The configuration file is invalid."""


class UsageError(FatalError):
    """The command line names something that does not exist or does not fit."""
