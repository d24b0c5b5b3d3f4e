"""`repo-harden inventory --org`: each repository's inventory, read as the audit reads
repositories (the same listing, `--shard`, skipped archived and forks, trees and blobs in
GraphQL batches, the same store and governor), a listing page at a time:

1. keep the repositories asked for;
2. reuse the stored inventory of a repository whose head commit has not changed;
3. read the others' trees, and the blobs of the files the inventory reads
   (`INVENTORY_PATTERNS`), batched across repositories;
4. read each one's inventory from its `GitHubSnapshot` and store it at once.

No settings are read: an inventory needs files only, and its listing asks nothing else (a
page costs one point). A warm run costs the listing alone.
The transitive reading of actions comes after, over every repository at once
(`repo_harden.inventory.transitive`, through `GitHubFiles`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from repo_harden import __version__
from repo_harden.audit import listing as listings
from repo_harden.audit.content import (
    GRAPHQL_BATCHES_IN_FLIGHT,
    BlobRequest,
    Failures,
    read_blobs,
    read_trees,
)
from repo_harden.audit.github_snapshot import GitHubSnapshot
from repo_harden.audit.listing import ListedRepository
from repo_harden.audit.queries import FILES_FRAGMENT
from repo_harden.audit.store import Store, StoredBlob, TreeEntry
from repo_harden.audit.transport import Stats, Transport
from repo_harden.core.globs import PathMatcher
from repo_harden.core.record import field, record
from repo_harden.engine.records import AUDITED, FAILED, SKIPPED, RepositoryStatus
from repo_harden.inventory.model import KINDS, Inventory, Unread
from repo_harden.inventory.records import ItemRecordError, item_from_record, item_record

INVENTORY_SCHEMA = "inventory-2"  # 2: pinned requirements; unknowns by kind


@record
class InventoryOptions:
    organizations: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    repositories: tuple[str, ...] = ()
    include_archived: bool = False
    include_forks: bool = False
    shard: tuple[int, int] | None = None


@record(frozen=False)
class InventoryResult:
    inventories: dict[str, Inventory] = field(default_factory=dict)
    repositories: list[RepositoryStatus] = field(default_factory=list)
    reused: int = 0  # repositories whose stored inventory was still valid
    crashes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[RepositoryStatus]:
        return [repo for repo in self.repositories if repo.status == FAILED]


class Progress(Protocol):
    def update(self, result: InventoryResult, stats: Stats, rate_left: int | None) -> None: ...


class OrgInventory:
    def __init__(
        self,
        transport: Transport,
        store: Store,
        options: InventoryOptions,
        *,
        concurrency: int,
        progress: Progress | None = None,
    ) -> None:
        self.transport = transport
        self.store = store
        self.options = options
        self.result = InventoryResult()
        self._progress = progress
        self._wanted: PathMatcher | None = None  # the parsers load only if something is read
        self._chooser = listings.Chooser(options)
        self._batch_pool = ThreadPoolExecutor(
            max_workers=min(GRAPHQL_BATCHES_IN_FLIGHT, concurrency), thread_name_prefix="batch"
        )

    def run(self) -> InventoryResult:
        try:
            for page in self._pages():
                self._read_page(page)
        finally:
            self._batch_pool.shutdown(wait=True, cancel_futures=True)
        self.result.repositories.sort(key=lambda repo: repo.name.lower())
        return self.result

    def _pages(self) -> Iterator[list[ListedRepository]]:
        def failed(name: str, reason: str) -> None:
            self._status(name, FAILED, reason)

        targets = self._chooser.targets
        yield from listings.listed_pages(self.transport, targets, failed, FILES_FRAGMENT)

    def _keep(self, listed: ListedRepository) -> bool:
        name = listed.full_name
        return self._chooser.keep(listed, lambda why: self._status(name, SKIPPED, why))

    def _read_page(self, page: Sequence[ListedRepository]) -> None:
        candidates = [listed for listed in page if self._keep(listed)]
        todo: list[tuple[ListedRepository, str]] = []
        for listed in candidates:
            key = inventory_key(listed.head)
            stored = self.store.inventory(listed.full_name, key)
            found = inventory_from_document(stored) if stored is not None else None
            if found is not None:
                self.result.reused += 1
                self._record(listed.full_name, found)
            else:
                todo.append((listed, key))
        failures: Failures = {}
        roots = {listed.full_name: str(listed.tree) for listed, _ in todo}
        run = self._batch_pool.map
        trees = read_trees(self.transport, self.store, roots, failures, run)
        blobs = read_blobs(self.transport, self.store, self._blob_requests(trees), failures, run)
        for listed, key in todo:
            name = listed.full_name
            if name in failures:
                continue
            found = self._read(name, trees[name], blobs, failures)
            if found is not None and name not in failures:
                self.store.put_inventory(name, key, inventory_document(found))
                self._record(name, found)
        for listed, _ in todo:
            if listed.full_name in failures:
                self._status(listed.full_name, FAILED, failures[listed.full_name])
        if self._progress is not None:
            self._progress.update(self.result, self.transport.stats, self._rate_left())

    def _blob_requests(self, trees: Mapping[str, Sequence[TreeEntry]]) -> Iterable[BlobRequest]:
        if trees and self._wanted is None:
            from repo_harden.inventory.extract import INVENTORY_PATTERNS

            self._wanted = PathMatcher(INVENTORY_PATTERNS)
        for repository, entries in trees.items():
            for entry in entries:
                if entry.type == "blob" and self._wanted and self._wanted.matches(entry.path):
                    yield BlobRequest(repository, entry.oid, entry.size)

    def _read(
        self,
        name: str,
        entries: Sequence[TreeEntry],
        blobs: dict[str, StoredBlob],
        failures: Failures,
    ) -> Inventory | None:
        from repo_harden.inventory.extract import inventory_of

        snapshot = GitHubSnapshot(name, entries, dict(blobs), None, self._fetcher(name, failures))
        try:
            return inventory_of(snapshot)
        except Exception as error:  # a bug must not cost the other repositories their answer
            self.result.crashes.append(f"{name}: {type(error).__name__}: {error}")
            failures[name] = "repo-harden crashed on it (an internal error, reported above)"
            return None

    def _fetcher(
        self, repository: str, failures: Failures
    ) -> Callable[[TreeEntry], StoredBlob | None]:
        def fetch(entry: TreeEntry) -> StoredBlob | None:
            request = BlobRequest(repository, entry.oid, entry.size)
            return read_blobs(self.transport, self.store, [request], failures).get(entry.oid)

        return fetch

    def _record(self, name: str, inventory: Inventory) -> None:
        self.result.inventories[name] = inventory
        self._status(name, AUDITED, None)

    def _status(self, name: str, status: str, reason: str | None) -> None:
        self.result.repositories.append(RepositoryStatus(name, status, reason))

    def _rate_left(self) -> int | None:
        budgets = self.transport.governor.budgets
        known = [b.remaining for b in budgets.values() if b.remaining is not None]
        return min(known) if known else None


def inventory_key(head: str | None) -> str:
    """A stored inventory stands for one head commit, read by one version of the tool."""
    parts = [__version__, INVENTORY_SCHEMA, head]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def inventory_document(inventory: Inventory) -> dict[str, Any]:
    return {
        "items": [item_record(item) for item in inventory.items],
        "unread": [{"what": u.what, "kinds": list(u.kinds)} for u in inventory.unread],
    }


def inventory_from_document(document: Mapping[str, Any]) -> Inventory | None:
    """The stored inventory; None when it is not what this version writes (read again)."""
    try:
        items = [item_from_record(record) for record in document.get("items") or ()]
        unread = [
            Unread(str(entry["what"]), tuple(k for k in entry["kinds"] if k in KINDS))
            for entry in document.get("unread") or ()
        ]
    except (ItemRecordError, KeyError, TypeError):
        return None
    return Inventory(items, unread)
