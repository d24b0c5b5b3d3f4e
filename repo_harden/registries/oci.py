"""One container registry, through the OCI distribution API: the digest a tag points at.

`HEAD /v2/<repository>/manifests/<tag>`, accepting image indexes and manifest lists
first, so that a multi-platform image keeps the digest of its index; the registry says it
in `Docker-Content-Digest` (a registry that does not is asked with `GET`, and the digest
is the body's sha256). A `401` with a `Bearer` challenge is Docker's token flow: a token
for every repository asked of the registry at once, from the realm the challenge names
(with the Docker config's credentials, when it has some for the registry); a `Basic`
challenge is answered with those credentials.

Where the requests go is the registry's own URL (`https://HOST`, Docker Hub's
`https://registry-1.docker.io`) or the one the user gave (`--registry-url`); a token realm
must be https, or on the registry's own origin. No redirect is followed. A 429 is waited
for when `Retry-After` asks for at most `max_retry_after` seconds, a 5xx asked again
once; each request has a deadline. Every failure is a `RegistryError` with a one-line
reason, free of credentials.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode, urlsplit

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.pins import IMAGE_DIGEST
from repo_harden.core.record import record
from repo_harden.core.redact import REDACTOR
from repo_harden.registries.docker_config import Credentials

if TYPE_CHECKING:
    import urllib3

MANIFEST_TYPES = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)
MAX_BODY = 4 * 1024 * 1024  # the distribution spec's limit on a manifest
DEADLINE = 60.0  # seconds for one answer, however slowly a server sends it
_CHALLENGE_PARAMETER = lazy_compile(r'(\w+)="([^"]*)"')


class RegistryError(Exception):
    """A registry did not say the digest; the message says why, in one line."""


@record
class Challenge:
    scheme: str  # "bearer" or "basic"
    parameters: Mapping[str, str]


def parse_challenge(header: str) -> Challenge | None:
    """A `WWW-Authenticate` header: `Bearer realm="...",service="...",scope="..."`."""
    scheme, _, rest = header.strip().partition(" ")
    if not scheme:
        return None
    return Challenge(scheme.lower(), dict(_CHALLENGE_PARAMETER.findall(rest)))


@record
class _Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes


class Registry:
    """The registry `host` (as images name it), reached at `base_url`. Thread-safe."""

    def __init__(
        self,
        host: str,
        base_url: str,
        http: urllib3.PoolManager,
        *,
        credentials: Credentials | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_retry_after: float = 10.0,
    ) -> None:
        self.host = host
        self.base_url = base_url.rstrip("/")
        self._http = http
        self._credentials = credentials
        self._sleep = sleep
        self._max_retry_after = max_retry_after
        self._tokens: dict[str, str] = {}  # repository -> bearer token
        self._basic = False
        self._lock = threading.Lock()
        self.requests = 0

    def digest(self, repository: str, tag: str, *, also: Collection[str] = ()) -> str:
        """The digest of `repository:tag`; `also` are the other repositories that will be
        asked next, so that one token covers them all."""
        url = f"{self.base_url}/v2/{repository}/manifests/{quote(tag, safe='')}"
        answer = self._send("HEAD", url, self._authorization(repository))
        if answer.status == 401:
            self._authorize(answer, [repository, *also])
            answer = self._send("HEAD", url, self._authorization(repository))
            if answer.status == 401 and also:  # a token for many may be refused for one
                self._authorize(answer, [repository])
                answer = self._send("HEAD", url, self._authorization(repository))
        if answer.status == 200:
            digest = answer.headers.get("docker-content-digest", "").strip()
            if not digest:
                answer = self._send("GET", url, self._authorization(repository), body=True)
                digest = "sha256:" + hashlib.sha256(answer.body).hexdigest()
            if not IMAGE_DIGEST.fullmatch(digest):
                raise RegistryError(
                    f"{self.host} answered a digest that is not sha256: {digest[:80]!r}"
                )
            return digest
        raise RegistryError(self._refusal(answer, repository, tag))

    def _refusal(self, answer: _Answer, repository: str, tag: str) -> str:
        status = answer.status
        if status == 404:
            return f"{self.host} has no tag `{tag}` of `{repository}` (HTTP 404)"
        if status in (401, 403):
            hint = (
                "the Docker config's credentials were refused"
                if self._credentials is not None
                else "it needs credentials (`docker login " + self.host + "`)"
            )
            return f"{self.host} refused to show `{repository}` (HTTP {status}): {hint}"
        if status == 429:
            return (
                f"{self.host} refused: too many requests (HTTP 429); try again later, or log "
                f"in (`docker login {self.host}`) for a larger allowance"
            )
        if 300 <= status < 400:
            where = _origin(answer.headers.get("location", ""))
            return f"{self.host} redirected to {where or 'elsewhere'}, which is not followed"
        return f"{self.host} answered HTTP {status}"

    # Authorization ------------------------------------------------------------------------

    def _authorization(self, repository: str) -> dict[str, str]:
        with self._lock:
            token = self._tokens.get(repository)
            if token is not None:
                return {"Authorization": f"Bearer {token}"}
            if self._basic and self._credentials is not None:
                return {"Authorization": _basic(self._credentials)}
        return {}

    def _authorize(self, answer: _Answer, repositories: Collection[str]) -> None:
        challenge = parse_challenge(answer.headers.get("www-authenticate", ""))
        if challenge is not None and challenge.scheme == "basic" and self._credentials:
            with self._lock:
                self._basic = True
            return
        if challenge is None or challenge.scheme != "bearer":
            return  # the caller reports the 401
        token = self._token(challenge, list(dict.fromkeys(repositories)))
        with self._lock:
            self._tokens.update(dict.fromkeys(repositories, token))

    def _token(self, challenge: Challenge, repositories: list[str]) -> str:
        realm = challenge.parameters.get("realm", "")
        if not self._trusted_realm(realm):
            raise RegistryError(
                f"{self.host} sends its token requests to {_origin(realm) or 'nowhere'}, which "
                "is neither https nor the registry itself"
            )
        query: list[tuple[str, str]] = []
        if challenge.parameters.get("service"):
            query.append(("service", challenge.parameters["service"]))
        query += [("scope", f"repository:{name}:pull") for name in repositories]
        headers = {"Authorization": _basic(self._credentials)} if self._credentials else {}
        separator = "&" if "?" in realm else "?"
        answer = self._send("GET", f"{realm}{separator}{urlencode(query)}", headers, body=True)
        if answer.status != 200:
            raise RegistryError(
                f"{self.host}'s token service refused (HTTP {answer.status})"
                + (": the Docker config's credentials were refused" if self._credentials else "")
            )
        try:
            document = json.loads(answer.body)
        except ValueError:
            document = None
        token = (
            (document.get("token") or document.get("access_token"))
            if isinstance(document, dict)
            else None
        )
        if not isinstance(token, str) or not token:
            raise RegistryError(f"{self.host}'s token service answered no token")
        REDACTOR.add(token)
        return token

    def _trusted_realm(self, realm: str) -> bool:
        parts = urlsplit(realm)
        if parts.scheme == "https" and parts.netloc:
            return True
        return bool(parts.netloc) and _origin(realm) == _origin(self.base_url)

    # Requests -----------------------------------------------------------------------------

    def _send(
        self, method: str, url: str, headers: Mapping[str, str], *, body: bool = False
    ) -> _Answer:
        import urllib3

        sent = {"Accept": MANIFEST_TYPES, "User-Agent": "repo-harden", **headers}
        for attempt in range(3):
            with self._lock:
                self.requests += 1
            try:
                response = self._http.request(
                    method, url, headers=sent, redirect=False, preload_content=False
                )
                try:
                    data = _read(response, self.host) if body and method != "HEAD" else b""
                finally:
                    response.release_conn()
            except urllib3.exceptions.HTTPError as error:
                reason = type(error).__name__
                raise RegistryError(f"{self.host} could not be reached ({reason})") from None
            if len(data) > MAX_BODY:
                raise RegistryError(f"{self.host} answered more than {MAX_BODY} bytes")
            answer = _Answer(response.status, _lowered(response.headers), data)
            wait = self._retry_wait(answer, attempt)
            if wait is None:
                return answer
            self._sleep(wait)
        return answer

    def _retry_wait(self, answer: _Answer, attempt: int) -> float | None:
        """How long to wait before asking again, or None to take this answer."""
        if attempt >= 2:
            return None
        if answer.status == 429:
            after = answer.headers.get("retry-after", "").strip()
            if after.isdigit() and int(after) <= self._max_retry_after:
                return float(after)
            return None
        if answer.status in (500, 502, 503, 504) and attempt == 0:
            return 1.0
        return None


def _read(response: urllib3.BaseHTTPResponse, host: str) -> bytes:
    """The body, at most `MAX_BODY` + 1 bytes, within `DEADLINE` seconds: a read timeout
    bounds each wait, not a server that sends one byte at a time."""
    started = time.monotonic()
    parts: list[bytes] = []
    size = 0
    while size <= MAX_BODY:
        chunk = response.read(64 * 1024)
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
        if time.monotonic() - started > DEADLINE:
            raise RegistryError(f"{host} took more than {DEADLINE:.0f} s to answer")
    return b"".join(parts)


def _basic(credentials: Credentials) -> str:
    pair = f"{credentials.username}:{credentials.password}".encode()
    return "Basic " + base64.b64encode(pair).decode()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _lowered(headers: object) -> dict[str, str]:
    items = headers.items() if hasattr(headers, "items") else ()
    return {str(name).lower(): str(value) for name, value in items}
