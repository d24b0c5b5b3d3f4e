"""The catalogue: built-in checks, plugins from the `repo_harden.checks` entry-point group,
and the engine's own rules."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from repo_harden.core.declare import Check, Declared
from repo_harden.core.errors import FatalError
from repo_harden.core.model import Rule
from repo_harden.core.record import record
from repo_harden.engine.engine_rules import ENGINE_RULES

if TYPE_CHECKING:
    from repo_harden.core.globs import PatternGroups

PLUGIN_GROUP = "repo_harden.checks"


@record
class Catalogue:
    """The checks of this run's families, their rules, and every code that exists (loaded or
    not: a hook loads only its own families, yet the config may name any rule).

    `checks` and `rules` import a rule module when one of its checks or rules is first asked
    for (iterating over them all imports every module; their keys import none): a scan
    imports only the modules that can find something in it (`runnable`), a SARIF report or
    `repo-harden rules`, which list every rule, all of them."""

    checks: Mapping[str, Check]
    rules: Mapping[str, Rule]
    codes: frozenset[str]
    declared: Mapping[str, Declared]  # the built-in checks' declarations, by code

    def runnable(self, paths: Iterable[str], *, whole: bool, settings: bool) -> frozenset[str]:
        """The codes of the rule modules that can find something in a run over `paths` (a
        `whole` scan of the checkout, or only these files), with live settings or not; a
        plugin's codes always. A module is imported for all of its checks or for none."""
        declared = list(self.declared.values())
        matched = _pattern_groups(tuple(d.patterns for d in declared)).select(paths)
        can = {
            d.code
            for d in declared
            if d.can_find(has_files=bool(matched[d.patterns]), whole=whole, settings=settings)
        }
        from repo_harden.checks import CHECK_MODULES

        runs = {
            code for codes in CHECK_MODULES.values() if can.intersection(codes) for code in codes
        }
        runs.update(code for code in self.checks if code not in self.declared)
        return frozenset(runs)


@cache
def catalogue(only: tuple[str, ...] = ()) -> Catalogue:
    """The catalogue; with `only` (code prefixes), just the rule modules that declare them."""
    from repo_harden.checks import CHECK_MODULES, modules_for
    from repo_harden.checks.declarations import DECLARATIONS

    modules = modules_for(only)
    module_of = {code: module for module in modules for code in CHECK_MODULES[module]}
    plugins: dict[str, Check] = {}
    for check in _plugin_checks():
        if check.rule.code in module_of or check.rule.code in plugins:
            raise FatalError(f"two checks declare rule {check.rule.code}; a plugin reuses a code")
        plugins[check.rule.code] = check
    checks = _LazyChecks(module_of, plugins)
    engine = {rule.code: rule for rule in ENGINE_RULES}
    order = sorted([*engine, *checks], key=_rule_order)
    rules = _LazyRules(order, engine, checks)
    codes = {code for declared in CHECK_MODULES.values() for code in declared}
    codes.update(order)
    declared = {d.code: d for module in modules for d in DECLARATIONS[module]}
    return Catalogue(checks, rules, frozenset(codes), declared)


class _LazyChecks(Mapping[str, Check]):
    """The checks by code, in the order their modules declare them (then plugins'); a rule
    module is imported when one of its codes is first looked up."""

    def __init__(self, module_of: Mapping[str, str], plugins: Mapping[str, Check]) -> None:
        self._module_of = module_of
        self._loaded: dict[str, Check] = dict(plugins)
        self._order = [*module_of, *plugins]

    def __getitem__(self, code: str) -> Check:
        if code not in self._loaded:
            module = self._module_of[code]  # KeyError: no such check in this run
            from repo_harden.checks import checks_of

            self._loaded.update((check.rule.code, check) for check in checks_of(module))
        return self._loaded[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._order)

    def __contains__(self, code: object) -> bool:
        return code in self._module_of or code in self._loaded


class _LazyRules(Mapping[str, Rule]):
    """The rules by code, in the catalogue's order; a check's rule imports its module."""

    def __init__(
        self, order: Sequence[str], engine: Mapping[str, Rule], checks: Mapping[str, Check]
    ) -> None:
        self._order = order
        self._engine = engine
        self._checks = checks

    def __getitem__(self, code: str) -> Rule:
        rule = self._engine.get(code)
        return rule if rule is not None else self._checks[code].rule

    def __iter__(self) -> Iterator[str]:
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._order)

    def __contains__(self, code: object) -> bool:
        return code in self._engine or code in self._checks


@lru_cache(maxsize=4)
def _pattern_groups(groups: tuple[tuple[str, ...], ...]) -> PatternGroups:
    from repo_harden.core.globs import PatternGroups

    return PatternGroups(groups)


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
