"""User-facing failures. Each is printed as one line and exits with code 2, never a traceback."""

from __future__ import annotations


class FatalError(Exception):
    """Something the user must fix before repo-harden can run."""


class ConfigError(FatalError):
    """The configuration file is invalid."""


class UsageError(FatalError):
    """The command line names something that does not exist or does not fit."""
