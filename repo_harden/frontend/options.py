"""The options every front end shares (`scan`, `audit`, `merge` and the hooks), read into
`Overrides` that `repo_harden.engine.overrides` applies to the config; and the options of
the commands that read GitHub organizations (`audit`, `inventory`): what to read, access,
pace and cache."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from repo_harden.core.errors import UsageError
from repo_harden.engine.overrides import Overrides

FAIL_ON_CHOICES = ("error", "warning", "note", "never")
DEFAULT_CONFIG_HELP = (
    "config file (default: .repo-harden.toml, or [tool.repo-harden] in pyproject.toml)"
)


def jobs_value(text: str) -> int:
    """`--jobs`: a number of processes, or `auto` (0 here: the command decides, by the
    cores it may use, `usable_cores`)."""
    if text == "auto":
        return 0
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or auto, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"at least 1, not {value}")
    return value


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, where the system has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def csv_codes(value: str) -> list[str]:
    """The codes of `PIN,DL003`; an empty part is kept, for `Overrides` to refuse: `--select ""`
    (an unset variable in CI) must not quietly mean every rule."""
    return [part.strip().upper() for part in value.split(",")]


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
    if path is None or path.is_file():
        return
    if path.is_dir():
        raise UsageError(f"{path}: a folder, not a {what} (name the file in it)")
    raise UsageError(f"{path}: no such {what}")


MAX_CONCURRENCY = 100


def add_target_options(parser: argparse.ArgumentParser, verb: str) -> None:
    """`--org`, `--user`, `--repo`, `--include-archived`, `--include-forks`, `--shard`."""
    what = parser.add_argument_group(f"what to {verb}")
    what.add_argument(
        "--org", action="append", default=[], metavar="ORG", help="an organization (repeatable)"
    )
    what.add_argument(
        "--user", action="append", default=[], metavar="USER", help="a user's own repositories"
    )
    what.add_argument(
        "--repo", action="append", default=[], metavar="OWNER/NAME", help="one repository"
    )
    what.add_argument("--include-archived", action="store_true", help=f"{verb} archived ones too")
    what.add_argument("--include-forks", action="store_true", help=f"{verb} forks too")
    what.add_argument(
        "--shard",
        metavar="K/N",
        help=f"{verb} only the K-th of N deterministic shares (CI matrix jobs)",
    )


def add_access_options(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """`--app-id`, `--app-key`, `--installation-id`, `--api-url`; the group, for more."""
    access = parser.add_argument_group(
        "access", "a token in GITHUB_TOKEN or GH_TOKEN, or a GitHub App installation"
    )
    access.add_argument(
        "--app-id",
        metavar="ID",
        help="a GitHub App's ID (its settings page), to read as the app instead of a token",
    )
    access.add_argument("--app-key", metavar="FILE", help="the app's private key (PEM)")
    access.add_argument(
        "--installation-id",
        type=int,
        metavar="ID",
        help="the app's installation on the organization or user (the number that ends "
        "the installation's settings URL)",
    )
    access.add_argument(
        "--api-url",
        metavar="URL",
        help="default https://api.github.com; GitHub Enterprise Server: https://HOST/api/v3",
    )
    return access


def add_pace_options(parser: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """`--concurrency`, `--max-wait`, `--cache-dir`, `--no-cache`; the group, for more."""
    pace = parser.add_argument_group("pace and cache")
    pace.add_argument(
        "--concurrency",
        type=int,
        default=16,
        metavar="N",
        help=f"requests in flight at once (default 16, at most {MAX_CONCURRENCY})",
    )
    pace.add_argument(
        "--max-wait",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="longest time to wait, in all, for rate limits to reset (default 3600: one "
        "reset of GitHub's hourly budget; past it, repositories fail and a re-run resumes)",
    )
    pace.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help="where trees, blobs, ETags and results are kept (default "
        "$XDG_CACHE_HOME/repo-harden, or ~/.cache/repo-harden without XDG_CACHE_HOME)",
    )
    pace.add_argument("--no-cache", action="store_true", help="keep nothing between runs")
    return pace


def check_concurrency(value: int) -> None:
    if not 1 <= value <= MAX_CONCURRENCY:
        raise UsageError(f"--concurrency: between 1 and {MAX_CONCURRENCY}")
