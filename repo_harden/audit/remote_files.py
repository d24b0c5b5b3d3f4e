"""Other repositories' files, for the inventory's transitive reading (`RemoteFiles`): the
commit a ref names, and a file at a commit.

- The commit a ref names comes from the one resolver of GitHub refs (`GitHubRefs`, which
  `fix` and PIN003/PIN004 ask too), with its facts in the audit's store: a ref for a day
  (a moved tag is seen the next day at the latest), a repository GitHub does not show to
  the token for a day too; offline, no older than that either.
- A file at a commit never changes: read through GraphQL in batches, it is kept for ever
  (its text as a blob, by oid).
- Offline (no transport), only the store answers; anything else is `NotRead` with the
  reason.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, TypeVar

from repo_harden.audit import queries
from repo_harden.audit.content import graphql_batch
from repo_harden.audit.git_api import TransportGitApi
from repo_harden.audit.github_snapshot import decoded
from repo_harden.audit.store import Store, StoredBlob
from repo_harden.audit.transport import Transport
from repo_harden.core.lazy import lazy_compile
from repo_harden.core.pins import GitRefSource, ResolvedRef, Unresolved
from repo_harden.core.pins import RefName as PinRef
from repo_harden.github.client import GitHubError
from repo_harden.github.git_refs import GitHubRefs, git_hosts
from repo_harden.inventory.transitive import FileAt, NotRead, RefName

T = TypeVar("T")
FILES_PER_QUERY = 50
OFFLINE = "offline: use --online to read it from GitHub"
_FILE_FACT = "github-file"  # `<repository>@<commit>:<path>` -> the blob's oid, "" for none
_REPOSITORY = lazy_compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_PATH = lazy_compile(r"^[^\0:]{1,1024}$")


def github_files(transport: Transport | None, store: Store) -> GitHubFiles:
    """The inventory's source: through `transport`, or the store alone when it is None."""
    refs = GitHubRefs(
        TransportGitApi(transport) if transport is not None else None,
        hosts=git_hosts(transport.api_url) if transport is not None else ("github.com",),
        cache=store,
        offline_reason=None if transport is not None else OFFLINE,
        stale_offline=False,
    )
    return GitHubFiles(refs, transport, store)


class GitHubFiles:
    """`RemoteFiles`: refs through `refs`, files through the audit's transport and store;
    offline when `transport` is None (`offline_reason` says why, for the user)."""

    def __init__(
        self,
        refs: GitRefSource,
        transport: Transport | None,
        store: Store,
        *,
        offline_reason: str = OFFLINE,
    ) -> None:
        self._refs = refs
        self._transport = transport
        self._store = store
        self._offline = offline_reason

    # Refs ---------------------------------------------------------------------------------

    def commits(self, refs: Collection[RefName]) -> dict[RefName, str | NotRead]:
        """A tag's commit where one is known (a listing may have named it already), else
        what the ref is: a tag, a branch or an abbreviated commit."""
        names = {ref: PinRef(*ref) for ref in refs}
        tagged = self._refs.tag_commits(names.values())
        untagged = [name for name in names.values() if tagged[name] is None]
        resolved = self._refs.refs(untagged) if untagged else {}
        return {ref: _commit(name, tagged[name] or resolved[name]) for ref, name in names.items()}

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


def _commit(name: PinRef, answer: str | ResolvedRef | Unresolved) -> str | NotRead:
    if isinstance(answer, Unresolved):
        return NotRead(answer.reason)
    commit = answer if isinstance(answer, str) else answer.target()
    return commit or NotRead(f"{name.repository} has no ref `{name.ref}`")


def _text(blob: StoredBlob) -> str | NotRead:
    text, problem = decoded(blob)
    return text if text is not None else NotRead(problem or "not readable")


def _file_key(request: FileAt) -> str:
    repository, commit, path = request
    return f"{repository.lower()}@{commit}:{path}"
