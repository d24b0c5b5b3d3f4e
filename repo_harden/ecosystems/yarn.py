"""yarn: `package.json` locked by `yarn.lock`, classic (v1) or berry (2 and later), judged as
each judges it before a frozen install.

- classic (`yarn install --frozen-lockfile`): every `name@range` must be a lockfile entry;
  changed `resolutions` are accepted, as yarn 1 accepts them.
- berry (`yarn install --immutable`): the workspace's entry lists exactly its
  dependencies, and a root resolution of a locked package has an entry of its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.parsed import ParsedFiles
from repo_harden.core.record import record
from repo_harden.ecosystems import package_json
from repo_harden.ecosystems.ecosystem import Drift, Ecosystem, LockedPackage, Pair, named_hint
from repo_harden.ecosystems.node_semver import parse_version
from repo_harden.ecosystems.package_json import DEPENDENCY_FIELDS, PACKAGE_JSON, PackageJson
from repo_harden.ecosystems.tree import Tree
from repo_harden.readers.documents import position_at
from repo_harden.readers.yaml import Node, fields, mapping_items, scalar
from repo_harden.readers.yaml_sections import compose_block

LOCKFILES = ("yarn.lock",)


def drift(parsed: ParsedFiles, tree: Tree, pair: Pair) -> list[Drift]:
    manifest, text = parsed.read(PACKAGE_JSON, pair.manifest), parsed.text(pair.lockfile)
    if manifest is None or text is None:
        return []
    lock = parsed.memo("yarn.lock", pair.lockfile, lambda: read_yarn_lock(text))
    if lock is None:
        return []
    if lock.berry:
        found = parsed.memo(
            f"yarn-drift:{pair.manifest}",
            pair.lockfile,
            lambda: yarn_berry_drift(manifest, lock, pair.member),
        )
        return found or []
    siblings = package_json.member_names(parsed, tree, pair.lockfile)
    return yarn_classic_drift(manifest, lock, siblings)


_YARN_KEY_LINE = lazy_compile(r"^(?![#\s])(.+?):\s*$", re.MULTILINE)
_PROTOCOL = lazy_compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


@record
class YarnLock:
    """A yarn.lock: classic (v1) or berry, by the keys of its entries."""

    text: str
    berry: bool
    descriptors: frozenset[str]

    def workspace_entry(self, workspace: str) -> Node | None:
        """Berry's entry for a workspace (`name@workspace:packages/a`), composed alone."""
        suffix = f"@workspace:{workspace}"
        for match in _YARN_KEY_LINE.finditer(self.text):
            keys = _yarn_keys(match.group(1))
            if any(key.endswith(suffix) for key in keys):
                end = _YARN_KEY_LINE.search(self.text, match.end())
                block = self.text[match.start() : end.start() if end else len(self.text)]
                return compose_block(block, self.text, match.start())
        return None


def read_yarn_lock(text: str) -> YarnLock:
    berry = re.search(r"^__metadata:", text, re.MULTILINE) is not None
    descriptors = frozenset(
        key for match in _YARN_KEY_LINE.finditer(text) for key in _yarn_keys(match.group(1))
    )
    return YarnLock(text, berry, descriptors)


def _yarn_keys(line: str) -> list[str]:
    return [part.strip().strip('"') for part in line.split(", ")]


def yarn_classic_drift(
    manifest: PackageJson, lock: YarnLock, siblings: frozenset[str]
) -> list[Drift]:
    """`yarn install --frozen-lockfile` fails when a `name@range` has no entry."""
    drift = []
    for field_name in DEPENDENCY_FIELDS:
        for name, spec in manifest.fields.get(field_name, {}).items():
            if name in siblings or spec.startswith(("link:", "portal:", "workspace:")):
                continue
            if f"{name}@{spec}" not in lock.descriptors:
                problem = f"`{name}@{spec}` ({field_name}) has no entry in yarn.lock"
                drift.append(Drift(name, problem, manifest.locate(field_name, name)))
    return drift


def yarn_berry_drift(manifest: PackageJson, lock: YarnLock, workspace: str) -> list[Drift]:
    """`yarn install --immutable` fails when the workspace's entry lists other dependencies,
    or (at the root) when a resolution of a locked package has no entry of its own."""
    if workspace == ".":
        drift = _resolutions_drift(manifest, lock)
        if drift:
            return drift
    entry = lock.workspace_entry(workspace)
    if entry is None:
        name = manifest.name or workspace
        return [Drift(name, f"yarn.lock has no entry for the workspace `{workspace}`")]
    values = fields(entry)
    locked = {key.value: _text(value) for key, value in mapping_items(values.get("dependencies"))}
    locked_peers = {key.value for key, _ in mapping_items(values.get("peerDependencies"))}
    declared = manifest.declared(*DEPENDENCY_FIELDS)
    drift = []
    for name, spec in declared.items():
        drift += _berry_dependency(manifest, name, spec, locked)
    for name in locked.keys() - declared.keys():
        drift.append(Drift(name, f"`{name}` is in yarn.lock but no longer in package.json"))
    for name in manifest.fields.get("peerDependencies", {}).keys() - locked_peers:
        problem = f"the peer dependency `{name}` is not in yarn.lock"
        drift.append(Drift(name, problem, manifest.locate("peerDependencies", name)))
    return drift


def _resolutions_drift(manifest: PackageJson, lock: YarnLock) -> list[Drift]:
    """A resolution `name: range` makes every locked `name` the one entry `name@npm:range`.
    Resolutions under a parent (`a/b`), with a protocol other than `npm:`, or for a
    package that is not locked at all are left alone (yarn needs no entry for the last)."""
    drift = []
    for selector, value in manifest.resolutions.items():
        name = _resolved_package(selector)
        if name is None or (_PROTOCOL.match(value) and not value.startswith("npm:")):
            continue
        wanted = f"{name}@{value}" if value.startswith("npm:") else f"{name}@npm:{value}"
        locked = any(key.startswith(f"{name}@") for key in lock.descriptors)
        if locked and wanted not in lock.descriptors:
            problem = f"the resolution `{selector}: {value}` has no entry in yarn.lock"
            drift.append(Drift(selector, problem, manifest.locate("resolutions", selector)))
    return drift


def _resolved_package(selector: str) -> str | None:
    """The package a resolution names for the whole tree (`name`, `@scope/name`,
    `**/name`); None for one under a parent or for a version of it."""
    name = selector.removeprefix("**/")
    slashes = 1 if name.startswith("@") else 0
    return name if name.count("/") == slashes and "@" not in name[1:] else None


def _berry_dependency(
    manifest: PackageJson, name: str, spec: str, locked: Mapping[str, str]
) -> list[Drift]:
    at = manifest.locate_dependency(name)
    if name not in locked:
        return [Drift(name, f"`{name}` is not in yarn.lock", at)]
    was = locked[name]
    expected = spec if _PROTOCOL.match(spec) else f"npm:{spec}"
    comparable = not _PROTOCOL.match(spec) or spec.startswith(("npm:", "workspace:"))
    if comparable and was != expected:
        return [Drift(name, f"`{name}` is `{spec}` in package.json but `{was}` in yarn.lock", at)]
    return []


def _text(node: Node | None) -> str:
    found = scalar(node)
    return found.value if found else ""


_VERSION_LINE = lazy_compile(r"^  version:? \"?([^\"\s]+)\"?[ \t]*$", re.MULTILINE)
_RESOLUTION_LINE = lazy_compile(r"^  resolution: \"?([^\"\n]+?)\"?[ \t]*$", re.MULTILINE)


def locked_packages(parsed: ParsedFiles, path: str) -> list[LockedPackage]:
    text = parsed.text(path)
    if text is None:
        return []
    found = parsed.memo("locked-packages", path, lambda: yarn_lock_packages(text))
    return found or []


def yarn_lock_packages(text: str) -> list[LockedPackage]:
    """The registry releases of a yarn.lock, classic or berry, each at its entry's key;
    read by lines. Entries resolved elsewhere (berry's `workspace:`, `patch:`, git; classic
    descriptors naming a URL, git or a file) are left out."""
    berry = re.search(r"^__metadata:", text, re.MULTILINE) is not None
    starts = list(_YARN_KEY_LINE.finditer(text))
    found = []
    for index, match in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(text)
        block = text[match.end() : end]
        descriptor = _yarn_keys(match.group(1))[0]
        name = _descriptor_name(descriptor)
        version = _VERSION_LINE.search(block)
        if name is None or version is None or parse_version(version.group(1)) is None:
            continue
        if berry:
            resolution = _RESOLUTION_LINE.search(block)
            if resolution is None or "@npm:" not in resolution.group(1):
                continue
        elif _PROTOCOL.match(descriptor.removeprefix(f"{name}@")):
            continue  # `github:`, `https:`, `file:`...
        found.append(LockedPackage(name, version.group(1), position_at(text, match.start())))
    return found


def _descriptor_name(descriptor: str) -> str | None:
    """`@s/a` of `@s/a@^1.0.0`; None for berry's `__metadata`."""
    at = descriptor.find("@", 1)
    return descriptor[:at] if at > 0 else None


ECOSYSTEM = Ecosystem(
    name="yarn",
    manifests=("package.json",),
    lockfiles=LOCKFILES,
    lock_command="yarn install",
    declares=package_json.declares,
    covers=package_json.covered_by(LOCKFILES),
    chosen=package_json.chosen_by("yarn"),
    hint=named_hint("yarn.lock"),
    drift=drift,
    fix_command="run `yarn install`",
    workspace_members=package_json.workspace_members,
    locked_packages=locked_packages,
    purl_type="npm",
)
