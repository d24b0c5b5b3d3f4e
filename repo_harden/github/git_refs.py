"""Refs and commits of GitHub repositories, looked up for pins (`GitRefSource`): what a tag or
branch points at, the tags at a commit, whether a commit is in the repository at all.

Requests:
- a ref: one aliased `repository { ... }` of a GraphQL query, 25 refs to a query: the tag
  (annotated tags peeled), the branch of that name, and the newest 100 tags whose names
  start with it (to name the most specific version at the commit);
- a commit: the same, with the repository's branch and tag tips; a commit that no tip is
  then compared (REST `compare/{base}...{sha}`) with the default branch, the other
  branches and the tags, until one contains it.

Answers are kept in the `FactCache` (the audit's SQLite store) when there is one: refs
and tags for `ref_lifetime`, a commit that a branch or tag contains for ever, and a
repository GitHub does not show to the token for `ref_lifetime` too (a warm run does not
ask again about an action that was deleted or is private). Within a run, each distinct
question is asked once, failures too. Offline (`offline_reason` set), nothing is asked and
what the cache does not hold is `Unresolved` with that reason.

This is the one resolution of GitHub refs: PIN003/PIN004 (`scan --online`, `audit`), `fix`
and the inventory's transitive reading (`audit.remote_files`) all ask it, and share its
facts in the store.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar
from urllib.parse import quote

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.pins import (
    FULL_SHA,
    SHORT_SHA,
    CommitFacts,
    CommitName,
    FactCache,
    RefName,
    ResolvedRef,
    Unresolved,
)
from repo_harden.core.record import record
from repo_harden.github.client import GitHubError, aliased_answers

T = TypeVar("T")
REF_LIFETIME = 24 * 3600.0  # tags are meant to stay; a day bounds how stale a pin can be
# The facts kept in the cache, one kind each: a ref (JSON of a `ResolvedRef`), a tag's commit
# ("" for no such tag), a commit some branch or tag contains and one no ref was seen to
# (JSON of `CommitFacts`), a repository GitHub does not show (the reason).
REF_FACT, TAG_FACT = "github-ref", "github-tag"
COMMIT_IN_FACT, COMMIT_FACT = "github-commit-in", "github-commit"
NO_REPOSITORY_FACT = "github-no-repository"
BATCH = 25  # refs to a GraphQL query: 25 aliases of two connections cost one point
LISTED = 100
MAX_COMPARES = 30
_REPOSITORY = lazy_compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_REF = lazy_compile(r"^[A-Za-z0-9_./+-]{1,255}$")
_NEWEST = "orderBy: {field: TAG_COMMIT_DATE, direction: DESC}"
_PEELED = """
fragment Peeled on GitObject {
  __typename oid
  ... on Tag { target { __typename oid ... on Tag { target { oid } } } }
}"""


def git_hosts(api_url: str) -> frozenset[str]:
    """The git hosts whose repositories an API serves: github.com for api.github.com (and for
    an API on loopback: a proxy of it, or a test server); an Enterprise Server its own."""
    from urllib.parse import urlsplit

    host = (urlsplit(api_url).hostname or "").lower()
    if host in ("api.github.com", "localhost") or host.startswith("127.") or host == "::1":
        return frozenset({"github.com", host} - {"api.github.com"})
    return frozenset({host})


class GitApi(Protocol):
    """What the lookups need of a client: `GitHubClient`, or the audit's transport."""

    def graphql(self, query: str) -> Mapping[str, Any]: ...

    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> object: ...


@record
class _Listing:
    """A repository's branch and tag tips, as one query lists them."""

    default_branch: str | None
    branches: tuple[tuple[str, str], ...]
    tags: tuple[tuple[str, str], ...]
    complete: bool


class GitHubRefs:
    """A `GitRefSource` over GitHub's API; see the module's docstring. Thread-safe."""

    def __init__(
        self,
        api: GitApi | None,
        *,
        hosts: Iterable[str] = ("github.com",),
        cache: FactCache | None = None,
        offline_reason: str | None = None,
        ref_lifetime: float = REF_LIFETIME,
        stale_offline: bool = True,
        workers: int = 4,
        max_compares: int = MAX_COMPARES,
    ) -> None:
        """`stale_offline`: offline, a cached fact answers whatever its age (`fix --offline`
        and the fix-pins hook pin from an older cache); False keeps `ref_lifetime` offline
        too (an inventory must not name a commit a tag may have left since)."""
        if api is None and offline_reason is None:
            raise ValueError("GitHubRefs needs an API or a reason it has none")
        self.hosts = frozenset(host.lower() for host in hosts)
        self._api = api
        self._cache = cache
        self._offline_reason = offline_reason
        self._lifetime = ref_lifetime
        self._stale_offline = stale_offline
        self._workers = workers
        self._max_compares = max_compares
        self._refs: dict[str, ResolvedRef | Unresolved] = {}
        self._tags: dict[str, str | None] = {}
        self._commits: dict[str, CommitFacts | Unresolved] = {}
        self._absent: dict[str, Unresolved | None] = {}  # repository -> why GitHub shows none
        self._lock = threading.Lock()
        self.queries = 0  # GraphQL queries and REST requests sent, for the cost line
        # the first failure of a whole query that a later run may not meet (the network, 5xx,
        # rate limit): `fix` says it once, not once a reference
        self.outage: str | None = None

    def __repr__(self) -> str:
        return f"GitHubRefs(hosts={sorted(self.hosts)!r})"

    # Refs ---------------------------------------------------------------------------------

    def refs(self, names: Collection[RefName]) -> Mapping[RefName, ResolvedRef | Unresolved]:
        wanted = list(dict.fromkeys(names))
        with self._lock:
            missing = [name for name in wanted if self._known_ref(name) is None]
            for name, answer in self._ask(missing, _invalid_ref, self._query_refs):
                self._learn_ref(name, answer)
            return {name: self._refs[name.key] for name in wanted}

    def tag_commits(self, names: Collection[RefName]) -> Mapping[RefName, str | Unresolved | None]:
        wanted = list(dict.fromkeys(names))
        with self._lock:
            missing = [name for name in wanted if not self._knows_tag(name)]
        resolved = self.refs(missing) if missing else {}
        with self._lock:
            result: dict[RefName, str | Unresolved | None] = {}
            for name in wanted:
                answer = resolved.get(name)
                if isinstance(answer, Unresolved):
                    result[name] = answer
                else:
                    result[name] = self._tags.get(_tag_key(name.repository, name.ref))
            return result

    def _known_ref(self, name: RefName) -> ResolvedRef | Unresolved | None:
        known = self._refs.get(name.key)
        if known is None and self._cache is not None:
            stored = self._cache.fact(REF_FACT, name.key, self._max_age())
            if stored is not None:
                known = _ref_from_json(stored)
                if known is not None:
                    self._remember_tags(name, known, store=False)
            if known is None:
                known = self._known_absent(name.repository)
            if known is not None:
                self._refs[name.key] = known
        return known

    def _known_absent(self, repository: str) -> Unresolved | None:
        """Why GitHub showed no such repository, when it did not lately."""
        key = repository.lower()
        if key not in self._absent:
            assert self._cache is not None
            stored = self._cache.fact(NO_REPOSITORY_FACT, key, self._max_age())
            self._absent[key] = Unresolved(stored) if stored else None
        return self._absent[key]

    def _learn_absent(self, repository: str, answer: object) -> None:
        """Remember a repository GitHub said it does not have (not any other failure)."""
        absent = _no_repository(repository)
        if answer == absent and self._cache is not None:
            self._absent[repository.lower()] = absent
            self._cache.put_fact(NO_REPOSITORY_FACT, repository.lower(), absent.reason)

    def _knows_tag(self, name: RefName) -> bool:
        key = _tag_key(name.repository, name.ref)
        if key in self._tags:
            return True
        if self._cache is not None:
            stored = self._cache.fact(TAG_FACT, key, self._max_age())
            if stored is not None:
                self._tags[key] = stored or None
                return True
        return False

    def _learn_ref(self, name: RefName, answer: ResolvedRef | Unresolved) -> None:
        self._refs[name.key] = answer
        self._learn_absent(name.repository, answer)
        if isinstance(answer, ResolvedRef):
            if self._cache is not None:
                self._cache.put_fact(REF_FACT, name.key, _ref_to_json(answer))
            self._remember_tags(name, answer, store=True)
            self._remember_tips(name, answer)

    def _remember_tips(self, name: RefName, answer: ResolvedRef) -> None:
        """A commit a tag or branch points at is in the repository: a pin made of it needs
        no lookup to be verified."""
        for tip in {answer.tag, answer.branch} - {None}:
            assert tip is not None
            commit = CommitName(name.repository, tip)
            tags = tuple(tag for tag, sha in answer.tags if sha == tip)
            facts = CommitFacts(True, True, tags, f"`{name.ref}` points at it")
            self._commits.setdefault(commit.key, facts)
            if self._cache is not None:
                self._cache.put_fact(COMMIT_IN_FACT, commit.key, _facts_to_json(facts))

    def _remember_tags(self, name: RefName, answer: ResolvedRef, *, store: bool) -> None:
        learned: dict[str, str | None] = {
            _tag_key(name.repository, tag): commit for tag, commit in answer.tags
        }
        learned[_tag_key(name.repository, name.ref)] = answer.tag
        for key, commit in learned.items():
            self._tags[key] = commit
            if store and self._cache is not None:
                self._cache.put_fact(TAG_FACT, key, commit or "")

    def _query_refs(self, batch: Sequence[RefName]) -> dict[RefName, ResolvedRef | Unresolved]:
        aliases = {f"r{index}": name for index, name in enumerate(batch)}
        parts = [_ref_selection(alias, name) for alias, name in aliases.items()]
        data, errors = self._graphql(parts)
        result: dict[RefName, ResolvedRef | Unresolved] = {}
        for alias, name in aliases.items():
            node = data.get(alias)
            if not isinstance(node, dict):
                result[name] = _missing(name.repository, errors.get(alias))
                continue
            result[name] = _resolved(name, node)
        return result

    # Commits ------------------------------------------------------------------------------

    def commits(
        self, commits: Collection[CommitName]
    ) -> Mapping[CommitName, CommitFacts | Unresolved]:
        wanted = list(dict.fromkeys(commits))
        with self._lock:
            missing = [commit for commit in wanted if self._known_commit(commit) is None]
            for commit, answer in self._ask(missing, _invalid_commit, self._query_commits):
                self._commits[commit.key] = answer
                self._learn_absent(commit.repository, answer)
                if isinstance(answer, CommitFacts) and self._cache is not None:
                    kind = COMMIT_IN_FACT if answer.reachable else COMMIT_FACT
                    self._cache.put_fact(kind, commit.key, _facts_to_json(answer))
            return {commit: self._commits[commit.key] for commit in wanted}

    def _known_commit(self, commit: CommitName) -> CommitFacts | Unresolved | None:
        known = self._commits.get(commit.key)
        if known is None and self._cache is not None:
            # A commit a branch or tag contains stays there: kept for ever; the rest may change.
            stored = self._cache.fact(COMMIT_IN_FACT, commit.key, None)
            if stored is None:
                stored = self._cache.fact(COMMIT_FACT, commit.key, self._max_age())
            known = _facts_from_json(stored) if stored is not None else None
            if known is None:
                known = self._known_absent(commit.repository)
            if known is not None:
                self._commits[commit.key] = known
        return known

    def _query_commits(
        self, batch: Sequence[CommitName]
    ) -> dict[CommitName, CommitFacts | Unresolved]:
        aliases = {f"c{index}": commit for index, commit in enumerate(batch)}
        parts = [_commit_selection(alias, commit) for alias, commit in aliases.items()]
        data, errors = self._graphql(parts)
        result: dict[CommitName, CommitFacts | Unresolved] = {}
        for alias, commit in aliases.items():
            node = data.get(alias)
            if not isinstance(node, dict):
                result[commit] = _missing(commit.repository, errors.get(alias))
                continue
            result[commit] = self._commit_facts(commit, node)
        return result

    def _commit_facts(
        self, commit: CommitName, node: Mapping[str, Any]
    ) -> CommitFacts | Unresolved:
        found = node.get("object")
        if not isinstance(found, dict):
            return CommitFacts(exists=False, reachable=False)
        listing = _listing(node)
        tags = tuple(name for name, sha in listing.tags if sha == commit.sha)
        if tags or any(sha == commit.sha for _, sha in listing.branches):
            return CommitFacts(True, True, tags, "a branch or tag points at it")
        return self._compared(commit, listing, tags)

    def _compared(
        self, commit: CommitName, listing: _Listing, tags: tuple[str, ...]
    ) -> CommitFacts | Unresolved:
        """Compare each branch, then each tag, with the commit until one contains it."""
        branches = [name for name, _ in listing.branches]
        if listing.default_branch in branches:
            branches.remove(listing.default_branch)
        bases = [listing.default_branch or "", *branches, *(name for name, _ in listing.tags)]
        bases = [base for base in bases if base]
        for base in bases[: self._max_compares]:
            try:
                status = self._compare(commit, base)
            except GitHubError as error:
                reason = f"comparing {base} with {commit.sha[:12]}: {error}"
                return Unresolved(reason, error.transient)
            if status in ("behind", "identical"):
                return CommitFacts(True, True, tags, f"{base} contains it")
        checked = f"compared with {min(len(bases), self._max_compares)} branches and tags"
        if len(bases) > self._max_compares or not listing.complete:
            return CommitFacts(True, None, tags, f"{checked} of more")
        return CommitFacts(True, False, tags, checked)

    def _compare(self, commit: CommitName, base: str) -> str | None:
        assert self._api is not None
        path = f"/repos/{commit.repository}/compare/{quote(base, safe='')}...{commit.sha}"
        self.queries += 1
        try:
            answer = self._api.get(path, {"per_page": 1})
        except GitHubError as error:
            if error.status == 404:  # no common history with that base
                return None
            raise
        status = answer.get("status") if isinstance(answer, dict) else None
        return str(status) if status is not None else None

    # Asking -------------------------------------------------------------------------------

    def _ask(
        self,
        missing: Sequence[T],
        invalid: Callable[[T], str | None],
        query: Callable[[Sequence[T]], dict[T, Any]],
    ) -> list[tuple[T, Any]]:
        """Answers for `missing`: refused at once when invalid or offline, else asked in
        batches, a few batches at a time."""
        answers: list[tuple[T, Any]] = []
        askable = []
        for item in missing:
            problem = invalid(item) or self._offline_reason
            if problem is not None:
                answers.append((item, Unresolved(problem)))
            else:
                askable.append(item)
        batches = [askable[start : start + BATCH] for start in range(0, len(askable), BATCH)]

        def ask(batch: Sequence[T]) -> dict[T, Any]:
            try:
                return query(batch)
            except GitHubError as error:
                if error.transient and self.outage is None:
                    self.outage = str(error)
                return dict.fromkeys(batch, Unresolved(str(error), error.transient))

        if len(batches) <= 1:
            results = [ask(batch) for batch in batches]
        else:
            with ThreadPoolExecutor(min(self._workers, len(batches))) as pool:
                results = list(pool.map(ask, batches))
        for result in results:
            answers.extend(result.items())
        return answers

    def _graphql(self, selections: Sequence[str]) -> tuple[Mapping[str, Any], dict[str, str]]:
        assert self._api is not None
        query = "query {\n" + "\n".join(selections) + "\n}\n" + _PEELED
        self.queries += 1
        return aliased_answers(self._api.graphql(query))

    def _max_age(self) -> float | None:
        offline = self._offline_reason is not None
        return None if offline and self._stale_offline else self._lifetime


# Queries ----------------------------------------------------------------------------------


def _literal(value: str) -> str:
    return json.dumps(value)


def _owner_and_name(repository: str) -> str:
    owner, name = repository.split("/", 1)
    return f"owner: {_literal(owner)}, name: {_literal(name)}"


def _ref_selection(alias: str, name: RefName) -> str:
    ref = name.ref
    commit = (
        f"commit: object(expression: {_literal(ref)}) {{ __typename oid }}"
        if SHORT_SHA.fullmatch(ref)
        else ""
    )
    return f"""{alias}: repository({_owner_and_name(name.repository)}) {{
  tag: ref(qualifiedName: {_literal("refs/tags/" + ref)}) {{ target {{ ...Peeled }} }}
  branch: ref(qualifiedName: {_literal("refs/heads/" + ref)}) {{ target {{ oid }} }}
  tags: refs(refPrefix: "refs/tags/", query: {_literal(ref)}, first: {LISTED}, {_NEWEST}) {{
    nodes {{ name target {{ ...Peeled }} }}
  }}
  {commit}
}}"""


def _commit_selection(alias: str, commit: CommitName) -> str:
    return f"""{alias}: repository({_owner_and_name(commit.repository)}) {{
  object(oid: {_literal(commit.sha)}) {{ __typename oid }}
  defaultBranchRef {{ name target {{ oid }} }}
  branches: refs(refPrefix: "refs/heads/", first: {LISTED}) {{
    totalCount nodes {{ name target {{ oid }} }}
  }}
  tags: refs(refPrefix: "refs/tags/", first: {LISTED}, {_NEWEST}) {{
    totalCount nodes {{ name target {{ ...Peeled }} }}
  }}
}}"""


# Answers ----------------------------------------------------------------------------------


def _invalid_ref(name: RefName) -> str | None:
    if not _REPOSITORY.match(name.repository):
        return f"`{name.repository}` is not an OWNER/NAME repository name"
    if not _REF.match(name.ref) or ".." in name.ref:
        return f"`{name.ref}` is not a ref name that repo-harden looks up"
    return None


def _invalid_commit(commit: CommitName) -> str | None:
    if not _REPOSITORY.match(commit.repository):
        return f"`{commit.repository}` is not an OWNER/NAME repository name"
    return None if FULL_SHA.fullmatch(commit.sha) else f"`{commit.sha}` is not a full commit SHA"


def _missing(repository: str, error: str | None) -> Unresolved:
    if error is None or "Could not resolve to a Repository" in error:
        return _no_repository(repository)
    # GitHub's words for a question it may answer next time (RATE_LIMITED, timeouts)
    transient = any(word in error.lower() for word in ("rate limit", "timeout", "timed out"))
    return Unresolved(error, transient)


def _no_repository(repository: str) -> Unresolved:
    """Not transient: asking again gets the same answer until the token or the name changes."""
    return Unresolved(
        f"GitHub has no repository {repository}, or the token cannot read it; if it is "
        "private or internal, use a token that can"
    )


def _peeled(target: object) -> str | None:
    """The commit a ref's target is: itself, or what an annotated tag (of a tag) points at."""
    for _ in range(3):
        if not isinstance(target, dict):
            return None
        if target.get("__typename", "Commit") != "Tag":
            if target.get("__typename", "Commit") != "Commit":
                return None  # a tag of a tree or a blob names no commit
            oid = target.get("oid")
            return str(oid).lower() if isinstance(oid, str) else None
        target = target.get("target")
    return None


def _ref_target(node: object) -> str | None:
    return _peeled(node.get("target")) if isinstance(node, dict) else None


def _named_tips(connection: object) -> tuple[tuple[str, str], ...]:
    nodes = connection.get("nodes") if isinstance(connection, dict) else None
    tips = []
    for node in nodes if isinstance(nodes, list) else ():
        if isinstance(node, dict) and isinstance(node.get("name"), str):
            commit = _ref_target(node)
            if commit is not None:
                tips.append((str(node["name"]), commit))
    return tuple(tips)


def _resolved(name: RefName, node: Mapping[str, Any]) -> ResolvedRef:
    commit_node = node.get("commit")
    commit = _peeled(commit_node) if SHORT_SHA.fullmatch(name.ref) else None
    tags = tuple(
        (tag, sha) for tag, sha in _named_tips(node.get("tags")) if tag.startswith(name.ref)
    )
    return ResolvedRef(_ref_target(node.get("tag")), _ref_target(node.get("branch")), commit, tags)


def _listing(node: Mapping[str, Any]) -> _Listing:
    default = node.get("defaultBranchRef")
    default_name = default.get("name") if isinstance(default, dict) else None
    complete = True
    for key in ("branches", "tags"):
        connection = node.get(key)
        total = connection.get("totalCount") if isinstance(connection, dict) else None
        if isinstance(total, int) and total > LISTED:
            complete = False
    return _Listing(
        str(default_name) if isinstance(default_name, str) else None,
        _named_tips(node.get("branches")),
        _named_tips(node.get("tags")),
        complete,
    )


def _tag_key(repository: str, tag: str) -> str:
    return f"{repository.lower()}@{tag}"


def _ref_to_json(ref: ResolvedRef) -> str:
    return json.dumps(
        {"tag": ref.tag, "branch": ref.branch, "commit": ref.commit, "tags": list(ref.tags)}
    )


def _ref_from_json(text: str) -> ResolvedRef | None:
    try:
        data = json.loads(text)
        tags = tuple((str(name), str(sha)) for name, sha in data.get("tags", ()))
        return ResolvedRef(data.get("tag"), data.get("branch"), data.get("commit"), tags)
    except (ValueError, TypeError, AttributeError):
        return None  # written by another version: asked again


def _facts_to_json(facts: CommitFacts) -> str:
    return json.dumps(
        {
            "exists": facts.exists,
            "reachable": facts.reachable,
            "tags": list(facts.tags),
            "checked": facts.checked,
        }
    )


def _facts_from_json(text: str) -> CommitFacts | None:
    try:
        data = json.loads(text)
        return CommitFacts(
            bool(data["exists"]),
            data["reachable"] if data["reachable"] in (True, False, None) else None,
            tuple(str(tag) for tag in data.get("tags", ())),
            str(data.get("checked", "")),
        )
    except (ValueError, TypeError, KeyError):
        return None
