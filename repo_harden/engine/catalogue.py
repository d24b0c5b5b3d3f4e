"""The catalogue: built-in checks, plugins from the `repo_harden.checks` entry-point group,
and the engine's own rules."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

from repo_harden.core.declare import Check
from repo_harden.core.errors import FatalError
from repo_harden.core.model import Rule
from repo_harden.core.record import record
from repo_harden.engine.engine_rules import ENGINE_RULES

PLUGIN_GROUP = "repo_harden.checks"


@record
class Catalogue:
    """The checks loaded for this run, their rules, and every code that exists (loaded or
    not: a hook loads only its own families, yet the config may name any rule)."""

    checks: Mapping[str, Check]
    rules: Mapping[str, Rule]
    codes: frozenset[str]


@cache
def catalogue(only: tuple[str, ...] = ()) -> Catalogue:
    """The catalogue; with `only` (code prefixes), just the rule modules that declare them."""
    from repo_harden.checks import CHECK_MODULES, checks_of, modules_for

    checks: dict[str, Check] = {}
    plugins = list(_plugin_checks())
    loaded = [check for module in modules_for(only) for check in checks_of(module)]
    for check in (*loaded, *plugins):
        if check.rule.code in checks:
            raise FatalError(f"two checks declare rule {check.rule.code}; a plugin reuses a code")
        checks[check.rule.code] = check
    rules = {rule.code: rule for rule in ENGINE_RULES}
    rules.update((code, check.rule) for code, check in checks.items())
    codes = {code for declared in CHECK_MODULES.values() for code in declared}
    codes.update(rules)
    ordered = dict(sorted(rules.items(), key=lambda item: _rule_order(item[0])))
    return Catalogue(checks, ordered, frozenset(codes))


def _rule_order(code: str) -> tuple[int, str]:
    families = ("RH", "PIN", "DL", "LCK", "OWN", "BP", "WF")
    prefix = code.rstrip("0123456789")
    return (families.index(prefix) if prefix in families else len(families), code)


def _plugin_checks() -> Iterable[Check]:
    """Checks that other packages register; each entry point is a Check or a sequence of them."""
    if not _any_distribution_declares(PLUGIN_GROUP):
        return
    from importlib.metadata import entry_points

    for entry_point in entry_points(group=PLUGIN_GROUP):
        try:
            loaded = entry_point.load()
        except Exception as error:
            raise FatalError(f"plugin {entry_point.value!r} failed to load: {error}") from None
        for check in loaded if isinstance(loaded, list | tuple) else (loaded,):
            if not isinstance(check, Check):
                raise FatalError(f"plugin {entry_point.value!r} is not a repo_harden Check")
            yield check


def _any_distribution_declares(group: str) -> bool:
    """A quick look at the installed `entry_points.txt` files: importing importlib.metadata
    costs more than a whole hook run, so it is done only when some package has plugins."""
    needle = f"[{group}]"
    for folder in map(Path, sys.path):
        try:
            listing = list(os.scandir(folder or "."))
        except OSError:
            continue
        for entry in listing:
            if entry.name.endswith((".dist-info", ".egg-info")):
                try:
                    text = (Path(entry.path) / "entry_points.txt").read_text(errors="replace")
                except OSError:
                    continue
                if needle in text:
                    return True
    return False
