"""`Cargo.toml` and `Cargo.lock`: a direct dependency must be locked at a version its
requirement allows, as `cargo build --locked` demands.

Cargo's requirement syntax is node-semver's with two differences, bridged here: a
bare version means `^version`, and comparators are separated by commas.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from repo_harden.core.model import Position
from repo_harden.core.parsed import ParsedFiles, Reading
from repo_harden.core.record import record
from repo_harden.ecosystems.ecosystem import Declaration, Drift, Ecosystem, Pair
from repo_harden.ecosystems.node_semver import satisfies
from repo_harden.ecosystems.toml_locks import locked_reader
from repo_harden.ecosystems.tree import Tree, ancestors, folder_of, join, relative, workspace_member
from repo_harden.readers.documents import TOML, TomlDocument, string, strings, table

LOCKFILES = ("Cargo.lock",)
_KINDS = ("dependencies", "dev-dependencies", "build-dependencies")


@record
class CargoDependency:
    key: str  # as written in the table
    package: str  # the crate's real name (`package = ...` renames)
    requirement: str | None
    at: Position | None


@record
class CargoManifest:
    path: str
    document: TomlDocument

    @property
    def package_name(self) -> str | None:
        return string(table(self.document.root, "package").get("name"))

    @property
    def workspace(self) -> Mapping[str, object] | None:
        root = self.document.root
        return table(root, "workspace") if "workspace" in root else None

    def dependencies(self, workspace_root: CargoManifest | None) -> Iterator[CargoDependency]:
        """Every direct dependency, target-specific ones included."""
        inherited = table(workspace_root.workspace if workspace_root else {}, "dependencies")
        for key_path, entries in self._tables():
            for key, value in entries.items():
                spec: object = value
                if table(value).get("workspace") is True:
                    base = inherited.get(key)
                    spec = {"version": base} if isinstance(base, str) else table(base)
                package = string(table(spec).get("package")) or key
                requirement = string(spec) or string(table(spec).get("version"))
                at = self.document.locate((*key_path, key))
                yield CargoDependency(key, package, requirement, at)

    def _tables(self) -> Iterator[tuple[tuple[str, ...], Mapping[str, object]]]:
        root = self.document.root
        if "package" not in root:
            return
        for kind in _KINDS:
            yield (kind,), table(root, kind)
        for target, values in table(root, "target").items():
            for kind in _KINDS:
                yield ("target", target, kind), table(values, kind)

    @property
    def declares_dependencies(self) -> bool:
        return any(entries for _, entries in self._tables()) or bool(
            table(self.workspace or {}, "dependencies")
        )


@record
class CargoLock:
    """What `cargo build --locked` compares: the locked versions of each crate, and for each
    crate of the workspace (an entry with no `source`), the crates it depends on."""

    versions: Mapping[str, list[str]]
    local_dependencies: Mapping[str, frozenset[str]]


def read_cargo_lock(document: TomlDocument) -> CargoLock:
    versions: dict[str, list[str]] = {}
    local: dict[str, frozenset[str]] = {}
    packages = document.root.get("package")
    for entry in packages if isinstance(packages, list) else ():
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        name = entry["name"]
        versions.setdefault(name, []).append(str(entry.get("version", "")))
        if "source" not in entry:
            # Each is "name", "name version" or "name version (source)".
            listed = entry.get("dependencies") or ()
            local[name] = frozenset(str(d).split(" ", 1)[0] for d in listed)
    return CargoLock(versions, local)


def cargo_lock_drift(
    manifest: CargoManifest, workspace_root: CargoManifest | None, lock: CargoLock
) -> list[Drift]:
    drift = []
    name = manifest.package_name
    if name is not None and name not in lock.versions:
        at = manifest.document.locate(("package", "name"))
        drift.append(Drift(name, f"the package `{name}` itself is not in Cargo.lock", at))
    own = lock.local_dependencies.get(name) if name is not None else None
    for dependency in manifest.dependencies(workspace_root):
        problem = _dependency_drift(dependency, lock.versions.get(dependency.package), own, name)
        if problem is not None:
            drift.append(Drift(dependency.key, problem, dependency.at))
    return drift


def _dependency_drift(
    dependency: CargoDependency,
    versions: list[str] | None,
    own: frozenset[str] | None,
    package: str | None,
) -> str | None:
    if not versions:
        return f"`{dependency.key}` is not in Cargo.lock"
    if dependency.requirement and not any(
        cargo_requirement_allows(dependency.requirement, v) is not False for v in versions
    ):
        return (
            f"`{dependency.key}` requires `{dependency.requirement}`, "
            f"but Cargo.lock locks {', '.join(versions)}"
        )
    if own is not None and dependency.package not in own:
        return (
            f"`{dependency.key}` is locked for other crates, but Cargo.lock does not list it "
            f"among `{package}`'s dependencies"
        )
    return None


def cargo_requirement_allows(requirement: str, version: str) -> bool | None:
    parts = [part.strip() for part in requirement.split(",")]
    comparators = [f"^{part}" if part[:1].isdigit() else part for part in parts]
    return satisfies(version, " ".join(comparators))


def _cargo_toml_of(parsed: ParsedFiles, path: str) -> CargoManifest | None:
    document = parsed.read(TOML, path)
    return CargoManifest(path, document) if document is not None else None


CARGO_TOML = Reading("Cargo.toml", _cargo_toml_of)


def workspace_root(parsed: ParsedFiles, tree: Tree, path: str) -> str | None:
    """The Cargo.toml of the workspace a package belongs to (itself for a root), as
    Cargo finds it: the nearest ancestor with `[workspace]` that does not exclude it."""
    manifest = parsed.read(CARGO_TOML, path)
    if manifest is not None and manifest.workspace is not None:
        return path
    folder = folder_of(path)
    for root in ancestors(folder):
        candidate = join(root, "Cargo.toml")
        if not tree.has(candidate):
            continue
        found = parsed.read(CARGO_TOML, candidate)
        workspace = found.workspace if found else None
        if workspace is not None:
            member = relative(folder, root) or ""
            return (
                None if workspace_member(strings(workspace.get("exclude")), member) else candidate
            )
    return None


def declares(parsed: ParsedFiles, tree: Tree, path: str) -> Declaration | None:
    manifest = parsed.read(CARGO_TOML, path)
    if manifest is None or not manifest.declares_dependencies:
        return None
    document = manifest.document
    return Declaration(document.locate(("dependencies",)) or document.locate(("package",)))


def covers(parsed: ParsedFiles, tree: Tree, path: str) -> bool:
    root = workspace_root(parsed, tree, path)
    lock = join(folder_of(root or path), "Cargo.lock")
    return tree.has(lock) or tree.has(join(folder_of(path), "Cargo.lock"))


def hint(parsed: ParsedFiles, tree: Tree, path: str) -> str:
    root = workspace_root(parsed, tree, path)
    where = f" at the workspace root ({root})" if root and root != path else ""
    return f"`Cargo.lock`{where}"


def drift(parsed: ParsedFiles, tree: Tree, pair: Pair) -> list[Drift]:
    manifest = parsed.read(CARGO_TOML, pair.manifest)
    document = parsed.read(TOML, pair.lockfile)  # parsed once for every member; bad TOML is RH000
    if manifest is None or document is None:
        return []
    root_path = workspace_root(parsed, tree, pair.manifest)
    root = parsed.read(CARGO_TOML, root_path) if root_path else None
    lock = parsed.memo("Cargo.lock", pair.lockfile, lambda: read_cargo_lock(document))
    return cargo_lock_drift(manifest, root, lock) if lock is not None else []


def workspace_members(parsed: ParsedFiles, tree: Tree, lockfile: str) -> list[str]:
    root = folder_of(lockfile)
    root_manifest = join(root, "Cargo.toml")
    found = parsed.read(CARGO_TOML, root_manifest) if tree.has(root_manifest) else None
    if found is None or found.workspace is None:
        return []
    return [
        path
        for path in tree.paths
        if path.endswith("Cargo.toml")
        and path != root_manifest
        and path.rpartition("/")[2] == "Cargo.toml"
        and relative(folder_of(path), root) is not None
        and workspace_root(parsed, tree, path) == root_manifest
    ]


def from_registry(entry: Mapping[str, object]) -> bool:
    """A crate of a registry (crates.io's index, or another); not a path or git crate."""
    source = string(entry.get("source")) or ""
    return source.startswith(("registry+", "sparse+"))


ECOSYSTEM = Ecosystem(
    name="cargo",
    manifests=("Cargo.toml",),
    lockfiles=LOCKFILES,
    lock_command="cargo generate-lockfile",
    declares=declares,
    covers=covers,
    hint=hint,
    drift=drift,
    fix_command="run `cargo update --workspace`",
    workspace_members=workspace_members,
    locked_packages=locked_reader("package", from_registry, normal=str),
    purl_type="cargo",
)
