"""The environment's proxies and CA bundle, read once per connection (`settle_environment`)
and still honoured: a proxy carries the audit's requests, `NO_PROXY` bypasses it, and
`REQUESTS_CA_BUNDLE` is the trust of an HTTPS GitHub. All on loopback."""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import json
import ssl
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests.sessions
import requests.utils

from repo_harden.audit.transport import Governor, Transport
from repo_harden.core.errors import FatalError
from repo_harden.github.client import GitHubClient, GitHubError
from tests.fake_github import ADMIN, FakeGitHub, Token

TOKEN = "ghp_fakeTOKEN0123456789abcdefghijklmnop"
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture(autouse=True)
def no_proxy_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub({TOKEN: Token(ADMIN)}) as fake:
        fake.add_repo("acme/api")
        yield fake


def transport(api_url: str) -> Transport:
    from github import Auth

    return Transport(Auth.Token(TOKEN), api_url, governor=Governor(2, 60.0), retries=0)


class _Proxy(http.server.ThreadingHTTPServer):
    """A forward proxy for plain HTTP: it notes each request line and fetches the absolute
    URL itself, directly."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.seen: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _QuietHandler(http.server.BaseHTTPRequestHandler):
    def answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _ProxyHandler(_QuietHandler):
    server: _Proxy

    def do_GET(self) -> None:
        self.server.seen.append(self.path)
        headers = {"Authorization": self.headers.get("Authorization", "")}
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with direct.open(urllib.request.Request(self.path, headers=headers)) as answered:
            self.answer(answered.status, answered.read())


@contextmanager
def _serving(server: http.server.HTTPServer) -> Iterator[None]:
    """Serve on a thread until the test ends."""
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy() -> Iterator[_Proxy]:
    server = _Proxy()
    with _serving(server):
        yield server


def test_a_proxy_in_the_environment_carries_the_audits_requests(
    github: FakeGitHub, proxy: _Proxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    with transport(github.url) as through_proxy:
        answer = through_proxy.rest_get("/repos/acme/api")
    assert isinstance(answer.data, dict)
    assert answer.data["full_name"] == "acme/api"
    assert proxy.seen == [f"{github.url}/repos/acme/api"]

    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with transport(github.url) as direct:
        assert direct.rest_get("/repos/acme/api").status == 200
    assert len(proxy.seen) == 1, "NO_PROXY names the host: the proxy is not asked"


def test_the_client_of_scan_online_takes_the_proxy_too(
    github: FakeGitHub, proxy: _Proxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("http_proxy", proxy.url)
    GitHubClient(TOKEN, github.url, backoff=0).repository("acme/api")
    assert proxy.seen == [f"{github.url}/repos/acme/api"]


def test_the_environment_is_read_once_per_audit_not_per_request(
    github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """requests looks for proxies in the whole environment on every request, a large part
    of what a request cost an audit; the audit's connection reads it once."""
    looked_up: list[int] = []
    original = urllib.request.getproxies_environment

    def counted() -> dict[str, str]:
        looked_up.append(1)
        return original()

    monkeypatch.setattr(urllib.request, "getproxies_environment", counted)
    with transport(github.url) as one_thread:
        for _ in range(20):
            assert one_thread.rest_get("/repos/acme/api").status == 200
    assert len(looked_up) == 1


def test_the_client_of_scan_online_reads_it_once_per_connection(
    github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    looked_up: list[str] = []
    original = requests.utils.get_environ_proxies

    def counted(url: str, no_proxy: str | None = None) -> dict[str, str]:
        looked_up.append(url)
        return original(url, no_proxy=no_proxy)

    monkeypatch.setattr(requests.utils, "get_environ_proxies", counted)
    monkeypatch.setattr(requests.sessions, "get_environ_proxies", counted)
    client = GitHubClient(TOKEN, github.url, backoff=0)
    for _ in range(5):
        client.repository("acme/api")
    assert len(looked_up) == 1


@pytest.mark.parametrize(
    ("host", "port", "no_proxy", "bypassed"),
    [
        ("api.github.com", None, "github.com", True),
        ("api.github.com", None, ".github.com", True),
        ("api.github.com", None, "notgithub.com", False),
        ("notgithub.com", None, "github.com", False),
        ("ghe.local", 8443, "ghe.local:8443", True),
        ("ghe.local", 443, "ghe.local:8443", False),
        ("10.1.2.3", None, "example.com, 10.0.0.0/8", True),
        ("11.1.2.3", None, "10.0.0.0/8", False),
        ("::1", 8443, "[::1]:8443", True),
        ("::1", None, "::1", True),
        ("GHE.Example.com", None, "ghe.example.COM", True),
        ("anything.example", None, "*", True),
        ("api.github.com", None, "", False),
    ],
)
def test_no_proxy_as_requests_reads_it(
    host: str, port: int | None, no_proxy: str, bypassed: bool
) -> None:
    from repo_harden.github.connection import _bypassed

    assert _bypassed(host, port, no_proxy) is bypassed


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, the certificate its own authority."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_file, key_file = folder / "github.pem", folder / "github.key"
    certificate_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certificate_file, key_file


class _Answering(_QuietHandler):
    def do_GET(self) -> None:
        self.answer(200, json.dumps({"full_name": "acme/api"}).encode())


@pytest.fixture
def https_github(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    certificate, key = _self_signed(tmp_path)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answering)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with _serving(server):
        yield f"https://127.0.0.1:{server.server_address[1]}", certificate


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_a_ca_bundle_in_the_environment_is_the_trust_of_an_https_github(
    https_github: tuple[str, Path], variable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    api_url, certificate = https_github
    with transport(api_url) as untrusted, pytest.raises(GitHubError, match="not be reached"):
        untrusted.rest_get("/repos/acme/api")

    monkeypatch.setenv(variable, str(certificate))
    with transport(api_url) as trusted:
        answer = trusted.rest_get("/repos/acme/api")
    assert answer.status == 200
    assert isinstance(answer.data, dict)
    assert answer.data["full_name"] == "acme/api"


def test_a_ca_bundle_that_does_not_exist_is_a_usage_error(
    https_github: tuple[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """requests raised a bare OSError for it, which ended the audit in a traceback."""
    api_url, _ = https_github
    missing = tmp_path / "no-such-bundle.pem"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(missing))
    with transport(api_url) as untrusted, pytest.raises(FatalError, match="does not exist"):
        untrusted.rest_get("/repos/acme/api")

    from repo_harden.cli import main

    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    code = main(["audit", "--org", "acme", "--api-url", api_url, "--cache-dir", str(tmp_path)])
    error = capsys.readouterr().err
    assert code == 2
    assert (
        error == f"repo-harden: error: REQUESTS_CA_BUNDLE names {missing}, which does not exist\n"
    )


class _Tunnel(http.server.ThreadingHTTPServer):
    """A proxy for HTTPS: it opens the CONNECT tunnel asked and relays bytes both ways,
    noting each CONNECT and every header it could read (none from inside the tunnel)."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _TunnelHandler)
        self.connects: list[str] = []
        self.headers_seen: list[str] = []
        self.proxy_authorizations: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _TunnelHandler(_QuietHandler):
    server: _Tunnel

    def do_CONNECT(self) -> None:
        import socket

        self.server.connects.append(self.path)
        self.server.headers_seen.extend(self.headers.keys())
        self.server.proxy_authorizations.append(self.headers.get("Proxy-Authorization", ""))
        host, port = self.path.rsplit(":", 1)
        with socket.create_connection((host, int(port))) as upstream:
            self.send_response(200, "Connection established")
            self.end_headers()
            self.wfile.flush()
            relay = threading.Thread(target=_pipe, args=(upstream, self.connection), daemon=True)
            relay.start()
            _pipe(self.connection, upstream)
            relay.join(timeout=5)


def _pipe(source: object, target: object) -> None:
    import socket

    assert isinstance(source, socket.socket) and isinstance(target, socket.socket)
    try:
        while data := source.recv(65536):
            target.sendall(data)
        target.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def test_https_goes_through_the_proxys_tunnel_with_the_token_inside(
    https_github: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    api_url, certificate = https_github
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate))
    tunnel = _Tunnel()
    with _serving(tunnel):
        monkeypatch.setenv("HTTPS_PROXY", tunnel.url.replace("//", "//me:pa%3Ass@"))
        with transport(api_url) as through_tunnel:
            for _ in range(2):
                answer = through_tunnel.rest_get("/repos/acme/api")
                assert isinstance(answer.data, dict)
                assert answer.data["full_name"] == "acme/api"
    assert set(tunnel.connects) == {api_url.removeprefix("https://")}
    assert "Authorization" not in tunnel.headers_seen
    assert tunnel.proxy_authorizations == ["Basic bWU6cGE6c3M="] * len(tunnel.connects)  # me:pa:ss


@pytest.mark.parametrize("proxy_url", ["https://127.0.0.1:9", "socks5://127.0.0.1:9"])
def test_a_proxy_the_audit_cannot_use_is_a_usage_error(
    github: FakeGitHub, proxy_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy_url)
    with transport(github.url) as unusable, pytest.raises(FatalError, match="not supported"):
        unusable.rest_get("/repos/acme/api")


def test_a_proxy_that_fails_is_named_without_its_credentials(
    github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    with socket.socket() as unused:  # a port nothing listens on
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    monkeypatch.setenv("HTTP_PROXY", f"http://user:hunter2@127.0.0.1:{port}")
    with transport(github.url) as refused, pytest.raises(GitHubError) as raised:
        refused.rest_get("/repos/acme/api")
    assert f"through the proxy 127.0.0.1:{port}" in str(raised.value)
    assert "hunter2" not in str(raised.value)


class _Trickling(_QuietHandler):
    """Headers at once, then one byte of a promised megabyte every 50 ms."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "1000000")
        self.end_headers()
        for _ in range(200):  # 10 s: far past the deadline below
            try:
                self.wfile.write(b" ")
                self.wfile.flush()
            except OSError:
                return
            time.sleep(0.05)


def test_a_trickling_https_github_is_cut_at_the_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The watchdog ends the read at the deadline under TLS too, and after an HTTP/1.0
    answer, whose body is read from a socket the connection no longer holds."""
    from github import Auth

    certificate, key = _self_signed(tmp_path)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Trickling)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate))
    api_url = f"https://127.0.0.1:{server.server_address[1]}"
    with _serving(server):
        slow = Transport(Auth.Token(TOKEN), api_url, governor=Governor(1, 60.0), retries=0,
                         deadline=0.5)  # fmt: skip
        started = time.monotonic()
        with slow, pytest.raises(GitHubError, match=r"no complete answer within 0\.5 s"):
            slow.rest_get("/repos/acme/api")
        assert time.monotonic() - started < 5, "cut at the deadline, not when the server stopped"
