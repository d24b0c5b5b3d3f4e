"""HTTP/1.1 to one GitHub API origin, as lean as a request can be: the audit sends thousands.

Through PyGithub and requests, one REST request cost the audit 1.1 ms of CPU on loopback,
a fifth of everything it spent per repository; over `http.client`, 0.28 ms
(`benchmarks/bench_requests.py`). What those layers did is done here once:
- one keep-alive connection per thread, made again when the server has closed it;
- the environment read once (`HTTPS_PROXY`, `NO_PROXY` and the others as requests reads
  them; `REQUESTS_CA_BUNDLE` or `CURL_CA_BUNDLE`, else certifi's bundle, as requests);
- gzip answers unpacked, up to `MAX_ANSWER_BYTES`;
- a redirect followed only within the origin (a 301, as PyGithub did), never elsewhere:
  any other redirect is the caller's answer, and the token goes nowhere else;
- a total deadline per request: a `Watchdog` shuts the socket of a request that passes it,
  however slowly its bytes come.

A token is sent as it is (`TokenAuth`); a GitHub App's installation token is made and
renewed by PyGithub. The caller passes the `Authorization` header in.
"""

from __future__ import annotations

import base64
import functools
import http.client
import ipaddress
import os
import socket
import ssl
import threading
import zlib
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path
from select import select
from urllib.parse import unquote, urlsplit

from repo_harden import __version__
from repo_harden.core.deadline import DeadlineExceeded, Watchdog
from repo_harden.core.errors import FatalError
from repo_harden.core.record import record
from repo_harden.github.client import REDACTOR, GitHubError, ca_bundle

MAX_ANSWER_BYTES = 256 * 1024 * 1024  # unpacked; GitHub's largest GraphQL pages are a few MB
MAX_SAME_ORIGIN_REDIRECTS = 5
USER_AGENT = f"repo-harden/{__version__}"
_READ_SIZE = 256 * 1024
_AFTER_DEADLINE = 0.001  # seconds a read may wait once the deadline has passed


class TokenAuth:
    """A token (`GITHUB_TOKEN`, a personal access token) sent as PyGithub's `Auth.Token`
    sends it, without importing PyGithub: an audit with a token needs none of it."""

    token_type = "token"

    def __init__(self, token: str) -> None:
        self.token = token

    def __repr__(self) -> str:
        return "TokenAuth(<redacted>)"

    def authentication(self, headers: dict[str, str]) -> None:
        headers["Authorization"] = f"{self.token_type} {self.token}"


class ConnectionFailed(OSError):
    """No answer: the connection failed, or the answer was cut short."""


@record
class Reply:
    status: int
    headers: Mapping[str, str]  # names in lower case
    body: bytes


class ApiConnections:
    """Requests to the origin of `api_url` (`https://HOST[:PORT]/PREFIX`), from any thread."""

    def __init__(
        self,
        api_url: str,
        *,
        timeout: float,
        deadline: float,
    ) -> None:
        parts = urlsplit(api_url)
        self._tls = parts.scheme == "https"
        self._host = parts.hostname or ""
        self._port = parts.port or (443 if self._tls else 80)
        self._netloc = parts.netloc  # the URL's own spelling: [::1]:8443, ghe.example.com
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self.prefix = parts.path.rstrip("/")
        self._timeout = timeout
        self._deadline = deadline
        self._proxy = _proxy_for(self._origin)
        # Said with a failure: the proxy may be what failed (its credentials never are).
        self._via = "" if self._proxy is None else f", through the proxy {self._proxy.where}"
        self._context = _tls_context(os.environ) if self._tls else None
        self._watchdog = Watchdog()
        self._local = threading.local()
        self._open: set[http.client.HTTPConnection] = set()
        self._lock = threading.Lock()

    def send(
        self, verb: str, url: str, headers: Mapping[str, str], body: bytes | None = None
    ) -> Reply:
        """`verb url`: a path under the API's prefix, or a URL of the API's origin (a page's
        `next` link); a 301 within the origin is followed, as GitHub sends for a renamed
        repository."""
        if url.startswith("/") and not url.startswith("//"):
            target: str | None = self.prefix + url
        else:
            target = self._within_origin(url)
        if target is None:
            raise GitHubError(REDACTOR(f"{url}: not on {self._origin}, so not asked"))
        for _ in range(MAX_SAME_ORIGIN_REDIRECTS):
            reply = self._exchange(verb, target, headers, body)
            moved = self._within_origin(reply.headers.get("location", ""))
            if reply.status != 301 or moved is None or moved == target:
                return reply
            target = moved
        return reply

    @property
    def graphql_url(self) -> str:
        """GitHub's GraphQL endpoint: `/graphql` on github.com, `/api/graphql` on a GitHub
        Enterprise Server whose REST API is under `/api/v3`."""
        base = self.prefix.removesuffix("/v3")
        return f"{self._origin}{base}/graphql"

    def close(self) -> None:
        with self._lock:
            for connection in self._open:
                connection.close()
            self._open.clear()

    def _within_origin(self, location: str) -> str | None:
        if location.startswith("/") and not location.startswith("//"):
            return location
        if location.startswith(self._origin + "/"):
            return location[len(self._origin) :]
        return None

    def _exchange(
        self, verb: str, target: str, headers: Mapping[str, str], body: bytes | None
    ) -> Reply:
        sent = {
            "Host": self._netloc,
            "User-Agent": USER_AGENT,
            "Accept-Encoding": "gzip",
            **headers,
        }
        if self._proxy is not None and not self._tls:  # a forward proxy takes the whole URL
            target = self._origin + target
            sent.update(self._proxy.authorization)
        for attempt in (1, 2):
            connection, reused = self._connection()
            sockets: list[socket.socket] = []  # the one this request reads, once connected
            end = functools.partial(_shut, connection, sockets)
            watch = self._watchdog.watch(self._deadline, end)
            try:
                reply = _exchanged(connection, sockets, verb, target, headers=sent, body=body)
                if watch.expired:  # its end came as the socket shut down
                    raise ConnectionFailed("the answer was cut at the deadline")
            except (OSError, http.client.HTTPException) as error:
                self._forget(connection)
                if not watch.expired:
                    if reused and attempt == 1 and _before_any_answer(error):
                        continue  # the server had closed the idle connection: once more
                    raise ConnectionFailed(f"{type(error).__name__}: {error}{self._via}") from None
                raise DeadlineExceeded(self._deadline) from None
            finally:
                watch.done()
            if reply.headers.get("connection", "").lower() == "close":
                self._forget(connection)
            return reply
        raise AssertionError("unreachable")

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        """This thread's connection and whether it served a request before; a new one when
        the server has closed it (readable while idle: an end of file, or stray bytes)."""
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is not None:
            if connection.sock is not None and not select([connection.sock], [], [], 0)[0]:
                return connection, True
            self._forget(connection)  # closed by the server, or after an HTTP/1.0 answer
        connection = self._made()
        self._local.connection = connection
        with self._lock:
            self._open.add(connection)
        return connection, False

    def _made(self) -> http.client.HTTPConnection:
        if self._proxy is None:
            host, port = self._host, self._port
        else:
            host, port = self._proxy.host, self._proxy.port
        if not self._tls:
            return http.client.HTTPConnection(host, port, timeout=self._timeout)
        connection = http.client.HTTPSConnection(
            host, port, timeout=self._timeout, context=self._context
        )
        if self._proxy is not None:
            connection.set_tunnel(self._host, self._port, headers=self._proxy.authorization)
        return connection

    def _forget(self, connection: http.client.HTTPConnection) -> None:
        connection.close()
        with self._lock:
            self._open.discard(connection)
        if getattr(self._local, "connection", None) is connection:
            self._local.connection = None


def _exchanged(
    connection: http.client.HTTPConnection,
    sockets: list[socket.socket],
    verb: str,
    target: str,
    *,
    headers: Mapping[str, str],
    body: bytes | None,
) -> Reply:
    if connection.sock is None:
        connection.connect()
    assert connection.sock is not None
    # Kept apart: after an answer that closes the connection, `connection.sock` is None
    # while the body is still read from this socket.
    sockets.append(connection.sock)
    connection.request(verb, target, body=body, headers=dict(headers))
    response = connection.getresponse()
    answer_headers = {name.lower(): value for name, value in response.getheaders()}
    packed = _read(response, MAX_ANSWER_BYTES)  # read at call time: a test lowers it
    if answer_headers.get("content-encoding", "").lower() == "gzip":
        packed = _gunzipped(packed)
    return Reply(response.status, answer_headers, packed)


def _read(response: http.client.HTTPResponse, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read(_READ_SIZE):
        size += len(chunk)
        if size > limit:
            raise ConnectionFailed(f"the answer is larger than {limit:,} bytes")
        chunks.append(chunk)
    if response.length:  # read(amt) takes a closed connection for the answer's end
        raise http.client.IncompleteRead(b"", response.length)
    return b"".join(chunks)


def _gunzipped(packed: bytes) -> bytes:
    unpacker = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        body = unpacker.decompress(packed, MAX_ANSWER_BYTES + 1)
    except zlib.error as error:
        raise ConnectionFailed(f"a gzip answer that does not unpack ({error})") from None
    if len(body) > MAX_ANSWER_BYTES:
        raise ConnectionFailed(f"the answer unpacks to more than {MAX_ANSWER_BYTES:,} bytes")
    return body


def _shut(connection: http.client.HTTPConnection, sockets: list[socket.socket]) -> None:
    """End a request from the watchdog's thread: the socket it reads (or, still connecting,
    the one being connected) is shut down, which wakes a blocked read, and every read from
    now on times out at once, should bytes still come in."""
    for sock in (*sockets, connection.sock):
        if sock is not None:
            with suppress(OSError):
                sock.settimeout(_AFTER_DEADLINE)
            with suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)  # under TLS too: the raw socket


def _before_any_answer(error: BaseException) -> bool:
    return isinstance(
        error, (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)
    )


@record
class _Proxy:
    host: str
    port: int
    authorization: Mapping[str, str]  # Proxy-Authorization, when the URL holds credentials

    @property
    def where(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def _proxy_for(origin: str) -> _Proxy | None:
    """The proxy the environment names for `origin` (`HTTPS_PROXY`, `ALL_PROXY`, ...), unless
    `NO_PROXY` names it, as requests reads them; an HTTPS or SOCKS proxy is a usage error."""
    from urllib.request import getproxies_environment

    proxies = getproxies_environment()
    parts = urlsplit(origin)
    if _bypassed(parts.hostname or "", parts.port, proxies.get("no", "")):
        return None
    url = proxies.get(parts.scheme) or proxies.get("all")
    if not url:
        return None
    if "://" not in url:
        url = "http://" + url
    proxy = urlsplit(url)
    if proxy.scheme != "http" or not proxy.hostname:
        raise FatalError(
            f"the proxy {proxy.scheme}://{proxy.hostname or ''} is not supported for the "
            "GitHub API: name an http:// proxy (HTTPS to GitHub still goes through it "
            "encrypted)"
        )
    authorization = {}
    if proxy.username is not None:
        pair = f"{unquote(proxy.username)}:{unquote(proxy.password or '')}"
        authorization["Proxy-Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    return _Proxy(proxy.hostname, proxy.port or 80, authorization)


def _bypassed(host: str, port: int | None, no_proxy: str) -> bool:
    """Whether `NO_PROXY` names `host`: `*`, the host or a domain above it (`github.com`,
    `.github.com`), the host with its port (`ghe.local:8443`), or, for an address, itself or
    a network holding it (`10.0.0.0/8`)."""
    host = host.lower()
    for entry in no_proxy.replace(" ", "").lower().split(","):
        if entry == "*":
            return True
        if "/" in entry:
            if _in_network(host, entry):
                return True
            continue
        named, _, named_port = entry.rpartition(":") if _has_port(entry) else (entry, "", "")
        if named_port and named_port != str(port):
            continue
        named = named.strip("[]").lstrip(".")
        if named and (host == named or host.endswith("." + named)):
            return True
    return False


def _has_port(entry: str) -> bool:
    head, colon, tail = entry.rpartition(":")
    return bool(colon) and tail.isdigit() and (not head.count(":") or head.endswith("]"))


def _in_network(host: str, network: str) -> bool:
    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network(network, strict=False)
    except ValueError:
        return False


def _tls_context(environ: Mapping[str, str]) -> ssl.SSLContext:
    """Verification against the CA bundle the environment names, else certifi's, as
    requests verifies."""
    bundle = ca_bundle(environ)
    if bundle is not None and Path(bundle).is_dir():
        return ssl.create_default_context(capath=bundle)
    if bundle is None:
        import certifi

        bundle = certifi.where()
    return ssl.create_default_context(cafile=bundle)
