"""Issue 14, items 6, 8, 9, 12, 13, 16: a server never holds a run for ever, the audit
loses no repository, and its cache, its config and merge's inputs never end it with a
traceback. Time is bounded by deadlines shortened for the test; nothing here is timed."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from repo_harden.core.deadline import DeadlineExceeded, within
from tests.conftest import make_repo, workflow
from tests.fake_github import FakeGitHub
from tests.hostile.trickle import TrickleServer

PIN = workflow("      - uses: actions/checkout@v4\n")
CI = ".github/workflows/ci.yml"


def audit(cli: Any, url: str, tmp_path: Path, *args: str) -> Any:
    return cli("audit", "--api-url", url, "--cache-dir", str(tmp_path / "cache"), *args,
               cwd=tmp_path)  # fmt: skip


# 6. Deadlines ---------------------------------------------------------------------------


def test_within_gives_up_at_the_deadline() -> None:
    release = __import__("threading").Event()
    with pytest.raises(DeadlineExceeded):
        within(0.05, release.wait)
    release.set()
    assert within(5, lambda: 42) == 42
    with pytest.raises(KeyError):
        within(5, lambda: dict[str, int]()["x"])


def test_a_trickling_github_does_not_hold_the_audit(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from repo_harden.audit import transport

    monkeypatch.setenv("GITHUB_TOKEN", "ghp_hostile_test_token")
    monkeypatch.setattr(transport, "REQUEST_DEADLINE", 0.5)
    monkeypatch.setattr(transport.Transport.__init__, "__defaults__", None, raising=False)
    original = transport.Transport.__init__

    def short(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **{**kwargs, "deadline": 0.5, "retries": 1, "backoff": 0.01})

    monkeypatch.setattr(transport.Transport, "__init__", short)
    with TrickleServer() as server:
        result = audit(cli, server.url, tmp_path, "--org", "acme")
    assert result.code == 2
    assert "no complete answer within 0.5 s" in result.err
    assert server.requests == 2  # asked again once, as a timeout is


def test_a_trickling_osv_is_reported_as_not_checked(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from repo_harden.advisories import pip_audit

    monkeypatch.setattr(pip_audit, "RETRY_AFTER_CAP_SECONDS", 0.0)
    monkeypatch.setattr(pip_audit, "STATUS_RETRIES", 0)
    monkeypatch.setattr(pip_audit.OsvLookup, "__init__", _short_osv(pip_audit))
    repo = make_repo(tmp_path / "r", {"requirements.txt": "jinja2==2.10\n"})
    with TrickleServer() as server:
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        result = cli("scan", "--online", "--select", "LCK006", "--osv-url", server.url,
                     "--format", "json", cwd=repo)  # fmt: skip
    assert result.code == 1, result.err
    [finding] = result.json()["findings"]
    assert "did not answer in full within 0.5 s" in finding["message"]


def _short_osv(pip_audit: Any) -> Any:
    original = pip_audit.OsvLookup.__init__

    def init(self: Any, query_url: str, timeout: int) -> None:
        original(self, query_url, timeout)
        self.timeout = 0.5

    return init


# 16. --api-url ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://github.example.com/api/v3", "plain http would send the token unencrypted"),
        ("https://user:hunter2@github.example.com/api/v3", "must not hold credentials"),
        ("ftp://github.example.com", "expected https://HOST/"),
    ],
)
def test_an_api_url_that_gives_the_token_away_is_refused(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, says: str
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_hostile_test_token")
    for command in (("audit", "--org", "acme"), ("scan", "--online", "--repo", "a/b")):
        result = cli(*command, "--api-url", url, cwd=tmp_path)
        assert result.code == 2
        assert says in result.err
        assert "hunter2" not in result.err


def test_credentials_never_reach_the_cache_file_name() -> None:
    import argparse

    from repo_harden.commands.audit import cache_file

    args = argparse.Namespace(no_cache=False, cache_dir=Path("/c"))
    assert cache_file(args, "https://ghe.example.com:8443/api/v3") == Path(
        "/c/audit-ghe.example.com_8443.sqlite3"
    )
    assert cache_file(args, "https://[::1]:9/api") == Path("/c/audit-__1_9.sqlite3")


def test_a_redirect_to_another_host_is_a_clear_error(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "secret-token")
    with TrickleServer() as elsewhere, TrickleServer(redirect_to=elsewhere.url) as server:
        result = audit(cli, server.url, tmp_path, "--org", "acme")
        assert elsewhere.requests == 0  # the token went nowhere else
    assert result.code == 2
    assert "redirected" in result.err
    assert "secret-token" not in result.err


# 8. The listing loses no repository -----------------------------------------------------


def test_a_null_node_in_the_listing_is_recovered_by_name(
    cli: Any, fake: FakeGitHub, tmp_path: Path
) -> None:
    for name in ("api", "web", "zoo"):
        fake.add_repo_from_checkout(f"acme/{name}", make_repo(tmp_path / name, {CI: PIN}))
    fake.repos["acme/web"].listing_error = "Something went wrong while executing your query."
    result = audit(cli, fake.url, tmp_path, "--org", "acme", "--format", "json", "--select", "PIN")
    statuses = {r["name"]: r["status"] for r in result.json()["repositories"]}
    assert statuses == {"acme/api": "audited", "acme/web": "audited", "acme/zoo": "audited"}
    assert result.code == 1


def test_a_repository_the_listing_leaves_out_and_github_does_not_show_is_failed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from repo_harden.audit import listing

    class LeftOut(listing.OwnerListing):
        def __init__(self) -> None:
            self.login = "acme"
            self.errors = ["Something went wrong while executing your query."]
            self.total = 3
            self.transport = None  # type: ignore[assignment]  # `named` is replaced
            self.fragment = ""

        def shortfall(self) -> tuple[list[str], str]:
            return ["acme/web"], "the organization listing left it out (Something went wrong)"

    gone = listing.MissingRepository("acme/web", "Could not resolve to a Repository")
    monkeypatch.setattr(listing, "named", lambda transport, names, fragment: ([], [gone]))
    failed: list[tuple[str, str]] = []
    found = listing.recovered(LeftOut(), None, lambda name, why: failed.append((name, why)))
    assert list(found) == [[]]
    [(name, reason)] = failed
    assert name == "acme/web"
    assert "Something went wrong" in reason
    assert "Could not resolve" in reason


# 9. One repository's bad config ------------------------------------------------------------


def test_a_repositorys_bad_config_is_rh000_for_it_and_the_others_go_on(
    cli: Any, fake: FakeGitHub, tmp_path: Path
) -> None:
    bad = make_repo(tmp_path / "bad", {".repo-harden.toml": 'exclude = ["[z-a]"]\n', CI: PIN})
    fake.add_repo_from_checkout("acme/bad", bad)
    fake.add_repo_from_checkout("acme/good", make_repo(tmp_path / "good", {CI: PIN}))
    result = audit(
        cli, fake.url, tmp_path, "--org", "acme", "--format", "json", "--select", "PIN,RH"
    )
    assert result.code == 1, result.err
    found = {(f["repository"], f["rule"], f["path"]) for f in result.json()["findings"]}
    assert ("acme/bad", "RH000", ".repo-harden.toml") in found
    assert ("acme/bad", "PIN001", CI) in found  # checked with the defaults
    assert ("acme/good", "PIN001", CI) in found


# 12. The cache ------------------------------------------------------------------------------


def _cache(tmp_path: Path, fake: FakeGitHub) -> Path:
    return tmp_path / "cache" / f"audit-{fake.url.split('//')[1].replace(':', '_')}.sqlite3"


@pytest.mark.parametrize("damage", ["corrupt", "truncated", "locked", "folder-is-a-file"])
def test_a_damaged_cache_never_ends_the_audit(
    cli: Any, fake: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    from repo_harden.audit import store

    monkeypatch.setattr(store, "BUSY_TIMEOUT_MS", 50)
    fake.add_repo_from_checkout("acme/app", make_repo(tmp_path / "app", {CI: PIN}))
    args = ("--org", "acme", "--format", "json", "--select", "PIN")
    assert audit(cli, fake.url, tmp_path, *args).code == 1
    cache = _cache(tmp_path, fake)
    holder = None
    if damage == "corrupt":
        cache.write_bytes(b"this is not a database" * 100)
    elif damage == "truncated":
        cache.write_bytes(cache.read_bytes()[:1000])
    elif damage == "locked":
        holder = sqlite3.connect(cache, isolation_level=None)
        holder.execute("PRAGMA journal_mode = DELETE")
        holder.execute("BEGIN EXCLUSIVE")
    else:
        for file in cache.parent.iterdir():
            file.unlink()
        cache.parent.rmdir()
        cache.parent.write_text("a file where the cache folder goes")
    result = audit(cli, fake.url, tmp_path, *args)
    if holder is not None:
        holder.close()
    assert result.code == 1, result.err
    assert "Traceback" not in result.err
    assert "repo-harden: the audit cache" in result.err
    assert {f["rule"] for f in result.json()["findings"]} == {"PIN001"}


# 13. merge of malformed reports ------------------------------------------------------------

GOOD_RECORD = {
    "rule": "PIN001", "severity": "error", "path": "a.yml", "line": 1, "column": 1,
    "message": "m", "fingerprint": "f",
}  # fmt: skip


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('{"tool": "repo-harden", "findings": [{"rule": "PIN001"}]}', "`severity` is missing"),
        (json.dumps({"tool": "repo-harden", "findings": [{**GOOD_RECORD, "line": "1"}]}),
         "`line` is not a number"),
        ('{"tool": "repo-harden", "findings": [], "repositories": [{"status": "audited"}]}',
         "`name` is missing"),
        ('{"tool": "repo-harden", "findings": [{"line": NaN}]}', "NaN is not a JSON value"),
        ('{"tool": "repo-harden", "findings": [{"line": Infinity}]}', "Infinity is not a JSON"),
        ("[" * 100000 + "]" * 100000, "not a JSON report"),
        (json.dumps({"tool": "repo-harden", "findings": [{**GOOD_RECORD, "line": 7}]}).replace(
            "7", "1e400"), "`line` is not a whole number"),
    ],
)  # fmt: skip
def test_merge_of_a_malformed_report_is_one_line(
    cli: Any, tmp_path: Path, text: str, says: str
) -> None:
    (tmp_path / "good.json").write_text(
        json.dumps({"tool": "repo-harden", "findings": [GOOD_RECORD], "repositories": []})
    )
    (tmp_path / "bad.json").write_text(text)
    result = cli("merge", "good.json", "bad.json", cwd=tmp_path)
    assert result.code == 2
    assert result.err.startswith("repo-harden: error: bad.json: ")
    assert says in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert result.out == ""
