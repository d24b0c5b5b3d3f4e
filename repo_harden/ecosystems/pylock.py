"""PEP 751 lockfiles: `pylock.toml`, or a named one such as `pylock.dev.toml`, written by
pip, uv or PDM. Its locked packages are read for LCK006."""

from __future__ import annotations

from collections.abc import Mapping

from repo_harden.core.parsed import ParsedFiles
from repo_harden.ecosystems import pyproject as pyprojects
from repo_harden.ecosystems.ecosystem import Ecosystem, lockfile_beside, named_hint
from repo_harden.ecosystems.toml_locks import locked_reader
from repo_harden.ecosystems.tree import Tree

LOCKFILES = ("pylock.toml", "pylock.*.toml")
_DIRECT_KEYS = frozenset({"vcs", "directory", "archive"})
_beside = lockfile_beside(("pylock.toml",))


def covers(parsed: ParsedFiles, tree: Tree, path: str) -> bool:
    folder = path.rpartition("/")[0]
    return _beside(parsed, tree, path) or any(is_pylock(name) for name in tree.names_in(folder))


def is_pylock(path: str) -> bool:
    """A PEP 751 lockfile: `pylock.toml`, or a named one such as `pylock.dev.toml`."""
    name = path.rpartition("/")[2]
    return name == "pylock.toml" or (name.startswith("pylock.") and name.endswith(".toml"))


def index_release(entry: Mapping[str, object]) -> bool:
    return not _DIRECT_KEYS & entry.keys()


ECOSYSTEM = Ecosystem(
    name="pylock",
    manifests=("pyproject.toml",),
    lockfiles=LOCKFILES,
    lock_command="pip lock",
    declares=pyprojects.declares,
    covers=covers,
    hint=named_hint("pylock.toml"),
    locked_packages=locked_reader("packages", index_release),
    purl_type="pypi",
)
