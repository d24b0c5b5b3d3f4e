"""A fake container registry on loopback that speaks what `repo-harden fix` asks of one: the
OCI distribution API's manifests (`HEAD`/`GET /v2/<name>/manifests/<tag>`), multi-platform
image indexes and single manifests, `Docker-Content-Digest`, and Docker's token flow
(`401` with `WWW-Authenticate: Bearer realm=...,service=...,scope=...`, then `GET
/token?service=...&scope=repository:<name>:pull`, several scopes at once), or `Basic`
auth. Faults (`fail()`: a status and headers for the next N matching requests) make 401s,
404s and 429s. Every request is recorded in `requests`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
_MANIFEST_PATH = re.compile(r"^/v2/(?P<name>.+)/manifests/(?P<reference>[^/]+)$")


@dataclass
class FakeImage:
    """A tag: a multi-platform index over `platforms` manifests, or one manifest."""

    index: bytes | None
    manifests: dict[str, bytes]  # platform -> manifest body

    @property
    def digest(self) -> str:
        body = self.index if self.index is not None else next(iter(self.manifests.values()))
        return "sha256:" + hashlib.sha256(body).hexdigest()


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: str
    authorization: str | None
    accept: str | None


@dataclass
class _Fault:
    path: re.Pattern[str]
    status: int
    headers: dict[str, str]
    times: int


@dataclass
class FakeRegistry:
    """`auth`: "bearer" (Docker Hub, GHCR), "basic", or None (anonymous). `users` may log in;
    with `anonymous` False, the token service requires one of them."""

    auth: str | None = "bearer"
    users: dict[str, str] = field(default_factory=dict)
    anonymous: bool = True
    digest_header: bool = True
    images: dict[tuple[str, str], FakeImage] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    tokens: dict[str, set[str]] = field(default_factory=dict)  # token -> repositories
    realm: str | None = None  # where the challenge sends token requests (default: ours)
    faults: list[_Fault] = field(default_factory=list)
    delay: float = 0.0  # seconds added to every answer (benchmarks)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    def __enter__(self) -> FakeRegistry:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        serve = self._server.serve_forever
        threading.Thread(target=serve, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def add_image(self, name: str, tag: str, *, platforms: int = 2) -> str:
        """An image `name:tag` (an index over `platforms` manifests; 0: one manifest); its
        digest, the one a pin must name."""
        manifests = {}
        for platform in ("linux/amd64", "linux/arm64", "linux/s390x")[: max(platforms, 1)]:
            body = {
                "schemaVersion": 2,
                "mediaType": MANIFEST,
                "config": {"digest": f"{name}:{tag}:{platform}"},
            }
            manifests[platform] = json.dumps(body, sort_keys=True).encode()
        index = None
        if platforms:
            entries = [
                {
                    "mediaType": MANIFEST,
                    "digest": "sha256:" + hashlib.sha256(body).hexdigest(),
                    "size": len(body),
                    "platform": {"os": p.split("/")[0], "architecture": p.split("/")[1]},
                }
                for p, body in manifests.items()
            ]
            index = json.dumps(
                {"schemaVersion": 2, "mediaType": INDEX, "manifests": entries}
            ).encode()
        image = FakeImage(index, manifests)
        self.images[(name, tag)] = image
        return image.digest

    def fail(
        self, path: str, status: int, *, times: int = 1, headers: dict[str, str] | None = None
    ) -> None:
        with self._lock:
            self.faults.append(_Fault(re.compile(path), status, dict(headers or {}), times))

    def count(self, method: str | None = None, path: str = "") -> int:
        with self._lock:
            return sum(
                1
                for seen in self.requests
                if (method is None or seen.method == method) and seen.path.startswith(path)
            )

    # Answers -------------------------------------------------------------------------------

    def answer(
        self, method: str, target: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(target)
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            self.requests.append(
                Seen(
                    method,
                    parts.path,
                    parts.query,
                    headers.get("authorization"),
                    headers.get("accept"),
                )
            )
            for fault in self.faults:
                if fault.times > 0 and fault.path.search(parts.path):
                    fault.times -= 1
                    return (
                        fault.status,
                        dict(fault.headers),
                        _errors("TOOMANYREQUESTS" if fault.status == 429 else "FAULT"),
                    )
        if parts.path == "/token" and method == "GET":
            return self._token(parse_qs(parts.query), headers)
        found = _MANIFEST_PATH.match(parts.path)
        if found is None or method not in ("GET", "HEAD"):
            return 404, {}, _errors("NAME_UNKNOWN")
        return self._manifest(found.group("name"), found.group("reference"), headers)

    def _token(
        self, query: dict[str, list[str]], headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        user = self._basic_user(headers.get("authorization"))
        if user is None and (not self.anonymous or headers.get("authorization")):
            return 401, {}, _errors("UNAUTHORIZED")
        granted = set()
        for scope in query.get("scope", []):
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            if kind == "repository" and "pull" in actions.split(","):
                granted.add(name)
        token = "tok-" + secrets.token_hex(8)
        with self._lock:
            self.tokens[token] = granted
        body = json.dumps({"token": token, "access_token": token, "expires_in": 300}).encode()
        return 200, {"Content-Type": "application/json"}, body

    def _basic_user(self, header: str | None) -> str | None:
        if not header or not header.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return None
        return user if self.users.get(user) == password else None

    def _challenge(self, name: str) -> dict[str, str]:
        if self.auth == "basic":
            return {"WWW-Authenticate": 'Basic realm="fake-registry"'}
        realm = self.realm or f"{self.url}/token"
        value = f'Bearer realm="{realm}",service="fake-registry",scope="repository:{name}:pull"'
        return {"WWW-Authenticate": value}

    def _authorized(self, name: str, header: str | None) -> bool:
        if self.auth is None:
            return True
        if self.auth == "basic":
            return self._basic_user(header) is not None
        if not header or not header.startswith("Bearer "):
            return False
        with self._lock:
            return name in self.tokens.get(header[7:], set())

    def _manifest(
        self, name: str, reference: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        if not self._authorized(name, headers.get("authorization")):
            return 401, self._challenge(name), _errors("UNAUTHORIZED")
        image = self.images.get((name, reference))
        if image is None:
            return 404, {}, _errors("MANIFEST_UNKNOWN")
        accepted = headers.get("accept") or ""
        if image.index is not None and INDEX in accepted:
            body, media = image.index, INDEX
        else:  # a client that does not take indexes gets one platform's manifest
            body, media = next(iter(image.manifests.values())), MANIFEST
        answer = {"Content-Type": media, "Content-Length": str(len(body))}
        if self.digest_header:
            answer["Docker-Content-Digest"] = "sha256:" + hashlib.sha256(body).hexdigest()
        return 200, answer, body


def _errors(code: str) -> bytes:
    return json.dumps(
        {"errors": [{"code": code, "message": code.lower(), "detail": None}]}
    ).encode()


def _handler(registry: FakeRegistry) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self, method: str) -> None:
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, answer, body = registry.answer(method, self.path, headers)
            self.send_response(status)
            for name, value in answer.items():
                self.send_header(name, value)
            if "Content-Length" not in answer:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(body)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_HEAD(self) -> None:
            self._serve("HEAD")

    return Handler
