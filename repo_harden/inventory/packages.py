"""Locked packages: what every lockfile the ecosystems can read pins (`Ecosystem.
locked_packages`), each with its registry as package URLs name it (`purl_type`)."""

from __future__ import annotations

from repo_harden.core.parsed import ParsedFiles
from repo_harden.ecosystems import registry
from repo_harden.inventory.model import PACKAGE, Item

LOCKFILE_PATTERNS = registry.locked_package_patterns()


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
