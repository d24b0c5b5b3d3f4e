"""Swift Package Manager: a `Package.swift` with remote packages, locked by
`Package.resolved`."""

from __future__ import annotations

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.parsed import ParsedFiles
from repo_harden.ecosystems.ecosystem import Declaration, Ecosystem, named_hint
from repo_harden.ecosystems.tree import Tree, folder_of, join
from repo_harden.readers.documents import position_at

_REMOTE = lazy_compile(r"\.package\s*\(\s*(?:name\s*:\s*\"[^\"]*\"\s*,\s*)?(url|id)\s*:")


def declares(parsed: ParsedFiles, tree: Tree, path: str) -> Declaration | None:
    text = parsed.text(path) or ""
    found = _REMOTE.search(text)
    return Declaration(position_at(text, found.start())) if found else None


def covers(parsed: ParsedFiles, tree: Tree, path: str) -> bool:
    return tree.has(join(folder_of(path), "Package.resolved"))


ECOSYSTEM = Ecosystem(
    name="swiftpm",
    manifests=("Package.swift",),
    lockfiles=("Package.resolved",),
    lock_command="swift package resolve",
    declares=declares,
    covers=covers,
    hint=named_hint("Package.resolved"),
    purl_type="swift",
)
