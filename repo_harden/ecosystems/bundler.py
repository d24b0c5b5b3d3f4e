"""Bundler: a `Gemfile` locked by `Gemfile.lock`, or a `gems.rb` by `gems.locked`."""

from __future__ import annotations

import re

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.parsed import ParsedFiles
from repo_harden.ecosystems.ecosystem import Declaration, Ecosystem
from repo_harden.ecosystems.tree import Tree, folder_of, join
from repo_harden.readers.documents import position_at

_GEM = lazy_compile(r"^[ \t]*(gem|gemspec)\b", re.MULTILINE)
_LOCK_OF = {"Gemfile": "Gemfile.lock", "gems.rb": "gems.locked"}


def declares(parsed: ParsedFiles, tree: Tree, path: str) -> Declaration | None:
    text = parsed.text(path) or ""
    found = _GEM.search(text)
    return Declaration(position_at(text, found.start())) if found else None


def _lockfile(path: str) -> str:
    return _LOCK_OF[path.rpartition("/")[2]]


def covers(parsed: ParsedFiles, tree: Tree, path: str) -> bool:
    return tree.has(join(folder_of(path), _lockfile(path)))


def hint(parsed: ParsedFiles, tree: Tree, path: str) -> str:
    return f"`{_lockfile(path)}`"


ECOSYSTEM = Ecosystem(
    name="bundler",
    manifests=tuple(_LOCK_OF),
    lockfiles=tuple(_LOCK_OF.values()),
    lock_command="bundle lock",
    declares=declares,
    covers=covers,
    hint=hint,
    purl_type="gem",
)
