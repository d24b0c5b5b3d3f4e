"""Trees and blobs, read through GraphQL in batches across repositories and kept in the store.

Trees: one query reads `TREE_LEVELS` levels of up to `TREES_PER_QUERY` trees; a folder
deeper than that is read in the next round, batched with every other repository's. A
batch that GitHub cannot answer in time (a 502) is split in two and sent again; a tree that
still cannot be read makes its repository `failed`, with the reason.

Blobs: only the files the checks read, each object once however many repositories hold
it; a blob whose GraphQL text GitHub truncated, or in which it replaced bytes that are not
UTF-8, is read as bytes over REST.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from repo_harden.audit import queries
from repo_harden.audit.store import Store, StoredBlob, TreeEntry
from repo_harden.audit.transport import Transport
from repo_harden.core.record import record
from repo_harden.github.client import GitHubError, aliased_answers

T = TypeVar("T")
GRAPHQL_BATCHES_IN_FLIGHT = 4  # GraphQL batches are heavy: GitHub asks for restraint
TREES_PER_QUERY = 20
BLOBS_PER_QUERY = 100
BLOB_BYTES_PER_QUERY = 2 * 1024 * 1024

_REPLACEMENT = "\ufffd"

Failures = dict[str, str]  # repository -> why it could not be read
# Runs a function on each batch: in turn, or on a few threads (`Executor.map`).
BatchRunner = Callable[[Callable[[Any], None], Sequence[Any]], Iterable[None]]


def in_turn(read: Callable[[Any], None], batches: Sequence[Any]) -> Iterable[None]:
    for batch in batches:
        read(batch)
    return ()


@record
class _PendingTree:
    repository: str
    oid: str
    prefix: str  # "" or "folder/sub/"


def read_trees(
    transport: Transport,
    store: Store,
    roots: Mapping[str, str],
    failures: Failures,
    run: BatchRunner = in_turn,
) -> dict[str, list[TreeEntry]]:
    """The flat listing of each repository's root tree (`repository -> tree oid`)."""
    listings: dict[str, list[TreeEntry]] = {}
    reader = _TreeReader(transport, failures)
    pending: list[_PendingTree] = []
    for repository, oid in roots.items():
        cached = store.tree(oid)
        if cached is not None:
            listings[repository] = cached
        else:
            reader.entries[repository] = []
            pending.append(_PendingTree(repository, oid, ""))
    while pending:
        batches = _batches(pending, TREES_PER_QUERY)
        _each_batch(batches, reader.read, lambda item: item.repository, failures, run)
        pending = [item for item in reader.take_unread() if item.repository not in failures]
    for repository, entries in reader.entries.items():
        if repository not in failures:
            entries.sort(key=lambda entry: entry.path)
            store.put_tree(roots[repository], entries)
            listings[repository] = entries
    return listings


class _TreeReader:
    """One round of tree queries: the files found, and the folders left for the next."""

    def __init__(self, transport: Transport, failures: Failures) -> None:
        self.transport = transport
        self.failures = failures
        self.entries: dict[str, list[TreeEntry]] = {}
        self.unread: list[_PendingTree] = []
        self._lock = threading.Lock()

    def read(self, batch: Sequence[_PendingTree]) -> None:
        query = queries.trees([(item.repository, item.oid) for item in batch])
        data, errors = graphql_batch(self.transport, query)
        for index, item in enumerate(batch):
            node = _object(data, f"t{index}")
            found: list[TreeEntry] = []
            unread = _walk(node, item, found) if node is not None else []
            with self._lock:
                if node is None:
                    why = f"GitHub returned no tree {item.oid} for `{item.prefix or '/'}`"
                    self.failures.setdefault(item.repository, errors.get(f"t{index}", why))
                self.entries[item.repository].extend(found)
                self.unread.extend(unread)

    def take_unread(self) -> list[_PendingTree]:
        unread, self.unread = self.unread, []
        return unread


def _walk(node: Mapping[str, Any], at: _PendingTree, out: list[TreeEntry]) -> list[_PendingTree]:
    """Collect the files of a tree node; return the folders whose entries it did not hold."""
    unread: list[_PendingTree] = []
    for entry in node.get("entries") or ():
        path = at.prefix + str(entry["name"])
        if entry["type"] == "tree":
            inner = entry.get("object")
            folder = _PendingTree(at.repository, str(entry["oid"]), f"{path}/")
            if isinstance(inner, dict) and "entries" in inner:
                unread.extend(_walk(inner, folder, out))
            else:
                unread.append(folder)
        else:
            out.append(
                TreeEntry(
                    path, int(entry["mode"]), str(entry["type"]), str(entry["oid"]), _size(entry)
                )
            )
    return unread


def _size(entry: Mapping[str, Any]) -> int:
    size = entry.get("size")
    return size if isinstance(size, int) else 0


@record
class BlobRequest:
    repository: str  # any repository that holds the blob
    oid: str
    size: int


def read_blobs(
    transport: Transport,
    store: Store,
    wanted: Iterable[BlobRequest],
    failures: Failures,
    run: BatchRunner = in_turn,
) -> dict[str, StoredBlob]:
    """The blobs, from the store or from GitHub; those that could not be read are missing,
    and their repositories are in `failures`."""
    found: dict[str, StoredBlob] = {}
    missing: dict[str, BlobRequest] = {}
    for request in wanted:
        if request.oid in found or request.oid in missing:
            continue
        cached = store.blob(request.oid)
        if cached is not None:
            found[request.oid] = cached
        else:
            missing[request.oid] = request
    fetched: dict[str, StoredBlob] = {}

    def read_batch(batch: Sequence[BlobRequest]) -> None:
        query = queries.blobs([(request.repository, request.oid) for request in batch])
        data, errors = graphql_batch(transport, query)
        for index, request in enumerate(batch):
            node = _object(data, f"b{index}")
            if node is None:
                why = errors.get(f"b{index}", f"GitHub returned no blob {request.oid}")
                failures.setdefault(request.repository, why)
            elif node.get("isBinary"):
                fetched[request.oid] = StoredBlob("binary", None)
            elif node.get("isTruncated") or not isinstance(node.get("text"), str):
                fetched[request.oid] = _rest_blob(transport, request, failures)
            elif _REPLACEMENT in node["text"]:
                # GitHub replaces bytes that are not UTF-8; only the bytes tell whether
                # the file is valid UTF-8 that holds U+FFFD itself.
                fetched[request.oid] = _rest_blob(transport, request, failures)
            else:
                fetched[request.oid] = StoredBlob("text", str(node["text"]))

    batches = list(_blob_batches(list(missing.values())))
    _each_batch(batches, read_batch, lambda request: request.repository, failures, run)
    fetched = {oid: blob for oid, blob in fetched.items() if blob.kind != "failed"}
    store.put_blobs(fetched)
    found.update(fetched)
    return found


def _blob_batches(requests: list[BlobRequest]) -> Iterable[list[BlobRequest]]:
    batch: list[BlobRequest] = []
    size = 0
    for request in requests:
        if batch and (len(batch) >= BLOBS_PER_QUERY or size + request.size > BLOB_BYTES_PER_QUERY):
            yield batch
            batch, size = [], 0
        batch.append(request)
        size += request.size
    if batch:
        yield batch


def _rest_blob(transport: Transport, request: BlobRequest, failures: Failures) -> StoredBlob:
    try:
        answer = transport.rest_get(f"/repos/{request.repository}/git/blobs/{request.oid}")
        content = answer.data.get("content", "") if isinstance(answer.data, dict) else ""
        return StoredBlob("raw", base64.b64decode(content))
    except (GitHubError, ValueError) as error:
        failures.setdefault(request.repository, f"reading blob {request.oid}: {error}")
        return StoredBlob("failed", None)


def graphql_batch(
    transport: Transport, batch: queries.Batch
) -> tuple[Mapping[str, Any], dict[str, str]]:
    """The data of a batch query, and each alias's error message."""
    query, variables = batch
    answer = transport.graphql(query, variables)
    return aliased_answers(answer.data if isinstance(answer.data, dict) else {})


def _object(data: Mapping[str, Any], alias: str) -> Mapping[str, Any] | None:
    repository = data.get(alias)
    node = repository.get("object") if isinstance(repository, dict) else None
    return node if isinstance(node, dict) else None


def _batches(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def _each_batch(
    batches: Sequence[Sequence[T]],
    read: Callable[[Sequence[T]], None],
    repository_of: Callable[[T], str],
    failures: Failures,
    run: BatchRunner,
) -> None:
    """`read` each batch (through `run`); a batch that fails is split in two and tried
    again, down to one item, whose repository then fails with the reason."""
    list(run(lambda batch: _read_or_split(batch, read, repository_of, failures), batches))


def _read_or_split(
    batch: Sequence[T],
    read: Callable[[Sequence[T]], None],
    repository_of: Callable[[T], str],
    failures: Failures,
) -> None:
    try:
        read(batch)
    except GitHubError as error:
        if len(batch) == 1:
            failures.setdefault(repository_of(batch[0]), str(error))
            return
        middle = len(batch) // 2
        _read_or_split(batch[:middle], read, repository_of, failures)
        _read_or_split(batch[middle:], read, repository_of, failures)
