"""Known vulnerabilities, as LCK006 sees them: package versions, advisories, and the
protocol of a source that looks them up."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Protocol

from repo_harden.core.record import record


@record
class PackageVersion:
    """A Python package, by its normalized name, at one exact version."""

    name: str
    version: str


@record
class Advisory:
    """A known vulnerability: its id, the other ids it is known by, and the versions that
    fix it (ascending; none when no release fixes it)."""

    id: str
    aliases: tuple[str, ...]
    fixed_in: tuple[str, ...]
    summary: str


class AdvisoryError(Exception):
    """The vulnerability source could not answer; the message says why, in one line."""


class AdvisorySource(Protocol):
    """Where the known vulnerabilities of package versions come from (LCK006)."""

    def advisories(
        self, packages: Collection[PackageVersion]
    ) -> Mapping[PackageVersion, tuple[Advisory, ...]]:
        """The advisories that affect each package version, all asked at once so that a
        source can batch them and ask once for each distinct version; a version with none
        maps to (). Raises `AdvisoryError` when the source cannot answer."""
        ...
