"""Locked packages: what every lockfile the ecosystems can read pins (`Ecosystem.
locked_packages`), each with its registry as package URLs name it (`purl_type`), and the
requirements pinned with `==` or `===` in pip requirements and constraints files: the
same packages LCK006 treats as locked and looks up."""

from __future__ import annotations

from collections.abc import Iterable

from repo_harden.core.parsed import ParsedFiles
from repo_harden.ecosystems import registry
from repo_harden.inventory.model import PACKAGE, Item
from repo_harden.readers.file_kinds import REQUIREMENTS_PATTERNS

LOCKFILE_PATTERNS = registry.locked_package_patterns()
PACKAGE_PATTERNS = LOCKFILE_PATTERNS + REQUIREMENTS_PATTERNS
PIP_REQUIREMENTS = "pip requirements"  # an item's `what`: where a pinned requirement is


def packages_of(parsed: ParsedFiles, path: str) -> list[Item]:
    ecosystem = registry.for_lockfile(path.rpartition("/")[2])
    if ecosystem is None or ecosystem.locked_packages is None:
        return []
    return [
        Item(
            PACKAGE,
            path,
            locked.at.line if locked.at else None,
            locked.name,
            version=locked.version,
            ecosystem=ecosystem.purl_type,
            what=ecosystem.name,
        )
        for locked in ecosystem.locked_packages(parsed, path)
    ]


def pinned_requirements_of(parsed: ParsedFiles, paths: Iterable[str]) -> list[Item]:
    """The pinned requirements of these requirements files and of the files they include
    (`-r`, `-c`), each file read once however many include it."""
    from repo_harden.readers.requirements import pinned_requirements

    return [
        Item(
            PACKAGE,
            pinned.path,
            pinned.at.line,
            pinned.name,
            version=pinned.version,
            ecosystem="pypi",
            what=PIP_REQUIREMENTS,
        )
        for pinned in pinned_requirements(parsed, paths)
    ]
