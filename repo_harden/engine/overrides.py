"""The one place where the command line meets the config file, for every front end.

`--select` replaces the config's `select`; `--ignore` and `--exclude` add to the config's;
`--fail-on` replaces its `fail-on`. Every selector is checked against the catalogue, so a
typo is a usage error, not a rule silently off.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from repo_harden.core.record import record, replace
from repo_harden.engine.config import (
    Config,
    check_globs,
    check_not_empty,
    check_selector,
    parse_fail_on,
)


@record
class Overrides:
    """What the command line says over the config file."""

    config_file: Path | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    fail_on: str | None = None

    def __post_init__(self) -> None:
        # Checked as they are made, so that no front end can let `--select ""` mean "all".
        check_not_empty(self.select, "--select")
        check_not_empty(self.ignore, "--ignore")
        check_not_empty(self.exclude, "--exclude", "glob")


def check_selectors(overrides: Overrides, codes: Collection[str]) -> None:
    """Every selector names a rule and every glob can match, each error naming its option."""
    known = frozenset(codes)
    for option, selectors in (("--select", overrides.select), ("--ignore", overrides.ignore)):
        for selector in selectors:
            check_selector(selector, known, option)
    check_globs(overrides.exclude, "--exclude")


def apply_overrides(config: Config, overrides: Overrides) -> Config:
    """The config as the command line amends it."""
    return replace(
        config,
        select=overrides.select or config.select,
        ignore=config.ignore + overrides.ignore,
        exclude=config.exclude + overrides.exclude,
        fail_on=(
            parse_fail_on(overrides.fail_on, "--fail-on")
            if overrides.fail_on is not None
            else config.fail_on
        ),
    )
