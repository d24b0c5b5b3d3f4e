"""The options every front end shares (`scan`, `audit`, `merge` and the hooks), read into
`Overrides` that `repo_harden.engine.overrides` applies to the config."""

from __future__ import annotations

import argparse
from pathlib import Path

from repo_harden.core.errors import UsageError
from repo_harden.engine.overrides import Overrides

FAIL_ON_CHOICES = ("error", "warning", "note", "never")
DEFAULT_CONFIG_HELP = (
    "config file (default: .repo-harden.toml, or [tool.repo-harden] in pyproject.toml)"
)


def csv_codes(value: str) -> list[str]:
    return [part.strip().upper() for part in value.split(",") if part.strip()]


def add_fail_on_option(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument(
        "--fail-on",
        choices=FAIL_ON_CHOICES,
        help=f"lowest severity that makes the exit code 1 (default: {default})",
    )


def add_rule_options(
    parser: argparse.ArgumentParser,
    *,
    config_help: str = DEFAULT_CONFIG_HELP,
    fail_on_default: str = "config fail-on, or warning",
) -> None:
    """`--config`, `--fail-on`, `--select`, `--ignore` and `--exclude`."""
    parser.add_argument("--config", type=Path, metavar="FILE", help=config_help)
    add_fail_on_option(parser, fail_on_default)
    parser.add_argument(
        "--select",
        type=csv_codes,
        action="extend",
        default=[],
        metavar="CODES",
        help="only these rules: codes or prefixes, comma-separated (PIN,DL003); overrides config",
    )
    parser.add_argument(
        "--ignore",
        type=csv_codes,
        action="extend",
        default=[],
        metavar="CODES",
        help="skip these rules: codes or prefixes, comma-separated; added to the config's",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="skip paths matching GLOB (repeatable; added to the config's exclude)",
    )


def overrides_from(args: argparse.Namespace) -> Overrides:
    """The overrides an `add_rule_options` parser read (absent options count as not given)."""
    return Overrides(
        config_file=getattr(args, "config", None),
        select=tuple(getattr(args, "select", ())),
        ignore=tuple(getattr(args, "ignore", ())),
        exclude=tuple(getattr(args, "exclude", ())),
        fail_on=getattr(args, "fail_on", None),
    )


def require_file(path: Path | None, what: str) -> None:
    if path is not None and not path.is_file():
        raise UsageError(f"{path}: no such {what}")
