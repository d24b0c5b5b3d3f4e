"""Modules that execute, and patterns that compile, on first use, so that a hook pays
only for the parsers it runs.

Every rule family is registered at start-up (its codes, options and docs must be
known), but its parsers are heavy: imported eagerly they cost a one-file hook
more than its work. A module from `lazy_import` runs when one of its attributes
is first read. Write it so that mypy still sees the real module:

    if TYPE_CHECKING:
        from repo_harden.ecosystems import npm
    else:
        npm = lazy_import("repo_harden.ecosystems.npm")
"""

from __future__ import annotations

import importlib.util
import re
import sys
from types import ModuleType
from typing import Any, cast

_DEFERRED: list[ModuleType] = []


def lazy_import(name: str) -> ModuleType:
    """The module `name`; it executes when one of its attributes is first read."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    _DEFERRED.append(module)
    return module


def load_deferred() -> None:
    """Execute every module `lazy_import` has deferred, and those they defer in turn. Call
    it before starting threads: on Python 3.11, a lazy module's first use is not
    thread-safe."""
    done = 0
    while done < len(_DEFERRED):
        getattr(_DEFERRED[done], "__doc__", None)
        done += 1


# What a pattern is asked for: after the first use these are the compiled pattern's own,
# held in the lazy pattern's `__dict__`, so a use costs no more than on the pattern itself.
_PATTERN_ATTRIBUTES = (
    "search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split",
    "pattern", "flags", "groups", "groupindex",
)  # fmt: skip


class _LazyPattern:
    """A regular expression compiled when it is first used (see `lazy_compile`)."""

    def __init__(self, source: str, flags: int) -> None:
        self._source = source
        self._flags = flags
        self.pattern = source  # the compiled pattern's own, read without compiling it

    def __getattr__(self, name: str) -> Any:
        # Called only for what the instance does not hold yet: the first use, or an
        # attribute not in `_PATTERN_ATTRIBUTES`. Compiling twice (two threads at once)
        # is harmless: both results are the same pattern.
        compiled = self.__dict__.get("_compiled")
        if compiled is None:
            compiled = re.compile(self._source, self._flags)
            self.__dict__.update(
                {attribute: getattr(compiled, attribute) for attribute in _PATTERN_ATTRIBUTES}
            )
            self.__dict__["_compiled"] = compiled
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy_compile({self._source!r}, {self._flags!r})"


def lazy_compile(source: str, flags: int = 0) -> re.Pattern[str]:
    """`re.compile(source, flags)`, compiled when the pattern is first used. Compiling the
    rules' hundred-odd patterns at import was a tenth of a cold scan's start-up, and a
    scan of one repository uses fewer than two thirds of them. The result answers every
    method and attribute of `re.Pattern`, but is not one to `isinstance` or to the `re`
    functions (`re.sub(pattern, ...)`): call its methods."""
    return cast("re.Pattern[str]", _LazyPattern(source, flags))
