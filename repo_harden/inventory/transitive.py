"""Following actions and reusable workflows into the files they run, transitively: a
repository that uses `org/deploy@<sha>`, whose `action.yml` uses
`tj-actions/changed-files@v35`, uses it too, through `org/deploy@<sha>` (its `via`).

The reading is pure: a `RemoteFiles` source answers, a level at a time and in batches,
which commit each ref names and what a file holds at a commit. Each distinct file is read
and parsed once, however many repositories reach it. Chains stop at `depth` levels and at
loops (a file that is already on the chain opens nothing more).

What cannot be followed (a ref the source cannot resolve, a file it cannot read, a chain
deeper than `depth`) is `Unread` for each repository that reaches it: an answer about
that repository is then unknown unless it matches anyway.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, MutableMapping
from typing import Protocol

from repo_harden.core.record import record, replace
from repo_harden.inventory.model import (
    FOLLOWED_HOLD_KINDS,
    FOLLOWED_KINDS,
    PRE_COMMIT_HOOK,
    REUSABLE_WORKFLOW,
    Inventory,
    Item,
    Unread,
)
from repo_harden.inventory.purl import github_repository

DEFAULT_DEPTH = 10


@record
class NotRead:
    """Why a source could not answer a question (one line, for the user)."""

    reason: str


RefName = tuple[str, str]  # (owner/repo, ref)
FileAt = tuple[str, str, str]  # (owner/repo, commit, path)


class RemoteFiles(Protocol):
    """Where other repositories' files are read: GitHub, or the cache alone."""

    def commits(self, refs: Collection[RefName]) -> Mapping[RefName, str | NotRead]:
        """The commit each ref names (a tag, a branch, an abbreviated commit)."""
        ...

    def files(self, wanted: Collection[FileAt]) -> Mapping[FileAt, str | NotRead | None]:
        """Each file's text at its commit; None where the commit has no such file."""
        ...


@record
class Target:
    """A file an action or reusable workflow runs, at one commit."""

    repository: str
    commit: str
    candidates: tuple[str, ...]  # action.yml, then action.yaml; or the workflow

    @property
    def key(self) -> tuple[str, str, tuple[str, ...]]:
        return (self.repository.lower(), self.commit, self.candidates)


def target_of(item: Item, commit: str) -> Target | None:
    """What `owner/repo[/path]@ref` runs; None for a name that is not a repository's."""
    owner, _, rest = item.name.partition("/")
    repository, _, path = rest.partition("/")
    if not owner or not repository or item.name.startswith("./"):
        return None
    path = path.strip("/")
    if item.kind == REUSABLE_WORKFLOW:
        candidates: tuple[str, ...] = (path,) if path else ()
    else:
        prefix = f"{path}/" if path else ""
        candidates = (f"{prefix}action.yml", f"{prefix}action.yaml")
    if not candidates:
        return None
    return Target(f"{owner}/{repository}", commit, candidates)


@record(frozen=False)
class _Open:
    """An item still to follow, with the targets already on its chain."""

    repository: str
    item: Item
    chain: frozenset[tuple[str, str, tuple[str, ...]]]


class Follower:
    """Follows the items of many repositories together, a level at a time."""

    def __init__(self, source: RemoteFiles, depth: int = DEFAULT_DEPTH) -> None:
        self.source = source
        self.depth = depth
        self._opened: dict[tuple[str, str, tuple[str, ...]], Inventory | NotRead] = {}
        self._commits: dict[RefName, str | NotRead] = {}

    def follow(self, inventories: MutableMapping[str, Inventory]) -> None:
        """Adds to each inventory the items its actions and workflows reach, and gives
        every action, workflow and hook the commit of its ref where the source knows it."""
        for _name, inventory in inventories.items():
            inventory.items = self._with_commits(inventory.items)
        todo = [
            _Open(name, item, frozenset())
            for name, inventory in inventories.items()
            for item in inventory.items
            if item.kind in FOLLOWED_KINDS
        ]
        for _level in range(self.depth):
            if not todo:
                return
            todo = self._level(todo, inventories)
        for pending in todo:
            reason = f"{pending.item.reference}: not followed, deeper than {self.depth} levels"
            inventories[pending.repository].unread.append(Unread(reason, FOLLOWED_HOLD_KINDS))

    def _with_commits(self, items: list[Item]) -> list[Item]:
        """Items whose ref the source can name a commit for, given that commit."""
        refs: set[RefName] = {
            (repository_of(item), item.ref)
            for item in items
            if item.sha is None and item.ref and repository_of(item)
        }
        missing = refs - self._commits.keys()
        if missing:
            self._commits.update(self.source.commits(missing))
        resolved = []
        for item in items:
            known = self._commits.get((repository_of(item), item.ref or ""))
            resolved.append(replace(item, sha=known) if isinstance(known, str) else item)
        return resolved

    def _level(self, todo: list[_Open], inventories: MutableMapping[str, Inventory]) -> list[_Open]:
        targets: dict[int, Target | NotRead] = {}
        for index, pending in enumerate(todo):
            targets[index] = self._target(pending.item)
        self._open([t for t in targets.values() if isinstance(t, Target)])
        following: list[_Open] = []
        for index, pending in enumerate(todo):
            target = targets[index]
            inventory = inventories[pending.repository]
            opened = self._opened.get(target.key) if isinstance(target, Target) else target
            if isinstance(opened, NotRead) or opened is None:
                why = opened.reason if opened is not None else "not read"
                what = f"{pending.item.reference}: not followed ({why})"
                inventory.unread.append(Unread(what, FOLLOWED_HOLD_KINDS))
                continue
            assert isinstance(target, Target)
            if target.key in pending.chain:
                continue  # a loop: this file is already being followed
            chain = pending.chain | {target.key}
            reached = [item.reached_through(pending.item) for item in opened.items]
            reached = self._with_commits(reached)
            inventory.items += reached
            inventory.unread += [
                replace(unread, what=f"{pending.item.reference}: {unread.what}")
                for unread in opened.unread
            ]
            following += [
                _Open(pending.repository, item, chain)
                for item in reached
                if item.kind in FOLLOWED_KINDS
            ]
        return following

    def _target(self, item: Item) -> Target | NotRead:
        commit = item.sha
        if commit is None:
            known = self._commits.get((repository_of(item), item.ref or ""))
            if isinstance(known, NotRead):
                return known
            commit = known
        if commit is None:
            return NotRead("no ref" if not item.ref else "its commit is not known")
        target = target_of(item, commit)
        return target if target is not None else NotRead("not a repository's action")

    def _open(self, targets: list[Target]) -> None:
        """Read and parse each target not opened yet, all in one batch."""
        new = {t.key: t for t in targets if t.key not in self._opened}
        if not new:
            return
        wanted = {
            (target.repository, target.commit, path)
            for target in new.values()
            for path in target.candidates
        }
        texts = self.source.files(wanted)
        for key, target in new.items():
            self._opened[key] = _parsed(target, texts)


def _parsed(target: Target, texts: Mapping[FileAt, str | NotRead | None]) -> Inventory | NotRead:
    from repo_harden.inventory.extract import items_of_text  # parsers: only when a file is read

    for path in target.candidates:
        text = texts.get((target.repository, target.commit, path), NotRead("not read"))
        if isinstance(text, NotRead):
            return text
        if text is not None:
            return items_of_text(path, text, target.repository)
    listed = " or ".join(target.candidates)
    return NotRead(f"{target.repository} has no {listed} at {target.commit[:12]}")


def repository_of(item: Item) -> str:
    """`owner/repo` of an action, a workflow or a hook on github.com ("" for the rest)."""
    if item.kind == PRE_COMMIT_HOOK:
        return github_repository(item.name) or ""
    if item.kind not in FOLLOWED_KINDS or item.name.startswith("./"):
        return ""
    parts = item.name.split("/")
    return "/".join(parts[:2]) if len(parts) >= 2 else ""
