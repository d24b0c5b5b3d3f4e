"""LCK001's question, asked of the ecosystems: does a manifest declare dependencies, and if
so, does a lockfile of any ecosystem that locks it cover it (beside it, or at the root of the
workspace it belongs to)? When none does, what to run and which lockfile to expect."""

from __future__ import annotations

from collections.abc import Sequence

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.model import Position
from repo_harden.core.parsed import ParsedFiles
from repo_harden.core.record import record
from repo_harden.ecosystems.registry import for_manifest
from repo_harden.ecosystems.tree import Tree

_VENDORED = lazy_compile(r"(^|/)(node_modules|vendor|\.venv|venv)/")


@record
class MissingLockfile:
    """A manifest with dependencies and no lockfile: what would cover it, and how to make it."""

    lockfiles: str
    command: str
    at: Position | None


def missing_lockfile(parsed: ParsedFiles, tree: Tree, path: str) -> MissingLockfile | None:
    if _VENDORED.search(path):
        return None
    candidates = for_manifest(path.rpartition("/")[2])
    if not candidates:
        return None
    declared = candidates[0].declares(parsed, tree, path)
    if declared is None or any(e.covers(parsed, tree, path) for e in candidates):
        return None
    hints = [e.hint(parsed, tree, path) for e in candidates if e.hint is not None]
    chosen = next(
        (e for e in candidates if e.chosen is not None and e.chosen(parsed, tree, path)),
        candidates[0],
    )
    return MissingLockfile(_one_of(hints), chosen.lock_command, declared.at)


def _one_of(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"
