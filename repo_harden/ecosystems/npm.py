"""npm: `package.json` locked by `package-lock.json` (or `npm-shrinkwrap.json`), judged as
`npm ci` judges it: every declared dependency must be locked, at the place Node would find
it, with a version that satisfies the declared range; a non-semver spec (git, file, tag)
must be the one the lockfile's entry for the package records.

The lockfile is read with the standard JSON parser: a 5 MB lockfile in tens of milliseconds.
"""

from __future__ import annotations

from collections.abc import Mapping

from repo_harden.core.model import Position
from repo_harden.core.parsed import ParsedFiles
from repo_harden.ecosystems import package_json
from repo_harden.ecosystems.ecosystem import Drift, Ecosystem, LockedPackage, Pair, named_hint
from repo_harden.ecosystems.node_semver import parse_version, satisfies
from repo_harden.ecosystems.package_json import (
    ALL_FIELDS,
    DEPENDENCY_FIELDS,
    PACKAGE_JSON,
    PackageJson,
)
from repo_harden.ecosystems.tree import Tree
from repo_harden.readers.documents import (
    JSON,
    DocumentError,
    JsonDocument,
    json_member_keys,
    string,
    string_map,
    table,
)

LOCKFILES = ("package-lock.json", "npm-shrinkwrap.json")


def drift(parsed: ParsedFiles, tree: Tree, pair: Pair) -> list[Drift]:
    manifest = parsed.read(PACKAGE_JSON, pair.manifest)
    lock = parsed.read(JSON, pair.lockfile)
    if manifest is None or lock is None:
        return []
    location = "" if pair.member == "." else pair.member
    found = parsed.memo(
        f"npm-drift:{pair.manifest}",
        pair.lockfile,
        lambda: package_lock_drift(manifest, lock, location),
    )
    return found or []


def package_lock_drift(manifest: PackageJson, lock: JsonDocument, location: str) -> list[Drift]:
    """How `npm ci` would find the lockfile wrong for the package at `location` ("" for the
    root, else the workspace folder relative to the lockfile)."""
    root = lock.root
    if not isinstance(root, dict):
        raise DocumentError("not an npm lockfile: the top level is not an object", Position(1, 1))
    packages = table(root, "packages")
    if not packages:
        return _v1_drift(manifest, table(root, "dependencies")) if location == "" else []
    recorded = table(packages, location)
    drift: list[Drift] = []
    for field_name in ALL_FIELDS:
        for name, spec in manifest.fields.get(field_name, {}).items():
            found = _npm_dependency_drift(
                packages, recorded, location, field_name=field_name, name=name, spec=spec
            )
            if found:
                drift.append(Drift(name, found, manifest.locate(field_name, name)))
    return drift


def _npm_dependency_drift(
    packages: Mapping[str, object],
    recorded: Mapping[str, object],
    location: str,
    *,
    field_name: str,
    name: str,
    spec: str,
) -> str | None:
    node = _resolve(packages, location, name)
    if node is None:
        if field_name == "peerDependencies":
            return None  # peers may be left to the consumer (legacy-peer-deps)
        return f"`{name}` ({field_name}) is not in package-lock.json"
    real_name, wanted = _alias(spec)
    version = string(node.get("version"))
    matched = npm_accepts(version, wanted)
    if real_name is not None and string(node.get("name")) not in (None, real_name):
        matched = False
    if matched is None:
        was = string_map(recorded.get(field_name)).get(name)
        if was is None or was == spec:
            return None
        return f"`{name}` is `{spec}` in package.json but `{was}` in package-lock.json"
    if matched:
        return None
    return f"`{name}` is `{spec}` in package.json, but package-lock.json locks {version}"


def npm_accepts(version: str | None, wanted: str) -> bool | None:
    """Whether `npm ci` takes the locked version for the range (Arborist's `depValid`):
    `*` and an empty range take any version, a prerelease too, where node-semver would
    not; None when the spec is no range (a tag, git, file or URL spec) or the version is
    not semver."""
    if wanted.strip() in ("", "*"):
        return True
    return satisfies(version, wanted) if version is not None else None


def _resolve(
    packages: Mapping[str, object], location: str, name: str
) -> Mapping[str, object] | None:
    """The lockfile entry Node's resolution would load `name` from, from `location` up."""
    folder = location
    while True:
        key = f"{folder}/node_modules/{name}" if folder else f"node_modules/{name}"
        entry = packages.get(key)
        if isinstance(entry, dict):
            if entry.get("link") is True and isinstance(entry.get("resolved"), str):
                target = packages.get(entry["resolved"])
                return target if isinstance(target, dict) else entry
            return entry
        if not folder:
            return None
        folder = folder.rpartition("/")[0]


def _alias(spec: str) -> tuple[str | None, str]:
    """`npm:real@range` names another package; anything else is (None, spec)."""
    if spec.startswith("npm:"):
        target = spec[4:]
        at = target.rfind("@")
        if at > 0:
            return target[:at], target[at + 1 :]
        return target, "*"
    return None, spec


def _v1_drift(manifest: PackageJson, locked: Mapping[str, object]) -> list[Drift]:
    drift = []
    for field_name in DEPENDENCY_FIELDS:
        for name, spec in manifest.fields.get(field_name, {}).items():
            entry = table(locked, name)
            if not entry:
                problem = f"`{name}` ({field_name}) is not in package-lock.json"
            else:
                version = string(entry.get("version")) or ""
                if npm_accepts(version, _alias(spec)[1]) is not False:
                    continue
                problem = (
                    f"`{name}` is `{spec}` in package.json, but package-lock.json locks {version}"
                )
            drift.append(Drift(name, problem, manifest.locate(field_name, name)))
    return drift


def locked_packages(parsed: ParsedFiles, path: str) -> list[LockedPackage]:
    document = parsed.read(JSON, path)
    if document is None:
        return []
    found = parsed.memo("locked-packages", path, lambda: package_lock_packages(document))
    return found or []


def package_lock_packages(document: JsonDocument) -> list[LockedPackage]:
    """The registry releases a `package-lock.json` installs: each `node_modules/...` entry
    of `packages` (lockfile v2, v3), or of the nested `dependencies` (v1). Links, git,
    file and tarball URL entries are no registry release and are left out."""
    root = document.root
    if not isinstance(root, dict):
        raise DocumentError("not an npm lockfile: the top level is not an object", Position(1, 1))
    packages = table(root, "packages")
    if not packages:
        where = json_member_keys(document.text, "dependencies")
        return list(_v1_packages(table(root, "dependencies"), where))
    where = json_member_keys(document.text, "packages")
    found = []
    for key, entry in packages.items():
        name = _installed_name(key, table(entry))
        version = string(table(entry).get("version"))
        if name is not None and version is not None and _from_registry(table(entry), version):
            found.append(LockedPackage(name, version, where.get(key)))
    return found


def _installed_name(key: str, entry: Mapping[str, object]) -> str | None:
    """The package a `packages` key installs (`node_modules/a/node_modules/@s/b` is `@s/b`,
    an alias's real name from its `name`); None for the root and workspace folders."""
    _folder, marker, name = key.rpartition("node_modules/")
    if not marker or not name or entry.get("link") is True:
        return None
    return string(entry.get("name")) or name


def _from_registry(entry: Mapping[str, object], version: str) -> bool:
    resolved = string(entry.get("resolved"))
    if resolved is not None and not resolved.startswith(("https://", "http://")):
        return False  # git+ssh:, file:
    if resolved is not None and "/-/" not in resolved:
        return False  # a tarball URL or a git host's archive, not a registry's
    return parse_version(version) is not None


def _v1_packages(
    dependencies: Mapping[str, object], where: Mapping[str, Position]
) -> list[LockedPackage]:
    """v1's nested `dependencies`; `where` locates the top level's (nested ones: no line)."""
    found = []
    for name, value in dependencies.items():
        entry = table(value)
        version = string(entry.get("version"))
        if version is not None and _from_registry(entry, version):
            found.append(LockedPackage(name, version, where.get(name)))
        found += _v1_packages(table(entry, "dependencies"), {})
    return found


ECOSYSTEM = Ecosystem(
    name="npm",
    manifests=("package.json",),
    lockfiles=LOCKFILES,
    lock_command="npm install",
    declares=package_json.declares,
    covers=package_json.covered_by(LOCKFILES),
    chosen=package_json.chosen_by("npm"),
    hint=named_hint("package-lock.json"),
    drift=drift,
    fix_command="run `npm install`",
    workspace_members=package_json.workspace_members,
    locked_packages=locked_packages,
    purl_type="npm",
)
