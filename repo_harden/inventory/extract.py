"""A repository's inventory from its snapshot, without I/O: every item of every file the
inventory reads (`INVENTORY_PATTERNS`), the repository's own actions and reusable
workflows followed where they are used (`uses: ./path`), the pinned requirements of its
requirements files (with their `-r` and `-c` includes), and what could not be read."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain

from repo_harden.core.globs import PathMatcher
from repo_harden.core.parsed import ParsedFiles
from repo_harden.core.snapshot import RepoSettings, RepoSnapshot
from repo_harden.inventory.actions import LocalUse, uses_in
from repo_harden.inventory.downloads import downloads_of
from repo_harden.inventory.images import images_of
from repo_harden.inventory.model import (
    ACTION,
    DOWNLOAD,
    IMAGE,
    PACKAGE,
    PRE_COMMIT_HOOK,
    REUSABLE_WORKFLOW,
    Inventory,
    Item,
    Unread,
)
from repo_harden.inventory.packages import (
    LOCKFILE_PATTERNS,
    PACKAGE_PATTERNS,
    packages_of,
    pinned_requirements_of,
)
from repo_harden.inventory.precommit import PRE_COMMIT_CONFIG, hooks_of
from repo_harden.readers.compose import COMPOSE_PATTERNS, is_compose_path
from repo_harden.readers.file_kinds import REQUIREMENTS_PATTERNS, SCRIPT_PATTERNS
from repo_harden.readers.workflows import is_action_path, is_workflow_path

INVENTORY_PATTERNS = (
    SCRIPT_PATTERNS + COMPOSE_PATTERNS + PACKAGE_PATTERNS + (f"/{PRE_COMMIT_CONFIG}",)
)
MAX_LOCAL_DEPTH = 10  # `./` actions inside `./` actions: GitHub itself stops well before
MAX_ITEMS = 200_000  # per repository: `./` references can multiply a file's items


def inventory_of(snapshot: RepoSnapshot) -> Inventory:
    parsed = ParsedFiles(snapshot)
    matcher = PathMatcher(INVENTORY_PATTERNS)
    paths = [path for path in snapshot.paths() if matcher.matches(path)]
    reader = _Reader(parsed, frozenset(snapshot.paths()))
    result = Inventory()
    requirement_files = [path for path in paths if _REQUIREMENTS.matches(path)]
    found = (reader.items(path) for path in paths)
    for items in chain(found, [pinned_requirements_of(parsed, requirement_files)]):
        result.items += items
        if len(result.items) > MAX_ITEMS:
            del result.items[MAX_ITEMS:]
            result.unread.append(Unread(f"more than {MAX_ITEMS} items: the rest are not listed"))
            break
    result.items.sort(key=lambda item: (item.path, item.line or 0, item.kind, item.name))
    for path, problem in sorted(parsed.problems.items()):
        result.unread.append(Unread(f"{path}: {problem.message}", kinds_in(path)))
    return result


class _Reader:
    """Each file's items, read once; a local `uses:` adds the items of the file it opens."""

    def __init__(self, parsed: ParsedFiles, paths: frozenset[str]) -> None:
        self.parsed = parsed
        self.paths = paths
        self._own: dict[str, tuple[list[Item], list[LocalUse]]] = {}
        self._reached: dict[str, list[Item]] = {}

    def items(self, path: str, opening: tuple[str, ...] = ()) -> list[Item]:
        """The file's items, and those its local references reach (followed once per file;
        a reference back into `opening` is a loop and opens nothing)."""
        if path in self._reached:
            return self._reached[path]
        own, local = self._file(path)
        found = list(own)
        if len(opening) < MAX_LOCAL_DEPTH:
            for use in local:
                target = next((name for name in use.files if name in self.paths), None)
                if target is None or target in opening or target == path:
                    continue
                reached = self.items(target, (*opening, path))
                found += [item.reached_through(use.item) for item in reached[:MAX_ITEMS]]
        self._reached[path] = found
        return found

    def _file(self, path: str) -> tuple[list[Item], list[LocalUse]]:
        if path not in self._own:
            self._own[path] = file_items(self.parsed, path)
        return self._own[path]


def file_items(parsed: ParsedFiles, path: str) -> tuple[list[Item], list[LocalUse]]:
    """Every item one file names, and its local references."""
    items: list[Item] = []
    local: list[LocalUse] = []
    if is_workflow_path(path) or is_action_path(path):
        items, local = uses_in(parsed, path)
    if path == PRE_COMMIT_CONFIG:
        items += hooks_of(parsed, path)
    if _LOCKFILES.matches(path):
        items += packages_of(parsed, path)
    if _SCRIPTS.matches(path) or is_compose_path(path):
        items += images_of(parsed, path)
    if _SCRIPTS.matches(path):
        items += downloads_of(parsed, path)
    return items, local


_LOCKFILES = PathMatcher(LOCKFILE_PATTERNS)
_REQUIREMENTS = PathMatcher(REQUIREMENTS_PATTERNS)
_SCRIPTS = PathMatcher(SCRIPT_PATTERNS)


def kinds_in(path: str) -> tuple[str, ...]:
    """The kinds of item a file may hold: what its being unreadable leaves unknown."""
    kinds: list[str] = []
    if is_workflow_path(path) or is_action_path(path):
        kinds += [ACTION, REUSABLE_WORKFLOW]
    if path == PRE_COMMIT_CONFIG:
        kinds.append(PRE_COMMIT_HOOK)
    if _LOCKFILES.matches(path) or _REQUIREMENTS.matches(path):
        kinds.append(PACKAGE)
    if _SCRIPTS.matches(path) or is_compose_path(path):
        kinds += [IMAGE, DOWNLOAD]
    return tuple(kinds)


def items_of_text(path: str, text: str, name: str = "remote") -> Inventory:
    """The items of one file given as text (an action or workflow read from another
    repository); its local references are not followed (they name the caller's files)."""
    parsed = ParsedFiles(_OneFile(name, path, text))
    items, _ = file_items(parsed, path)
    unread = [Unread(f"{path}: {p.message}", kinds_in(path)) for p in parsed.problems.values()]
    return Inventory(items, unread)


class _OneFile:
    """A snapshot of one text file."""

    def __init__(self, name: str, path: str, text: str) -> None:
        self.name = name
        self.settings: RepoSettings | None = None
        self._path = path
        self._text = text

    def paths(self) -> Sequence[str]:
        return (self._path,)

    def read_text(self, path: str) -> str | None:
        return self._text if path == self._path else None

    def unreadable_reason(self, path: str) -> str | None:
        return None
