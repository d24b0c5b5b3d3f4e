"""`package.json` and the lockfiles of npm, yarn (classic and berry) and pnpm, judged the
way each tool judges them before a frozen install.

- npm (`npm ci`): every declared dependency must be locked, at the place Node would
  find it, with a version that satisfies the declared range; a non-semver spec (git,
  file, tag) must be the one the lockfile's entry for the package records.
- yarn classic (`--frozen-lockfile`): every `name@range` must be a lockfile entry.
- yarn berry (`--immutable`): the workspace's entry lists exactly its dependencies.
- pnpm (`--frozen-lockfile`): the importer's specifiers equal the manifest's.

Big lockfiles are read lazily: JSON with the standard parser, YAML lockfiles by
composing only the top-level sections or entries that are compared.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from repo_harden.core.model import Position
from repo_harden.ecosystems.node_semver import satisfies
from repo_harden.ecosystems.tree import Drift
from repo_harden.readers.documents import (
    DocumentError,
    JsonDocument,
    string,
    string_map,
    strings,
    table,
)
from repo_harden.readers.yaml import (
    Node,
    YamlError,
    compose,
    fields,
    mapping_items,
    position,
    scalar,
)

DEPENDENCY_FIELDS = ("dependencies", "devDependencies", "optionalDependencies")
ALL_FIELDS = (*DEPENDENCY_FIELDS, "peerDependencies")
JS_LOCKFILES = (
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "bun.lock",
    "bun.lockb",
)


@dataclass(frozen=True)
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


# npm ----------------------------------------------------------------------------------


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
    matched = satisfies(version, wanted) if version is not None else None
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
                if satisfies(version, _alias(spec)[1]) is not False:
                    continue
                problem = (
                    f"`{name}` is `{spec}` in package.json, but package-lock.json locks {version}"
                )
            drift.append(Drift(name, problem, manifest.locate(field_name, name)))
    return drift


# yarn ---------------------------------------------------------------------------------

_YARN_KEY_LINE = re.compile(r"^(?![#\s])(.+?):\s*$", re.MULTILINE)
_PROTOCOL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


@dataclass(frozen=True)
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
                return _compose_block(block, self.text, match.start())
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


# pnpm ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PnpmImporter:
    specifiers: Mapping[str, str]
    by_field: Mapping[str, frozenset[str]]


@dataclass(frozen=True)
class PnpmLock:
    importers: Mapping[str, PnpmImporter]
    auto_install_peers: bool
    exclude_links: bool
    overrides: Mapping[str, str]


def read_pnpm_lock(text: str) -> PnpmLock:
    """Only the top-level sections that matter are composed: `importers` (or, before
    lockfile v6 in a single project, the root's own sections) and `settings`."""
    sections = _top_level_sections(text)
    settings = fields(_compose_section(sections, "settings", text))
    auto_peers = scalar(settings.get("autoInstallPeers"))
    exclude_links = scalar(settings.get("excludeLinksFromLockfile"))
    importers_node = _compose_section(sections, "importers", text)
    importers = {key.value: _importer(value) for key, value in mapping_items(importers_node)}
    if not importers and ("specifiers" in sections or "dependencies" in sections):
        root = "".join(
            text[start:end] for name, (start, end) in sections.items() if name != "packages"
        )
        importers["."] = _importer(_compose_text(root, text, 0))
    overrides_node = _compose_section(sections, "overrides", text)
    return PnpmLock(
        importers,
        auto_install_peers=auto_peers is not None and auto_peers.value == "true",
        exclude_links=exclude_links is not None and exclude_links.value == "true",
        overrides={key.value: _text(value) for key, value in mapping_items(overrides_node)},
    )


def _importer(node: Node | None) -> PnpmImporter:
    values = fields(node)
    specifiers = {key.value: _text(value) for key, value in mapping_items(values.get("specifiers"))}
    by_field: dict[str, frozenset[str]] = {}
    for field_name in DEPENDENCY_FIELDS:
        names = set()
        for key, value in mapping_items(values.get(field_name)):
            names.add(key.value)
            specifier = scalar(fields(value).get("specifier"))
            if specifier is not None:
                specifiers[key.value] = specifier.value
        by_field[field_name] = frozenset(names)
    return PnpmImporter(specifiers, by_field)


def _text(node: Node | None) -> str:
    found = scalar(node)
    return found.value if found else ""


def pnpm_drift(
    manifest: PackageJson,
    lock: PnpmLock,
    importer_id: str,
    declared_overrides: Sequence[Mapping[str, str]] = (),
) -> list[Drift]:
    """pnpm's `satisfiesPackageManifest`: the importer's specifiers must equal the
    manifest's, field by field, once the overrides the lockfile records are applied. For
    the root, `declared_overrides` are what the configuration may say (see
    `pnpm_overrides`): `--frozen-lockfile` refuses a lockfile that recorded other ones."""
    if declared_overrides:
        drift = _overrides_drift(manifest, lock.overrides, declared_overrides)
        if drift:
            return drift
    importer = lock.importers.get(importer_id)
    if importer is None:
        name = manifest.name or importer_id
        return [Drift(name, f"pnpm-lock.yaml has no importer for `{importer_id}`")]
    declared = manifest.declared("devDependencies", "dependencies", "optionalDependencies")
    fields_of = {name: dict(manifest.fields.get(name, {})) for name in DEPENDENCY_FIELDS}
    if lock.auto_install_peers:
        peers = {
            name: spec
            for name, spec in manifest.fields.get("peerDependencies", {}).items()
            if name not in declared
        }
        fields_of["dependencies"] = {**peers, **fields_of["dependencies"]}
        declared = {**peers, **declared}
    specifiers = dict(importer.specifiers)
    if lock.exclude_links:
        declared = {k: v for k, v in declared.items() if not v.startswith("link:")}
        specifiers = {k: v for k, v in specifiers.items() if not v.startswith("link:")}
    accepted = _direct_overrides(declared, lock.overrides)
    removed = {name for name, specs in accepted.items() if REMOVED in specs}
    removed -= specifiers.keys()  # removed by the override, and the lockfile agrees
    declared = {name: spec for name, spec in declared.items() if name not in removed}
    fields_of = {
        field_name: {name: spec for name, spec in deps.items() if name not in removed}
        for field_name, deps in fields_of.items()
    }
    drift = list(_specifier_drift(manifest, declared, specifiers, accepted))
    if not drift:
        drift = list(_field_drift(manifest, fields_of, importer))
    return drift


REMOVED = "-"  # an override's value that removes the dependency


def pnpm_overrides(
    root: PackageJson | None, workspace_overrides: Mapping[str, str]
) -> list[dict[str, str]]:
    """What pnpm may record under `overrides:`, one mapping per pnpm generation: the root
    package.json's `resolutions` and `pnpm.overrides` (the latter winning a name both
    give), and pnpm 10's `overrides` in pnpm-workspace.yaml, which it reads when the
    package.json gives none. A value `$name` stands for the root's own spec of `name`.
    Empty when a value cannot be worked out here (a `$` naming no dependency, a
    `catalog:`): then the recorded overrides are not judged."""
    in_manifest = {**root.resolutions, **root.pnpm_overrides} if root else {}
    own_specs = root.declared(*ALL_FIELDS) if root else {}
    candidates = [in_manifest] if in_manifest or not workspace_overrides else []
    if workspace_overrides:
        candidates.append(dict(workspace_overrides))
    resolved = [_resolve_references(overrides, own_specs) for overrides in candidates]
    return [] if None in resolved else [found for found in resolved if found is not None]


def _resolve_references(
    overrides: Mapping[str, str], own_specs: Mapping[str, str]
) -> dict[str, str] | None:
    resolved = {}
    for selector, value in overrides.items():
        referenced = value[1:] if value.startswith("$") else None
        if value.startswith("catalog:") or (referenced is not None and referenced not in own_specs):
            return None
        resolved[selector] = own_specs[referenced] if referenced is not None else value
    return resolved


def _overrides_drift(
    manifest: PackageJson, recorded: Mapping[str, str], declared: Sequence[Mapping[str, str]]
) -> list[Drift]:
    if any(dict(recorded) == dict(overrides) for overrides in declared):
        return []
    wanted = declared[0]
    for selector in sorted(wanted.keys() | recorded.keys()):
        now, was = wanted.get(selector), recorded.get(selector)
        if now == was:
            continue
        if was is None:
            problem = f"the override `{selector}: {now}` is not in pnpm-lock.yaml"
        elif now is None:
            problem = f"the override `{selector}` is in pnpm-lock.yaml but no longer declared"
        else:
            problem = f"the override `{selector}` is `{now}` but `{was}` in pnpm-lock.yaml"
        return [Drift(selector, problem, _locate_override(manifest, selector))]
    return []


def _locate_override(manifest: PackageJson, selector: str) -> Position | None:
    """The override's line in package.json (`pnpm.overrides` wins over `resolutions`, as in
    pnpm), else the block's, else none (pnpm-workspace.yaml's overrides)."""
    blocks = (
        (("pnpm", "overrides"), manifest.pnpm_overrides),
        (("resolutions",), manifest.resolutions),
    )
    exact = next(((*keys, selector) for keys, declared in blocks if selector in declared), None)
    keys = exact or next((keys for keys, declared in blocks if declared), None)
    return manifest.document.locate(*keys) if keys else None


def _direct_overrides(
    declared: Mapping[str, str], overrides: Mapping[str, str]
) -> dict[str, frozenset[str]]:
    """The specifiers the lockfile may give each overridden direct dependency. An override
    of a bare name replaces the declared spec; one with a version range replaces it only
    when the declared range falls inside, which is not worked out here, so either is
    accepted. Overrides under a parent (`a>b`) never touch a direct dependency."""
    accepted: dict[str, frozenset[str]] = {}
    for selector, value in overrides.items():
        if _PARENT_DELIMITER.search(selector):
            continue
        at = selector.rfind("@")
        name, version_range = (selector[:at], selector[at + 1 :]) if at > 0 else (selector, "")
        if name in declared:
            accepted[name] = frozenset({value, declared[name]} if version_range else {value})
    return accepted


# pnpm's split of `parent>child` selectors: a `>` after a space, `|` or `@` is a range's.
_PARENT_DELIMITER = re.compile(r"[^ |@]>")


def _specifier_drift(
    manifest: PackageJson,
    declared: Mapping[str, str],
    specifiers: Mapping[str, str],
    overridden: Mapping[str, frozenset[str]],
) -> Iterator[Drift]:
    for name, spec in declared.items():
        at = manifest.locate_dependency(name)
        accepted = overridden.get(name, frozenset({spec}))
        if name not in specifiers:
            yield Drift(name, f"`{name}` is not in pnpm-lock.yaml", at)
        elif specifiers[name] not in accepted:
            was = specifiers[name]
            shown = f"`{spec}`" if spec in accepted else f"overridden to `{min(accepted)}`"
            yield Drift(
                name, f"`{name}` is {shown} in package.json but `{was}` in pnpm-lock.yaml", at
            )
    for name in specifiers.keys() - declared.keys():
        yield Drift(name, f"`{name}` is in pnpm-lock.yaml but no longer in package.json")


def _field_drift(
    manifest: PackageJson, fields_of: Mapping[str, Mapping[str, str]], importer: PnpmImporter
) -> Iterator[Drift]:
    optional = fields_of["optionalDependencies"]
    for field_name in DEPENDENCY_FIELDS:
        names = set(fields_of[field_name])
        if field_name == "dependencies":
            names -= set(optional)
        elif field_name == "devDependencies":
            names -= set(optional) | set(fields_of["dependencies"])
        for name in sorted(names - importer.by_field.get(field_name, frozenset())):
            problem = f"`{name}` is in {field_name} in package.json but not in pnpm-lock.yaml"
            yield Drift(name, problem, manifest.locate_dependency(name))


# YAML lockfiles, composed a section at a time -----------------------------------------

_TOP_LEVEL = re.compile(r"^([A-Za-z_'\"][^:\n]*):", re.MULTILINE)


def _top_level_sections(text: str) -> dict[str, tuple[int, int]]:
    """The text span of each top-level key of a block-style YAML document."""
    starts = [(m.group(1).strip("'\""), m.start()) for m in _TOP_LEVEL.finditer(text)]
    spans = {}
    for index, (name, start) in enumerate(starts):
        end = starts[index + 1][1] if index + 1 < len(starts) else len(text)
        spans[name] = (start, end)
    return spans


def _compose_section(sections: Mapping[str, tuple[int, int]], name: str, text: str) -> Node | None:
    if name not in sections:
        return None
    start, end = sections[name]
    return fields(_compose_text(text[start:end], text, start)).get(name)


def _compose_block(block: str, text: str, start: int) -> Node | None:
    document = _compose_text(block, text, start)
    items = mapping_items(document)
    return items[0][1] if items else None


def _compose_text(block: str, text: str, start: int) -> Node | None:
    """Compose a slice of a document; errors are reported at their line in the whole."""
    try:
        return compose(block)
    except YamlError as error:
        offset_line = text.count("\n", 0, start)
        at = error.position
        where = Position(at.line + offset_line, at.column) if at else None
        raise DocumentError(f"invalid YAML: {error.message}", where) from None


def node_position(node: Node | None) -> Position | None:
    return position(node) if node is not None else None
