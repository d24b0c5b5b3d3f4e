"""`go.mod` and `go.sum`: every required module version needs a checksum line, or the go
command stops with "missing go.sum entry" (`-mod=readonly`, the default since Go 1.16).

`replace` directives are followed: a module replaced by a local folder needs no
checksum, one replaced by another module needs that module's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.model import Position
from repo_harden.core.parsed import ParsedFiles
from repo_harden.core.record import record
from repo_harden.ecosystems.ecosystem import (
    Declaration,
    Drift,
    Ecosystem,
    LockedPackage,
    Pair,
    named_hint,
)
from repo_harden.ecosystems.tree import Tree, ancestors, folder_of, join
from repo_harden.readers.documents import position_at

_BLOCK_START = lazy_compile(r"^\s*(require|replace|exclude)\s*\(\s*(?://.*)?$")
_DIRECTIVE = lazy_compile(r"^\s*(require|replace|exclude)\s+(.+)$")


@record
class GoRequirement:
    module: str
    version: str
    at: Position


@record
class GoMod:
    requirements: tuple[GoRequirement, ...]
    replacements: dict[tuple[str, str | None], tuple[str, str | None]]

    def checksummed(self, requirement: GoRequirement) -> tuple[str, str] | None:
        """The module version whose checksum go.sum must hold; None for a local folder."""
        target = self.replacements.get((requirement.module, requirement.version))
        target = target or self.replacements.get((requirement.module, None))
        if target is None:
            return requirement.module, requirement.version
        module, version = target
        if version is None or module.startswith((".", "/")):
            return None
        return module, version


def read_go_mod(text: str) -> GoMod:
    requirements: list[GoRequirement] = []
    replacements: dict[tuple[str, str | None], tuple[str, str | None]] = {}
    block: str | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("//", 1)[0].strip()
        if block is not None:
            if line == ")":
                block = None
            elif line:
                _directive(
                    block,
                    line,
                    Position(number, raw.index(line[0]) + 1),
                    requirements,
                    replacements,
                )
            continue
        start = _BLOCK_START.match(raw)
        if start:
            block = start.group(1)
            continue
        single = _DIRECTIVE.match(line)
        if single:
            at = Position(number, raw.index(single.group(2)[0], raw.index(single.group(1))) + 1)
            _directive(single.group(1), single.group(2), at, requirements, replacements)
    return GoMod(tuple(requirements), replacements)


def _directive(
    kind: str,
    words_text: str,
    at: Position,
    requirements: list[GoRequirement],
    replacements: dict[tuple[str, str | None], tuple[str, str | None]],
) -> None:
    words = [word.strip('"') for word in words_text.split()]
    if kind == "require" and len(words) >= 2:
        requirements.append(GoRequirement(words[0], words[1], at))
    elif kind == "replace" and "=>" in words:
        arrow = words.index("=>")
        old, new = words[:arrow], words[arrow + 1 :]
        if old and new:
            source = (old[0], old[1] if len(old) > 1 else None)
            replacements[source] = (new[0], new[1] if len(new) > 1 else None)


def go_sum_entries(texts: Iterable[str]) -> frozenset[tuple[str, str]]:
    """(module, version) pairs with a checksum; `v1.2.3/go.mod` lines count as `v1.2.3`."""
    found = set()
    for text in texts:
        for line in text.splitlines():
            words = line.split()
            if len(words) >= 3:
                found.add((words[0], words[1].removesuffix("/go.mod")))
    return frozenset(found)


def go_sum_drift(go_mod: GoMod, sums: frozenset[tuple[str, str]]) -> list[Drift]:
    drift = []
    for requirement in go_mod.requirements:
        needed = go_mod.checksummed(requirement)
        if needed is not None and needed not in sums:
            module, version = needed
            problem = f"`{module} {version}` has no checksum line in go.sum"
            drift.append(Drift(requirement.module, problem, requirement.at))
    return drift


LOCKFILES = ("go.sum",)
_REQUIRE = lazy_compile(r"^[ \t]*require\b", re.MULTILINE)


def declares(parsed: ParsedFiles, tree: Tree, path: str) -> Declaration | None:
    text = parsed.text(path) or ""
    found = _REQUIRE.search(text)
    return Declaration(position_at(text, found.start())) if found else None


def _work_sums(tree: Tree, folder: str) -> list[str]:
    """The `go.work.sum` files of the workspaces above a module (and beside it)."""
    return [
        join(root, "go.work.sum")
        for root in (folder, *ancestors(folder))
        if tree.has(join(root, "go.work.sum"))
    ]


def covers(parsed: ParsedFiles, tree: Tree, path: str) -> bool:
    folder = folder_of(path)
    return tree.has(join(folder, "go.sum")) or bool(_work_sums(tree, folder))


def drift(parsed: ParsedFiles, tree: Tree, pair: Pair) -> list[Drift]:
    go_mod, go_sum = parsed.text(pair.manifest), parsed.text(pair.lockfile)
    if go_mod is None or go_sum is None:
        return []
    work_sums = [parsed.text(path) or "" for path in _work_sums(tree, folder_of(pair.manifest))]
    return go_sum_drift(read_go_mod(go_mod), go_sum_entries([go_sum, *work_sums]))


def locked_packages(parsed: ParsedFiles, path: str) -> list[LockedPackage]:
    text = parsed.text(path)
    if text is None:
        return []
    found = parsed.memo("locked-packages", path, lambda: go_sum_modules(text))
    return found or []


def go_sum_modules(text: str) -> list[LockedPackage]:
    """The modules whose source go.sum checksums (a `module version h1:...` line), each at
    its line; a `version/go.mod` line only checksums the module's go.mod, read to resolve
    versions, not built."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split()
        if len(words) >= 3 and not words[1].endswith("/go.mod"):
            found.append(LockedPackage(words[0], words[1], Position(number, 1)))
    return found


ECOSYSTEM = Ecosystem(
    name="go",
    manifests=("go.mod",),
    lockfiles=LOCKFILES,
    lock_command="go mod tidy",
    declares=declares,
    covers=covers,
    hint=named_hint("go.sum"),
    drift=drift,
    fix_command="run `go mod tidy`",
    locked_packages=locked_packages,
    purl_type="golang",
)
