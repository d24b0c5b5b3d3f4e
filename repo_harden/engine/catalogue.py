"""The catalogue: built-in checks, plugins from the `repo_harden.checks` entry-point group,
and the engine's own rules."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from repo_harden.core.declare import Check, Declared
from repo_harden.core.errors import FatalError
from repo_harden.core.model import Rule
from repo_harden.core.record import record
from repo_harden.engine.engine_rules import ENGINE_RULES

if TYPE_CHECKING:
    from repo_harden.core.globs import Token

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
    declared: Mapping[str, tuple[Declared, ...]]  # by module: the built-in modules of this run

    def runnable(self, paths: Sequence[str], *, whole: bool, settings: bool) -> frozenset[str]:
        """The codes of the rule modules that can find something in a run over `paths` (a
        `whole` scan of the checkout, or only these files), with live settings or not; a
        plugin's codes always. A module is imported for all of its checks or for none."""
        listing = _Listing(paths)
        built_in = {d.code for declared in self.declared.values() for d in declared}
        runs = {code for code in self.checks if code not in built_in}
        for declared in self.declared.values():
            if any(_can_find(d, listing, whole=whole, settings=settings) for d in declared):
                runs.update(d.code for d in declared)
        return frozenset(runs)


def _can_find(declared: Declared, listing: _Listing, *, whole: bool, settings: bool) -> bool:
    """`Declared.can_find`, looking at the paths only when the answer depends on them."""
    if declared.can_find(has_files=False, whole=whole, settings=settings):
        return True
    if not declared.can_find(has_files=True, whole=whole, settings=settings):
        return False
    return any(listing.may_match(pattern) for pattern in declared.patterns)


class _Listing:
    """Whether some path of a run may match a pattern: one that holds every text each of the
    pattern's matches holds (`package.json`, `dockerfile`, `.github/workflows/` and `.yml`).
    No automaton is built: a path that holds them and does not match costs only the import
    of a module that then finds nothing, while a path that matches always holds them."""

    def __init__(self, paths: Sequence[str]) -> None:
        self._lowered = [path.lower() for path in paths]
        self._all = "\n".join(self._lowered)  # a text no path holds is not in any
        self._answers: dict[str, bool] = {}

    def may_match(self, pattern: str) -> bool:
        if pattern not in self._answers:
            self._answers[pattern] = self._holds_texts_of(pattern)
        return self._answers[pattern]

    def _holds_texts_of(self, pattern: str) -> bool:
        from repo_harden.checks.declarations import TEXTS

        known = TEXTS.get(pattern)
        texts = known if known is not None else texts_in_every_match(pattern)
        if not all(text in self._all for text in texts):
            return False
        return any(all(text in path for text in texts) for path in self._lowered)


def texts_in_every_match(pattern: str) -> list[str]:
    """Texts, in lower case, that every path `pattern` matches holds: its runs of ASCII
    characters, a class of one letter in either case (`[Dd]`) standing for the letter. (A
    pattern that matches a folder matches the files below it, whose paths hold the folder's.)"""
    from repo_harden.core.globs import path_glob

    texts: list[str] = []
    run: list[str] = []
    for token in path_glob(pattern).tokens:
        letter = _one_ascii_letter(token)
        if letter is not None:
            run.append(letter)
        elif run:
            texts.append("".join(run))
            run = []
    if run:
        texts.append("".join(run))
    return texts


def _one_ascii_letter(token: Token) -> str | None:
    """The one ASCII character, in lower case, `token` stands for (ignoring case); None for a
    wildcard, a class of more than one letter, or a character lowering could change."""
    from repo_harden.core.globs import CLASS, LITERAL

    if token.kind == LITERAL:
        chars = {token.char}
    elif token.kind == CLASS and not token.negated:
        chars = {low for low, high in token.ranges if low == high}
        if len(chars) != len(token.ranges):
            return None  # a range, such as `a-z`
    else:
        return None
    lowered = {char.lower() for char in chars}
    if len(lowered) != 1 or not all(char.isascii() for char in chars):
        return None
    return lowered.pop()


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
    order = sorted(dict.fromkeys([*engine, *checks]), key=_rule_order)
    rules = _LazyRules(order, engine, checks)
    codes = {code for declared in CHECK_MODULES.values() for code in declared}
    codes.update(order)
    declared = {module: DECLARATIONS[module] for module in modules}
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
        if code in self._checks:  # a check's rule, over an engine rule of the same code
            return self._checks[code].rule
        return self._engine[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._order)

    def __contains__(self, code: object) -> bool:
        return code in self._engine or code in self._checks


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
