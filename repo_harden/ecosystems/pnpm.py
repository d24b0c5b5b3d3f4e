"""pnpm: `package.json` locked by `pnpm-lock.yaml` (lockfile versions 5 to 9), judged as
`pnpm install --frozen-lockfile` judges it: each importer's specifiers equal its
manifest's once the recorded overrides are applied, and the recorded overrides equal
what the root declares (`pnpm.overrides`, `resolutions`, or pnpm 10's `overrides` in
`pnpm-workspace.yaml`).

The lockfile is big and YAML: only the sections compared are composed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.model import Position
from repo_harden.core.parsed import ParsedFiles
from repo_harden.core.record import record
from repo_harden.ecosystems import package_json
from repo_harden.ecosystems.ecosystem import Drift, Ecosystem, LockedPackage, Pair, named_hint
from repo_harden.ecosystems.node_semver import parse_version
from repo_harden.ecosystems.package_json import (
    ALL_FIELDS,
    DEPENDENCY_FIELDS,
    PACKAGE_JSON,
    PackageJson,
)
from repo_harden.ecosystems.tree import Tree, folder_of, join
from repo_harden.readers.documents import position_at
from repo_harden.readers.yaml import YAML, Node, fields, mapping_items, scalar
from repo_harden.readers.yaml_sections import compose_section, compose_slice, top_level_sections

LOCKFILES = ("pnpm-lock.yaml",)


def drift(parsed: ParsedFiles, tree: Tree, pair: Pair) -> list[Drift]:
    manifest, text = parsed.read(PACKAGE_JSON, pair.manifest), parsed.text(pair.lockfile)
    if manifest is None or text is None:
        return []
    lock = parsed.memo("pnpm-lock.yaml", pair.lockfile, lambda: read_pnpm_lock(text))
    if lock is None:
        return []
    root = folder_of(pair.lockfile)
    # The overrides are the workspace's: judged once, with its root importer.
    overrides = _declared_overrides(parsed, tree, root) if pair.member == "." else []
    return pnpm_drift(manifest, lock, pair.member, overrides)


def _declared_overrides(parsed: ParsedFiles, tree: Tree, root: str) -> list[dict[str, str]]:
    """What the workspace declares; nothing to judge by when a file that declares them
    cannot be read (that file is RH000)."""
    manifest_path = join(root, "package.json")
    workspace_path = join(root, "pnpm-workspace.yaml")
    manifest = parsed.read(PACKAGE_JSON, manifest_path) if tree.has(manifest_path) else None
    in_workspace = workspace_overrides(parsed, workspace_path) if tree.has(workspace_path) else {}
    if in_workspace is None or (manifest is None and tree.has(manifest_path)):
        return []
    return pnpm_overrides(manifest, in_workspace)


def workspace_overrides(parsed: ParsedFiles, path: str) -> dict[str, str] | None:
    """pnpm-workspace.yaml's `overrides` (pnpm 10 reads them there); None when the file
    cannot be read (it is RH000)."""
    root = parsed.read(YAML, path)
    if path in parsed.problems:
        return None
    listed = fields(root).get("overrides")
    return {
        key.value: value.value
        for key, node in mapping_items(listed)
        if (value := scalar(node)) is not None
    }


@record
class PnpmImporter:
    specifiers: Mapping[str, str]
    by_field: Mapping[str, frozenset[str]]


@record
class PnpmLock:
    importers: Mapping[str, PnpmImporter]
    auto_install_peers: bool
    exclude_links: bool
    overrides: Mapping[str, str]


def read_pnpm_lock(text: str) -> PnpmLock:
    """Only the top-level sections that matter are composed: `importers` (or, before
    lockfile v6 in a single project, the root's own sections) and `settings`."""
    sections = top_level_sections(text)
    settings = fields(compose_section(sections, "settings", text))
    auto_peers = scalar(settings.get("autoInstallPeers"))
    exclude_links = scalar(settings.get("excludeLinksFromLockfile"))
    importers_node = compose_section(sections, "importers", text)
    importers = {key.value: _importer(value) for key, value in mapping_items(importers_node)}
    if not importers and ("specifiers" in sections or "dependencies" in sections):
        root = "".join(
            text[start:end] for name, (start, end) in sections.items() if name != "packages"
        )
        importers["."] = _importer(compose_slice(root, text, 0))
    overrides_node = compose_section(sections, "overrides", text)
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
_PARENT_DELIMITER = lazy_compile(r"[^ |@]>")


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


# An entry of `packages:` (two spaces in), its key quoted or not.
_PACKAGE_KEY = lazy_compile(r"^  (['\"]?)(?P<key>[^\s'\"][^\n]*?)\1:[ \t]*(?:\{\})?$", re.MULTILINE)
_PEERS = lazy_compile(r"[(_].*$")  # `(react@18.2.0)` (v6, v9), `_react@17.0.2` (v5)


def locked_packages(parsed: ParsedFiles, path: str) -> list[LockedPackage]:
    text = parsed.text(path)
    if text is None:
        return []
    found = parsed.memo("locked-packages", path, lambda: pnpm_lock_packages(text))
    return found or []


def pnpm_lock_packages(text: str) -> list[LockedPackage]:
    """The registry releases of `packages:` (lockfile v5 to v9), each at its key; read by
    lines, as the section can hold thousands. Git, tarball, file and link entries, whose
    keys hold no semver version, are left out."""
    span = top_level_sections(text).get("packages")
    if span is None:
        return []
    start, end = span
    found = []
    for match in _PACKAGE_KEY.finditer(text, start, end):
        parsed = pnpm_package_key(match.group("key"))
        if parsed is not None:
            found.append(LockedPackage(*parsed, position_at(text, match.start("key"))))
    return found


def pnpm_package_key(key: str) -> tuple[str, str] | None:
    """(name, version) of a `packages:` key: `/a/1.0.0` and `/@s/a/1.0.0_p@1` (v5),
    `/a@1.0.0(p@1)` (v6), `a@1.0.0` and `@s/a@1.0.0` (v9)."""
    key = key.removeprefix("/")
    scope, slash, rest = key.partition("/") if key.startswith("@") else ("", "", key)
    if "/" in rest:  # v5: `name/version`, the peers after `_`
        name, _, version = rest.partition("/")
    else:
        name, _, version = rest.partition("@")
    version = _PEERS.sub("", version)
    if not name or "/" in name or parse_version(version) is None:
        return None
    return f"{scope}{slash}{name}", version


ECOSYSTEM = Ecosystem(
    name="pnpm",
    manifests=("package.json",),
    lockfiles=LOCKFILES,
    lock_command="pnpm install",
    declares=package_json.declares,
    covers=package_json.covered_by(LOCKFILES),
    chosen=package_json.chosen_by("pnpm"),
    hint=named_hint("pnpm-lock.yaml"),
    drift=drift,
    fix_command="run `pnpm install`",
    workspace_members=package_json.workspace_members,
    locked_packages=locked_packages,
    purl_type="npm",
)
