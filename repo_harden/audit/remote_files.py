"""Other repositories' files, for the inventory's transitive reading (`RemoteFiles`): the
commit a ref names, and a file at a commit, asked through GraphQL in batches and kept in
the audit's store.

- A file at a commit never changes: it is kept for ever (its text as a blob, by oid).
- What a ref names can: it is kept for `ref_lifetime` (a day), so that a warm inventory
  asks nothing, and a moved tag is seen the next day at the latest.
- A repository GitHub does not show to the token is kept as such for `ref_lifetime` too:
  a warm run does not ask again about an action that was deleted or is private.
- Offline (no transport), only the store answers; anything else is `NotRead` with the
  reason.

This is the minimal ref resolution the inventory needs, behind `RemoteFiles`; the `fix`
command's resolver (issue 16) answers the same question with more (the tags at a commit)
and can take its place, sharing the store's facts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, TypeVar

from repo_harden.audit import queries
from repo_harden.audit.content import graphql_batch
from repo_harden.audit.github_snapshot import decoded
from repo_harden.audit.store import Store, StoredBlob
from repo_harden.audit.transport import Transport
from repo_harden.github.client import GitHubError
from repo_harden.inventory.transitive import FileAt, NotRead, RefName

T = TypeVar("T")
REF_LIFETIME = 24 * 3600.0
REFS_PER_QUERY = 50
FILES_PER_QUERY = 50
_REF_FACT, _FILE_FACT = "inventory-ref", "inventory-file"
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_REF = re.compile(r"^[A-Za-z0-9_./+-]{1,255}$")
_PATH = re.compile(r"^[^\0:]{1,1024}$")


class GitHubFiles:
    """`RemoteFiles` through the audit's transport and store; offline when `transport` is
    None (`offline_reason` says why, for the user)."""

    def __init__(
        self,
        transport: Transport | None,
        store: Store,
        *,
        offline_reason: str = "offline: use --online to read it from GitHub",
        ref_lifetime: float = REF_LIFETIME,
    ) -> None:
        self._transport = transport
        self._store = store
        self._offline = offline_reason
        self._lifetime = ref_lifetime

    # Refs ---------------------------------------------------------------------------------

    def commits(self, refs: Collection[RefName]) -> dict[RefName, str | NotRead]:
        found: dict[RefName, str | NotRead] = {}
        missing: list[RefName] = []
        for repository, ref in refs:
            if not _REPOSITORY.match(repository) or not _REF.match(ref):
                found[repository, ref] = NotRead("not a GitHub repository and ref")
                continue
            known = self._store.fact(_REF_FACT, _ref_key(repository, ref), self._lifetime)
            if known is not None:
                found[repository, ref] = _stored_commit(known, repository, ref)
            else:
                missing.append((repository, ref))
        found.update(self._ask(missing, REFS_PER_QUERY, self._ask_refs))
        return found

    def _ask_refs(self, batch: Sequence[RefName]) -> dict[RefName, str | NotRead]:
        assert self._transport is not None
        data, errors = graphql_batch(self._transport, queries.ref_commits(batch))
        found: dict[RefName, str | NotRead] = {}
        learned: dict[str, str] = {}
        for index, (repository, ref) in enumerate(batch):
            alias = f"r{index}"
            node = data.get(alias)
            if not isinstance(node, dict):
                reason = errors.get(alias, f"GitHub shows no {repository}")
                learned[_ref_key(repository, ref)] = f"!{reason}"
                found[repository, ref] = NotRead(reason)
                continue
            commit = _peeled(node.get("object"))
            learned[_ref_key(repository, ref)] = commit or ""
            found[repository, ref] = commit or NotRead(f"{repository} has no ref `{ref}`")
        self._store.put_facts(_REF_FACT, learned)
        return found

    # Files --------------------------------------------------------------------------------

    def files(self, wanted: Collection[FileAt]) -> dict[FileAt, str | NotRead | None]:
        found: dict[FileAt, str | NotRead | None] = {}
        missing: list[FileAt] = []
        for request in wanted:
            repository, _commit, path = request
            if not _REPOSITORY.match(repository) or not _PATH.match(path):
                found[request] = NotRead("not a GitHub repository and path")
                continue
            known = self._store.fact(_FILE_FACT, _file_key(request), None)
            blob = self._store.blob(known) if known else None
            if known == "":
                found[request] = None
            elif blob is not None:
                found[request] = _text(blob)
            else:
                missing.append(request)
        found.update(self._ask(missing, FILES_PER_QUERY, self._ask_files))
        return found

    def _ask_files(self, batch: Sequence[FileAt]) -> dict[FileAt, str | NotRead | None]:
        assert self._transport is not None
        data, errors = graphql_batch(self._transport, queries.files_at(batch))
        found: dict[FileAt, str | NotRead | None] = {}
        learned: dict[str, str] = {}
        blobs: dict[str, StoredBlob] = {}
        for index, request in enumerate(batch):
            alias = f"f{index}"
            node = data.get(alias)
            if not isinstance(node, dict):
                found[request] = NotRead(errors.get(alias, f"GitHub shows no {request[0]}"))
                continue
            blob = node.get("object")
            if not isinstance(blob, dict) or "oid" not in blob:
                learned[_file_key(request)] = ""
                found[request] = None
            elif (
                blob.get("isBinary")
                or blob.get("isTruncated")
                or not isinstance(blob.get("text"), str)
            ):
                found[request] = NotRead(f"{request[2]} is binary or too large to read")
            else:
                oid = str(blob["oid"])
                blobs[oid] = StoredBlob("text", str(blob["text"]))
                learned[_file_key(request)] = oid
                found[request] = _text(blobs[oid])
        self._store.put_blobs(blobs)
        self._store.put_facts(_FILE_FACT, learned)
        return found

    # Batches ------------------------------------------------------------------------------

    def _ask(
        self,
        missing: Sequence[T],
        size: int,
        ask: Callable[[Sequence[T]], Mapping[T, Any]],
    ) -> dict[T, Any]:
        if not missing:
            return {}
        if self._transport is None:
            return {request: NotRead(self._offline) for request in missing}
        found: dict[T, Any] = {}
        for start in range(0, len(missing), size):
            found.update(_asked_or_split(missing[start : start + size], ask))
        return found


def _asked_or_split(
    batch: Sequence[T], ask: Callable[[Sequence[T]], Mapping[T, Any]]
) -> dict[T, Any]:
    """A batch GitHub cannot answer (a 502 on a heavy query) is asked again in halves, down
    to one question, whose answer is then the error."""
    try:
        return dict(ask(batch))
    except GitHubError as error:
        if len(batch) == 1:
            return {batch[0]: NotRead(str(error))}
        middle = len(batch) // 2
        return {**_asked_or_split(batch[:middle], ask), **_asked_or_split(batch[middle:], ask)}


def _peeled(node: object) -> str | None:
    """The commit an object is, or an annotated tag points at."""
    for _ in range(3):
        if not isinstance(node, dict):
            return None
        if node.get("__typename") == "Commit":
            oid = node.get("oid")
            return str(oid) if isinstance(oid, str) else None
        node = node.get("target")
    return None


def _stored_commit(known: str, repository: str, ref: str) -> str | NotRead:
    """A stored answer: a commit, "" for no such ref, "!reason" for no such repository."""
    if known.startswith("!"):
        return NotRead(known[1:])
    return known or NotRead(f"{repository} has no ref `{ref}`")


def _text(blob: StoredBlob) -> str | NotRead:
    text, problem = decoded(blob)
    return text if text is not None else NotRead(problem or "not readable")


def _ref_key(repository: str, ref: str) -> str:
    return f"{repository.lower()}@{ref}"


def _file_key(request: FileAt) -> str:
    repository, commit, path = request
    return f"{repository.lower()}@{commit}:{path}"
