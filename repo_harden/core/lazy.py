"""Modules that execute on first use, so that a hook pays only for the parsers it runs.

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
import sys
from types import ModuleType

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
