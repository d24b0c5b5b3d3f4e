"""The audit's own HTTP connection (`github/connection.py`) against loopback servers: kept
alive and made again when the server closed it, gzip unpacked within a ceiling, a redirect
followed only within the API's origin, and the watchdog's bookkeeping bounded."""

from __future__ import annotations

import gzip
import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from repo_harden.audit.transport import Governor, Transport
from repo_harden.core.deadline import Watchdog
from repo_harden.github import connection
from repo_harden.github.client import GitHubError
from repo_harden.github.connection import ApiConnections

TOKEN = "ghp_connTOKEN0123456789abcdefghijklmnop"
Handle = Callable[["_Handler"], None]


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, handle: Handle) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.handle_request_with = handle
        self.connections: list[tuple[str, int]] = []
        self.paths: list[str] = []
        self.authorizations: list[str] = []


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as GitHub
    server: _Server
    served = 0  # requests on this connection

    def setup(self) -> None:
        super().setup()
        self.server.connections.append(self.client_address)

    def do_GET(self) -> None:
        self.served += 1
        self.server.paths.append(self.path)
        self.server.authorizations.append(self.headers.get("Authorization", ""))
        self.server.handle_request_with(self)

    def answer(self, status: int, body: bytes, **headers: str) -> None:
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serving(handle: Handle) -> Iterator[_Server]:
    server = _Server(handle)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def url_of(server: _Server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def transport(api_url: str, retries: int = 0) -> Transport:
    from github import Auth

    governor = Governor(1, 60.0)
    return Transport(Auth.Token(TOKEN), api_url, governor=governor, retries=retries, backoff=0)


def repository(handler: _Handler) -> None:
    handler.answer(200, json.dumps({"full_name": handler.path.rsplit("/", 1)[-1]}).encode())


def test_one_connection_serves_every_request_of_a_thread() -> None:
    with serving(repository) as server, transport(url_of(server)) as kept_alive:
        for name in ("a", "b", "c"):
            assert kept_alive.rest_get(f"/repos/acme/{name}").data == {"full_name": name}
    assert len(server.connections) == 1
    assert server.authorizations == [f"token {TOKEN}"] * 3


def test_a_connection_the_server_closed_while_idle_is_made_again() -> None:
    def then_close(handler: _Handler) -> None:
        repository(handler)
        handler.close_connection = True  # as GitHub does to idle connections, unannounced

    with serving(then_close) as server, transport(url_of(server)) as reconnecting:
        for name in ("a", "b"):
            time.sleep(0.05)  # the close has arrived
            assert reconnecting.rest_get(f"/repos/acme/{name}").data == {"full_name": name}
        assert reconnecting.stats.counts["retries"] == 0
    assert len(server.connections) == 2


def test_a_connection_closed_as_the_request_went_out_is_asked_again_once() -> None:
    """The server closes a kept connection just when the next request is sent: that request
    goes again on a new connection, without spending one of the audit's retries."""

    def second_unanswered(handler: _Handler) -> None:
        if handler.served == 2:
            handler.close_connection = True
            return
        repository(handler)

    with serving(second_unanswered) as server, transport(url_of(server)) as asking:
        assert asking.rest_get("/repos/acme/a").status == 200
        assert asking.rest_get("/repos/acme/b").data == {"full_name": "b"}
        assert asking.stats.counts["retries"] == 0
    assert server.paths == ["/repos/acme/a", "/repos/acme/b", "/repos/acme/b"]
    assert len(server.connections) == 2


def test_a_gzip_answer_is_unpacked() -> None:
    def packed(handler: _Handler) -> None:
        assert handler.headers["Accept-Encoding"] == "gzip"
        handler.answer(200, gzip.compress(b'{"full_name": "acme/api"}'), Content_Encoding="gzip")

    with serving(packed) as server, transport(url_of(server)) as unpacking:
        assert unpacking.rest_get("/repos/acme/api").data == {"full_name": "acme/api"}


def test_a_gzip_bomb_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connection, "MAX_ANSWER_BYTES", 100_000)
    bomb = gzip.compress(b"[" + b" " * 10_000_000 + b"]")
    assert len(bomb) < 100_000

    def exploding(handler: _Handler) -> None:
        handler.answer(200, bomb, Content_Encoding="gzip")

    with (
        serving(exploding) as server,
        transport(url_of(server)) as careful,
        pytest.raises(GitHubError, match="unpacks to more than 100,000 bytes"),
    ):
        careful.rest_get("/repos/acme/api")


def test_an_answer_over_the_ceiling_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connection, "MAX_ANSWER_BYTES", 100_000)

    def huge(handler: _Handler) -> None:
        handler.answer(200, b"[" + b" " * 1_000_000 + b"]")

    with (
        serving(huge) as server,
        transport(url_of(server)) as careful,
        pytest.raises(GitHubError, match="larger than 100,000 bytes"),
    ):
        careful.rest_get("/repos/acme/api")


def test_a_redirect_within_the_api_is_followed_with_the_token() -> None:
    """GitHub answers 301 for a repository renamed since the listing."""

    def renamed(handler: _Handler) -> None:
        if handler.path == "/repos/acme/old":
            handler.answer(301, b"", Location=f"{url_of(handler.server)}/repos/acme/new")
        else:
            repository(handler)

    with serving(renamed) as server, transport(url_of(server)) as following:
        assert following.rest_get("/repos/acme/old").data == {"full_name": "new"}
    assert server.paths == ["/repos/acme/old", "/repos/acme/new"]
    assert server.authorizations == [f"token {TOKEN}"] * 2


def test_a_next_link_is_asked_on_the_api_and_nowhere_else() -> None:
    with serving(repository) as server, transport(f"{url_of(server)}/api/v3") as paging:
        assert paging.rest_get(f"{url_of(server)}/api/v3/repos/acme/b?page=2").status == 200
        assert paging.rest_get("/repos/acme/c").status == 200
        with pytest.raises(GitHubError, match=r"not on http://127\.0\.0\.1"):
            paging.rest_get("http://elsewhere.example/api/v3/repos/acme/d")
    assert server.paths == ["/api/v3/repos/acme/b?page=2", "/api/v3/repos/acme/c"]


@pytest.mark.parametrize(
    ("api_url", "graphql_url"),
    [
        ("https://api.github.com", "https://api.github.com/graphql"),
        ("https://ghe.example.com/api/v3", "https://ghe.example.com/api/graphql"),
        ("https://ghe.example.com:8443/api/v3/", "https://ghe.example.com:8443/api/graphql"),
    ],
)
def test_the_graphql_endpoint_of_github_and_of_an_enterprise_server(
    api_url: str, graphql_url: str
) -> None:
    assert ApiConnections(api_url, timeout=1, deadline=1).graphql_url == graphql_url


def test_the_watchdog_holds_about_as_many_watches_as_calls_in_flight() -> None:
    """Thousands of requests under a 60-second deadline: the watches done are dropped as
    they come to the top of the heap, not kept for a minute each."""
    watchdog = Watchdog()
    ended: list[int] = []
    for number in range(10_000):
        watchdog.watch(60, lambda: ended.append(1)).done()
        assert len(watchdog) <= 2, number
    assert ended == []


def test_the_watchdog_ends_a_call_past_its_deadline_and_only_that_one() -> None:
    watchdog = Watchdog()
    ended = threading.Event()
    slow = watchdog.watch(0.05, ended.set)
    quick = watchdog.watch(0.05, lambda: pytest.fail("a call done in time was ended"))
    quick.done()
    assert ended.wait(10)
    assert slow.expired
    assert not quick.expired


def test_the_watchdogs_thread_ends_when_nothing_is_left_to_watch() -> None:
    before = set(threading.enumerate())
    watchdog = Watchdog()
    ended = threading.Event()
    watchdog.watch(0.2, ended.set)  # the thread is still waiting when looked for
    [thread] = [t for t in set(threading.enumerate()) - before if t.name == "watchdog"]
    assert ended.wait(10)
    thread.join(10)
    assert not thread.is_alive()
    again = threading.Event()
    watchdog.watch(0.01, again.set)  # and one starts again for the next watch
    assert again.wait(10)


def test_headers_that_never_end_are_cut_at_the_deadline() -> None:
    """A server that sends its status line, then one byte of a header every 50 ms."""
    import socket

    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def trickle() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            for _ in range(200):  # 10 s
                if stop.wait(0.05):
                    return
                try:
                    connection.sendall(b"a")
                except OSError:
                    return

    threading.Thread(target=trickle, daemon=True).start()
    from github import Auth

    api_url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    slow = Transport(Auth.Token(TOKEN), api_url, governor=Governor(1, 60.0), retries=0,
                     deadline=0.5)  # fmt: skip
    started = time.monotonic()
    try:
        with slow, pytest.raises(GitHubError, match=r"no complete answer within 0\.5 s"):
            slow.rest_get("/repos/acme/api")
        assert time.monotonic() - started < 5, "cut at the deadline, not when the server stopped"
    finally:
        stop.set()
        listener.close()
