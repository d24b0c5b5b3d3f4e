"""PDM: `pyproject.toml` locked by `pdm.lock`. Its drift is not judged yet; its locked
packages are read for LCK006."""

from __future__ import annotations

from collections.abc import Mapping

from repo_harden.ecosystems import pyproject as pyprojects
from repo_harden.ecosystems.ecosystem import Ecosystem, lockfile_beside, named_hint
from repo_harden.ecosystems.toml_locks import VCS_KEYS, locked_reader

LOCKFILES = ("pdm.lock",)
_DIRECT_KEYS = VCS_KEYS | {"url", "path"}


def index_release(entry: Mapping[str, object]) -> bool:
    """PDM records `git` (or `hg`, `svn`, `bzr`), `url` or `path` for what no index serves."""
    return not _DIRECT_KEYS & entry.keys()


ECOSYSTEM = Ecosystem(
    name="pdm",
    manifests=("pyproject.toml",),
    lockfiles=LOCKFILES,
    lock_command="pdm lock",
    declares=pyprojects.declares,
    covers=lockfile_beside(LOCKFILES),
    chosen=pyprojects.chosen_by("pdm"),
    hint=named_hint("pdm.lock"),
    locked_packages=locked_reader("package", index_release),
    purl_type="pypi",
)
