"""Which lockfile goes with which manifest, from either side: a committed manifest finds
its lockfile (beside it or at its workspace root), a committed lockfile finds every
manifest it locks (its own and its workspace members').
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from repo_harden.core.parsed import ParsedFiles
from repo_harden.ecosystems.coverage import cargo_workspace_root, js_workspace_patterns
from repo_harden.ecosystems.manifests import cargo_manifest, pyproject
from repo_harden.ecosystems.tree import Tree, ancestors, folder_of, join, relative, workspace_member
from repo_harden.readers.file_kinds import JS_LOCKS, LOCK_MANIFESTS

_WORKSPACE_LOCKS = frozenset({*JS_LOCKS, "uv.lock", "Cargo.lock"})


@dataclass(frozen=True)
class Pair:
    """A manifest and the lockfile that locks it; `member` is the manifest's folder
    relative to the lockfile's ("." when they are side by side)."""

    manifest: str
    lockfile: str
    member: str

    @property
    def lock_name(self) -> str:
        return self.lockfile.rpartition("/")[2]


def pairs_for(parsed: ParsedFiles, tree: Tree, files: list[str]) -> list[Pair]:
    found: dict[tuple[str, str], Pair] = {}
    for path in _pair_sides(tree, files):
        name = path.rpartition("/")[2]
        pairs = (
            _from_lockfile(parsed, tree, path)
            if name in LOCK_MANIFESTS
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
    locks = [lock for lock, manifest in LOCK_MANIFESTS.items() if manifest == name]
    beside = [join(folder, lock) for lock in locks if tree.has(join(folder, lock))]
    for lock in beside:
        yield Pair(path, lock, ".")
    if beside or name not in ("package.json", "pyproject.toml", "Cargo.toml"):
        return
    for root in ancestors(folder):
        roots = [
            join(root, lock)
            for lock in locks
            if lock in _WORKSPACE_LOCKS and tree.has(join(root, lock))
        ]
        if roots and path in workspace_members(parsed, tree, roots[0]):
            for lock in roots:
                yield Pair(path, lock, relative(folder, root) or ".")
            return


def _from_lockfile(parsed: ParsedFiles, tree: Tree, path: str) -> Iterator[Pair]:
    folder = folder_of(path)
    manifest = join(folder, LOCK_MANIFESTS[path.rpartition("/")[2]])
    if tree.has(manifest):
        yield Pair(manifest, path, ".")
    for member in workspace_members(parsed, tree, path):
        yield Pair(member, path, relative(folder_of(member), folder) or ".")


def workspace_members(parsed: ParsedFiles, tree: Tree, lockfile: str) -> list[str]:
    """The workspace members' manifests a root lockfile also locks (not the root's own)."""
    name = lockfile.rpartition("/")[2]
    root = folder_of(lockfile)
    if name in JS_LOCKS:
        patterns = js_workspace_patterns(parsed, tree, root)
        return _matching(tree, root, "package.json", patterns, ())
    if name == "uv.lock":
        project = (
            pyproject(parsed, join(root, "pyproject.toml"))
            if tree.has(join(root, "pyproject.toml"))
            else None
        )
        workspace = project.uv_workspace() if project else None
        return _matching(tree, root, "pyproject.toml", *workspace) if workspace else []
    if name == "Cargo.lock":
        root_manifest = join(root, "Cargo.toml")
        found = cargo_manifest(parsed, root_manifest) if tree.has(root_manifest) else None
        if found is None or found.workspace is None:
            return []
        return [
            path
            for path in tree.paths
            if path.endswith("Cargo.toml")
            and path != root_manifest
            and path.rpartition("/")[2] == "Cargo.toml"
            and relative(folder_of(path), root) is not None
            and cargo_workspace_root(parsed, tree, path) == root_manifest
        ]
    return []


def _matching(
    tree: Tree, root: str, manifest: str, members: tuple[str, ...], exclude: tuple[str, ...]
) -> list[str]:
    found = []
    for path in tree.paths:
        if path.rpartition("/")[2] != manifest:
            continue
        member = relative(folder_of(path), root)
        if member in (None, ".") or "node_modules/" in path:
            continue
        if workspace_member(members, member) and not workspace_member(exclude, member):
            found.append(path)
    return found
