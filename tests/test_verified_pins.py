"""PIN003 and PIN004, online: `scan --online` and `audit` against the fake GitHub's histories
(lightweight and annotated tags, a fork's commit, a ref that is a branch and a tag, a
commit only a release branch contains). Offline, they find nothing and ask nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_repo, workflow
from tests.fake_git_history import commit_id
from tests.fake_github import FakeGitHub, Token, assert_github_shapes, assert_graphql_valid

TOKEN = "ghp_verify0123456789abcdefghijklmnopqrstu"
WF = ".github/workflows/ci.yml"
PC = ".pre-commit-config.yaml"
C1, C2, C3, C4 = (commit_id(f"c{n}") for n in range(1, 5))
FIX = commit_id("fix")  # on the release branch only, below its tip
FORK = commit_id("fork")  # pushed to a fork
AM1, AM2 = commit_id("am1"), commit_id("am2")


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    with FakeGitHub({TOKEN: Token()}) as fake:
        history = fake.add_history("actions/checkout")
        history.commit("c1")
        history.commit("c2", C1)
        history.commit("c3", C2)  # main's tip, untagged
        history.commit("c4", C2)  # v4.2.2's commit, then main moved on
        history.commit("fix", C1)
        history.commit("fix-2", FIX)
        history.commit("fork", C1)
        history.branch("main", C3)
        history.branch("releases/v3", commit_id("fix-2"))
        history.tag("v4.1.0", C1)
        history.tag("v4.2.2", C4, annotated=True)
        history.tag("v4", C4, annotated=True)
        ambiguous = fake.add_history("acme/ambiguous")
        ambiguous.commit("am1")
        ambiguous.commit("am2", AM1)
        ambiguous.branch("main", AM2)
        ambiguous.branch("v1", AM2)
        ambiguous.tag("v1", AM1)
        yield fake
        assert_github_shapes(fake)
        assert_graphql_valid(fake)


def scan(cli: Any, github: FakeGitHub, repo: Path, *args: str) -> list[tuple[str, int, str]]:
    result = cli(
        "scan", "--online", "--api-url", github.url, "--select", "PIN003,PIN004", "--format",
        "json", *args, cwd=repo,
    )  # fmt: skip
    assert result.code in (0, 1), result.err
    return [(f["rule"], f["line"], f["message"]) for f in result.json()["findings"]]


CASES: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("the comment's tag is the commit", f"actions/checkout@{C4} # v4.2.2", []),
    ("a lightweight tag", f"actions/checkout@{C1} # v4.1.0", []),
    (
        "the comment names another version",
        f"actions/checkout@{C1} # v4.2.2",
        [("PIN003", f"but tag `v4.2.2` of actions/checkout is commit {C4}, not {C1}")],
    ),
    (
        "the comment names no tag",
        f"actions/checkout@{C4} # v9.9.9",
        [("PIN003", "actions/checkout has no tag `v9.9.9`")],
    ),
    ("renovate's form", f"actions/checkout@{C4} # tag=v4.2.2", []),
    ("a comment that names no version", f"actions/checkout@{C3} # the latest main", []),
    ("main's tip, no comment", f"actions/checkout@{C3}", []),
    ("an older commit of main", f"actions/checkout@{C2}", []),
    ("on a release branch only", f"actions/checkout@{FIX}", []),
    (
        "a fork's commit",
        f"actions/checkout@{FORK}",
        [("PIN004", "is in no branch or tag of actions/checkout")],
    ),
    (
        "a fork's commit with a reassuring comment",
        f"actions/checkout@{FORK} # v4.2.2",
        [("PIN003", "is commit"), ("PIN004", "(an impostor commit)")],
    ),
    (
        "a commit GitHub does not know",
        f"actions/checkout@{'0' * 40}",
        [("PIN004", "has no commit 0000000000")],
    ),
    (
        "a ref that is a branch and a tag",
        "acme/ambiguous@v1",
        [("PIN004", "`v1` is both a branch and a tag of acme/ambiguous")],
    ),
    ("a branch alone", "acme/ambiguous@main", []),
    (
        "a repository GitHub does not have",
        f"nobody/nothing@{C1} # v1.0.0",
        # one finding for the pin, saying what would help (not "run the scan again later")
        [("PIN004", "not verified: GitHub has no repository nobody/nothing, or the token")],
    ),
]


@pytest.mark.parametrize(("uses", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_verified_pins(
    cli: Any, github: FakeGitHub, tmp_path: Path, uses: str, expected: list[tuple[str, str]]
) -> None:
    repo = make_repo(tmp_path / "repo", {WF: workflow(f"      - uses: {uses}\n")})
    found = scan(cli, github, repo)
    assert [(rule, line) for rule, line, _ in found] == [(rule, 6) for rule, _ in expected]
    for (_, _, message), (_, words) in zip(found, expected, strict=True):
        assert words in message


def test_a_commit_is_compared_only_when_no_tip_names_it(
    cli: Any, github: FakeGitHub, tmp_path: Path
) -> None:
    steps = "".join(
        f"      - uses: actions/checkout@{sha}{comment}\n"
        for sha, comment in ((C4, " # v4.2.2"), (C3, ""), (C2, ""), (FIX, ""))
    )
    repo = make_repo(tmp_path / "repo", {WF: workflow(steps)})
    assert scan(cli, github, repo) == []
    compared = [e.path for e in github.exchanges if "/compare/" in e.path]
    # C4 is its comment's tag (no lookup), C3 main's tip; C2 is in main, FIX in the branch.
    assert sorted(compared) == sorted(
        [
            f"/repos/actions/checkout/compare/main...{C2}",
            f"/repos/actions/checkout/compare/main...{FIX}",
            f"/repos/actions/checkout/compare/releases%2Fv3...{FIX}",
        ]
    )


def test_pre_commit_revs_are_verified(cli: Any, github: FakeGitHub, tmp_path: Path) -> None:
    config = (
        "repos:\n"
        f"  - repo: https://github.com/actions/checkout\n    rev: {C1}  # frozen: v4.2.2\n"
        f"  - repo: https://github.com/actions/checkout\n    rev: {FORK}\n"
        f"  - repo: https://gitlab.com/actions/checkout\n    rev: {FORK}\n"  # not GitHub's
    )
    repo = make_repo(tmp_path / "repo", {PC: config})
    assert [(rule, line) for rule, line, _ in scan(cli, github, repo)] == [
        ("PIN003", 3),
        ("PIN004", 5),
    ]


def test_github_failing_leaves_each_pin_not_verified(
    cli: Any, github: FakeGitHub, tmp_path: Path
) -> None:
    github.fail_graphql_timeout(times=None)
    repo = make_repo(
        tmp_path / "repo", {WF: workflow(f"      - uses: actions/checkout@{C4} # v4.2.2\n")}
    )
    found = scan(cli, github, repo)
    assert [(rule, line) for rule, line, _ in found] == [("PIN004", 6)]  # once, not per rule
    assert "not verified: GraphQL query: HTTP 502" in found[0][2]
    assert "run the scan again later" in found[0][2]  # a later run may get an answer


def test_a_repository_github_does_not_show_is_not_worth_another_run(
    cli: Any, github: FakeGitHub, tmp_path: Path
) -> None:
    steps = f"      - uses: nobody/nothing@{C1} # v1.0.0\n      - uses: nobody/nothing@{C2}\n"
    repo = make_repo(tmp_path / "repo", {WF: workflow(steps)})
    found = scan(cli, github, repo)
    assert [(rule, line) for rule, line, _ in found] == [("PIN004", 6), ("PIN004", 7)]
    for _, _, message in found:
        assert message.startswith("`nobody/nothing@")
        assert "if it is private or internal, use a token that can" in message
        assert "again later" not in message


def test_pin003_alone_still_reports_a_pin_it_could_not_verify(
    cli: Any, github: FakeGitHub, tmp_path: Path
) -> None:
    """Without PIN004 to carry it, PIN003 says its pin went unchecked: a gate that could not
    look fails."""
    repo = make_repo(tmp_path / "repo", {WF: workflow(f"      - uses: nobody/nothing@{C1} # v1\n")})
    result = cli(
        "scan", "--online", "--api-url", github.url, "--select", "PIN003", "--format", "json",
        cwd=repo,
    )  # fmt: skip
    found = [(f["rule"], f["message"]) for f in result.json()["findings"]]
    assert len(found) == 1 and found[0][0] == "PIN003"
    assert "not verified: GitHub has no repository nobody/nothing" in found[0][1]


def test_offline_they_find_nothing_and_ask_nothing(
    cli: Any, github: FakeGitHub, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "repo", {WF: workflow(f"      - uses: actions/checkout@{FORK}\n")})
    result = cli("scan", "--select", "PIN", "--format", "json", cwd=repo)
    assert result.code == 0
    assert github.exchanges == []


def test_they_need_a_token(
    cli: Any, github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    repo = make_repo(tmp_path / "repo", {WF: workflow(f"      - uses: actions/checkout@{FORK}\n")})
    result = cli("scan", "--online", "--api-url", github.url, "--select", "PIN", cwd=repo)
    assert result.code == 2
    assert "PIN003-PIN004 look up refs and commits on GitHub" in result.err


def test_the_audit_verifies_pins_and_keeps_what_it_learned(
    cli: Any, github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("REPO_HARDEN_OSV_URL", "http://127.0.0.1:9")  # never asked: no lockfile
    steps = f"      - uses: actions/checkout@{FORK}\n      - uses: actions/checkout@{C4} # v4.2.2\n"
    for name in ("acme/api", "acme/web"):
        github.add_repo(name, files={WF: workflow(steps), ".github/CODEOWNERS": "* @acme/x\n"})
    args = (
        "audit",
        "--org",
        "acme",
        "--api-url",
        github.url,
        "--select",
        "PIN",
        "--format",
        "json",
    )
    first = cli(*args, cwd=tmp_path)
    assert first.code == 1, first.err
    found = json.loads(first.out)["findings"]
    assert sorted((f["repository"], f["rule"], f["line"]) for f in found) == [
        ("acme/api", "PIN004", 6),
        ("acme/web", "PIN004", 6),
    ]
    impostor = [
        e for e in github.exchanges if e.path == "/graphql" and FORK in e.request_body.decode()
    ]
    assert len(impostor) == 1  # two repositories pin it: asked once
    for name in ("acme/api", "acme/web"):
        audited = github.find_repo(*name.split("/"))
        assert audited is not None
        audited.touch()  # a new head commit: audited again
    asked = len(
        [e for e in github.exchanges if FORK in e.request_body.decode() or "/compare/" in e.path]
    )
    second = cli(*args, cwd=tmp_path)
    assert second.code == 1
    later = len(
        [e for e in github.exchanges if FORK in e.request_body.decode() or "/compare/" in e.path]
    )
    assert later == asked  # what the pins are was kept in the audit's cache
