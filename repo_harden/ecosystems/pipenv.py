"""Pipenv: `Pipfile` locked by `Pipfile.lock`, judged as `pipenv install --deploy` judges it:
`_meta.hash.sha256` is the SHA-256 of the Pipfile's sources, requires and package sections,
as plette and Pipenv compute it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from repo_harden.core.parsed import ParsedFiles
from repo_harden.ecosystems.ecosystem import (
    Declaration,
    Drift,
    Ecosystem,
    LockedPackage,
    Pair,
    lockfile_beside,
    named_hint,
)
from repo_harden.ecosystems.pyproject import python_name
from repo_harden.ecosystems.toml_locks import VCS_KEYS
from repo_harden.ecosystems.tree import Tree
from repo_harden.readers.documents import JSON, TOML, JsonDocument, TomlDocument, string, table

LOCKFILES = ("Pipfile.lock",)
_DIRECT_KEYS = VCS_KEYS | {"path", "file"}


def declares(parsed: ParsedFiles, tree: Tree, path: str) -> Declaration | None:
    document = parsed.read(TOML, path)
    if document is None or not (
        table(document.root, "packages") or table(document.root, "dev-packages")
    ):
        return None
    return Declaration(document.locate(("packages",)))


def drift(parsed: ParsedFiles, tree: Tree, pair: Pair) -> list[Drift]:
    pipfile, lock = parsed.read(TOML, pair.manifest), parsed.read(JSON, pair.lockfile)
    if pipfile is None or lock is None:
        return []
    root = lock.root if isinstance(lock.root, dict) else {}
    return pipfile_lock_drift(pipfile, root) or []


def locked_packages(parsed: ParsedFiles, path: str) -> list[LockedPackage]:
    document = parsed.read(JSON, path)
    if document is None:
        return []
    found = parsed.memo("locked-packages", path, lambda: pipfile_locked_packages(document))
    return found or []


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
            return {python_name(k): v for k, v in found.items()} if normalise else found

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
        locked = {python_name(k): v for k, v in table(lock, locked_section).items()}
        for name, value in table(pipfile.root, section).items():
            problem = _pipenv_problem(name, value, locked.get(python_name(name)), section)
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


def pipfile_locked_packages(document: JsonDocument) -> list[LockedPackage]:
    """The index releases a `Pipfile.lock` pins (`"version": "==X"` in `default` and
    `develop`), each at its key. VCS, path and file entries pin no index release."""
    found = []
    for section in ("default", "develop"):
        for name, entry in table(document.root, section).items():
            details = table(entry)
            version = string(details.get("version")) or ""
            if version.startswith("==") and not _DIRECT_KEYS.intersection(details):
                at = document.locate(section, name)
                found.append(LockedPackage(python_name(name), version[2:], at))
    return found


ECOSYSTEM = Ecosystem(
    name="pipenv",
    manifests=("Pipfile",),
    lockfiles=LOCKFILES,
    lock_command="pipenv lock",
    declares=declares,
    covers=lockfile_beside(LOCKFILES),
    hint=named_hint("Pipfile.lock"),
    drift=drift,
    fix_command="run `pipenv lock`",
    locked_packages=locked_packages,
    purl_type="pypi",
)
