"""Poetry: `pyproject.toml` locked by `poetry.lock`, judged as `poetry check --lock` judges
it: `content-hash` is the SHA-256 of the relevant parts of `pyproject.toml`, recomputed as
every Poetry since 1.0 computes it. A hash says only *that* something changed; to say
*what*, the declared dependencies are compared with the locked packages."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.parsed import ParsedFiles
from repo_harden.ecosystems import pyproject as pyprojects
from repo_harden.ecosystems.ecosystem import (
    Drift,
    Ecosystem,
    Pair,
    lockfile_beside,
    named_hint,
)
from repo_harden.ecosystems.pyproject import PYPROJECT, Pyproject, python_name
from repo_harden.ecosystems.toml_locks import locked_reader
from repo_harden.ecosystems.tree import Tree
from repo_harden.readers.documents import read_toml, string, table, tables

LOCKFILES = ("poetry.lock",)
_DIRECT_SOURCES = frozenset({"git", "directory", "file", "url"})


def drift(parsed: ParsedFiles, tree: Tree, pair: Pair) -> list[Drift]:
    project, text = parsed.read(PYPROJECT, pair.manifest), parsed.text(pair.lockfile)
    if project is None or text is None:
        return []
    found = parsed.memo("poetry.lock", pair.lockfile, lambda: poetry_lock_drift(project, text))
    return found or []


def index_release(entry: Mapping[str, object]) -> bool:
    """Poetry records a source only for what is not from PyPI; `legacy` is another index."""
    return string(table(entry, "source").get("type")) not in _DIRECT_SOURCES


_CONTENT_HASH = lazy_compile(r'^content-hash\s*=\s*"([0-9a-f]+)"', re.MULTILINE)
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
    for package in tables(lock.get("package")):
        name, version = string(package.get("name")), string(package.get("version"))
        if name and version:
            versions.setdefault(python_name(name), []).append(version)
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
        yield python_name(name), written, None if local else constraint


def poetry_constraint_allows(constraint: str, version_text: str) -> bool | None:
    """Whether Poetry's constraint (`^1.2`, `~1.2`, `>=1,<2`, `1.*`, `a || b`) allows the
    version; None when either cannot be read. Translated to PEP 440 for `packaging` rather
    than read by poetry-core, which agrees (tests/test_version_ranges.py) but would add
    3.6 MB to a hook's environment and more time per new constraint (issue 13)."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    try:
        version = Version(version_text)
        alternatives = [_pep440(part.strip()) for part in re.split(r"\|\|?", constraint)]
        return any(SpecifierSet(spec).contains(version, prereleases=True) for spec in alternatives)
    except (InvalidVersion, InvalidSpecifier, ValueError):
        return None


def _pep440(constraint: str) -> str:
    if not constraint:
        raise ValueError("an empty alternative")  # `^1 ||` is no constraint to Poetry
    joined = re.sub(r"(<=|>=|==|!=|~=|<|>|\^|~)\s+", r"\1", constraint)
    return ",".join(_pep440_part(part) for part in re.split(r"[\s,]+", joined) if part)


# Poetry also takes `=1.2` for `==1.2` and a `v` before the version (poetry-core's parser).
_POETRY_PART = lazy_compile(r"^(\^|~=|~|===|==|!=|<=|>=|<|>|=)?v?(\d.*)$")


def _pep440_part(part: str) -> str:
    if part in ("*", ""):
        return ""
    match = _POETRY_PART.match(part)
    if match is None:
        return part  # not Poetry's: packaging refuses it
    operator, version = match.group(1) or "", match.group(2)
    if operator == "^":
        return _caret(version)
    if operator == "~" or (operator == "~=" and "." not in version):
        return _tilde(version)  # Poetry reads `~=1` as `~1`; PEP 440 has no `~=1`
    if operator in ("", "="):
        return f"=={version}"
    return f"{operator}{version}"


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


ECOSYSTEM = Ecosystem(
    name="poetry",
    manifests=("pyproject.toml",),
    lockfiles=LOCKFILES,
    lock_command="poetry lock",
    declares=pyprojects.declares,
    covers=lockfile_beside(LOCKFILES),
    chosen=pyprojects.chosen_by("poetry"),
    hint=named_hint("poetry.lock"),
    drift=drift,
    fix_command="run `poetry lock` (`poetry lock --no-update` before Poetry 2)",
    locked_packages=locked_reader("package", index_release),
    purl_type="pypi",
)
