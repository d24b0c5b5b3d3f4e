"""A fake GitHub on loopback: a real HTTP server, in a thread, on 127.0.0.1 and a free port,
that speaks the REST endpoints and the GraphQL an org audit uses, so PyGithub talks HTTP to it.

- Routes are a table, `route(method, template, handler)`, with GitHub's own path templates
  (`/repos/{owner}/{repo}`); lists are served by `paginate()` with GitHub's `Link` headers.
- `POST /graphql` really executes queries against GitHub's public schema
  (`tests/fake_github_graphql.py`): invalid queries are answered with GitHub's errors and
  recorded in `graphql_invalid`; fields the fake cannot answer land in `graphql_unsupported`.
- Repositories hold files (`FakeRepo.files`) and have real git object ids: blobs, trees and a
  commit, equal to what `git` computes for the same files.
- Rate limits as GitHub keeps them: separate `core` (REST) and `graphql` budgets, the
  `x-ratelimit-*` headers on every answer, ETags, and free `304`s for a matching
  `If-None-Match`. `counters` counts what was spent.
- Faults: `fail()` (a status, a body, headers, for the next N matching requests, GraphQL
  queries by their text too), `fail_graphql_timeout()`, `secondary_rate_limit()`,
  `exhaust()`, `fail_repository()` (one alias of a batch), `delete_after()`, `on_request()`
  hooks and `delay` (added to every answer; the server is threaded and its state locked).
- GitHub App auth: `add_app()` registers a public key; `POST /app/installations/{id}/
  access_tokens` verifies the app's RS256 JWT and issues installation tokens.
- `add_synthetic_org()` makes an organization of small repositories with known problems.
- Every exchange is recorded in `exchanges`, for tests to count requests and to validate
  each response against GitHub's OpenAPI description (see `tests/github_openapi.py`).
Responses are built from GitHub's own examples in that description where it has them.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import itertools
import json
import math
import random
import re
import secrets
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from repo_harden.core.record import replace
from tests.fake_git_history import FakeHistory
from tests.fake_github_graphql import (
    MAX_NODES,
    TIMEOUT_MESSAGE,
    Context,
    GitHubGraphQLError,
    analyse,
    execute,
    format_error,
    iso_time,
    parse_and_validate,
    unsupported,
)
from tests.github_openapi import example, github_shapes

RECORDED = Path(__file__).parent / "data" / "github" / "recorded-branch-protection.json"
LOG_DOWNLOAD = "/_signed-logs"  # where job logs redirect (on GitHub: another host)
ADMIN, WRITE, READ = "admin", "write", "read"
CORE, GRAPHQL = "core", "graphql"  # the rate-limit resources
DOCS = "https://docs.github.com/rest"
RATE_LIMIT_DOCS = (
    "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
)
SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID C0DE:F4KE:1D."
)
PRIMARY_LIMIT_BODY = {
    "message": "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for "
    "help, please include the request ID C0DE:F4KE:1D.",
    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
}
BLOB_TEXT_LIMIT = 512 * 1024  # GitHub's GraphQL Blob.text stops there (isTruncated)
CODEOWNERS_PATHS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
Json = Any


def _recorded_not_protected() -> Json:
    """The body api.github.com really sends for an unprotected branch (@octokit/fixtures)."""
    exchanges = json.loads(RECORDED.read_text(encoding="utf-8"))
    found = next(e for e in exchanges if e["method"] == "get" and e["status"] == 404)
    return found["response"]


BRANCH_NOT_PROTECTED = _recorded_not_protected()


@dataclass
class Token:
    """A token the fake accepts: the role it has on every repository, and how GitHub answers
    it on classic protection when it is not an admin (404 for a PAT, 403 for an app)."""

    role: str = ADMIN
    denied_status: int = 404
    login: str = "octocat"
    expires_at: float | None = None  # an installation token's end (epoch seconds)
    org_owner: bool = True  # an admin token may read organizations' Actions policies


@dataclass
class FakeRuleset:
    id: int
    name: str
    rules: list[Json] = field(default_factory=list)
    enforcement: str = "active"
    include: list[str] = field(default_factory=lambda: ["~DEFAULT_BRANCH"])
    exclude: list[str] = field(default_factory=list)
    bypass_actors: list[Json] = field(default_factory=list)
    source_type: str = "Repository"
    source: str | None = None  # the organization, for an organization ruleset
    target: str = "branch"
    readable: bool = True  # False: its details answer 404 (an organization ruleset, say)


# Git objects -------------------------------------------------------------------------


def git_hash(kind: str, body: bytes) -> str:
    """The object id git gives `body` as a `kind` object (blob, tree, commit)."""
    header = f"{kind} {len(body)}\0".encode()
    return hashlib.sha1(header + body, usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class GitEntry:
    """One entry of a tree: `mode` as git writes it ("100644", "100755", "120000", "40000")."""

    name: str
    mode: str
    type: str  # "blob" or "tree"
    oid: str
    size: int


@dataclass(frozen=True)
class GitSnapshot:
    """A repository's objects: its head commit, the trees (oid -> entries, in git's order),
    the blobs (oid -> content) and every path (-> its entry)."""

    commit_oid: str
    tree_oid: str
    revision: int
    trees: Mapping[str, tuple[GitEntry, ...]]
    blobs: Mapping[str, bytes]
    paths: Mapping[str, GitEntry]


def git_snapshot(
    files: Mapping[str, bytes], modes: Mapping[str, str], revision: int
) -> GitSnapshot:
    """The objects git would write for `files`; the commit is made deterministic by
    `revision` (its date and message)."""
    blobs: dict[str, bytes] = {}
    root: dict[str, Any] = {}
    for path, content in files.items():
        parts = path.strip("/").split("/")
        node = root
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ValueError(f"{path}: {part} is a file and a folder")
            node = child
        oid = git_hash("blob", content)
        blobs[oid] = content
        node[parts[-1]] = GitEntry(parts[-1], modes.get(path, "100644"), "blob", oid, len(content))
    trees: dict[str, tuple[GitEntry, ...]] = {}
    paths: dict[str, GitEntry] = {}

    def build(node: Mapping[str, Any], prefix: str) -> str:
        entries = []
        for name, child in node.items():
            entry = (
                GitEntry(name, "40000", "tree", build(child, f"{prefix}{name}/"), 0)
                if isinstance(child, dict)
                else child
            )
            entries.append(entry)
            paths[prefix + name] = entry
        # git's order: bytes of the name, a folder's name followed by "/"
        entries.sort(key=lambda e: e.name.encode() + (b"/" if e.type == "tree" else b""))
        body = b"".join(
            f"{e.mode} {e.name}".encode() + b"\0" + bytes.fromhex(e.oid) for e in entries
        )
        oid = git_hash("tree", body)
        trees[oid] = tuple(entries)
        return oid

    tree_oid = build(root, "")
    when = f"{1_700_000_000 + revision} +0000"
    identity = "Fake GitHub <fake@github.example>"
    commit = (
        f"tree {tree_oid}\nauthor {identity} {when}\ncommitter {identity} {when}\n\n"
        f"revision {revision}\n"
    )
    return GitSnapshot(git_hash("commit", commit.encode()), tree_oid, revision, trees, blobs, paths)


_GIT_LOCK = threading.Lock()


@dataclass
class FakeActions:
    """GitHub Actions settings of an organization or a repository; the defaults are GitHub's
    for an organization created today. `sha_pinning_required` None: the server does not
    offer the policy (the field is left out of its answers)."""

    enabled: bool = True  # organization: `enabled_repositories` "all" (False: "none")
    allowed_actions: str = "all"
    sha_pinning_required: bool | None = False
    patterns_allowed: list[str] = field(default_factory=list)
    default_workflow_permissions: str = "read"
    can_approve_pull_request_reviews: bool = False
    approval_policy: str = "first_time_contributors"
    run_workflows_from_fork_pull_requests: bool = False
    send_write_tokens_to_workflows: bool = False
    send_secrets_and_variables: bool = False
    require_approval_for_fork_pr_workflows: bool = True

    def bound_by(self, organization: FakeActions | None) -> FakeActions:
        """What GitHub shows for a repository whose organization may restrict it: a stricter
        organization policy wins (the repository's own fork approval policy stays its own)."""
        if organization is None:
            return self
        bound = copy.copy(self)
        if organization.default_workflow_permissions == "read":
            bound.default_workflow_permissions = "read"
        if not organization.can_approve_pull_request_reviews:
            bound.can_approve_pull_request_reviews = False
        if organization.allowed_actions != "all" and self.allowed_actions == "all":
            bound.allowed_actions = organization.allowed_actions
            bound.patterns_allowed = list(organization.patterns_allowed)
        if organization.sha_pinning_required:
            bound.sha_pinning_required = True
        if not organization.run_workflows_from_fork_pull_requests:
            bound.run_workflows_from_fork_pull_requests = False
        return bound


@dataclass
class FakeRepo:
    owner: str
    name: str
    default_branch: str = "main"
    classic: Json | None = None  # GET .../protection's body, from `classic_protection()`
    rulesets: list[FakeRuleset] = field(default_factory=list)
    archived: bool = False
    fork: bool = False
    private: bool = False
    codeowners_errors: list[Json] | None = None  # None: GitHub finds no error (or no file)
    # GitHub, under load, answers a listing page that asks for much per repository with a
    # null node and this error for the repository; a lighter query (its name) still works
    listing_error: str | None = None
    files: dict[str, bytes] = field(default_factory=dict)  # path -> content; none: empty
    modes: dict[str, str] = field(default_factory=dict)  # path -> "100755", "120000" (symlink)
    created: int = 0  # creation order (the fake numbers repositories as they are added)
    releases: dict[str, GitSnapshot] = field(default_factory=dict)  # other commits, by id
    runs: list[FakeRun] = field(default_factory=list)  # Actions workflow runs
    history: FakeHistory | None = None  # commits, branches and tags, for pins
    actions: FakeActions = field(default_factory=FakeActions)
    _git: tuple[Any, GitSnapshot | None] | None = field(
        default=None, init=False, repr=False, compare=False
    )
    _revision: int = field(default=0, init=False, repr=False, compare=False)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def git(self) -> GitSnapshot | None:
        """The repository's git objects, None when it is empty. Computed again, with a new
        commit, after `files` or `modes` change."""
        # Contents are immutable bytes and the snapshot keeps them alive: their ids are a
        # cheap, exact fingerprint of the files.
        fingerprint = (
            tuple((path, id(content)) for path, content in self.files.items()),
            tuple(self.modes.items()),
        )
        with _GIT_LOCK:
            cached = self._git
            if cached is not None and cached[0] == fingerprint:
                return cached[1]
            self._revision += 1
            snapshot = git_snapshot(self.files, self.modes, self._revision) if self.files else None
            self._git = (fingerprint, snapshot)
            return snapshot

    def touch(self) -> None:
        """A new commit on the next read, even with the same files (a push, say)."""
        with _GIT_LOCK:
            self._git = None

    def has_codeowners(self) -> bool:
        return any(path in self.files for path in CODEOWNERS_PATHS)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes
    token: Token | None
    raw_token: str | None


@dataclass
class Response:
    status: int
    body: Json = None
    headers: dict[str, str] = field(default_factory=dict)
    text: str | None = None  # sent as text/plain instead of a JSON body (a log download)


@dataclass
class FakeJob:
    """A job of a workflow run; `log` None: past its retention (GitHub answers 410)."""

    id: int
    name: str
    log: str | None


@dataclass
class FakeRun:
    """A workflow run, as the Actions API lists it."""

    id: int
    workflow: str  # the workflow file's path
    created_at: str  # ISO 8601, UTC
    event: str = "push"
    head_sha: str = "0" * 40
    head_branch: str | None = "main"
    from_fork: bool = False
    conclusion: str | None = "success"
    jobs: list[FakeJob] = field(default_factory=list)


@dataclass(frozen=True)
class Exchange:
    """One request and its answer. `template` is the route's path template."""

    method: str
    path: str
    query: Mapping[str, str]
    template: str | None
    status: int
    body: Json
    authorization: str | None
    headers: Mapping[str, str] = field(default_factory=dict)  # the answer's
    request_body: bytes = b""


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    response: Response
    times: int | None  # None: for ever
    query: re.Pattern[str] | None = None  # GraphQL: only queries whose text matches
    skip: int = 0  # matching requests still answered normally first


@dataclass
class RepositoryFault:
    message: str
    kind: str | None
    times: int | None


@dataclass
class SecondaryLimit:
    retry_after: int
    resource: str | None
    countdown: int  # matching requests still served before the limit starts
    status: int
    until: float | None = None


@dataclass
class RateBudget:
    """One resource's budget (GitHub's primary rate limit): `limit` an hour, reset at
    `reset_at` (epoch seconds); tests may set any field."""

    resource: str
    limit: int = 5000
    used: int = 0
    window: float = 3600.0
    reset_at: float = field(default_factory=lambda: time.time() + 3600.0)

    def roll(self, now: float) -> None:
        if now >= self.reset_at:
            self.used = 0
            self.reset_at = now + self.window

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    def headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-used": str(self.used),
            "x-ratelimit-reset": str(math.ceil(self.reset_at)),
            "x-ratelimit-resource": self.resource,
        }


@dataclass
class Counters:
    """What clients spent, for tests and benchmarks ("rate-limited requests per repository":
    `rate_limited_requests / repositories`)."""

    rest: int = 0  # REST requests that spent the core budget
    not_modified: int = 0  # conditional REST requests answered 304: free
    graphql: int = 0  # GraphQL queries executed (each spent its cost)
    graphql_points: int = 0
    primary_limited: int = 0  # refused: the budget was spent (403 REST, RATE_LIMITED GraphQL)
    secondary_limited: int = 0  # refused: a secondary rate limit (403 + Retry-After)
    faults: int = 0  # answers from `fail()`
    app_tokens: int = 0  # installation tokens issued

    @property
    def rate_limited_requests(self) -> int:
        return self.rest + self.graphql


@dataclass(frozen=True)
class InvalidQuery:
    query: str
    variables: Json
    errors: list[Json]


@dataclass
class FakeApp:
    """A GitHub App: the public key its JWTs are checked with, and its installations."""

    app_id: str
    public_key: str
    installations: dict[int, str]  # installation id -> role of its tokens
    slug: str = "fake-app"
    permissions: dict[str, str] = field(
        default_factory=lambda: {"metadata": "read", "contents": "read", "administration": "read"}
    )


Handler = Callable[..., Response]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    regex: re.Pattern[str]
    handler: Handler


def _template_regex(template: str, multi_segment: Sequence[str]) -> re.Pattern[str]:
    def group(match: re.Match[str]) -> str:
        name = match.group(1)
        return f"(?P<{name}>.+)" if name in multi_segment else f"(?P<{name}>[^/]+)"

    parts = re.split(r"(\{[^}]+\})", template)
    regex = "".join(
        re.sub(r"\{([^}]+)\}", group, part) if part.startswith("{") else re.escape(part)
        for part in parts
    )
    return re.compile(regex)


class FakeGitHub:
    """State, routes and a server. Use as a context manager; `url` is the API URL."""

    def __init__(self, tokens: Mapping[str, Token] | None = None, prefix: str = "") -> None:
        self.tokens: dict[str, Token] = dict(tokens or {"test-token": Token()})
        self.prefix = prefix  # "/api/v3", as GitHub Enterprise Server serves the API
        self.repos: dict[str, FakeRepo] = {}
        self.org_actions: dict[str, FakeActions] = {}  # login.lower() -> its Actions policies
        self.owners: dict[str, tuple[str, str]] = {}  # login.lower() -> (login, kind)
        self.routes: list[Route] = []
        self.faults: list[Fault] = []
        self.repository_faults: dict[str, RepositoryFault] = {}
        self.hooks: list[Callable[[Request], None]] = []
        self.exchanges: list[Exchange] = []
        self.record_exchanges = True  # False: keep no exchange (a long benchmark)
        self.echo_token = False  # error messages repeat the token they were sent
        self.delay = 0.0  # seconds added to every answer
        self.rate_limits = {CORE: RateBudget(CORE), GRAPHQL: RateBudget(GRAPHQL)}
        self.counters = Counters()
        self.graphql_invalid: list[InvalidQuery] = []
        self.graphql_unsupported: list[InvalidQuery] = []
        self.graphql_rate_limit_type = "RATE_LIMITED"  # see the note in `_graphql`
        self.blob_text_limit = BLOB_TEXT_LIMIT
        self.apps: dict[str, FakeApp] = {}
        self.installation_token_ttl = 3600  # seconds
        self._secondary: SecondaryLimit | None = None
        self._created = itertools.count(1)
        self._request_ids = itertools.count(1)
        self._run_ids = itertools.count(1)
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._add_repository_routes()

    # Server --------------------------------------------------------------------------

    def __enter__(self) -> FakeGitHub:
        server = _Server(("127.0.0.1", 0), _handler_class(self))
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        assert self._server is not None, "use the fake as a context manager"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{self.prefix}"

    @property
    def graphql_path(self) -> str:
        """Where GraphQL is served: `/graphql`, and `/api/graphql` beside GitHub Enterprise
        Server's `/api/v3` (where PyGithub sends it)."""
        return self.prefix.removesuffix("/v3") + "/graphql"

    # State ---------------------------------------------------------------------------

    def add_repo(self, full_name: str, **fields: Any) -> FakeRepo:
        """A repository; `files` may hold str (UTF-8) or bytes. Its owner becomes an
        organization unless `add_user()` said it is a user."""
        owner, name = full_name.split("/")
        files = {
            path: content.encode() if isinstance(content, str) else content
            for path, content in (fields.pop("files", None) or {}).items()
        }
        repo = FakeRepo(owner, name, files=files, created=next(self._created), **fields)
        with self._lock:
            self.owners.setdefault(owner.lower(), (owner, "Organization"))
            self.repos[full_name] = repo
        return repo

    def add_synthetic_org(self, org: str, count: int, seed: int = 0) -> SyntheticOrg:
        """`count` small repositories with known problems (see `SyntheticRepo`)."""
        return add_synthetic_org(self, org, count, seed)

    def add_release(
        self,
        full_name: str,
        tag: str | None,
        files: Mapping[str, str | bytes],
        commit: str | None = None,
    ) -> str:
        """A commit of `full_name` other than its head, holding `files` (named by `tag`
        when given), for `object(expression: "<commit or tag>:<path>")`; returns its id,
        `commit` when given (a real action's pinned SHA, say). The commit and its tag are
        in the repository's history, where refs are looked up."""
        owner, name = full_name.split("/")
        repo = self.find_repo(owner, name) or self.add_repo(full_name)
        encoded = {path: c.encode() if isinstance(c, str) else c for path, c in files.items()}
        snapshot = git_snapshot(encoded, {}, 1000 + len(repo.releases))
        if commit is not None:
            snapshot = replace(snapshot, commit_oid=commit)
        repo.releases[snapshot.commit_oid] = snapshot
        history = self.add_history(full_name)
        if snapshot.commit_oid not in history.commits:
            history.commit(full_name, sha=snapshot.commit_oid)
        if tag is not None:
            history.tag(tag, snapshot.commit_oid)
        return snapshot.commit_oid

    def add_run(
        self,
        full_name: str,
        workflow: str,
        created_at: str,
        logs: Sequence[str | None],
        **fields: Any,
    ) -> FakeRun:
        """A run of `workflow`, with one job per log (None: the log has expired)."""
        owner, name = full_name.split("/")
        repo = self.find_repo(owner, name)
        assert repo is not None, full_name
        with self._lock:
            run_id = 30_000 + next(self._run_ids)
            jobs = [
                FakeJob(run_id * 10 + index, f"job {index + 1}", log)
                for index, log in enumerate(logs)
            ]
            run = FakeRun(run_id, workflow, created_at, jobs=jobs, **fields)
            repo.runs.append(run)
        return run

    def add_history(self, full_name: str, default_branch: str = "main") -> FakeHistory:
        """A repository whose history tests build: commits, branches, tags (pins name them)."""
        repo = self.find_repo(*full_name.split("/")) or self.add_repo(
            full_name, default_branch=default_branch
        )
        if repo.history is None:
            repo.history = FakeHistory()
        return repo.history

    def add_org(self, login: str) -> None:
        with self._lock:
            self.owners[login.lower()] = (login, "Organization")

    def add_user(self, login: str) -> None:
        with self._lock:
            self.owners[login.lower()] = (login, "User")

    def add_repo_from_checkout(self, full_name: str, path: Path, **fields: Any) -> FakeRepo:
        """A repository holding what the git index of the checkout at `path` holds (for a
        fresh commit, its HEAD): the same blob and tree ids as git's. Submodules are left
        out."""
        listed = subprocess.run(
            ["git", "ls-files", "-s", "-z"], cwd=path, capture_output=True, check=True
        ).stdout
        entries: list[tuple[str, str, str]] = []
        for record in listed.split(b"\0"):
            if not record:
                continue
            meta, _, raw_name = record.partition(b"\t")
            mode, oid, _stage = meta.decode().split()
            if mode != "160000":
                entries.append((raw_name.decode(), mode, oid))
        batch = subprocess.run(
            ["git", "cat-file", "--batch"],
            cwd=path,
            input="".join(f"{oid}\n" for _, _, oid in entries).encode(),
            capture_output=True,
            check=True,
        ).stdout
        files: dict[str, bytes] = {}
        modes: dict[str, str] = {}
        offset = 0
        for name, mode, _oid in entries:
            header_end = batch.index(b"\n", offset)
            size = int(batch[offset:header_end].split()[2])
            files[name] = batch[header_end + 1 : header_end + 1 + size]
            offset = header_end + 1 + size + 1
            if mode != "100644":
                modes[name] = mode
        head = subprocess.run(
            ["git", "symbolic-ref", "--short", "HEAD"],
            cwd=path,
            capture_output=True,
            text=True,
            check=False,
        )
        fields.setdefault("default_branch", head.stdout.strip() or "main")
        repo = self.add_repo(full_name, **fields)
        repo.files, repo.modes = files, modes
        return repo

    def delete_repo(self, full_name: str) -> None:
        with self._lock:
            self.repos.pop(full_name, None)

    def find_repo(self, owner: str, name: str) -> FakeRepo | None:
        """A repository by name, case-insensitive as GitHub's names are."""
        found = self.repos.get(f"{owner}/{name}")
        if found is not None:
            return found
        wanted = f"{owner}/{name}".lower()
        with self._lock:
            return next((r for k, r in self.repos.items() if k.lower() == wanted), None)

    def owner_kind(self, login: str) -> tuple[str, str] | None:
        """`(login, "Organization" or "User")` of an owner the fake knows."""
        return self.owners.get(login.lower())

    def repos_of(self, login: str) -> list[FakeRepo]:
        wanted = login.lower()
        with self._lock:
            return [r for r in self.repos.values() if r.owner.lower() == wanted]

    def add_app(
        self,
        app_id: int | str,
        public_key: str | bytes,
        installations: Mapping[int, str] | None = None,
        *,
        slug: str = "fake-app",
    ) -> FakeApp:
        """A GitHub App whose JWTs are signed by the private half of `public_key` (PEM), with
        `installations` (id -> the role of its tokens; default: installation 1, read)."""
        key = public_key.decode() if isinstance(public_key, bytes) else public_key
        app = FakeApp(str(app_id), key, dict(installations or {1: READ}), slug)
        self.apps[app.app_id] = app
        return app

    def token_for(self, raw: str | None) -> Token | None:
        token = self.tokens.get(raw or "")
        if token is not None and token.expires_at is not None and time.time() >= token.expires_at:
            return None  # an installation token past its end: "Bad credentials"
        return token

    def rate_limit(self, resource: str) -> RateBudget:
        """The budget of `core` or `graphql`, rolled over when its hour has passed."""
        with self._lock:
            budget = self.rate_limits[resource]
            budget.roll(time.time())
            return budget

    # Faults --------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        body: Json = None,
        *,
        times: int | None = None,
        headers: Mapping[str, str] | None = None,
        query: str | None = None,
        after: int = 0,
    ) -> None:
        """Answer requests whose path matches the regex `path` with this, `times` times
        (None: for ever), once `after` matching requests were answered normally. `query`:
        only GraphQL requests whose query text matches this regex."""
        response = Response(status, body or {"message": "fault", "documentation_url": DOCS})
        response.headers.update(headers or {})
        pattern = re.compile(query) if query is not None else None
        with self._lock:
            self.faults.append(
                Fault(method.upper(), re.compile(path), response, times, pattern, after)
            )

    def fail_graphql_timeout(
        self, *, times: int | None = 1, query: str | None = None, after: int = 0
    ) -> None:
        """GitHub's answer to a query it could not finish in time: 502 and `data: null`."""
        body = {"data": None, "errors": [{"message": TIMEOUT_MESSAGE}]}
        self.fail("POST", r"^/graphql$", 502, body, times=times, query=query, after=after)

    def fail_repository(
        self,
        full_name: str,
        message: str = TIMEOUT_MESSAGE,
        *,
        kind: str | None = None,
        times: int | None = None,
    ) -> None:
        """In GraphQL, `repository(owner:, name:)` for this repository fails alone: its alias
        is null and `errors` holds `message` (with `type` `kind`), the batch's other aliases
        are answered."""
        with self._lock:
            self.repository_faults[full_name.lower()] = RepositoryFault(message, kind, times)

    def graphql_repository_fault(self, full_name: str) -> None:
        """Raise the fault `fail_repository()` set for this repository, if any."""
        with self._lock:
            fault = self.repository_faults.get(full_name.lower())
            if fault is None:
                return
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    del self.repository_faults[full_name.lower()]
        raise GitHubGraphQLError(fault.kind, fault.message)

    def secondary_rate_limit(
        self,
        retry_after: int = 1,
        *,
        resource: str | None = None,
        after: int = 0,
        status: int = 403,
    ) -> None:
        """After `after` more requests (of `resource`, `core` or `graphql`; None: any),
        GitHub's secondary rate limit: every request is refused with `status` and
        `Retry-After` until `retry_after` seconds have passed."""
        with self._lock:
            self._secondary = SecondaryLimit(retry_after, resource, after, status)

    def exhaust(self, resource: str = CORE, reset_in: float = 1.0) -> None:
        """Spend all of a budget; it comes back whole `reset_in` seconds from now."""
        with self._lock:
            budget = self.rate_limits[resource]
            budget.used = budget.limit
            budget.reset_at = time.time() + reset_in

    def on_request(self, hook: Callable[[Request], None]) -> None:
        """Call `hook(request)` as each request arrives, before it is answered."""
        with self._lock:
            self.hooks.append(hook)

    def delete_after(self, full_name: str, requests: int) -> None:
        """Delete the repository once `requests` more requests (any) have been answered."""
        seen = itertools.count(1)

        def hook(request: Request) -> None:
            if next(seen) > requests:
                self.delete_repo(full_name)

        self.on_request(hook)

    # Routing -------------------------------------------------------------------------

    def route(
        self, method: str, template: str, handler: Handler, multi_segment: Sequence[str] = ()
    ) -> None:
        """Serve `method template` (GitHub's path template) with `handler(request, **params)`."""
        regex = _template_regex(template, multi_segment)
        self.routes.insert(0, Route(method.upper(), template, regex, handler))
        self.routes.sort(key=lambda r: -len(r.template))

    def requests(self, template: str | None = None) -> list[Exchange]:
        with self._lock:
            return [e for e in self.exchanges if template is None or e.template == template]

    def _route(self, request: Request) -> tuple[Route | None, dict[str, str]]:
        for route in self.routes:
            match = route.regex.fullmatch(request.path)
            if route.method == request.method and match:
                return route, {k: unquote(v) for k, v in match.groupdict().items()}
        return None, {}

    # Dispatch ------------------------------------------------------------------------

    def answer(self, request: Request) -> tuple[Response, str | None]:
        if self.delay:
            time.sleep(self.delay)
        for hook in list(self.hooks):
            hook(request)
        resource = GRAPHQL if request.path == "/graphql" else CORE
        route, params = self._route(request)
        response = self._respond(request, resource, route, params)
        budget = self.rate_limit(resource)
        with self._lock:
            defaults = budget.headers()
            defaults["x-github-request-id"] = f"C0DE:{next(self._request_ids):08X}"
        present = {name.lower() for name in response.headers}
        for name, value in defaults.items():
            if name not in present:
                response.headers[name] = value
        return response, route.template if route else None

    def _respond(
        self, request: Request, resource: str, route: Route | None, params: Mapping[str, str]
    ) -> Response:
        refused = self._refused(request, resource, route)
        if refused is not None:
            return refused
        assert route is not None
        free = request.path == "/rate_limit" or request.path.startswith(LOG_DOWNLOAD + "/")
        if resource == GRAPHQL or _is_app_route(request) or free:
            # GraphQL charges its points itself; JWT requests and /rate_limit are free here.
            return route.handler(request, **params)
        budget = self.rate_limit(CORE)
        with self._lock:
            if budget.remaining <= 0:
                self.counters.primary_limited += 1
                return Response(403, PRIMARY_LIMIT_BODY)
        response = route.handler(request, **params)
        if request.method == "GET" and response.status == 200:
            tag = _etag(response.body)
            response.headers.setdefault("ETag", tag)
            if _etag_matches(request.headers.get("if-none-match"), tag):
                with self._lock:
                    self.counters.not_modified += 1
                return Response(304, None, {"ETag": tag})
        with self._lock:
            budget.used += 1
            self.counters.rest += 1
        return response

    def _refused(self, request: Request, resource: str, route: Route | None) -> Response | None:
        """A fault, a secondary rate limit, bad credentials or an unknown endpoint."""
        answer = self._fault(request) or self._secondary_limited(resource)
        signed = request.path.startswith(LOG_DOWNLOAD + "/")  # a log's signed URL
        if answer is None and request.token is None and not _is_app_route(request) and not signed:
            answer = self.error(request, 401, "Bad credentials")
        if answer is None and route is None:
            answer = self.error(request, 404, "Not Found")
        return answer

    def _fault(self, request: Request) -> Response | None:
        with self._lock:
            for fault in self.faults:
                if fault.method != request.method or not fault.path.search(request.path):
                    continue
                if fault.query is not None and not fault.query.search(_graphql_text(request)):
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                self.counters.faults += 1
                return copy.deepcopy(fault.response)
        return None

    def _secondary_limited(self, resource: str) -> Response | None:
        with self._lock:
            limit = self._secondary
            if limit is None or limit.resource not in (None, resource):
                return None
            now = time.time()
            if limit.until is None:
                if limit.countdown > 0:
                    limit.countdown -= 1
                    return None
                limit.until = now + limit.retry_after
            if now >= limit.until:
                self._secondary = None
                return None
            self.counters.secondary_limited += 1
            wait = max(1, math.ceil(limit.until - now))
        body = {"message": SECONDARY_MESSAGE, "documentation_url": RATE_LIMIT_DOCS}
        return Response(limit.status, body, {"Retry-After": str(wait)})

    def error(self, request: Request, status: int, message: str) -> Response:
        if self.echo_token and request.raw_token:
            message = f"{message} (token {request.raw_token})"
        return Response(status, {"message": message, "documentation_url": DOCS})

    def paginate(self, request: Request, items: Sequence[Json]) -> Response:
        """A page of `items`, by `per_page` and `page`, with GitHub's `Link` header."""
        per_page = max(1, min(100, int(request.query.get("per_page", "30"))))
        page = max(1, int(request.query.get("page", "1")))
        chunk = list(items[(page - 1) * per_page : page * per_page])
        response = Response(200, chunk)
        last = max(1, -(-len(items) // per_page))
        if page < last:
            link = f"{self.url}{request.path}?per_page={per_page}&page={page + 1}"
            response.headers["Link"] = f'<{link}>; rel="next"'
        return response

    # GraphQL -------------------------------------------------------------------------

    def _graphql(self, request: Request) -> Response:
        try:
            payload = json.loads(request.body or b"{}")
        except ValueError:
            return Response(400, {"message": "Problems parsing JSON", "documentation_url": DOCS})
        query = payload.get("query") if isinstance(payload, dict) else None
        if not isinstance(query, str):
            message = "A query attribute must be specified and must be a string."
            return Response(200, {"errors": [{"message": message}]})
        variables = payload.get("variables") or {}
        operation = payload.get("operationName")
        document, invalid = parse_and_validate(query)
        if document is None or invalid:
            errors = [format_error(e) for e in invalid]
            self._record(self.graphql_invalid, query, variables, errors)
            return Response(200, {"errors": errors})
        analysis = analyse(document, operation, variables)
        if analysis.nodes > MAX_NODES:
            analysis.errors.append(
                {
                    "type": "MAX_NODE_LIMIT_EXCEEDED",
                    "message": f"This query requests up to {analysis.nodes:,} possible nodes "
                    f"which exceeds the maximum limit of {MAX_NODES:,}.",
                }
            )
        if analysis.errors:
            self._record(self.graphql_invalid, query, variables, analysis.errors)
            return Response(200, {"errors": analysis.errors})
        budget = self.rate_limit(GRAPHQL)
        assert request.token is not None
        with self._lock:
            if budget.remaining < analysis.cost:
                self.counters.primary_limited += 1
                # HTTP 200 and a typed error. GitHub documents the type as RATE_LIMITED;
                # clients have also seen "RATE_LIMIT" (`graphql_rate_limit_type`).
                error = {
                    "type": self.graphql_rate_limit_type,
                    "code": "graphql_rate_limit",
                    "message": "API rate limit already exceeded for user ID 1.",
                }
                return Response(200, {"errors": [error]})
            budget.used += analysis.cost
            self.counters.graphql += 1
            self.counters.graphql_points += analysis.cost
            context = Context(
                self,
                request.token,
                analysis.cost,
                analysis.nodes,
                budget.limit,
                budget.used,
                budget.reset_at,
            )
        body, errors = execute(context, document, variables, operation)
        request_errors = [format_error(e) for e in errors if not e.path]
        if request_errors:  # bad variables: the query did not run
            self._record(self.graphql_invalid, query, variables, request_errors)
        lacking = [format_error(e) for e in unsupported(errors) if e.path]
        if lacking:
            self._record(self.graphql_unsupported, query, variables, lacking)
        return Response(200, body)

    def _record(
        self, where: list[InvalidQuery], query: str, variables: Json, errors: list[Json]
    ) -> None:
        with self._lock:
            where.append(InvalidQuery(query, variables, errors))

    # GitHub App authentication -------------------------------------------------------

    def _create_installation_token(self, request: Request, installation_id: str) -> Response:
        app = self._app_from_jwt(request)
        if isinstance(app, Response):
            return app
        role = app.installations.get(int(installation_id)) if installation_id.isdigit() else None
        if role is None:
            return self.error(request, 404, "Not Found")
        try:
            asked = json.loads(request.body or b"{}").get("permissions") or {}
        except (ValueError, AttributeError):
            return self.error(request, 400, "Problems parsing JSON")
        permissions = dict(asked) if asked else dict(app.permissions)
        token = "ghs_" + secrets.token_hex(18)
        expires_at = int(time.time()) + self.installation_token_ttl
        with self._lock:
            self.tokens[token] = Token(role, 403, f"{app.slug}[bot]", float(expires_at))
            self.counters.app_tokens += 1
        body = {
            "token": token,
            "expires_at": iso_time(expires_at),
            "permissions": permissions,
            "repository_selection": "all",
        }
        return Response(201, body)

    def _app_from_jwt(self, request: Request) -> FakeApp | Response:
        try:
            return self._verify_jwt(request.raw_token)
        except JwtRejected as rejected:
            return self.error(request, 401, str(rejected))

    def _verify_jwt(self, raw: str | None) -> FakeApp:
        """The app whose RS256 JWT this is, checked as GitHub checks it."""
        import jwt

        undecodable = "A JSON web token could not be decoded"
        if not raw:
            raise JwtRejected(undecodable)
        try:
            unverified = jwt.decode(raw, options={"verify_signature": False})
            app = self.apps.get(str(unverified.get("iss")))
            if app is None:
                raise JwtRejected("Integration not found")
            claims = jwt.decode(
                raw,
                app.public_key,
                algorithms=["RS256"],
                options={"require": ["exp", "iat", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise JwtRejected(
                "'Expiration time' claim ('exp') must be a numeric value representing the "
                "future time at which the assertion expires"
            ) from None
        except jwt.PyJWTError:
            raise JwtRejected(undecodable) from None
        if int(claims["exp"]) - int(claims["iat"]) > 660:  # GitHub: at most 10 minutes
            raise JwtRejected("'Expiration time' claim ('exp') is too far in the future")
        return app

    # The REST endpoints --------------------------------------------------------------

    def _add_repository_routes(self) -> None:
        self.route("POST", "/graphql", self._graphql)
        self.route("GET", "/rate_limit", self._get_rate_limit)
        self.route(
            "POST",
            "/app/installations/{installation_id}/access_tokens",
            self._create_installation_token,
        )
        self.route("GET", "/repos/{owner}/{repo}", self._get_repo)
        self.route(
            "GET",
            "/repos/{owner}/{repo}/branches/{branch}/protection",
            self._get_protection,
            multi_segment=("branch",),
        )
        self.route(
            "GET",
            "/repos/{owner}/{repo}/rules/branches/{branch}",
            self._get_branch_rules,
            multi_segment=("branch",),
        )
        self.route("GET", "/repos/{owner}/{repo}/rulesets", self._get_rulesets)
        self.route("GET", "/repos/{owner}/{repo}/rulesets/{ruleset_id}", self._get_ruleset)
        self.route("GET", "/repos/{owner}/{repo}/codeowners/errors", self._get_codeowners_errors)
        self.route("GET", "/repos/{owner}/{repo}/git/blobs/{file_sha}", self._get_blob)
        self.route("GET", "/repos/{owner}/{repo}/git/trees/{tree_sha}", self._get_tree)
        self.route(
            "GET", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs", self._get_runs
        )
        self.route("GET", "/repos/{owner}/{repo}/actions/runs/{run_id}/jobs", self._get_jobs)
        self.route("GET", "/repos/{owner}/{repo}/actions/jobs/{job_id}/logs", self._get_job_logs)
        self.route("GET", LOG_DOWNLOAD + "/{job_id}", self._download_log)
        self.route("GET", "/repos/{owner}/{repo}/compare/{basehead}", self._get_compare)
        for suffix, answer in ACTIONS_ANSWERS.items():
            self.route(
                "GET", f"/orgs/{{org}}/actions/permissions{suffix}", self._org_actions(answer)
            )
            self.route(
                "GET",
                f"/repos/{{owner}}/{{repo}}/actions/permissions{suffix}",
                self._repo_actions(answer),
            )

    def _get_rate_limit(self, request: Request) -> Response:
        body = example("/rate_limit")
        for resource in (CORE, GRAPHQL):
            budget = self.rate_limit(resource)
            body["resources"][resource] = {
                "limit": budget.limit,
                "remaining": budget.remaining,
                "reset": math.ceil(budget.reset_at),
                "used": budget.used,
            }
        body["rate"] = body["resources"][CORE]
        return Response(200, body)

    def _get_codeowners_errors(self, request: Request, owner: str, repo: str) -> Response:
        found = self._repo(request, owner, repo)
        if isinstance(found, Response):
            return found
        if found.codeowners_errors is None:
            if not found.has_codeowners():
                return self.error(request, 404, "Not Found")
            return Response(200, {"errors": []})
        return Response(200, {"errors": copy.deepcopy(found.codeowners_errors)})

    def _repo(self, request: Request, owner: str, repo: str) -> FakeRepo | Response:
        found = self.find_repo(owner, repo)
        return found if found is not None else self.error(request, 404, "Not Found")

    def _get_repo(self, request: Request, owner: str, repo: str) -> Response:
        found = self._repo(request, owner, repo)
        if isinstance(found, Response):
            return found
        body = repository_json(found, self.url, request.token)
        kind = self.owner_kind(found.owner)
        body["owner"]["type"] = kind[1] if kind is not None else "User"
        return Response(200, body)

    def _get_protection(self, request: Request, owner: str, repo: str, branch: str) -> Response:
        found = self._repo(request, owner, repo)
        if isinstance(found, Response):
            return found
        assert request.token is not None
        if request.token.role != ADMIN:
            denied = request.token.denied_status
            message = "Not Found" if denied == 404 else "Resource not accessible by integration"
            return self.error(request, denied, message)
        if found.classic is None or branch != found.default_branch:
            return Response(404, copy.deepcopy(BRANCH_NOT_PROTECTED))
        return Response(200, copy.deepcopy(found.classic))

    def _get_branch_rules(self, request: Request, owner: str, repo: str, branch: str) -> Response:
        found = self._repo(request, owner, repo)
        if isinstance(found, Response):
            return found
        rules = [
            {
                **rule,
                "ruleset_id": ruleset.id,
                "ruleset_source_type": ruleset.source_type,
                "ruleset_source": ruleset.source or found.full_name,
            }
            for ruleset in found.rulesets
            if ruleset.enforcement == "active" and ruleset_targets(ruleset, found, branch)
            for rule in ruleset.rules
        ]
        return self.paginate(request, rules)

    def _get_rulesets(self, request: Request, owner: str, repo: str) -> Response:
        found = self._repo(request, owner, repo)
        if isinstance(found, Response):
            return found
        summaries = [
            ruleset_json(found, r, self.url, request.token, full=False) for r in found.rulesets
        ]
        return self.paginate(request, summaries)

    def _get_ruleset(self, request: Request, owner: str, repo: str, ruleset_id: str) -> Response:
        found = self._repo(request, owner, repo)
        if isinstance(found, Response):
            return found
        ruleset = next((r for r in found.rulesets if str(r.id) == ruleset_id), None)
        if ruleset is None or not ruleset.readable:
            return self.error(request, 404, "Not Found")
        return Response(200, ruleset_json(found, ruleset, self.url, request.token, full=True))

    def _get_blob(self, request: Request, owner: str, repo: str, file_sha: str) -> Response:
        found = self._repo(request, owner, repo)
        if isinstance(found, Response):
            return found
        snapshot = found.git()
        content = snapshot.blobs.get(file_sha) if snapshot is not None else None
        if content is None:
            return self.error(request, 404, "Not Found")
        return Response(200, blob_json(found, file_sha, content, self.url))

    def _get_tree(self, request: Request, owner: str, repo: str, tree_sha: str) -> Response:
        """A tree by its id, a commit's or a branch's; `recursive` lists every level."""
        found = self._repo(request, owner, repo)
        if isinstance(found, Response):
            return found
        snapshot = found.git()
        if snapshot is None:
            return self.error(request, 409, "Git Repository is empty.")
        oid = tree_sha
        if tree_sha in (snapshot.commit_oid, found.default_branch, "HEAD"):
            oid = snapshot.tree_oid
        if oid not in snapshot.trees:
            return self.error(request, 404, "Not Found")
        recursive = request.query.get("recursive", "") not in ("", "0", "false")
        return Response(200, tree_json(found, snapshot, oid, self.url, recursive=recursive))

    def _get_compare(self, request: Request, owner: str, repo: str, basehead: str) -> Response:
        """`base...head` of a repository's history: a fork's commit too (one network)."""
        found = self._repo(request, owner, repo)
        if isinstance(found, Response):
            return found
        base, dots, head = basehead.partition("...")
        history = found.history
        base_sha = history.resolve(base) if history and dots else None
        head_sha = history.resolve(head) if history and dots else None
        if history is None or base_sha is None or head_sha is None:
            return self.error(request, 404, "Not Found")
        status, ahead, behind = history.compare(base_sha, head_sha)
        body = comparison_json(
            found, base_sha, status, ahead=ahead, behind=behind, api_url=self.url
        )
        return Response(200, body)

    # Actions runs --------------------------------------------------------------------------

    def _get_runs(self, request: Request, owner: str, repo: str, workflow_id: str) -> Response:
        """A workflow's runs (by file name), newest first, filtered by `created=A..B`."""
        found = self._repo(request, owner, repo)
        if isinstance(found, Response):
            return found
        runs = [r for r in found.runs if r.workflow.rpartition("/")[2] == workflow_id]
        start, _, end = request.query.get("created", "..").partition("..")
        runs = [r for r in runs if _created_within(r.created_at, start, end)]
        runs.sort(key=lambda r: r.created_at, reverse=True)
        per_page = max(1, min(100, int(request.query.get("per_page", "30"))))
        page = max(1, int(request.query.get("page", "1")))
        chunk = runs[(page - 1) * per_page : page * per_page]
        listed = [run_json(found, run, self.url) for run in chunk]
        return Response(200, {"total_count": len(runs), "workflow_runs": listed})

    def _get_jobs(self, request: Request, owner: str, repo: str, run_id: str) -> Response:
        found = self._repo(request, owner, repo)
        if isinstance(found, Response):
            return found
        run = next((r for r in found.runs if str(r.id) == run_id), None)
        if run is None:
            return self.error(request, 404, "Not Found")
        jobs = [job_json(found, run, job, self.url) for job in run.jobs]
        return Response(200, {"total_count": len(jobs), "jobs": jobs})

    def _get_job_logs(self, request: Request, owner: str, repo: str, job_id: str) -> Response:
        """A 302 to the log's signed URL; 410 once the log has expired."""
        found = self._repo(request, owner, repo)
        if isinstance(found, Response):
            return found
        job = next((j for r in found.runs for j in r.jobs if str(j.id) == job_id), None)
        if job is None:
            return self.error(request, 404, "Not Found")
        if job.log is None:
            return self.error(request, 410, "Gone")
        location = f"{self.url}{LOG_DOWNLOAD}/{job_id}?sig=fake"
        return Response(302, None, {"Location": location})

    def _download_log(self, request: Request, job_id: str) -> Response:
        job = next(
            (
                j
                for r in self.repos.values()
                for run in r.runs
                for j in run.jobs
                if str(j.id) == job_id
            ),
            None,
        )
        if job is None or job.log is None:
            return Response(404, text="Not Found")
        return Response(200, text=job.log)

    def actions_of(self, login: str) -> FakeActions:
        """An organization's Actions policies (GitHub's defaults until a test sets them)."""
        with self._lock:
            return self.org_actions.setdefault(login.lower(), FakeActions())

    def _org_actions(self, answer: ActionsAnswer) -> Handler:
        """An organization's Actions policy: for an owner's token; 404 for a user or an
        unknown login, 403 for a token that does not own the organization."""

        def handle(request: Request, org: str) -> Response:
            kind = self.owner_kind(org)
            if kind is None or kind[1] != "Organization":
                return self.error(request, 404, "Not Found")
            assert request.token is not None
            if request.token.role != ADMIN or not request.token.org_owner:
                return self.error(request, 403, "Must have admin rights to Repository.")
            return answer(self.actions_of(org), True)

        return handle

    def _repo_actions(self, answer: ActionsAnswer) -> Handler:
        """A repository's Actions settings, bound by its organization's: for an admin
        token; others get what classic protection gives them (404 or 403)."""

        def handle(request: Request, owner: str, repo: str) -> Response:
            found = self._repo(request, owner, repo)
            if isinstance(found, Response):
                return found
            assert request.token is not None
            if request.token.role != ADMIN:
                denied = request.token.denied_status
                message = "Not Found" if denied == 404 else "Resource not accessible by integration"
                return self.error(request, denied, message)
            kind = self.owner_kind(found.owner)
            organization = (
                self.actions_of(found.owner) if kind and kind[1] == "Organization" else None
            )
            return answer(found.actions.bound_by(organization), False)

        return handle


def _created_within(created: str, start: str, end: str) -> bool:
    """GitHub's `created=A..B`: a date bound takes its whole day."""
    day = created[:10]
    after = not start or (created >= start if "T" in start else day >= start)
    before = not end or (created <= end if "T" in end else day <= end)
    return after and before


def run_json(repo: FakeRepo, run: FakeRun, api_url: str) -> Json:
    """GitHub's example workflow run, with this run's facts."""
    body = example("/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs")["workflow_runs"][0]
    head = f"someone/{repo.name}" if run.from_fork else repo.full_name
    body.update(
        id=run.id,
        path=run.workflow,
        event=run.event,
        head_sha=run.head_sha,
        head_branch=run.head_branch,
        created_at=run.created_at,
        updated_at=run.created_at,
        conclusion=run.conclusion,
        status="completed",
        html_url=f"https://github.example/{repo.full_name}/actions/runs/{run.id}",
        url=f"{api_url}/repos/{repo.full_name}/actions/runs/{run.id}",
    )
    body["repository"]["full_name"] = repo.full_name
    body["head_repository"]["full_name"] = head
    return body


def job_json(repo: FakeRepo, run: FakeRun, job: FakeJob, api_url: str) -> Json:
    body = example("/repos/{owner}/{repo}/actions/runs/{run_id}/jobs")["jobs"][0]
    body.update(
        id=job.id,
        run_id=run.id,
        name=job.name,
        created_at=run.created_at,  # required by the schema, missing from GitHub's example
        head_sha=run.head_sha,
        url=f"{api_url}/repos/{repo.full_name}/actions/jobs/{job.id}",
        html_url=f"https://github.example/{repo.full_name}/actions/runs/{run.id}/job/{job.id}",
    )

    return body


def comparison_json(
    repo: FakeRepo, base: str, status: str, *, ahead: int, behind: int, api_url: str
) -> Json:
    """GitHub's example comparison, with this one's status and counts (no commits listed)."""
    body = example("/repos/{owner}/{repo}/compare/{basehead}")
    body.update(status=status, ahead_by=ahead, behind_by=behind, total_commits=ahead)
    body["commits"] = []
    body["files"] = []
    body["base_commit"]["sha"] = base
    body["url"] = f"{api_url}/repos/{repo.full_name}/compare/{base}"
    return body


ActionsAnswer = Callable[[FakeActions, bool], Response]


def _actions_permissions(actions: FakeActions, organization: bool) -> Response:
    body: Json = {"allowed_actions": actions.allowed_actions}
    if organization:
        body["enabled_repositories"] = "all" if actions.enabled else "none"
    else:
        body["enabled"] = actions.enabled
    if actions.sha_pinning_required is not None:
        body["sha_pinning_required"] = actions.sha_pinning_required
    if actions.allowed_actions == "selected":
        body["selected_actions_url"] = (
            "https://api.github.example/actions/permissions/selected-actions"
        )
    return Response(200, body)


def _workflow_permissions(actions: FakeActions, organization: bool) -> Response:
    return Response(
        200,
        {
            "default_workflow_permissions": actions.default_workflow_permissions,
            "can_approve_pull_request_reviews": actions.can_approve_pull_request_reviews,
        },
    )


def _selected_actions(actions: FakeActions, organization: bool) -> Response:
    if actions.allowed_actions != "selected":
        return Response(409, {"message": "The allowed actions policy is not set to selected.",
                              "documentation_url": DOCS})  # fmt: skip
    body = {
        "github_owned_allowed": True,
        "verified_allowed": False,
        "patterns_allowed": list(actions.patterns_allowed),
    }
    return Response(200, body)


def _fork_approval(actions: FakeActions, organization: bool) -> Response:
    return Response(200, {"approval_policy": actions.approval_policy})


def _private_forks(actions: FakeActions, organization: bool) -> Response:
    return Response(
        200,
        {
            "run_workflows_from_fork_pull_requests": actions.run_workflows_from_fork_pull_requests,
            "send_write_tokens_to_workflows": actions.send_write_tokens_to_workflows,
            "send_secrets_and_variables": actions.send_secrets_and_variables,
            "require_approval_for_fork_pr_workflows": actions.require_approval_for_fork_pr_workflows,
        },
    )


ACTIONS_ANSWERS: dict[str, ActionsAnswer] = {
    "": _actions_permissions,
    "/workflow": _workflow_permissions,
    "/selected-actions": _selected_actions,
    "/fork-pr-contributor-approval": _fork_approval,
    "/fork-pr-workflows-private-repos": _private_forks,
}


def ruleset_targets(ruleset: FakeRuleset, repo: FakeRepo, branch: str) -> bool:
    """Whether an active or inactive ruleset's conditions take in `branch` of `repo`."""

    def matches(pattern: str) -> bool:
        if pattern == "~ALL":
            return True
        if pattern == "~DEFAULT_BRANCH":
            return branch == repo.default_branch
        return pattern == f"refs/heads/{branch}"

    return (
        ruleset.target == "branch"
        and any(map(matches, ruleset.include))
        and not any(map(matches, ruleset.exclude))
    )


class JwtRejected(Exception):
    """GitHub's reason for refusing an app's JWT."""


def _is_app_route(request: Request) -> bool:
    return request.path == "/app" or request.path.startswith("/app/")


def _etag(body: Json) -> str:
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    return f'W/"{digest}"'


def _etag_matches(header: str | None, tag: str) -> bool:
    """`If-None-Match` compared weakly, as GitHub does: W/ prefixes do not matter."""
    if not header:
        return False
    wanted = tag.removeprefix("W/")
    return any(
        part.strip() in ("*", wanted) or part.strip().removeprefix("W/") == wanted
        for part in header.split(",")
    )


def _graphql_text(request: Request) -> str:
    try:
        query = json.loads(request.body or b"{}").get("query")
    except (ValueError, AttributeError):
        return ""
    return query if isinstance(query, str) else ""


# Response bodies ---------------------------------------------------------------------


def repository_json(repo: FakeRepo, api_url: str, token: Token | None) -> Json:
    """GitHub's example repository, renamed."""
    body = example("/repos/{owner}/{repo}", "200")
    for unused in ("parent", "source", "template_repository", "organization"):
        body.pop(unused, None)
    api = f"{api_url}/repos/{repo.full_name}"
    role = token.role if token is not None else READ
    body.update(
        name=repo.name,
        full_name=repo.full_name,
        default_branch=repo.default_branch,
        archived=repo.archived,
        fork=repo.fork,
        private=repo.private,
        visibility="private" if repo.private else "public",
        description=None,
        language=None,
        url=api,
        html_url=f"https://github.example/{repo.full_name}",
        permissions={"admin": role == ADMIN, "push": role != READ, "pull": True},
    )
    body["owner"].update(login=repo.owner, url=f"{api_url}/users/{repo.owner}")
    return body


def simple_user(login: str) -> Json:
    user = example("/repos/{owner}/{repo}/collaborators/{username}/permission")["user"]
    user.update(login=login, html_url=f"https://github.example/{login}")
    user.pop("role_name", None)
    return user


def team(slug: str) -> Json:
    return {
        "id": 1,
        "node_id": "MDQ6VGVhbTE=",
        "url": f"https://api.github.example/teams/{slug}",
        "members_url": f"https://api.github.example/teams/{slug}/members{{/member}}",
        "name": slug,
        "description": None,
        "permission": "admin",
        "html_url": f"https://github.example/orgs/acme/teams/{slug}",
        "repositories_url": f"https://api.github.example/teams/{slug}/repos",
        "slug": slug,
        "parent": None,
        "type": "organization",
    }


def classic_protection(
    *,
    reviews: bool = True,
    approvals: int | None = 1,
    code_owners: bool = True,
    dismiss_stale: bool = True,
    last_push: bool = True,
    enforce_admins: bool = True,
    force_pushes: bool = False,
    deletions: bool = False,
    contexts: Sequence[str] = ("test",),
    signatures: bool = False,
    bypass_users: Sequence[str] = (),
    bypass_teams: Sequence[str] = (),
) -> Json:
    """The body of `GET .../branches/{branch}/protection`, in GitHub's shape."""
    url = "https://api.github.example/repos/acme/api/branches/main/protection"
    body: Json = {
        "url": url,
        "enforce_admins": {"enabled": enforce_admins, "url": f"{url}/enforce_admins"},
        "required_signatures": {"enabled": signatures, "url": f"{url}/required_signatures"},
        "required_linear_history": {"enabled": False},
        "allow_force_pushes": {"enabled": force_pushes},
        "allow_deletions": {"enabled": deletions},
        "block_creations": {"enabled": False},
        "required_conversation_resolution": {"enabled": False},
        "lock_branch": {"enabled": False},
        "allow_fork_syncing": {"enabled": False},
    }
    if contexts:
        body["required_status_checks"] = {
            "url": f"{url}/required_status_checks",
            "strict": True,
            "contexts": list(contexts),
            "contexts_url": f"{url}/required_status_checks/contexts",
            "checks": [{"context": name, "app_id": None} for name in contexts],
        }
    if reviews:
        review: Json = {
            "url": f"{url}/required_pull_request_reviews",
            "dismiss_stale_reviews": dismiss_stale,
            "require_code_owner_reviews": code_owners,
            "require_last_push_approval": last_push,
        }
        if approvals is not None:
            review["required_approving_review_count"] = approvals
        if bypass_users or bypass_teams:
            review["bypass_pull_request_allowances"] = {
                "users": [simple_user(login) for login in bypass_users],
                "teams": [team(slug) for slug in bypass_teams],
                "apps": [],
            }
        body["required_pull_request_reviews"] = review
    return body


def pull_request_rule(
    approvals: int = 1,
    *,
    code_owners: bool = True,
    dismiss_stale: bool = True,
    last_push: bool = True,
) -> Json:
    return {
        "type": "pull_request",
        "parameters": {
            "required_approving_review_count": approvals,
            "dismiss_stale_reviews_on_push": dismiss_stale,
            "require_code_owner_review": code_owners,
            "require_last_push_approval": last_push,
            "required_review_thread_resolution": False,
        },
    }


def status_checks_rule(*contexts: str) -> Json:
    return {
        "type": "required_status_checks",
        "parameters": {
            "strict_required_status_checks_policy": True,
            "required_status_checks": [{"context": name} for name in contexts],
        },
    }


def strict_rules(approvals: int = 1) -> list[Json]:
    """The rules of a ruleset that BP001-BP009 find nothing wrong with."""
    return [
        {"type": "deletion"},
        {"type": "non_fast_forward"},
        pull_request_rule(approvals),
        status_checks_rule("test"),
    ]


def ruleset_json(
    repo: FakeRepo, ruleset: FakeRuleset, api_url: str, token: Token | None, *, full: bool
) -> Json:
    """A ruleset as the list (`full` False) or the details endpoint returns it."""
    source = ruleset.source or repo.full_name
    body: Json = {
        "id": ruleset.id,
        "name": ruleset.name,
        "target": ruleset.target,
        "source_type": ruleset.source_type,
        "source": source,
        "enforcement": ruleset.enforcement,
        "node_id": "RRS_lACkVXNlcgQB",
        "_links": {
            "self": {"href": f"{api_url}/repos/{repo.full_name}/rulesets/{ruleset.id}"},
            "html": {"href": f"https://github.example/{repo.full_name}/rules/{ruleset.id}"},
        },
        "created_at": "2023-07-15T08:43:03Z",
        "updated_at": "2023-08-23T16:29:47Z",
    }
    if not full:
        return body
    body["conditions"] = {"ref_name": {"include": ruleset.include, "exclude": ruleset.exclude}}
    body["rules"] = copy.deepcopy(ruleset.rules)
    body["current_user_can_bypass"] = "never"
    if token is not None and token.role == ADMIN:
        body["bypass_actors"] = copy.deepcopy(ruleset.bypass_actors)
    return body


def blob_json(repo: FakeRepo, oid: str, content: bytes, api_url: str) -> Json:
    """`GET .../git/blobs/{sha}`: base64 in lines of 60 characters, as GitHub sends it."""
    encoded = base64.b64encode(content).decode()
    lines = "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))
    return {
        "sha": oid,
        "node_id": "B_" + base64.urlsafe_b64encode(bytes.fromhex(oid)[:12]).decode(),
        "size": len(content),
        "url": f"{api_url}/repos/{repo.full_name}/git/blobs/{oid}",
        "content": lines,
        "encoding": "base64",
    }


def tree_json(
    repo: FakeRepo, snapshot: GitSnapshot, oid: str, api_url: str, *, recursive: bool
) -> Json:
    """`GET .../git/trees/{sha}`, `recursive` or not."""
    api = f"{api_url}/repos/{repo.full_name}/git"
    listed: list[Json] = []

    def walk(tree: str, prefix: str) -> None:
        for entry in snapshot.trees[tree]:
            item: Json = {
                "path": prefix + entry.name,
                "mode": entry.mode.zfill(6),
                "type": entry.type,
                "sha": entry.oid,
            }
            if entry.type == "blob":
                item["size"] = entry.size
            item["url"] = f"{api}/{entry.type}s/{entry.oid}"
            listed.append(item)
            if recursive and entry.type == "tree":
                walk(entry.oid, f"{prefix}{entry.name}/")

    walk(oid, "")
    return {"sha": oid, "url": f"{api}/trees/{oid}", "tree": listed, "truncated": False}


# A synthetic organization -------------------------------------------------------------

CHECKOUT_SHA = "11bd71901bbe5b1630ceea73d27597364c9af683"  # actions/checkout v4.2.2
SETUP_NODE_SHA = "39370e3970a6d050c480ffad4ff0ed4d3fdee5af"  # actions/setup-node v4.1.0
IMAGE_DIGEST = "sha256:" + "4f" * 32

_CI_HEAD = "name: CI\non: [push, pull_request]\npermissions:\n  contents: read\n"
_CI_JOB = "jobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
WORKFLOWS: dict[str, tuple[bytes, tuple[str, ...]]] = {
    # name -> (content, the actions it leaves unpinned)
    "ci-unpinned": (
        (
            _CI_HEAD + _CI_JOB + "      - uses: actions/checkout@v4\n      - run: make test\n"
        ).encode(),
        ("actions/checkout@v4",),
    ),
    "ci-pinned": (
        (
            _CI_HEAD
            + _CI_JOB
            + f"      - uses: actions/checkout@{CHECKOUT_SHA} # v4.2.2\n"
            + "        with:\n          persist-credentials: false\n"
            + "      - run: make test\n"
        ).encode(),
        (),
    ),
    "ci-pinned-node": (
        (
            _CI_HEAD
            + _CI_JOB
            + f"      - uses: actions/checkout@{CHECKOUT_SHA} # v4.2.2\n"
            + "        with:\n          persist-credentials: false\n"
            + f"      - uses: actions/setup-node@{SETUP_NODE_SHA} # v4.1.0\n"
            + "      - run: npm ci && npm test\n"
        ).encode(),
        (),
    ),
    "ci-unpinned-node": (
        (
            _CI_HEAD
            + _CI_JOB
            + "      - uses: actions/checkout@v4\n"
            + "      - uses: actions/setup-node@v4\n"
            + "      - run: npm ci && npm test\n"
        ).encode(),
        ("actions/checkout@v4", "actions/setup-node@v4"),
    ),
}
PACKAGE_JSON = b'{\n  "name": "service",\n  "version": "1.0.0",\n  "dependencies": {\n    "express": "^4.19.2"\n  }\n}\n'
PACKAGE_LOCK = json.dumps(
    {
        "name": "service",
        "version": "1.0.0",
        "lockfileVersion": 3,
        "requires": True,
        "packages": {
            "": {"name": "service", "version": "1.0.0", "dependencies": {"express": "^4.19.2"}},
            "node_modules/express": {
                "version": "4.19.2",
                "resolved": "https://registry.npmjs.org/express/-/express-4.19.2.tgz",
                "integrity": "sha512-" + "A" * 86 + "==",
            },
        },
    },
    indent=2,
).encode()
REQUIREMENTS_UNPINNED = b"requests\nflask>=2.0\n"
REQUIREMENTS_PINNED = (
    b"requests==2.32.3 --hash=sha256:"
    + b"1" * 64
    + b"\nflask==3.0.3 --hash=sha256:"
    + b"2" * 64
    + b"\n"
)
DOCKERFILE_CLEAN = (
    f'FROM python:3.12-slim@{IMAGE_DIGEST}\nCOPY . /app\nCMD ["python", "/app/main.py"]\n'.encode()
)
DOCKERFILE_CURL_BASH = (
    f"FROM python:3.12-slim@{IMAGE_DIGEST}\n"
    "RUN curl -fsSL https://get.example.com/install.sh | bash\n"
    'CMD ["python", "/app/main.py"]\n'
).encode()
INSTALL_SCRIPT = b"#!/bin/sh\nset -eu\ncurl -fsSL https://tools.example.com/setup.sh | sh\n"
BUILD_SCRIPT = b"#!/bin/sh\nset -eu\nmake build\n"


@dataclass(frozen=True)
class SyntheticRepo:
    """What was planted in one repository of `add_synthetic_org()`."""

    full_name: str
    archived: bool = False
    fork: bool = False
    empty: bool = False
    workflow: str | None = None  # the key of WORKFLOWS at .github/workflows/ci.yml
    unpinned_actions: tuple[str, ...] = ()  # "owner/action@ref" used without a SHA
    package_json_without_lockfile: bool = False
    unpinned_requirements: bool = False  # requirements.txt with unpinned packages
    curl_pipe_shell: tuple[str, ...] = ()  # files that pipe a download into a shell
    codeowners: bool = False
    codeowners_errors: int = 0  # errors GitHub reports for the CODEOWNERS file
    protection: str | None = None  # "classic", "weak-classic", "ruleset" or None
    symlink: bool = False  # docs/README.md -> ../README.md
    private: bool = False  # three repositories in four, as in most organizations


@dataclass
class SyntheticOrg:
    org: str
    repos: dict[str, SyntheticRepo]

    def names(self, where: Callable[[SyntheticRepo], bool] | None = None) -> list[str]:
        """The full names of the repositories `where` holds for (all), sorted."""
        return sorted(n for n, r in self.repos.items() if where is None or where(r))

    @property
    def audited(self) -> list[str]:
        """What an audit reads by default: neither archived nor forks."""
        return self.names(lambda r: not r.archived and not r.fork)


def _synthetic_files(
    rng: random.Random, i: int
) -> tuple[dict[str, bytes], dict[str, str], dict[str, Any]]:
    """The files of one synthetic repository, their modes and what they plant."""
    files = {"README.md": f"# repo-{i}\n\nService number {i}.\n".encode()}
    modes: dict[str, str] = {}
    facts: dict[str, Any] = {}
    if rng.random() < 0.85:
        name = rng.choices(list(WORKFLOWS), weights=(4, 4, 2, 1))[0]
        content, unpinned = WORKFLOWS[name]
        files[".github/workflows/ci.yml"] = content
        facts.update(workflow=name, unpinned_actions=unpinned)
    if rng.random() < 0.3:
        files["package.json"] = PACKAGE_JSON
        if rng.random() < 0.6:
            files["package-lock.json"] = PACKAGE_LOCK
        else:
            facts["package_json_without_lockfile"] = True
    if rng.random() < 0.25:
        unpinned_requirements = rng.random() < 0.5
        files["requirements.txt"] = (
            REQUIREMENTS_UNPINNED if unpinned_requirements else REQUIREMENTS_PINNED
        )
        facts["unpinned_requirements"] = unpinned_requirements
    curl_paths: list[str] = []
    if rng.random() < 0.2:
        curl = rng.random() < 0.25
        files["Dockerfile"] = DOCKERFILE_CURL_BASH if curl else DOCKERFILE_CLEAN
        curl_paths += ["Dockerfile"] if curl else []
    if rng.random() < 0.05:  # four levels down: past one round of tree reading
        files["tools/ci/scripts/install.sh"] = INSTALL_SCRIPT
        modes["tools/ci/scripts/install.sh"] = "100755"
        curl_paths.append("tools/ci/scripts/install.sh")
    facts["curl_pipe_shell"] = tuple(curl_paths)
    if rng.random() < 0.2:
        files["scripts/build.sh"] = BUILD_SCRIPT
        modes["scripts/build.sh"] = "100755"
    if rng.random() < 0.1:
        files["docs/README.md"] = b"../README.md"
        modes["docs/README.md"] = "120000"
        facts["symlink"] = True
    return files, modes, facts


def _synthetic_settings(
    rng: random.Random, i: int, org: str, files: dict[str, bytes], facts: dict[str, Any]
) -> dict[str, Any]:
    """CODEOWNERS (a file, and the errors GitHub finds in it) and branch protection."""
    settings: dict[str, Any] = {}
    if rng.random() < 0.4:
        bad = rng.random() < 0.2
        owners = f"* @{org}/developers\n" + (f"/docs/ @{org}/ghosts\n" if bad else "")
        files[".github/CODEOWNERS"] = owners.encode()
        facts.update(codeowners=True, codeowners_errors=int(bad))
        settings["codeowners_errors"] = [_ghost_owner_error(org)] if bad else []
    draw = rng.random()
    if draw < 0.25:
        settings["classic"] = classic_protection()
        facts["protection"] = "classic"
    elif draw < 0.35:
        settings["classic"] = classic_protection(
            approvals=0, force_pushes=True, dismiss_stale=False, contexts=()
        )
        facts["protection"] = "weak-classic"
    elif draw < 0.6:
        settings["rulesets"] = [FakeRuleset(1000 + i, "protect the default branch", strict_rules())]
        facts["protection"] = "ruleset"
    return settings


def _ghost_owner_error(org: str) -> Json:
    return {
        "line": 2,
        "column": 8,
        "kind": "Unknown owner",
        "source": f"/docs/ @{org}/ghosts",
        "suggestion": f"make sure @{org}/ghosts exists and has write access to the repository",
        "message": f"Unknown owner on line 2: make sure @{org}/ghosts exists and has write "
        f"access to the repository\n\n  /docs/ @{org}/ghosts\n         ^",
        "path": ".github/CODEOWNERS",
    }


def _add_synthetic_org(fake: FakeGitHub, org: str, count: int, seed: int) -> SyntheticOrg:
    rng = random.Random(f"{org}:{seed}")
    width = max(4, len(str(count - 1)))
    fake.add_org(org)
    planted: dict[str, SyntheticRepo] = {}
    for i in range(count):
        full_name = f"{org}/repo-{i:0{width}d}"
        # A few of each kind whatever the seed: 1 empty, 2 archived, 3 a fork.
        empty = i == 1 or rng.random() < 0.005
        archived = i == 2 or rng.random() < 0.04
        fork = i == 3 or rng.random() < 0.05
        files: dict[str, bytes] = {}
        modes: dict[str, str] = {}
        facts: dict[str, Any] = {}
        settings: dict[str, Any] = {}
        if not empty:
            files, modes, facts = _synthetic_files(rng, i)
            settings = _synthetic_settings(rng, i, org, files, facts)
        private = i % 4 != 0  # not drawn: the other facts stay those of the seed
        repo = fake.add_repo(
            full_name, files=files, archived=archived, fork=fork, private=private, **settings
        )
        repo.modes = modes
        planted[full_name] = SyntheticRepo(
            full_name, archived=archived, fork=fork, empty=empty, private=private, **facts
        )
    _add_action_histories(fake)
    return SyntheticOrg(org, planted)


def _add_action_histories(fake: FakeGitHub) -> None:
    """The actions the synthetic workflows use, as GitHub has them: their pins verify."""
    for name, sha, version in (
        ("actions/checkout", CHECKOUT_SHA, "v4.2.2"),
        ("actions/setup-node", SETUP_NODE_SHA, "v4.1.0"),
    ):
        history = fake.add_history(name)
        if sha not in history.commits:
            history.commit(name, sha=sha)
            history.branch("main", sha)
            history.tag(version, sha, annotated=True)
            history.tag("v4", sha)


def add_synthetic_org(fake: FakeGitHub, org: str, count: int, seed: int = 0) -> SyntheticOrg:
    """`count` small repositories in the organization `org`, with known problems, the same
    for the same seed (see `SyntheticRepo` for what is planted). Most repositories share
    a few workflow files, so blob ids repeat across the org as they do in real ones."""
    return _add_synthetic_org(fake, org, count, seed)


# HTTP --------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # dozens of clients connect at once in benchmarks


def _handler_class(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body in one write, without Nagle: no 200 ms delayed-ACK stalls.
        wbufsize = -1
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def log_message(self, format: str, *args: object) -> None:
            pass  # quiet: tests read `fake.exchanges`

        def _serve(self) -> None:
            split = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            raw_token = _bearer(self.headers.get("Authorization"))
            path = split.path
            path = "/graphql" if path == fake.graphql_path else path.removeprefix(fake.prefix)
            request = Request(
                method=self.command,
                path=path,
                query={k: v[-1] for k, v in parse_qs(split.query).items()},
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
                token=fake.token_for(raw_token),
                raw_token=raw_token,
            )
            response, template = fake.answer(request)
            payload = b"" if response.body is None else json.dumps(response.body).encode()
            if response.text is not None:
                payload = response.text.encode()
            if fake.record_exchanges:
                exchange = Exchange(
                    request.method,
                    request.path,
                    request.query,
                    template,
                    response.status,
                    response.body,
                    self.headers.get("Authorization"),
                    dict(response.headers),
                    body,
                )
                with fake._lock:
                    fake.exchanges.append(exchange)
            self.send_response(response.status)
            if response.status != 304:
                kind = "text/plain" if response.text is not None else "application/json"
                self.send_header("Content-Type", f"{kind}; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if response.status != 304:
                self.wfile.write(payload)

    return Handler


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() in {"token", "bearer"} else None


def assert_github_shapes(fake: FakeGitHub) -> None:
    """Every response the fake served has the shape GitHub's OpenAPI description gives its
    endpoint and status, every route the fake has is one of GitHub's endpoints, and every
    GraphQL query asked only for what the fake can answer."""
    shapes = github_shapes()
    for exchange in fake.exchanges:
        if exchange.body is None or exchange.path == "/graphql":
            continue  # GraphQL answers are checked against GitHub's GraphQL schema instead
        template = shapes.validate(exchange.method, exchange.path, exchange.status, exchange.body)
        assert exchange.template in (None, template), (exchange.template, template)
    assert not fake.graphql_unsupported, fake.graphql_unsupported


def assert_graphql_valid(fake: FakeGitHub) -> None:
    """Every GraphQL query the fake was sent is valid against GitHub's schema and rules."""
    assert not fake.graphql_invalid, fake.graphql_invalid
