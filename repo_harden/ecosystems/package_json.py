"""`package.json`, read once per run, and what npm, yarn, pnpm and bun share about it:
whether it declares dependencies, which manager it asks for (`packageManager`), and the
workspaces (`workspaces`, or pnpm-workspace.yaml's `packages`) a root lockfile covers."""

from __future__ import annotations

from collections.abc import Mapping

from repo_harden.core.model import Position
from repo_harden.core.parsed import ParsedFiles, Reading
from repo_harden.core.record import record
from repo_harden.ecosystems.ecosystem import Declaration, ManifestQuestion
from repo_harden.ecosystems.tree import Tree, ancestors, folder_of, join, relative, workspace_member
from repo_harden.readers.documents import (
    JSON,
    DocumentError,
    JsonDocument,
    string,
    string_map,
    strings,
    table,
)
from repo_harden.readers.yaml import YAML, fields, scalar, sequence_items

MANAGERS = ("npm", "yarn", "pnpm", "bun")


DEPENDENCY_FIELDS = ("dependencies", "devDependencies", "optionalDependencies")
ALL_FIELDS = (*DEPENDENCY_FIELDS, "peerDependencies")


@record
class PackageJson:
    path: str
    name: str | None
    fields: Mapping[str, Mapping[str, str]]
    workspaces: tuple[str, ...]
    package_manager: str | None
    document: JsonDocument
    resolutions: Mapping[str, str]  # yarn's; pnpm reads them too
    pnpm_overrides: Mapping[str, str]

    def declared(self, *names: str) -> dict[str, str]:
        """The dependencies of the given fields, later fields winning, as npm merges them."""
        merged: dict[str, str] = {}
        for field_name in names:
            merged.update(self.fields.get(field_name, {}))
        return merged

    @property
    def declares_dependencies(self) -> bool:
        return any(self.fields.get(name) for name in DEPENDENCY_FIELDS)

    def locate(self, field_name: str, name: str | None = None) -> Position | None:
        keys = (field_name, name) if name else (field_name,)
        return self.document.locate(*keys)

    def locate_dependency(self, name: str) -> Position | None:
        for field_name in ALL_FIELDS:
            if name in self.fields.get(field_name, {}):
                return self.locate(field_name, name)
        return None


def read_package_json(path: str, document: JsonDocument) -> PackageJson:
    root = document.root
    if not isinstance(root, dict):
        raise DocumentError("not a package.json: the top level is not an object", Position(1, 1))
    workspaces = root.get("workspaces")
    patterns = strings(workspaces) or strings(table(workspaces).get("packages"))
    return PackageJson(
        path=path,
        name=string(root.get("name")),
        fields={name: string_map(root.get(name)) for name in ALL_FIELDS},
        workspaces=patterns,
        package_manager=string(root.get("packageManager")),
        document=document,
        resolutions=string_map(root.get("resolutions")),
        pnpm_overrides=string_map(table(root, "pnpm", "overrides")),
    )


def _package_json_of(parsed: ParsedFiles, path: str) -> PackageJson | None:
    document = parsed.read(JSON, path)
    return read_package_json(path, document) if document is not None else None


PACKAGE_JSON = Reading("package.json", _package_json_of)
"""A package.json, read into a `PackageJson` (RH000 when it is not an object)."""


def declares(parsed: ParsedFiles, tree: Tree, path: str) -> Declaration | None:
    manifest = parsed.read(PACKAGE_JSON, path)
    if manifest is None or not manifest.declares_dependencies:
        return None
    at = next(
        (manifest.locate(f) for f in DEPENDENCY_FIELDS if manifest.fields.get(f)),
        None,
    )
    return Declaration(at)


def manager_of(parsed: ParsedFiles, path: str) -> str:
    """The manager `packageManager` names (`pnpm@9.1.0`), npm when it names none we know."""
    manifest = parsed.read(PACKAGE_JSON, path)
    manager = ((manifest.package_manager if manifest else None) or "npm@").split("@", 1)[0]
    return manager if manager in MANAGERS else "npm"


def chosen_by(name: str) -> ManifestQuestion:
    def chosen(parsed: ParsedFiles, tree: Tree, path: str) -> bool:
        return manager_of(parsed, path) == name

    return chosen


def covered_by(lockfiles: tuple[str, ...]) -> ManifestQuestion:
    """`covers` for a JavaScript manager: its lockfile beside the manifest, or at the root of
    a workspace the manifest's folder is a member of."""

    def covers(parsed: ParsedFiles, tree: Tree, path: str) -> bool:
        folder = folder_of(path)
        if tree.first_present(folder, lockfiles):
            return True
        for root in ancestors(folder):
            if not tree.first_present(root, lockfiles):
                continue
            patterns = workspace_patterns(parsed, tree, root)
            if patterns and workspace_member(patterns, relative(folder, root) or ""):
                return True
        return False

    return covers


def workspace_patterns(parsed: ParsedFiles, tree: Tree, root: str) -> tuple[str, ...]:
    """The workspace globs declared at `root`: package.json `workspaces` (npm, yarn,
    bun) and `pnpm-workspace.yaml` `packages`."""
    patterns: tuple[str, ...] = ()
    manifest_path = join(root, "package.json")
    if tree.has(manifest_path):
        manifest = parsed.read(PACKAGE_JSON, manifest_path)
        patterns += manifest.workspaces if manifest else ()
    pnpm_path = join(root, "pnpm-workspace.yaml")
    if tree.has(pnpm_path):
        node = parsed.read(YAML, pnpm_path)
        listed = sequence_items(fields(node).get("packages"))
        patterns += tuple(s.value for s in map(scalar, listed) if s is not None)
    return patterns


def workspace_members(parsed: ParsedFiles, tree: Tree, lockfile: str) -> list[str]:
    """The members' package.json files a root lockfile also locks (not the root's own),
    found once per run (each member's pair asks)."""
    root = folder_of(lockfile)

    def members() -> list[str]:
        patterns = workspace_patterns(parsed, tree, root)
        return tree.manifests_matching(root, "package.json", patterns, ())

    return parsed.memo("package.json members", lockfile, members) or []


def member_names(parsed: ParsedFiles, tree: Tree, lockfile: str) -> frozenset[str]:
    """The package names of a workspace's members (yarn classic does not lock them), worked
    out once per run: each member's pair asks."""
    names = parsed.memo("member names", lockfile, lambda: _member_names(parsed, tree, lockfile))
    return names or frozenset()


def _member_names(parsed: ParsedFiles, tree: Tree, lockfile: str) -> frozenset[str]:
    names = set()
    for member in workspace_members(parsed, tree, lockfile):
        found = parsed.read(PACKAGE_JSON, member)
        if found is not None and found.name:
            names.add(found.name)
    return frozenset(names)
