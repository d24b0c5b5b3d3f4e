"""Which repositories to audit: an organization's or a user's, 100 to a GraphQL page, or
those named with `--repo`; with what the listing already tells about each."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol

from repo_harden.audit import queries
from repo_harden.audit.transport import Transport
from repo_harden.core.errors import UsageError
from repo_harden.core.record import record

NAMED_PER_QUERY = 50


@record
class ListedRepository:
    full_name: str
    url: str | None = None  # its web page
    archived: bool = False
    fork: bool = False
    empty: bool = False
    can_administer: bool = False
    default_branch: str | None = None
    head: str | None = None  # the default branch's head commit
    tree: str | None = None  # its root tree
    protection_rule: Mapping[str, Any] | None = None  # GraphQL BranchProtectionRule
    codeowners: Mapping[str, Any] | None = None  # GraphQL RepositoryCodeowners
    rulesets: Mapping[str, Any] | None = None  # GraphQL RepositoryRulesetConnection
    branch_rules: Mapping[str, Any] | None = None  # the default branch's RepositoryRuleConnection
    private: bool = False
    organization: bool = False  # owned by an organization
    has_workflows: bool = False  # the default branch has a `.github/workflows` folder


@record
class MissingRepository:
    """A repository named on the command line that GitHub does not show."""

    full_name: str
    reason: str


def read_listed(node: Mapping[str, Any]) -> ListedRepository:
    ref = node.get("defaultBranchRef") or {}
    target = ref.get("target") or {}
    tree = target.get("tree") or {}
    return ListedRepository(
        full_name=str(node["nameWithOwner"]),
        url=node.get("url") if isinstance(node.get("url"), str) else None,
        archived=bool(node.get("isArchived")),
        fork=bool(node.get("isFork")),
        empty=bool(node.get("isEmpty")) or not target,
        can_administer=bool(node.get("viewerCanAdminister")),
        default_branch=ref.get("name"),
        head=target.get("oid"),
        tree=tree.get("oid"),
        protection_rule=ref.get("branchProtectionRule"),
        codeowners=node.get("codeowners"),
        rulesets=node.get("rulesets"),
        branch_rules=ref.get("rules"),
        private=bool(node.get("isPrivate")),
        organization=(node.get("owner") or {}).get("__typename") == "Organization",
        has_workflows=bool(node.get("workflows")),
    )


class OwnerListing:
    """Every repository of an organization (`organization`) or a user (`user`), a page at a
    time, so that an audit starts on the first page while the others are still unread.

    Nothing is lost in silence: GitHub may answer a page with a null node and an error for
    a repository (under load), so what the pages delivered is compared with `totalCount`,
    and `shortfall()` then names the repositories left out, from a lighter listing."""

    def __init__(
        self,
        transport: Transport,
        kind: str,
        login: str,
        fragment: str = queries.REPOSITORY_FRAGMENT,
    ) -> None:
        self.transport = transport
        self.kind = kind
        self.login = login
        self.fragment = fragment  # what is read of each repository (the audit's settings)
        self.delivered: set[str] = set()
        self.total: int | None = None
        self.errors: list[str] = []  # GitHub's messages for the null nodes

    def pages(self) -> Iterator[list[ListedRepository]]:
        query = queries.owner_listing(self.kind, self.fragment)
        for connection, document in self._connections(query):
            nodes = connection.get("nodes") or ()
            if any(node is None for node in nodes):
                self.errors += _messages(document)
            page = [read_listed(node) for node in nodes if node]
            self.delivered.update(listed.full_name.lower() for listed in page)
            yield page

    def shortfall(self) -> tuple[list[str], str]:
        """The repositories the pages left out, and GitHub's reason; ([], "") when none."""
        reason = "; ".join(dict.fromkeys(self.errors)) or "GitHub left it out of the listing"
        if self.total is not None and len(self.delivered) >= self.total and not self.errors:
            return [], ""
        names: list[str] = []
        for connection, _ in self._connections(queries.owner_names(self.kind)):
            for node in connection.get("nodes") or ():
                name = str((node or {}).get("nameWithOwner") or "")
                if name and name.lower() not in self.delivered:
                    names.append(name)
        return names, f"the organization listing left it out ({reason})"

    def _connections(self, query: str) -> Iterator[tuple[Mapping[str, Any], Mapping[str, Any]]]:
        after: str | None = None
        while True:
            answer = self.transport.graphql(query, {"login": self.login, "after": after})
            document = answer.data if isinstance(answer.data, dict) else {}
            owner = (document.get("data") or {}).get("owner")
            if owner is None:
                raise UsageError(_owner_missing(self.kind, self.login, document))
            connection = owner["repositories"]
            if isinstance(connection.get("totalCount"), int):
                self.total = connection["totalCount"]
            yield connection, document
            page = connection.get("pageInfo") or {}
            if not page.get("hasNextPage"):
                return
            after = page.get("endCursor")


def _messages(document: Mapping[str, Any]) -> list[str]:
    return [str(e.get("message")) for e in document.get("errors") or () if isinstance(e, dict)]


def _owner_missing(kind: str, login: str, document: Mapping[str, Any]) -> str:
    messages = [str(e.get("message")) for e in document.get("errors") or () if isinstance(e, dict)]
    what = "organization" if kind == "organization" else "user"
    flag = "--org" if kind == "organization" else "--user"
    detail = f" ({'; '.join(messages)})" if messages else ""
    return f"{flag} {login}: GitHub shows no {what} of that name to this token{detail}"


def named(
    transport: Transport, full_names: Sequence[str], fragment: str = queries.REPOSITORY_FRAGMENT
) -> tuple[list[ListedRepository], list[MissingRepository]]:
    """The repositories named with `--repo`, in batches; those GitHub does not show."""
    found: list[ListedRepository] = []
    missing: list[MissingRepository] = []
    for start in range(0, len(full_names), NAMED_PER_QUERY):
        batch = full_names[start : start + NAMED_PER_QUERY]
        answer = transport.graphql(queries.named_repositories(batch, fragment))
        document = answer.data if isinstance(answer.data, dict) else {}
        data = document.get("data") or {}
        errors = {
            str(e["path"][0]): str(e.get("message"))
            for e in document.get("errors") or ()
            if isinstance(e, dict) and e.get("path")
        }
        for index, full_name in enumerate(batch):
            node = data.get(f"r{index}")
            if node:
                found.append(read_listed(node))
            else:
                reason = errors.get(f"r{index}", "GitHub does not show it to this token")
                missing.append(MissingRepository(full_name, reason))
    return found, missing


@record
class Targets:
    """What to list: organizations, users and repositories by name, and the shard kept."""

    organizations: Sequence[str] = ()
    users: Sequence[str] = ()
    repositories: Sequence[str] = ()
    shard: tuple[int, int] | None = None


def listed_pages(
    transport: Transport,
    targets: Targets,
    failed: Callable[[str, str], None],
    fragment: str = queries.REPOSITORY_FRAGMENT,
) -> Iterator[list[ListedRepository]]:
    """The repositories asked for, a page at a time: each organization's and user's (with
    those a listing left out read by name), then those named one by one. Each one that
    cannot be listed is told to `failed(name, reason)`, so that nothing is lost in silence."""
    owners = [("organization", login) for login in targets.organizations]
    owners += [("user", login) for login in targets.users]
    for kind, login in owners:
        listing = OwnerListing(transport, kind, login, fragment)
        yield from listing.pages()
        yield from recovered(listing, targets.shard, failed)
    if targets.repositories:
        found, missing = named(transport, targets.repositories, fragment)
        for gone in missing:
            failed(gone.full_name, gone.reason)
        yield found


def recovered(
    listing: OwnerListing, shard: tuple[int, int] | None, failed: Callable[[str, str], None]
) -> Iterator[list[ListedRepository]]:
    """The repositories a listing left out, read by name; those GitHub still does not show
    are failed with its reason, so the run exits 3 rather than look complete."""
    names, reason = listing.shortfall()
    names = [name for name in names if in_shard(name, shard)]
    if not names:
        if listing.errors and listing.total is None:
            failed(f"{listing.login}/*", reason)
        return
    found, missing = named(listing.transport, names, listing.fragment)
    for gone in missing:
        failed(gone.full_name, f"{reason}; by name: {gone.reason}")
    yield found


def skip_reason(
    listed: ListedRepository, include_archived: bool, include_forks: bool
) -> str | None:
    """Why a listed repository is not read (archived, a fork, empty), or None."""
    if listed.archived and not include_archived:
        return "archived (use --include-archived)"
    if listed.fork and not include_forks:
        return "a fork (use --include-forks)"
    if listed.empty or listed.tree is None:
        return "empty"
    return None


class Wanted(Protocol):
    """What an audit or an inventory was asked to read (their options)."""

    @property
    def organizations(self) -> Sequence[str]: ...
    @property
    def users(self) -> Sequence[str]: ...
    @property
    def repositories(self) -> Sequence[str]: ...
    @property
    def include_archived(self) -> bool: ...
    @property
    def include_forks(self) -> bool: ...
    @property
    def shard(self) -> tuple[int, int] | None: ...


class Chooser:
    """Which listed repositories a run reads: each once, in its shard, and the archived
    ones and forks only when asked."""

    def __init__(self, wanted: Wanted) -> None:
        self.wanted = wanted
        self.targets = Targets(
            wanted.organizations, wanted.users, wanted.repositories, wanted.shard
        )
        self._seen: set[str] = set()

    def keep(self, listed: ListedRepository, skipped: Callable[[str], None]) -> bool:
        """Whether to read `listed`; `skipped(reason)` is told why a repository is not."""
        key = listed.full_name.lower()
        if key in self._seen or not in_shard(listed.full_name, self.wanted.shard):
            return False  # named twice (`--org acme --repo acme/api`), or another shard's
        self._seen.add(key)
        wanted = self.wanted
        reason = skip_reason(listed, wanted.include_archived, wanted.include_forks)
        if reason is not None:
            skipped(reason)
            return False
        return True


def in_shard(full_name: str, shard: tuple[int, int] | None) -> bool:
    """`--shard K/N`: a stable split by a hash of the name, the same in every job."""
    if shard is None:
        return True
    index, count = shard
    digest = hashlib.sha256(full_name.lower().encode()).digest()
    return int.from_bytes(digest[:8], "big") % count == index - 1


def parse_shard(value: str) -> tuple[int, int]:
    try:
        index, count = (int(part) for part in value.split("/"))
    except ValueError:
        raise UsageError(f"--shard: expected K/N (such as 2/8), not {value!r}") from None
    if not 1 <= index <= count:
        raise UsageError(f"--shard {value}: K must be between 1 and N")
    return index, count
