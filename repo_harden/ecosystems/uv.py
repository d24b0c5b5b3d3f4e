"""uv: `pyproject.toml` locked by `uv.lock`, judged as `uv lock --locked` judges it: the
project's entry in `uv.lock` records the requirements it was locked for (`[package.metadata]
requires-dist`, `requires-dev`); they must equal the manifest's, compared as `packaging`
compares them. A uv workspace's members are locked by the root's `uv.lock`."""

from __future__ import annotations

import re
from collections.abc import Mapping

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.model import Position
from repo_harden.core.parsed import ParsedFiles
from repo_harden.core.record import record
from repo_harden.ecosystems import pyproject as pyprojects
from repo_harden.ecosystems.ecosystem import Drift, Ecosystem, Pair, named_hint
from repo_harden.ecosystems.pyproject import PYPROJECT, Declared, Pyproject, python_name
from repo_harden.ecosystems.toml_locks import locked_reader
from repo_harden.ecosystems.tree import Tree, folder_of, join
from repo_harden.readers.documents import (
    DocumentError,
    position_at,
    read_toml,
    string,
    table,
    tables,
)

LOCKFILES = ("uv.lock",)


def drift(parsed: ParsedFiles, tree: Tree, pair: Pair) -> list[Drift]:
    project, text = parsed.read(PYPROJECT, pair.manifest), parsed.text(pair.lockfile)
    if project is None or text is None:
        return []
    projects = parsed.memo("uv.lock", pair.lockfile, lambda: read_uv_projects(text))
    if projects is None:
        return []
    found = parsed.memo(
        f"uv-drift:{pair.lockfile}", pair.manifest, lambda: uv_lock_drift(project, projects)
    )
    return found or []


def covers(parsed: ParsedFiles, tree: Tree, path: str) -> bool:
    folder = folder_of(path)
    return tree.has(join(folder, "uv.lock")) or pyprojects.in_uv_workspace(parsed, tree, path)


def workspace_members(parsed: ParsedFiles, tree: Tree, lockfile: str) -> list[str]:
    root = folder_of(lockfile)
    root_manifest = join(root, "pyproject.toml")
    project = parsed.read(PYPROJECT, root_manifest) if tree.has(root_manifest) else None
    workspace = project.uv_workspace() if project else None
    return tree.manifests_matching(root, "pyproject.toml", *workspace) if workspace else []


def index_release(entry: Mapping[str, object]) -> bool:
    """uv records where each package comes from: `registry`, or a path, VCS or URL."""
    source = table(entry, "source")
    return not source or "registry" in source


_UV_PACKAGE = lazy_compile(r"^\[\[package\]\]\s*$", re.MULTILINE)
_LOCAL_SOURCE = lazy_compile(r"^source\s*=\s*\{\s*(editable|virtual|directory)\s*=", re.MULTILINE)


@record
class UvProject:
    """A workspace project's entry in uv.lock, with the requirements it was locked for."""

    name: str
    requires: Mapping[str, tuple[tuple[str, str], ...]]  # group -> ((name, specifier), ...)
    has_metadata: bool


def read_uv_projects(text: str) -> dict[str, UvProject]:
    """The local projects of a uv.lock, by name. Only their `[[package]]` blocks are
    parsed: a lockfile of thousands of packages holds a handful of them."""
    projects = {}
    starts = [match.start() for match in _UV_PACKAGE.finditer(text)]
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(text)
        head = text[start : min(end, start + 400)]
        if not _LOCAL_SOURCE.search(head):
            continue
        block = _parse_block(text, start, end)
        for package in tables(block.get("package")):
            project = _uv_project(package)
            if project is not None:
                projects[project.name] = project
    return projects


def _parse_block(text: str, start: int, end: int) -> Mapping[str, object]:
    try:
        return read_toml(text[start:end]).root
    except DocumentError as error:
        line = text.count("\n", 0, start)
        at = error.position
        raise DocumentError(
            error.message, Position(at.line + line, at.column) if at else position_at(text, start)
        ) from None


def _uv_project(package: object) -> UvProject | None:
    name = string(table(package).get("name"))
    if name is None:
        return None
    metadata = table(package, "metadata")
    requires: dict[str, tuple[tuple[str, str], ...]] = {}
    for entry in tables(metadata.get("requires-dist")):
        extra = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", string(entry.get("marker")) or "")
        group = f"extra:{python_name(extra.group(1))}" if extra else ""
        requires[group] = (*requires.get(group, ()), _uv_requirement(entry))
    for group, entries in table(metadata, "requires-dev").items():
        key = f"group:{python_name(group)}"
        requires[key] = tuple(_uv_requirement(entry) for entry in tables(entries))
    return UvProject(python_name(name), requires, bool(metadata))


def _uv_requirement(entry: Mapping[str, object]) -> tuple[str, str]:
    return python_name(string(entry.get("name")) or ""), string(entry.get("specifier")) or ""


def uv_lock_drift(pyproject: Pyproject, projects: Mapping[str, UvProject]) -> list[Drift]:
    """What `uv lock --locked` would find changed in this project's requirements."""
    name = pyproject.name
    if name is None or pyproject.dynamic_dependencies:
        return []
    declared: dict[str, list[Declared]] = {}
    for requirement in pyproject.declared():  # a bad requirement is RH000, lock or no lock
        if not requirement.group.startswith("group:"):
            declared.setdefault(requirement.group, []).append(requirement)
    groups = uv_dependency_groups(pyproject)
    project = projects.get(name)
    if project is None:
        return [Drift(name, f"the project `{name}` is not in uv.lock", pyproject.dependencies_at())]
    if not project.has_metadata:
        return []
    declared.update((f"group:{group}", found) for group, found in groups.resolved.items())
    sources = table(pyproject.data, "tool", "uv", "sources")
    sourced: set[str] = {python_name(name) for name in sources}
    drift_of: dict[str, list[Drift]] = {}
    for group in sorted(declared.keys() | project.requires.keys()):
        if group.removeprefix("group:") in groups.unresolved:
            continue  # uv refuses such a project: there is no lock to compare with
        locked = project.requires.get(group, ())
        drift_of[group] = _group_drift(_distinct(declared.get(group, [])), locked, sourced, group)
    return [d for group, found in drift_of.items() for d in _own(group, found, groups, drift_of)]


@record
class UvGroups:
    """Dependency groups as uv records them in `requires-dev`: each group with the groups
    it includes flattened in (transitively, each requirement once), and uv's legacy
    `dev-dependencies` in `dev`. `unresolved` are groups uv refuses to lock (an include of
    a group that does not exist, or a cycle); `includes` lists every group each one reaches."""

    resolved: dict[str, list[Declared]]
    unresolved: frozenset[str]
    includes: dict[str, frozenset[str]]


def uv_dependency_groups(pyproject: Pyproject) -> UvGroups:
    tables = pyproject.dependency_groups()
    resolved: dict[str, list[Declared]] = {}
    unresolved: set[str] = set()
    reached: dict[str, frozenset[str]] = {}

    def resolve(group: str, path: tuple[str, ...]) -> list[Declared] | None:
        if group in resolved or group in unresolved:
            return resolved.get(group)
        if group in path or group not in tables:
            return None  # a cycle, or an include of a group that does not exist
        own, includes = tables[group]
        found = list(own)
        reach: set[str] = set()
        for included in includes:
            inner = resolve(included, (*path, group))
            if inner is None:
                unresolved.add(group)
                return None
            found += inner
            reach |= {included, *reached.get(included, ())}
        resolved[group], reached[group] = _distinct(found), frozenset(reach)
        return resolved[group]

    for group in tables:
        resolve(group, ())
    legacy = pyproject.legacy_dev_dependencies()
    if legacy:  # locked in `dev`, but not part of what `{include-group = "dev"}` brings
        resolved["dev"] = _distinct([*resolved.get("dev", []), *legacy])
    return UvGroups(resolved, frozenset(unresolved), reached)


def _distinct(requirements: list[Declared]) -> list[Declared]:
    """Each requirement once, as uv records it: the same name, extras, specifier and marker,
    however spelled, is one requirement."""
    seen: dict[str, Declared] = {}
    for requirement in requirements:
        seen.setdefault(requirement.identity or requirement.written, requirement)
    return list(seen.values())


def _own(
    group: str, found: list[Drift], groups: UvGroups, drift_of: Mapping[str, list[Drift]]
) -> list[Drift]:
    """A group's drift, without what it only inherits from a group it includes (which is
    reported once, for that group)."""
    included = groups.includes.get(group.removeprefix("group:"), frozenset())
    inherited = {d.name for name in included for d in drift_of.get(f"group:{name}", [])}
    return [d for d in found if d.name not in inherited]


def _group_drift(
    declared: list[Declared], locked: tuple[tuple[str, str], ...], sourced: set[str], group: str
) -> list[Drift]:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    def specifier_set(text: str) -> SpecifierSet | str:
        try:
            return SpecifierSet(text)
        except InvalidSpecifier:
            return text

    where = _group_label(group)
    remaining = [(name, specifier_set(spec)) for name, spec in locked]
    drift = []
    for requirement in declared:
        wanted = specifier_set(requirement.specifier)
        candidates = [item for item in remaining if item[0] == requirement.name]
        exact = next((c for c in candidates if c[1] == wanted or requirement.name in sourced), None)
        if exact is not None:
            remaining.remove(exact)
            continue
        if candidates:
            remaining.remove(candidates[0])
            was = str(candidates[0][1]) or "any version"
            problem = (
                f"`{requirement.written}`{where} in pyproject.toml, but uv.lock was locked "
                f"for `{requirement.name}{was if was != 'any version' else ''}`"
            )
        else:
            problem = f"`{requirement.written}`{where} is not in uv.lock"
        drift.append(Drift(requirement.name, problem, requirement.at))
    for name, _ in remaining:
        drift.append(Drift(name, f"`{name}`{where} is in uv.lock but no longer in pyproject.toml"))
    return drift


def _group_label(group: str) -> str:
    if group.startswith("extra:"):
        return f" (extra `{group[6:]}`)"
    if group.startswith("group:"):
        return f" (group `{group[6:]}`)"
    return ""


ECOSYSTEM = Ecosystem(
    name="uv",
    manifests=("pyproject.toml",),
    lockfiles=LOCKFILES,
    lock_command="uv lock",
    declares=pyprojects.declares,
    covers=covers,
    chosen=pyprojects.chosen_by("uv"),
    hint=named_hint("uv.lock"),
    drift=drift,
    fix_command="run `uv lock`",
    workspace_members=workspace_members,
    locked_packages=locked_reader("package", index_release),
    purl_type="pypi",
)
