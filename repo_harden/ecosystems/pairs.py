"""Which lockfile goes with which manifest, from either side: a committed manifest finds
its lockfile (beside it or at its workspace root), a committed lockfile finds every
manifest it locks (its own and its workspace members').
"""

from __future__ import annotations

from collections.abc import Iterator

from repo_harden.core.parsed import ParsedFiles
from repo_harden.ecosystems.ecosystem import Pair
from repo_harden.ecosystems.registry import for_lockfile, judged_lockfiles
from repo_harden.ecosystems.tree import Tree, ancestors, folder_of, join, relative


def pairs_for(parsed: ParsedFiles, tree: Tree, files: list[str]) -> list[Pair]:
    locks = judged_lockfiles()
    found: dict[tuple[str, str], Pair] = {}
    for path in _pair_sides(tree, files):
        name = path.rpartition("/")[2]
        pairs = (
            _from_lockfile(parsed, tree, path)
            if name in locks
            else _from_manifest(parsed, tree, path)
        )
        for pair in pairs:
            found.setdefault((pair.manifest, pair.lockfile), pair)
    return list(found.values())


def _pair_sides(tree: Tree, files: list[str]) -> Iterator[str]:
    """The files, with pnpm-workspace.yaml standing for the lockfile beside it (its
    members, and pnpm 10's overrides, belong to that pair)."""
    for path in files:
        if path.rpartition("/")[2] != "pnpm-workspace.yaml":
            yield path
        elif tree.has(lock := join(folder_of(path), "pnpm-lock.yaml")):
            yield lock


def _from_manifest(parsed: ParsedFiles, tree: Tree, path: str) -> Iterator[Pair]:
    name = path.rpartition("/")[2]
    folder = folder_of(path)
    locks = [lock for lock, manifest in judged_lockfiles().items() if manifest == name]
    beside = [join(folder, lock) for lock in locks if tree.has(join(folder, lock))]
    for lock in beside:
        yield Pair(path, lock, ".")
    workspace_locks = [lock for lock in locks if _locks_workspaces(lock)]
    if beside or not workspace_locks:
        return
    for root in ancestors(folder):
        roots = [join(root, lock) for lock in workspace_locks if tree.has(join(root, lock))]
        if roots and path in _member_set(parsed, tree, roots[0]):
            for lock in roots:
                yield Pair(path, lock, relative(folder, root) or ".")
            return


def _from_lockfile(parsed: ParsedFiles, tree: Tree, path: str) -> Iterator[Pair]:
    folder = folder_of(path)
    manifest = join(folder, judged_lockfiles()[path.rpartition("/")[2]])
    if tree.has(manifest):
        yield Pair(manifest, path, ".")
    for member in workspace_members(parsed, tree, path):
        yield Pair(member, path, relative(folder_of(member), folder) or ".")


def workspace_members(parsed: ParsedFiles, tree: Tree, lockfile: str) -> list[str]:
    """The workspace members' manifests a root lockfile also locks (not the root's own),
    worked out once per run: every member's manifest asks the same question."""
    ecosystem = for_lockfile(lockfile.rpartition("/")[2])
    if ecosystem is None or ecosystem.workspace_members is None:
        return []
    members = ecosystem.workspace_members
    return parsed.memo("workspace-members", lockfile, lambda: members(parsed, tree, lockfile)) or []


def _member_set(parsed: ParsedFiles, tree: Tree, lockfile: str) -> frozenset[str]:
    found = parsed.memo(
        "workspace-member-set",
        lockfile,
        lambda: frozenset(workspace_members(parsed, tree, lockfile)),
    )
    return found or frozenset()


def _locks_workspaces(lockfile: str) -> bool:
    ecosystem = for_lockfile(lockfile)
    return ecosystem is not None and ecosystem.workspace_members is not None
