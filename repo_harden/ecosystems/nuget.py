"""NuGet (.NET): a `*.csproj`, `*.fsproj` or `*.vbproj` with package references is locked by
`packages.lock.json`, once `RestorePackagesWithLockFile` is on in the project or a
`Directory.Build.props` above it (without it, `dotnet restore` writes no lockfile)."""

from __future__ import annotations

import re

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.parsed import ParsedFiles
from repo_harden.ecosystems.ecosystem import Declaration, Ecosystem, named_hint
from repo_harden.ecosystems.tree import Tree, ancestors, folder_of, join
from repo_harden.readers.documents import position_at

_LOCK_SWITCH = lazy_compile(r"<RestorePackagesWithLockFile>\s*true\s*</", re.IGNORECASE)
_PACKAGE_REFERENCE = lazy_compile(r"<PackageReference\b", re.IGNORECASE)


def declares(parsed: ParsedFiles, tree: Tree, path: str) -> Declaration | None:
    text = parsed.text(path) or ""
    found = _PACKAGE_REFERENCE.search(text)
    if found is None or not _switched_on(parsed, tree, path, text):
        return None
    return Declaration(position_at(text, found.start()))


def _switched_on(parsed: ParsedFiles, tree: Tree, path: str, text: str) -> bool:
    folder = folder_of(path)
    return _LOCK_SWITCH.search(text) is not None or any(
        _LOCK_SWITCH.search(parsed.text(join(root, "Directory.Build.props")) or "")
        for root in (folder, *ancestors(folder))
        if tree.has(join(root, "Directory.Build.props"))
    )


def covers(parsed: ParsedFiles, tree: Tree, path: str) -> bool:
    return tree.has(join(folder_of(path), "packages.lock.json"))


ECOSYSTEM = Ecosystem(
    name="nuget",
    manifests=("*.csproj", "*.fsproj", "*.vbproj"),
    lockfiles=("packages.lock.json",),
    lock_command="dotnet restore --use-lock-file",
    declares=declares,
    covers=covers,
    hint=named_hint("packages.lock.json"),
    purl_type="nuget",
)
