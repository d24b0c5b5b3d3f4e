"""`pyproject.toml`, `Pipfile` and the lockfiles of uv, Poetry and Pipenv, judged the way
each tool judges them.

- uv (`uv lock --locked`): the project's entry in `uv.lock` records the requirements
  it was locked for (`[package.metadata] requires-dist`, `requires-dev`); they must
  equal the manifest's, compared as `packaging` compares them.
- Poetry (`poetry check --lock`): `content-hash` is the SHA-256 of the relevant
  parts of `pyproject.toml`, recomputed as every Poetry since 1.0 computes it.
- Pipenv (`pipenv install --deploy`): `_meta.hash.sha256` is the SHA-256 of the
  Pipfile's sources, requires and package sections, as plette and Pipenv compute it.

A lockfile is consistent when any Poetry or Pipenv release would call it fresh.
A hash says only *that* something changed; to say *what*, the declared
dependencies are compared with the locked packages.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from repo_harden.core.model import Position
from repo_harden.ecosystems.tree import Drift, canonical_name
from repo_harden.readers.documents import (
    DocumentError,
    JsonDocument,
    TomlDocument,
    position_at,
    read_toml,
    string,
    strings,
    table,
)

PYTHON_LOCKFILES = ("uv.lock", "poetry.lock", "pdm.lock", "pylock.toml")


@dataclass(frozen=True)
class Declared:
    """One declared requirement: `group` is "" for the main dependencies, `extra:NAME`
    for an optional-dependencies extra, `group:NAME` for a dependency group."""

    name: str
    written: str
    specifier: str
    group: str
    at: Position | None


@dataclass(frozen=True)
class Pyproject:
    path: str
    document: TomlDocument

    @property
    def data(self) -> Mapping[str, object]:
        return self.document.root

    @property
    def name(self) -> str | None:
        found = string(table(self.data, "project").get("name"))
        found = found or string(table(self.data, "tool", "poetry").get("name"))
        return canonical_name(found) if found else None

    @property
    def dynamic_dependencies(self) -> bool:
        return "dependencies" in strings(table(self.data, "project").get("dynamic"))

    @property
    def poetry_dependencies(self) -> dict[str, object]:
        """Poetry's own dependency tables, every group, without `python`."""
        poetry = table(self.data, "tool", "poetry")
        found = {k: v for k, v in table(poetry, "dependencies").items() if k != "python"}
        found.update(table(poetry, "dev-dependencies"))
        for group in table(poetry, "group").values():
            found.update(table(group, "dependencies"))
        return found

    @property
    def declares_dependencies(self) -> bool:
        project = table(self.data, "project")
        return bool(
            strings(project.get("dependencies"))
            or any(strings(v) for v in table(project, "optional-dependencies").values())
            or any(strings(v) for v in table(self.data, "dependency-groups").values())
            or self.poetry_dependencies
            or strings(table(self.data, "tool", "uv").get("dev-dependencies"))
        )

    @property
    def lock_tool(self) -> str:
        """The tool whose lock command fits this project: poetry, pdm or uv."""
        tool = table(self.data, "tool")
        if "poetry" in tool and (self.poetry_dependencies or "poetry" in self._backend):
            return "poetry"
        if "pdm" in tool or "pdm" in self._backend:
            return "pdm"
        return "uv"

    @property
    def _backend(self) -> str:
        return string(table(self.data, "build-system").get("build-backend")) or ""

    def uv_workspace(self) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        """(members, exclude) globs of a uv workspace root, or None."""
        uv = table(self.data, "tool", "uv")
        if "workspace" not in uv:
            return None
        workspace = table(uv, "workspace")
        return strings(workspace.get("members")), strings(workspace.get("exclude"))

    def declared(self) -> list[Declared]:
        """The PEP 621 requirements and PEP 735 groups (uv's `dev-dependencies` as the
        `dev` group), parsed with `packaging`."""
        project = table(self.data, "project")
        found = self._parse(strings(project.get("dependencies")), "", ("project", "dependencies"))
        for extra, values in table(project, "optional-dependencies").items():
            extra_at = ("project", "optional-dependencies", extra)
            found += self._parse(strings(values), f"extra:{canonical_name(extra)}", extra_at)
        for group, values in table(self.data, "dependency-groups").items():
            group_at = ("dependency-groups", group)
            found += self._parse(strings(values), f"group:{canonical_name(group)}", group_at)
        legacy = strings(table(self.data, "tool", "uv").get("dev-dependencies"))
        found += self._parse(legacy, "group:dev", ("tool", "uv", "dev-dependencies"))
        return found

    def _parse(self, written: Iterable[str], group: str, where: tuple[str, ...]) -> list[Declared]:
        from packaging.requirements import InvalidRequirement, Requirement

        found = []
        for text in written:
            try:
                parsed = Requirement(text)
            except InvalidRequirement as error:
                at = self.document.locate(where, text)
                raise DocumentError(f"invalid requirement `{text}`: {error}", at) from None
            at = self.document.locate(where, text)
            name = canonical_name(parsed.name)
            found.append(Declared(name, text, str(parsed.specifier), group, at))
        return found

    def locate_dependency(self, name: str) -> Position | None:
        """Where a dependency is declared, PEP 621 or Poetry style, found by its name."""
        for declared in self._declared_quietly():
            if declared.name == name:
                return declared.at
        poetry = table(self.data, "tool", "poetry")
        for key_path, values in self._poetry_tables(poetry):
            for key in values:
                if canonical_name(key) == name:
                    return self.document.locate((*key_path, key))
        return None

    def _declared_quietly(self) -> list[Declared]:
        try:
            return self.declared()
        except DocumentError:
            return []

    @staticmethod
    def _poetry_tables(
        poetry: Mapping[str, object],
    ) -> Iterator[tuple[tuple[str, ...], Mapping[str, object]]]:
        yield ("tool", "poetry", "dependencies"), table(poetry, "dependencies")
        yield ("tool", "poetry", "dev-dependencies"), table(poetry, "dev-dependencies")
        for group, values in table(poetry, "group").items():
            yield ("tool", "poetry", "group", group, "dependencies"), table(values, "dependencies")

    def dependencies_at(self) -> Position | None:
        """The line that best stands for "the dependencies" of this project."""
        for key_path in (
            ("project", "dependencies"),
            ("tool", "poetry", "dependencies"),
            ("dependency-groups",),
            ("project", "optional-dependencies"),
            ("project",),
        ):
            found = self.document.locate(key_path)
            if found is not None:
                return found
        return None


def read_pyproject(path: str, document: TomlDocument) -> Pyproject:
    return Pyproject(path, document)


# uv -----------------------------------------------------------------------------------

_UV_PACKAGE = re.compile(r"^\[\[package\]\]\s*$", re.MULTILINE)
_LOCAL_SOURCE = re.compile(r"^source\s*=\s*\{\s*(editable|virtual|directory)\s*=", re.MULTILINE)


@dataclass(frozen=True)
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
        for package in _tables(block.get("package")):
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
    for entry in _tables(metadata.get("requires-dist")):
        extra = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", string(entry.get("marker")) or "")
        group = f"extra:{canonical_name(extra.group(1))}" if extra else ""
        requires[group] = (*requires.get(group, ()), _uv_requirement(entry))
    for group, entries in table(metadata, "requires-dev").items():
        key = f"group:{canonical_name(group)}"
        requires[key] = tuple(_uv_requirement(entry) for entry in _tables(entries))
    return UvProject(canonical_name(name), requires, bool(metadata))


def _tables(value: object) -> list[Mapping[str, object]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _uv_requirement(entry: Mapping[str, object]) -> tuple[str, str]:
    return canonical_name(string(entry.get("name")) or ""), string(entry.get("specifier")) or ""


def uv_lock_drift(pyproject: Pyproject, projects: Mapping[str, UvProject]) -> list[Drift]:
    """What `uv lock --locked` would find changed in this project's requirements."""
    name = pyproject.name
    if name is None or pyproject.dynamic_dependencies:
        return []
    declared: dict[str, list[Declared]] = {}
    for requirement in pyproject.declared():
        declared.setdefault(requirement.group, []).append(requirement)
    project = projects.get(name)
    if project is None:
        return [Drift(name, f"the project `{name}` is not in uv.lock", pyproject.dependencies_at())]
    if not project.has_metadata:
        return []
    sourced = {canonical_name(k) for k in table(pyproject.data, "tool", "uv", "sources")}
    drift = []
    for group in sorted(declared.keys() | project.requires.keys()):
        if group.startswith("group:") and _includes_groups(pyproject):
            continue
        locked = project.requires.get(group, ())
        drift += _group_drift(declared.get(group, []), locked, sourced, group)
    return drift


def _includes_groups(pyproject: Pyproject) -> bool:
    groups = table(pyproject.data, "dependency-groups").values()
    return any(
        isinstance(item, Mapping)
        for values in groups
        if isinstance(values, list)
        for item in values
    )


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


# Poetry -------------------------------------------------------------------------------

_CONTENT_HASH = re.compile(r'^content-hash\s*=\s*"([0-9a-f]+)"', re.MULTILINE)
_LEGACY_KEYS = ("dependencies", "source", "extras", "dev-dependencies")
_PROJECT_KEYS = ("requires-python", "dependencies", "optional-dependencies")


def poetry_content_hashes(data: Mapping[str, object]) -> set[str]:
    """The content-hash of a pyproject.toml as each Poetry generation computes it:
    2.3+ (with PEP 735 groups), 1.2 to 2.2 (without them), and 1.0 to 1.1."""
    poetry = table(data, "tool", "poetry")
    return {
        _poetry_hash(data, with_groups=True),
        _poetry_hash(data, with_groups=False),
        _sha256({key: poetry.get(key) for key in _LEGACY_KEYS}),
    }


def _poetry_hash(data: Mapping[str, object], *, with_groups: bool) -> str:
    """Poetry's `Locker._get_content_hash`."""
    project = table(data, "project")
    groups = table(data, "dependency-groups") if with_groups else {}
    poetry = table(data, "tool", "poetry")
    relevant_project = {key: project[key] for key in _PROJECT_KEYS if project.get(key) is not None}
    relevant_poetry = {}
    for key in (*_LEGACY_KEYS, "group"):
        value = poetry.get(key)
        if value is None and (key not in _LEGACY_KEYS or relevant_project or groups):
            continue
        relevant_poetry[key] = value
    content: dict[str, object] = {}
    if relevant_project:
        content["project"] = relevant_project
    if groups:
        content["dependency-groups"] = dict(groups)
    if content:
        content["tool"] = {"poetry": relevant_poetry}
        return _sha256(content)
    return _sha256(relevant_poetry)


def _sha256(content: object) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def recorded_poetry_hash(lock_text: str) -> str | None:
    found = _CONTENT_HASH.search(lock_text)
    return found.group(1) if found else None


def poetry_lock_drift(pyproject: Pyproject, lock_text: str) -> list[Drift] | None:
    """None when the hash matches; else what differs, as far as it can be named."""
    recorded = recorded_poetry_hash(lock_text)
    if recorded is None or recorded in poetry_content_hashes(pyproject.data):
        return None
    locked = _locked_versions(read_toml(lock_text).root)
    drift = list(_named_poetry_drift(pyproject, locked))
    if drift:
        return drift
    return [
        Drift(
            "",
            "its content-hash no longer matches pyproject.toml: a dependency, constraint, "
            "source or extra changed since it was locked",
            pyproject.dependencies_at(),
        )
    ]


def _locked_versions(lock: Mapping[str, object]) -> dict[str, list[str]]:
    versions: dict[str, list[str]] = {}
    for package in _tables(lock.get("package")):
        name, version = string(package.get("name")), string(package.get("version"))
        if name and version:
            versions.setdefault(canonical_name(name), []).append(version)
    return versions


def _named_poetry_drift(pyproject: Pyproject, locked: Mapping[str, list[str]]) -> Iterator[Drift]:
    for name, written, constraint in _poetry_requirements(pyproject):
        at = pyproject.locate_dependency(name)
        versions = locked.get(name)
        if not versions:
            yield Drift(name, f"`{written}` is not in poetry.lock", at)
        elif constraint is not None and not any(
            poetry_constraint_allows(constraint, version) is not False for version in versions
        ):
            locked_text = ", ".join(versions)
            yield Drift(name, f"`{written}` does not allow the locked {locked_text}", at)


def _poetry_requirements(pyproject: Pyproject) -> Iterator[tuple[str, str, str | None]]:
    """(name, as written, Poetry constraint or None) for every declared dependency."""
    for declared in pyproject._declared_quietly():
        yield declared.name, declared.written, None
    for name, value in pyproject.poetry_dependencies.items():
        constraint = string(value) or string(table(value).get("version"))
        local = any(key in table(value) for key in ("path", "git", "url"))
        written = f"{name} = {json.dumps(constraint)}" if constraint else name
        yield canonical_name(name), written, None if local else constraint


def poetry_constraint_allows(constraint: str, version_text: str) -> bool | None:
    """Whether Poetry's constraint (`^1.2`, `~1.2`, `>=1,<2`, `1.*`, `a || b`) allows the
    version; None when either cannot be read."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    try:
        version = Version(version_text)
        alternatives = [_pep440(part.strip()) for part in re.split(r"\|\|?", constraint)]
        return any(SpecifierSet(spec).contains(version, prereleases=True) for spec in alternatives)
    except (InvalidVersion, InvalidSpecifier, ValueError):
        return None


def _pep440(constraint: str) -> str:
    joined = re.sub(r"(<=|>=|==|!=|~=|<|>|\^|~)\s+", r"\1", constraint)
    return ",".join(_pep440_part(part) for part in re.split(r"[\s,]+", joined) if part)


def _pep440_part(part: str) -> str:
    if part in ("*", ""):
        return ""
    if part.startswith("^"):
        return _caret(part[1:])
    if part.startswith("~") and not part.startswith("~="):
        return _tilde(part[1:])
    if part[0].isdigit():
        return f"=={part}"
    return part


def _release(text: str) -> list[int]:
    release = re.split(r"[-+]", text, maxsplit=1)[0]
    numbers = [int(n) for n in re.findall(r"\d+", release)[:3]]
    if not numbers:
        raise ValueError(text)
    return numbers


def _caret(text: str) -> str:
    numbers = _release(text)
    index = next((i for i, n in enumerate(numbers) if n != 0), len(numbers) - 1)
    upper = [*numbers[:index], numbers[index] + 1]
    return f">={text},<{'.'.join(map(str, upper))}"


def _tilde(text: str) -> str:
    numbers = _release(text)
    upper = [numbers[0] + 1] if len(numbers) == 1 else [numbers[0], numbers[1] + 1]
    return f">={text},<{'.'.join(map(str, upper))}"


# Pipenv -------------------------------------------------------------------------------

_PIPFILE_SECTIONS = frozenset(
    {"source", "packages", "dev-packages", "requires", "scripts", "pipfile", "pipenv"}
)
_DEFAULT_SOURCE = {"name": "pypi", "url": "https://pypi.org/simple", "verify_ssl": True}


def pipfile_hashes(data: Mapping[str, object]) -> set[str]:
    """Pipenv's `_meta.hash.sha256` as plette computes it, as Pipenv computes it since it
    normalises package names, and as the older `pipfile` library did."""
    sources = data.get("source", [_DEFAULT_SOURCE])

    def content(normalise: bool, categories: bool) -> str:
        def section(value: object) -> Mapping[str, object]:
            found = table(value)
            return {canonical_name(k): v for k, v in found.items()} if normalise else found

        meta = {"sources": sources, "requires": table(data, "requires")}
        result: dict[str, object] = {
            "_meta": meta,
            "default": section(data.get("packages")),
            "develop": section(data.get("dev-packages")),
        }
        if categories:
            for name, values in data.items():
                if name not in _PIPFILE_SECTIONS and name not in ("default", "develop"):
                    result[name] = section(values)
        text = json.dumps(result, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    return {content(False, True), content(True, True), content(False, False)}


def pipfile_lock_drift(pipfile: TomlDocument, lock: Mapping[str, object]) -> list[Drift] | None:
    recorded = string(table(lock, "_meta", "hash").get("sha256"))
    if recorded is None or recorded in pipfile_hashes(pipfile.root):
        return None
    drift = []
    for section, locked_section in (("packages", "default"), ("dev-packages", "develop")):
        locked = {canonical_name(k): v for k, v in table(lock, locked_section).items()}
        for name, value in table(pipfile.root, section).items():
            problem = _pipenv_problem(name, value, locked.get(canonical_name(name)), section)
            if problem is not None:
                drift.append(Drift(name, problem, pipfile.locate((section, name))))
    if drift:
        return drift
    at = pipfile.locate(("packages",))
    return [Drift("", "its `_meta.hash` no longer matches the Pipfile", at)]


def _pipenv_problem(name: str, value: object, locked: object, section: str) -> str | None:
    if locked is None:
        return f"`{name}` ([{section}]) is not in Pipfile.lock"
    wanted = string(value) or string(table(value).get("version"))
    version = (string(table(locked).get("version")) or "").removeprefix("==")
    if not wanted or wanted == "*" or not version:
        return None
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    try:
        allowed = SpecifierSet(wanted).contains(Version(version), prereleases=True)
    except (InvalidSpecifier, InvalidVersion):
        return None
    return None if allowed else f'`{name} = "{wanted}"` does not allow the locked {version}'


# Locked versions (LCK006) -------------------------------------------------------------

_ENTRY_HEADER = re.compile(r"^\[\[\s*(package|packages)\s*\]\][ \t]*(?:#.*)?$", re.MULTILINE)
_POETRY_DIRECT = frozenset({"git", "directory", "file", "url"})
_PYLOCK_DIRECT = frozenset({"vcs", "directory", "archive"})


@dataclass(frozen=True)
class LockedPackage:
    """A package a lockfile pins to one release of a package index; `at` is its entry."""

    name: str
    version: str
    at: Position | None


def is_pylock(path: str) -> bool:
    """A PEP 751 lockfile: `pylock.toml`, or a named one such as `pylock.dev.toml`."""
    name = path.rpartition("/")[2]
    return name == "pylock.toml" or (name.startswith("pylock.") and name.endswith(".toml"))


def locked_packages(path: str, document: TomlDocument) -> list[LockedPackage]:
    """The index releases a `uv.lock`, `poetry.lock`, `pdm.lock` or `pylock.toml` locks,
    each at its `[[package]]` (`[[packages]]`) entry. The project itself, path and VCS dependencies
    and direct URLs are left out: no index release stands behind them."""
    key = "packages" if is_pylock(path) else "package"
    entries = _tables(document.root.get(key))
    headers = [
        position_at(document.text, found.start())
        for found in _ENTRY_HEADER.finditer(document.text)
        if found.group(1) == key
    ]
    positions: list[Position | None] = list(headers)
    if len(headers) != len(entries):  # not written as one `[[package]]` table each
        positions = [None] * len(entries)
    from_index = _index_release_test(path)
    found = []
    for entry, at in zip(entries, positions, strict=True):
        name, version = string(entry.get("name")), string(entry.get("version"))
        if name and version and from_index(entry):
            found.append(LockedPackage(canonical_name(name), version, at))
    return found


def pipfile_locked_packages(document: JsonDocument) -> list[LockedPackage]:
    """The index releases a `Pipfile.lock` pins (`"version": "==X"` in `default` and
    `develop`), each at its key. VCS, path and file entries pin no index release."""
    found = []
    for section in ("default", "develop"):
        for name, entry in table(document.root, section).items():
            details = table(entry)
            version = string(details.get("version")) or ""
            if version.startswith("==") and not _PIPFILE_DIRECT.intersection(details):
                at = document.locate(section, name)
                found.append(LockedPackage(canonical_name(name), version[2:], at))
    return found


_VCS_KEYS = frozenset({"git", "hg", "svn", "bzr"})
_PIPFILE_DIRECT = _VCS_KEYS | {"path", "file"}


def _index_release_test(path: str) -> Callable[[Mapping[str, object]], bool]:
    if is_pylock(path):
        return _pylock_index_release
    if path.endswith("pdm.lock"):
        return _pdm_index_release
    return _poetry_index_release if path.endswith("poetry.lock") else _uv_index_release


def _pdm_index_release(entry: Mapping[str, object]) -> bool:
    """PDM records `git` (or `hg`, `svn`, `bzr`), `url` or `path` for what no index serves."""
    return not _PDM_DIRECT & entry.keys()


_PDM_DIRECT = _VCS_KEYS | {"url", "path"}


def _uv_index_release(entry: Mapping[str, object]) -> bool:
    """uv records where each package comes from: `registry`, or a path, VCS or URL."""
    source = table(entry, "source")
    return not source or "registry" in source


def _poetry_index_release(entry: Mapping[str, object]) -> bool:
    """Poetry records a source only for what is not from PyPI; `legacy` is another index."""
    return string(table(entry, "source").get("type")) not in _POETRY_DIRECT


def _pylock_index_release(entry: Mapping[str, object]) -> bool:
    return not _PYLOCK_DIRECT & entry.keys()
