"""A fake GitHub on loopback: a real HTTP server, in a thread, on 127.0.0.1 and a free port,
that speaks the REST endpoints the online checks use, so PyGithub talks HTTP to it.

Built to grow with the org audit:
- routes are a table, `route(method, template, handler)`, with GitHub's own path
  templates (`/repos/{owner}/{repo}`), so more endpoints (GraphQL at `POST /graphql`)
  are a handler each;
- lists are served by `paginate()` with GitHub's `Link` headers;
- `fail()` injects faults (a status, a body, headers such as `Retry-After`, for the next
  N matching requests), and `delay` slows every answer;
- every exchange is recorded in `exchanges`, for tests to count requests and to validate
  each response against GitHub's OpenAPI description (see `tests/github_openapi.py`).
Responses are built from GitHub's own examples in that description where it has them.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.github_openapi import example, github_shapes

RECORDED = Path(__file__).parent / "data" / "github" / "recorded-branch-protection.json"
ADMIN, WRITE, READ = "admin", "write", "read"
DOCS = "https://docs.github.com/rest"
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
    codeowners_errors: list[Json] | None = None  # None: the repository has no CODEOWNERS

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


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


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    response: Response
    times: int | None  # None: for ever


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
        self.routes: list[Route] = []
        self.faults: list[Fault] = []
        self.exchanges: list[Exchange] = []
        self.echo_token = False  # error messages repeat the token they were sent
        self.delay = 0.0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._add_repository_routes()

    # Server --------------------------------------------------------------------------

    def __enter__(self) -> FakeGitHub:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        server.daemon_threads = True
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

    # State and faults ----------------------------------------------------------------

    def add_repo(self, full_name: str, **fields: Any) -> FakeRepo:
        owner, name = full_name.split("/")
        repo = FakeRepo(owner, name, **fields)
        self.repos[full_name] = repo
        return repo

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        body: Json = None,
        *,
        times: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer requests whose path matches the regex `path` with this, `times` times."""
        response = Response(status, body or {"message": "fault", "documentation_url": DOCS})
        response.headers.update(headers or {})
        self.faults.append(Fault(method.upper(), re.compile(path), response, times))

    def route(
        self, method: str, template: str, handler: Handler, multi_segment: Sequence[str] = ()
    ) -> None:
        """Serve `method template` (GitHub's path template) with `handler(request, **params)`."""
        regex = _template_regex(template, multi_segment)
        self.routes.insert(0, Route(method.upper(), template, regex, handler))

    def requests(self, template: str | None = None) -> list[Exchange]:
        return [e for e in self.exchanges if template is None or e.template == template]

    # Dispatch ------------------------------------------------------------------------

    def answer(self, request: Request) -> tuple[Response, str | None]:
        if self.delay:
            time.sleep(self.delay)
        fault = self._fault(request)
        if fault is not None:
            return fault, self._template(request)
        if request.token is None:
            return self.error(request, 401, "Bad credentials"), self._template(request)
        for route in sorted(self.routes, key=lambda r: -len(r.template)):
            match = route.regex.fullmatch(request.path)
            if route.method == request.method and match:
                params = {k: unquote(v) for k, v in match.groupdict().items()}
                return route.handler(request, **params), route.template
        return self.error(request, 404, "Not Found"), None

    def _template(self, request: Request) -> str | None:
        for route in sorted(self.routes, key=lambda r: -len(r.template)):
            if route.method == request.method and route.regex.fullmatch(request.path):
                return route.template
        return None

    def _fault(self, request: Request) -> Response | None:
        with self._lock:
            for fault in self.faults:
                if fault.method == request.method and fault.path.search(request.path):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times == 0:
                            self.faults.remove(fault)
                    return copy.deepcopy(fault.response)
        return None

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

    # The repository endpoints --------------------------------------------------------

    def _add_repository_routes(self) -> None:
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

    def _get_codeowners_errors(self, request: Request, owner: str, repo: str) -> Response:
        found = self._repo(request, owner, repo)
        if isinstance(found, Response):
            return found
        if found.codeowners_errors is None:
            return self.error(request, 404, "Not Found")
        return Response(200, {"errors": copy.deepcopy(found.codeowners_errors)})

    def _repo(self, request: Request, owner: str, repo: str) -> FakeRepo | Response:
        found = self.repos.get(f"{owner}/{repo}")
        return found if found is not None else self.error(request, 404, "Not Found")

    def _get_repo(self, request: Request, owner: str, repo: str) -> Response:
        found = self._repo(request, owner, repo)
        if isinstance(found, Response):
            return found
        return Response(200, repository_json(found, self.url, request.token))

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
            if ruleset.enforcement == "active" and _targets(ruleset, found, branch)
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


def _targets(ruleset: FakeRuleset, repo: FakeRepo, branch: str) -> bool:
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


# HTTP --------------------------------------------------------------------------------


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
            request = Request(
                method=self.command,
                path=split.path.removeprefix(fake.prefix),
                query={k: v[-1] for k, v in parse_qs(split.query).items()},
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
                token=fake.tokens.get(raw_token or ""),
                raw_token=raw_token,
            )
            response, template = fake.answer(request)
            payload = b"" if response.body is None else json.dumps(response.body).encode()
            with fake._lock:
                fake.exchanges.append(
                    Exchange(
                        request.method,
                        request.path,
                        request.query,
                        template,
                        response.status,
                        response.body,
                        self.headers.get("Authorization"),
                    )
                )
            self.send_response(response.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("X-RateLimit-Limit", "5000")
            self.send_header("X-RateLimit-Remaining", "4999")
            self.send_header("X-RateLimit-Reset", str(int(time.time()) + 3600))
            self.send_header("X-RateLimit-Resource", "core")
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

    return Handler


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() in {"token", "bearer"} else None


def assert_github_shapes(fake: FakeGitHub) -> None:
    """Every response the fake served has the shape GitHub's OpenAPI description gives its
    endpoint and status, and every route the fake has is one of GitHub's endpoints."""
    shapes = github_shapes()
    for exchange in fake.exchanges:
        if exchange.body is None or exchange.path == "/graphql":
            continue  # GraphQL answers are checked against GitHub's GraphQL schema instead
        template = shapes.validate(exchange.method, exchange.path, exchange.status, exchange.body)
        assert exchange.template in (None, template), (exchange.template, template)
