"""Every request an audit sends: REST and GraphQL over `github.connection` (PyGithub
authenticates them), paced by one `Governor`, retried with backoff, and counted.

PyGithub's requester used to send them; its urllib3 retry slept inside one thread while the
other workers kept spending the budget, and a request through it cost about four times the
CPU of one sent here (`github/connection.py`). Here, a secondary rate limit (`Retry-After`) or an
exhausted budget (`x-ratelimit-remaining: 0`) pauses every worker until GitHub allows
requests again, and a 5xx or a timeout is retried with exponential backoff and jitter.
Waiting has a ceiling (`max_wait`): past it, the request fails and the repository that
needed it is reported `failed`; the audit is never silently incomplete.
"""

from __future__ import annotations

import functools
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, cast

from repo_harden.core.deadline import DeadlineExceeded, within
from repo_harden.core.record import field, record
from repo_harden.github.client import (
    DEFAULT_API_URL,
    REDACTOR,
    GitHubError,
    settle_environment,
)
from repo_harden.github.connection import ApiConnections, ConnectionFailed, TokenAuth

if TYPE_CHECKING:
    from github import Github
    from github.Auth import Auth


class Credentials(Protocol):
    """What signs a request: a `TokenAuth`, or a PyGithub `Auth` (a GitHub App's)."""

    def authentication(self, headers: dict[str, str]) -> None: ...


REST, GRAPHQL = "core", "graphql"
RETRIED_STATUSES = frozenset({500, 502, 503, 504})
_RATE_LIMITED = frozenset({"RATE_LIMITED", "RATE_LIMIT"})  # GitHub has sent both spellings
SECONDARY_LIMIT_PAUSE = 60.0  # GitHub: "wait at least one minute" when it sends no Retry-After


REQUEST_DEADLINE = 60.0  # seconds for one whole request, however slowly the bytes come


class RateLimitWaitTooLong(GitHubError):
    """Waiting for the rate limit would pass the audit's ceiling on waiting."""


@record(frozen=False)
class Budget:
    """What GitHub last said about one resource's budget (`core`, `graphql`)."""

    remaining: int | None = None
    reset_at: float | None = None  # epoch seconds


class Governor:
    """One pace for every request of an audit.

    - At most `concurrency` requests are in flight.
    - After a secondary rate limit, every request waits for `Retry-After`.
    - When a resource's budget is spent, requests for it wait for its reset.
    - All this waiting together may not pass `max_wait` seconds.
    """

    def __init__(
        self,
        concurrency: int,
        max_wait: float,
        *,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._slots = threading.BoundedSemaphore(concurrency)
        self._lock = threading.Lock()
        self._sleep = sleep
        self._now = now
        self.max_wait = max_wait
        self.waited = 0.0
        self.budgets: dict[str, Budget] = {}
        self._paused_until = 0.0

    @contextmanager
    def slot(self, resource: str) -> Iterator[None]:
        self._wait_for(resource)
        with self._slots:
            yield

    def _wait_for(self, resource: str) -> None:
        while True:
            with self._lock:
                delay = self._delay(resource)
                if delay <= 0:
                    return
                if self.waited + delay > self.max_wait:
                    raise RateLimitWaitTooLong(
                        f"GitHub's {resource} rate limit: waiting {delay:.0f} s more would pass "
                        f"the ceiling on waiting ({self.max_wait:.0f} s, --max-wait)",
                        status=429,
                    )
                self.waited += delay
            self._sleep(delay)

    def _delay(self, resource: str) -> float:
        now = self._now()
        delay = self._paused_until - now
        budget = self.budgets.get(resource)
        if budget is not None and budget.remaining == 0 and budget.reset_at is not None:
            delay = max(delay, budget.reset_at - now + 1)
        return delay

    def observe(self, resource: str, status: int, headers: Mapping[str, str]) -> bool:
        """Learn from an answer; True when it was a rate limit, so the request is retried."""
        with self._lock:
            budget = self.budgets.setdefault(resource, Budget())
            remaining = headers.get("x-ratelimit-remaining")
            reset = headers.get("x-ratelimit-reset")
            if remaining is not None and remaining.strip().isdigit():
                budget.remaining = int(remaining)
            if reset is not None and reset.strip().isdigit():
                budget.reset_at = float(reset)
            retry_after = headers.get("retry-after", "").strip()
            if status in (403, 429) and retry_after.isdigit():
                self._paused_until = max(self._paused_until, self._now() + int(retry_after))
                return True
            return status in (403, 429) and budget.remaining == 0

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._paused_until = max(self._paused_until, self._now() + seconds)

    def observe_graphql_budget(self, limit: Mapping[str, Any]) -> None:
        """GraphQL's `rateLimit { remaining resetAt }`, as a query reports it in its body."""
        remaining, reset_at = limit.get("remaining"), limit.get("resetAt")
        with self._lock:
            budget = self.budgets.setdefault(GRAPHQL, Budget())
            if isinstance(remaining, int):
                budget.remaining = remaining
            if isinstance(reset_at, str):
                with suppress(ValueError):
                    budget.reset_at = datetime.fromisoformat(reset_at).timestamp()

    def spent(self, resource: str) -> None:
        """GraphQL reports an exhausted budget in its body: wait for the reset."""
        with self._lock:
            budget = self.budgets.setdefault(resource, Budget())
            budget.remaining = 0
            if budget.reset_at is None or budget.reset_at < self._now():
                budget.reset_at = self._now() + SECONDARY_LIMIT_PAUSE


@record
class Answer:
    status: int
    headers: Mapping[str, str]
    data: Any


@record(frozen=False)
class Stats:
    """What the audit cost: requests that spent a rate limit, free 304s, GraphQL points."""

    counts: Counter[str] = field(default_factory=Counter)
    graphql_points: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, what: str, points: int = 0) -> None:
        with self._lock:
            self.counts[what] += 1
            self.graphql_points += points

    @property
    def rate_limited(self) -> int:
        return self.counts["rest"] + self.counts["graphql"]

    def snapshot(self) -> tuple[dict[str, int], int]:
        """The counts and points so far, as plain values (to send between processes)."""
        with self._lock:
            return dict(self.counts), self.graphql_points

    @classmethod
    def summed(cls, parts: Iterable[Stats]) -> Stats:
        total = cls()
        for part in parts:
            counts, points = part.snapshot()
            total.counts.update(counts)
            total.graphql_points += points
        return total


class Transport:
    """REST GETs and GraphQL queries for one audit. Thread-safe: each worker thread has its
    own keep-alive connection; the governor and the counters are shared."""

    def __init__(
        self,
        auth: Credentials,
        api_url: str = DEFAULT_API_URL,
        *,
        governor: Governor,
        retries: int = 4,
        backoff: float = 0.5,
        timeout: float = 30.0,
        deadline: float = REQUEST_DEADLINE,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.governor = governor
        self.stats = Stats()
        self._auth = auth
        self._retries = retries
        self._backoff = backoff
        self._timeout = timeout
        self._deadline = deadline
        self._sleep = sleep
        self._github_object: Github | None = None
        self._connections: ApiConnections | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            if self._connections is not None:
                self._connections.close()
            if self._github_object is not None:
                self._github_object.close()

    def _github(self) -> Github:
        """PyGithub, for a GitHub App's credentials: its installation token is made and
        renewed through it. A `TokenAuth` needs none (nor PyGithub's import)."""
        with self._lock:
            if self._github_object is None:
                from github import Github

                github = Github(auth=cast("Auth", self._auth), base_url=self.api_url, retry=None,
                                timeout=int(self._timeout))  # fmt: skip
                settle_environment(github)
                self._github_object = github
            return self._github_object

    def _api(self) -> ApiConnections:
        if self._connections is not None:
            return self._connections
        with self._lock:
            if self._connections is None:
                self._connections = ApiConnections(
                    self.api_url, timeout=self._timeout, deadline=self._deadline
                )
            return self._connections

    def authenticate(self) -> None:
        """Learn the token now (a GitHub App installation token is made on first use), so
        that it is redacted from every message from here on."""
        self._api()  # a CA bundle or a proxy the environment names wrongly is told now
        if isinstance(self._auth, TokenAuth):
            return
        from github import GithubException
        from requests import RequestException

        self._github()
        try:
            REDACTOR.add(str(getattr(self._auth, "token", "")))
        except GithubException as error:
            message = error.data.get("message") if isinstance(error.data, dict) else None
            raise GitHubError(
                REDACTOR(f"GitHub App authentication failed: HTTP {error.status} {message or ''}"),
                error.status,
            ) from None
        except RequestException as error:
            reason = f"GitHub could not be reached ({type(error).__name__})"
            raise GitHubError(reason, transient=True) from None

    def rest_get(self, path: str, etag: str | None = None, *, redirect: bool = False) -> Answer:
        """`GET path`; with `etag`, conditional: a 304 answer costs no rate limit. With
        `redirect`, a 302 is the answer (its `location` is for `download`, never followed
        with the token)."""
        headers = {"If-None-Match": etag} if etag else {}
        answer = self._send(REST, "GET", path, headers, None, redirect=redirect)
        self.stats.add("not_modified" if answer.status == 304 else "rest")
        if answer.status >= 400:
            raise _error(f"GET {path}", answer)
        return answer

    def download(self, url: str, limit: int) -> tuple[str, bool]:
        """`GET url`, a place GitHub redirected to (a log's signed URL, on another host):
        sent without the token, read up to `limit` bytes (True when it was cut there), within
        the same total deadline as every request."""
        from requests import RequestException

        self.stats.add("downloads")
        try:
            return within(self._deadline, functools.partial(_download, url, limit, self._timeout))
        except DeadlineExceeded as error:
            raise GitHubError(f"download: {error}") from None
        except RequestException as error:
            raise GitHubError(f"download: not reached ({type(error).__name__})") from None

    def graphql(self, query: str, variables: Mapping[str, object] | None = None) -> Answer:
        """A GraphQL query. Its `data` may hold partial results beside `errors`; a query
        whose budget is spent waits for the reset and is sent again."""
        body = {"query": query, "variables": dict(variables or {})}
        for _ in range(self._retries + 1):
            answer = self._send(GRAPHQL, "POST", self._api().graphql_url, {}, body)
            document = answer.data if isinstance(answer.data, dict) else {}
            self.stats.add("graphql", _points(document))
            if answer.status >= 400:
                raise _error("GraphQL query", answer)
            limit = (document.get("data") or {}).get("rateLimit")
            if isinstance(limit, dict):
                self.governor.observe_graphql_budget(limit)
            if any(_error_type(e) in _RATE_LIMITED for e in document.get("errors") or ()):
                self.governor.spent(GRAPHQL)
                continue
            return answer
        raise GitHubError("GraphQL query: GitHub's rate limit did not recover", 429, transient=True)

    def _send(
        self,
        resource: str,
        verb: str,
        url: str,
        headers: dict[str, str],
        body: object,
        *,
        redirect: bool = False,
    ) -> Answer:
        failure = "no answer"
        payload = None if body is None else json.dumps(body).encode()
        for attempt in range(self._retries + 1):
            sent = self._authorized(headers, payload)
            with self.governor.slot(resource):
                try:
                    reply = self._api().send(verb, url, sent, payload)
                except DeadlineExceeded as error:
                    reply, failure = None, f"GitHub sent {error}"
                except ConnectionFailed as error:
                    reply, failure = None, f"GitHub could not be reached ({error})"
            status, answer_headers = (reply.status, reply.headers) if reply else (0, {})
            text = reply.body.decode("utf-8", "replace") if reply else ""
            if status and self.governor.observe(resource, status, answer_headers):
                self.stats.add("rate_limited_answers")
                continue
            if status and _is_secondary_limit(status, text):
                self.stats.add("rate_limited_answers")
                self.governor.pause(SECONDARY_LIMIT_PAUSE)
                continue
            if status in _REDIRECTS:  # one within the API's origin is followed already
                return _redirect(status, answer_headers, f"{verb} {REDACTOR(url)}", wanted=redirect)
            if status and status not in RETRIED_STATUSES:
                return Answer(status, answer_headers, _json(text))
            if status:
                failure = f"HTTP {status}"
            if attempt < self._retries:
                self.stats.add("retries")
                self._sleep(self._backoff * 2**attempt * random.uniform(0.5, 1.5))
        tries = f"{failure} after {self._retries + 1} tries"
        raise GitHubError(REDACTOR(f"{verb} {url}: {tries}"), transient=True)

    def _authorized(self, headers: Mapping[str, str], payload: bytes | None) -> dict[str, str]:
        """The request's headers with the token's (a GitHub App's renewed installation token
        is learnt for redaction here, the first time it is sent)."""
        sent = {"Accept": "application/vnd.github+json", **headers}
        if payload is not None:
            sent["Content-Type"] = "application/json"
        if self._github_object is None and not isinstance(self._auth, TokenAuth):
            self._github()
        self._auth.authentication(sent)
        _redact_credentials(sent)
        return sent


_REDIRECTS = frozenset({301, 302, 303, 307, 308})


def _redirect(status: int, headers: Mapping[str, str], what: str, *, wanted: bool) -> Answer:
    """A 302 the caller asked for, as its answer; any other redirect is refused."""
    if status == 302 and wanted:
        return Answer(status, headers, None)
    where = REDACTOR(headers.get("location", "elsewhere"))
    raise GitHubError(
        f"{what}: GitHub redirected it (HTTP {status}) to {where}, which is not followed "
        "(the token would go with it); name the API's own URL with --api-url",
        status,
    )


def _download(url: str, limit: int, timeout: float) -> tuple[str, bool]:
    from requests import get

    with get(url, stream=True, timeout=timeout, allow_redirects=False) as response:
        if response.status_code >= 400 or response.status_code in _REDIRECTS:
            raise GitHubError(f"download: HTTP {response.status_code}", response.status_code)
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(64 * 1024):
            chunks.append(chunk[: limit - size])
            size += len(chunks[-1])
            if size >= limit:
                return b"".join(chunks).decode("utf-8", "replace"), True
    return b"".join(chunks).decode("utf-8", "replace"), False


def _redact_credentials(headers: Mapping[str, str]) -> None:
    """Learn the token a request was sent with: a GitHub App's installation token is
    renewed every hour, and each one must be redacted from then on."""
    credentials = headers.get("Authorization", "").split(" ", 1)
    if len(credentials) == 2 and credentials[1]:
        REDACTOR.add(credentials[1])


def _json(text: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _points(document: Mapping[str, Any]) -> int:
    data = document.get("data")
    limit = data.get("rateLimit") if isinstance(data, dict) else None
    cost = limit.get("cost") if isinstance(limit, dict) else None
    return cost if isinstance(cost, int) else 1


def _error_type(error: object) -> str | None:
    return str(error.get("type")) if isinstance(error, dict) and error.get("type") else None


def _is_secondary_limit(status: int, text: str) -> bool:
    return status in (403, 429) and "secondary rate limit" in text.lower()


def _error(what: str, answer: Answer) -> GitHubError:
    data = answer.data
    message = data.get("message") if isinstance(data, dict) else None
    api_message = REDACTOR(str(message)) if message else ""
    text = f"{REDACTOR(what)}: HTTP {answer.status}" + (f" {api_message}" if api_message else "")
    rate_limited = answer.status in (403, 429) and "rate limit" in api_message.lower()
    transient = answer.status >= 500 or rate_limited
    return GitHubError(text, answer.status, api_message, transient=transient)
