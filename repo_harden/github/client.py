"""The GitHub API, through PyGithub: the one client of `scan --online` and the org audit.

PyGithub (and requests under it) is imported when a client is made, never before, so a
hook or an offline scan does not pay for it. The token is in no text that leaves this
module: error messages and PyGithub's log records are redacted, and exceptions are
raised afresh (`from None`), without the library's exception, which holds the response.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from repo_harden.core.deadline import DeadlineExceeded, within
from repo_harden.core.errors import FatalError
from repo_harden.core.lazy import lazy_compile
from repo_harden.core.record import record
from repo_harden.core.redact import REDACTED, REDACTOR, Redactor
from repo_harden.core.urls import is_loopback_host

__all__ = [
    "DEFAULT_API_URL",
    "REDACTED",
    "REDACTOR",
    "TOKEN_VARIABLES",
    "GitHubClient",
    "GitHubError",
    "MissingTokenError",
    "Redactor",
    "RepositoryInfo",
    "aliased_answers",
    "require_token",
    "settle_environment",
    "token_from_env",
]

if TYPE_CHECKING:
    from github import Github

T = TypeVar("T")

DEFAULT_API_URL = "https://api.github.com"
TOKEN_VARIABLES = ("GITHUB_TOKEN", "GH_TOKEN")
REQUEST_DEADLINE = 60.0  # seconds for one whole request (and PyGithub's retries of it)
_LOGGERS = ("github", "github.Requester", "github.GithubRetry", "urllib3.connectionpool")
_NEXT_LINK = lazy_compile(r'<([^>]+)>;\s*rel="next"')


class GitHubError(FatalError):
    """A request failed. `status` is the HTTP status (None when GitHub was not reached) and
    `api_message` GitHub's `message`; both, like the text, are free of the token."""

    def __init__(
        self,
        text: str,
        status: int | None = None,
        api_message: str = "",
        *,
        transient: bool = False,
    ) -> None:
        super().__init__(text)
        self.status = status
        self.api_message = api_message
        self.transient = transient  # a later request may succeed: network, 5xx, rate limit


class MissingTokenError(FatalError):
    """No token in the environment."""


def aliased_answers(document: Mapping[str, Any]) -> tuple[Mapping[str, Any], dict[str, str]]:
    """The `data` of a GraphQL answer whose top-level fields are aliases (one per question
    of a batch), and each alias's first error message; `GitHubError` when there is no data
    at all (the whole query failed)."""
    errors: dict[str, str] = {}
    for error in document.get("errors") or ():
        path = error.get("path") if isinstance(error, dict) else None
        if isinstance(path, list) and path:
            errors.setdefault(str(path[0]), str(error.get("message", "GraphQL error")))
    data = document.get("data")
    if not isinstance(data, dict):
        listed = document.get("errors") or ()
        messages = [str(e.get("message")) for e in listed if isinstance(e, dict)]
        # GitHub answers a rate-limited or timed-out query with errors and no data
        raise GitHubError(
            "GraphQL query failed: " + ("; ".join(messages) or "no data"), transient=True
        )
    return data, errors


ALLOW_HTTP_OPTION = "--allow-insecure-http"


def checked_api_url(url: str, *, allow_http: bool) -> str:
    """`--api-url`, refused when it would give the token away: credentials in it (they would
    be shown and kept), or plain http to a host other than this machine's loopback."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        raise FatalError(
            "--api-url must not hold credentials (they would be sent and shown); give the "
            "token in GITHUB_TOKEN or GH_TOKEN"
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FatalError(f"--api-url {url}: expected https://HOST/..., such as {DEFAULT_API_URL}")
    if parts.scheme == "http" and not allow_http and not is_loopback_host(parts.hostname):
        raise FatalError(
            f"--api-url {url}: plain http would send the token unencrypted to {parts.hostname}; "
            f"use https, or pass {ALLOW_HTTP_OPTION} if the network in between is yours"
        )
    return url


def redirect_error(what: str, error: RuntimeError) -> GitHubError:
    """PyGithub refuses a redirect to another host or protocol (and sends it no token)."""
    return GitHubError(
        f"{REDACTOR(what)}: {REDACTOR(str(error))}; the token was not sent there. Name the "
        "API's own URL with --api-url"
    )


def token_from_env(environ: Mapping[str, str]) -> str | None:
    """The first of GITHUB_TOKEN and GH_TOKEN that is set and not blank."""
    for name in TOKEN_VARIABLES:
        value = environ.get(name, "").strip()
        if value:
            return value
    return None


def require_token(environ: Mapping[str, str], why: str) -> str:
    token = token_from_env(environ)
    if token is None:
        raise MissingTokenError(f"{why} needs a GitHub token: set GITHUB_TOKEN or GH_TOKEN")
    return token


for _name in _LOGGERS:
    logging.getLogger(_name).addFilter(REDACTOR)


@record
class RepositoryInfo:
    full_name: str
    default_branch: str
    archived: bool
    fork: bool
    private: bool = False
    organization: bool = False  # owned by an organization, not a user


class GitHubClient:
    """A token, an API URL (`https://HOST/api/v3` for GitHub Enterprise Server) and a
    PyGithub connection. `retries` apply to 5xx answers and dropped connections;
    `min_interval` spaces requests out (PyGithub's own default, 0.25 s, would make a
    handful of sequential requests slow for nothing; an audit sets its own pace)."""

    def __init__(
        self,
        token: str,
        api_url: str = DEFAULT_API_URL,
        *,
        retries: int = 2,
        backoff: float = 0.5,
        timeout: float = 15.0,
        min_interval: float | None = None,
    ) -> None:
        REDACTOR.add(token)
        self.api_url = api_url.rstrip("/")
        self._github = _connect(
            token,
            self.api_url,
            retries=retries,
            backoff=backoff,
            timeout=timeout,
            min_interval=min_interval,
        )

    def __repr__(self) -> str:
        return f"GitHubClient({self.api_url!r})"

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._github.close()

    def repository(self, full_name: str) -> RepositoryInfo:
        """The repository, through PyGithub's own `get_repo`."""

        def read() -> RepositoryInfo:
            repo = self._github.get_repo(full_name)
            owner = repo.raw_data.get("owner") or {}
            return RepositoryInfo(
                repo.full_name,
                repo.default_branch,
                repo.archived,
                repo.fork,
                private=bool(repo.private),
                organization=owner.get("type") == "Organization",
            )

        return _translated(f"reading the repository {full_name}", read)

    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> object:
        """The JSON of `GET path` (relative to the API URL, or a URL the API gave)."""
        return self.get_with_headers(path, params)[0]

    def get_with_headers(
        self, path: str, params: Mapping[str, str | int] | None = None
    ) -> tuple[object, Mapping[str, str]]:
        def read() -> tuple[object, Mapping[str, str]]:
            headers, data = self._github.requester.requestJsonAndCheck(
                "GET", path, parameters=dict(params) if params else None
            )
            return data, headers

        return _translated(f"GET {path}", read)

    def graphql(self, query: str) -> Mapping[str, Any]:
        """The whole answer to a GraphQL query: its `data` (which may be partial) and its
        `errors`, as GitHub sent them; a refused query (HTTP 4xx/5xx) raises `GitHubError`."""

        def send() -> object:
            requester = self._github.requester
            return requester.requestJsonAndCheck(
                "POST", requester.graphql_url, input={"query": query}
            )[1]

        document = _translated("GraphQL query", send)
        if not isinstance(document, dict):
            raise GitHubError("GraphQL query: GitHub's answer is not a JSON object")
        return document

    def get_pages(self, path: str, params: Mapping[str, str | int] | None = None) -> list[object]:
        """Every item of a paginated list, following the `Link: rel="next"` headers."""
        items: list[object] = []
        url: str | None = path
        query: Mapping[str, str | int] | None = {"per_page": 100, **(params or {})}
        while url is not None:
            data, headers = self.get_with_headers(url, query)
            if not isinstance(data, list):
                raise GitHubError(f"GET {path}: expected a list, got {type(data).__name__}")
            items.extend(data)
            found = _NEXT_LINK.search(headers.get("link", ""))
            url, query = (found.group(1), None) if found else (None, None)
        return items


def _translated(what: str, request: Callable[[], T]) -> T:
    """`request()`, with PyGithub's and requests' exceptions turned into a redacted
    `GitHubError` raised outside the handler, so it does not even carry them as context."""
    from github import GithubException
    from requests import RequestException

    failure: GitHubError
    try:
        return within(REQUEST_DEADLINE, request)
    except DeadlineExceeded as error:
        failure = GitHubError(f"{REDACTOR(what)}: GitHub sent {error}", transient=True)
    except GithubException as error:
        failure = _api_error(what, error.status, error.data)
    except RequestException as error:
        reason = _root_cause(error)
        failure = GitHubError(
            f"{REDACTOR(what)}: GitHub could not be reached ({reason})", transient=True
        )
    except RuntimeError as error:  # PyGithub: "Github server redirected from host ..."
        if "redirected" not in str(error):
            raise
        failure = redirect_error(what, error)
    raise failure


def _root_cause(error: BaseException) -> str:
    """The name of what really failed under requests' wrappers (NameResolutionError,
    ConnectTimeoutError...): one word, where the wrappers' text runs to a paragraph."""
    cause = error
    for _ in range(6):
        inner = getattr(cause, "reason", None)  # urllib3's MaxRetryError
        if not isinstance(inner, BaseException):
            inner = next((arg for arg in cause.args if isinstance(arg, BaseException)), None)
        if inner is None:
            break
        cause = inner
    return type(cause).__name__


def _api_error(what: str, status: int, data: object) -> GitHubError:
    message = data.get("message") if isinstance(data, dict) else None
    api_message = REDACTOR(str(message)) if message else ""
    text = f"{REDACTOR(what)}: HTTP {status}" + (f" {api_message}" if api_message else "")
    rate_limited = status in (403, 429) and "rate limit" in api_message.lower()
    return GitHubError(text, status, api_message, transient=status >= 500 or rate_limited)


def _connect(
    token: str,
    api_url: str,
    *,
    retries: int,
    backoff: float,
    timeout: float,
    min_interval: float | None,
) -> Github:
    from github import Auth, Github, GithubRetry

    library_logger = logging.getLogger("github")
    if library_logger.level == logging.INFO:
        # PyGithub's default prints every 403 to stderr; a 403 is an answer the caller handles.
        library_logger.setLevel(logging.WARNING)
    retry = GithubRetry(
        total=retries,
        backoff_factor=backoff,
        raise_on_status=False,
        max_rate_limit_wait=60,
    )
    github = Github(
        auth=Auth.Token(token),
        base_url=api_url,
        retry=retry,
        timeout=int(timeout),
        per_page=100,
        seconds_between_requests=min_interval,
        seconds_between_writes=min_interval,
    )
    settle_environment(github)
    return github


# Where PyGithub keeps what makes a requester's connection (private: without it, a request
# reads the environment as it did, only slower).
_CONNECTION_FACTORY = "_Requester__connectionClass"


def settle_environment(github: Github) -> None:
    """Have `github`'s connection read the environment's proxies and CA bundle once, when it
    is made, instead of on every request.

    requests reads them per request (its sessions `trust_env`): it walks the whole
    environment twice for `*_proxy` variables, two fifths of the CPU a REST request costs
    an audit (1.44 against 0.85 ms on loopback). The connection's session gets what
    requests would find for the API's host (`HTTPS_PROXY`, `NO_PROXY` and the others;
    `REQUESTS_CA_BUNDLE` or `CURL_CA_BUNDLE`) and stops looking. The `.netrc` file, the
    third thing it would read, PyGithub already turns off."""
    requester = github.requester
    make = getattr(requester, _CONNECTION_FACTORY, None)
    if make is None or isinstance(make, functools.partial):
        return
    setattr(requester, _CONNECTION_FACTORY, functools.partial(_settled_connection, make))


def _settled_connection(make: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    from requests.utils import get_environ_proxies

    connection = make(*args, **kwargs)
    origin = f"{connection.protocol}://{connection.host}:{connection.port}"
    connection.session.proxies.update(get_environ_proxies(origin))
    if connection.verify is True:
        connection.verify = ca_bundle(os.environ) or True
    connection.session.trust_env = False
    return connection


def ca_bundle(environ: Mapping[str, str]) -> str | None:
    """The CA bundle the environment names for requests, as requests reads it; one that does
    not exist is a usage error here (requests raised a bare OSError, a traceback)."""
    for variable in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        bundle = environ.get(variable)
        if bundle:
            if not Path(bundle).exists():
                raise FatalError(f"{variable} names {bundle}, which does not exist")
            return bundle
    return None
