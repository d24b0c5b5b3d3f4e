"""The packages a TOML lockfile pins (`uv.lock`, `poetry.lock`, `pdm.lock`, `pylock.toml`):
each `[[package]]` (`[[packages]]` in pylock) entry from a package index, at its line. The
project itself, path and VCS dependencies and direct URLs are left out: no index release
stands behind them, so there is nothing to look up."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.model import Position
from repo_harden.core.parsed import ParsedFiles
from repo_harden.ecosystems.ecosystem import LockedPackage
from repo_harden.ecosystems.pyproject import python_name
from repo_harden.readers.documents import TOML, TomlDocument, position_at, string, tables

_ENTRY_HEADER = lazy_compile(r"^\[\[\s*(package|packages)\s*\]\][ \t]*(?:#.*)?$", re.MULTILINE)
VCS_KEYS = frozenset({"git", "hg", "svn", "bzr"})

IndexRelease = Callable[[Mapping[str, object]], bool]


def locked_reader(
    key: str, from_index: IndexRelease, normal: Callable[[str], str] = python_name
) -> Callable[[ParsedFiles, str], list[LockedPackage]]:
    """`locked_packages` for a TOML lockfile whose entries are the arrays of tables `key`,
    keeping those `from_index` says a package index serves; `normal` writes their names as
    the index compares them (Python's normalized names by default)."""

    def locked_packages(parsed: ParsedFiles, path: str) -> list[LockedPackage]:
        document = parsed.read(TOML, path)
        if document is None:
            return []
        found = parsed.memo(
            "locked-packages", path, lambda: entries(document, key, from_index, normal)
        )
        return found or []

    return locked_packages


def entries(
    document: TomlDocument,
    key: str,
    from_index: IndexRelease,
    normal: Callable[[str], str] = python_name,
) -> list[LockedPackage]:
    listed = tables(document.root.get(key))
    headers = [
        position_at(document.text, found.start())
        for found in _ENTRY_HEADER.finditer(document.text)
        if found.group(1) == key
    ]
    positions: list[Position | None] = list(headers)
    if len(headers) != len(listed):  # not written as one `[[package]]` table each
        positions = [None] * len(listed)
    found = []
    for entry, at in zip(listed, positions, strict=True):
        name, version = string(entry.get("name")), string(entry.get("version"))
        if name and version and from_index(entry):
            found.append(LockedPackage(normal(name), version, at))
    return found
