"""`repo-harden fix`: the real CLI against the fake GitHub (histories with lightweight and
annotated tags, a fork's commit, a ref that is a branch and a tag) and a fake registry
(token flow, image indexes), in real git repositories. Only reference text and comments
change; a second run changes nothing and asks nothing."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult, git, make_repo
from tests.fake_git_history import commit_id
from tests.fake_github import FakeGitHub, Token, assert_github_shapes, assert_graphql_valid
from tests.fake_registry import FakeRegistry

TOKEN = "ghp_fix0123456789abcdefghijklmnopqrstuvwx"
WF = ".github/workflows/ci.yml"
CO1, CO2, CO3 = commit_id("co1"), commit_id("co2"), commit_id("co3")
EVIL = commit_id("evil")
SP1 = commit_id("sp1")
AM1, AM2 = commit_id("am1"), commit_id("am2")
BLACK = commit_id("black")
HOOKS = commit_id("hooks")


@dataclass
class World:
    github: FakeGitHub
    registry: FakeRegistry
    cache: Path
    node: str  # the digest of node:20
    postgres: str


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[World]:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "no-docker-config"))
    with FakeGitHub({TOKEN: Token()}) as github, FakeRegistry() as registry:
        checkout = github.add_history("actions/checkout")
        checkout.commit("co1")
        checkout.commit("co2", CO1)
        checkout.commit("co3", CO2)
        checkout.commit("evil", CO1)  # pushed to a fork: no ref of actions/checkout has it
        checkout.branch("main", CO3)
        checkout.tag("v4.1.0", CO2)
        checkout.tag("v4.2.2", CO3, annotated=True)
        checkout.tag("v4.2", CO3)
        checkout.tag("v4", CO3, annotated=True)
        python = github.add_history("actions/setup-python")
        python.commit("sp1")
        python.branch("main", SP1)
        python.tag("v5", SP1)
        python.tag("v5.3.0", SP1, annotated=True)
        ambiguous = github.add_history("acme/ambiguous")
        ambiguous.commit("am1")
        ambiguous.commit("am2", AM1)
        ambiguous.branch("main", AM2)
        ambiguous.branch("v1", AM2)
        ambiguous.tag("v1", AM1)
        black = github.add_history("psf/black")
        black.commit("black")
        black.branch("main", BLACK)
        black.tag("24.3.0", BLACK, annotated=True)
        hooks = github.add_history("pre-commit/pre-commit-hooks")
        hooks.commit("hooks")
        hooks.branch("main", HOOKS)
        hooks.tag("v4.6.0", HOOKS)
        node = registry.add_image("library/node", "20")
        postgres = registry.add_image("library/postgres", "16", platforms=0)
        yield World(github, registry, tmp_path / "cache", node, postgres)
    assert_github_shapes(github)
    assert_graphql_valid(github)


def fix(cli: Any, world: World, repo: Path, *args: str) -> CliResult:
    result: CliResult = cli(
        "fix", "--api-url", world.github.url, "--registry-url",
        f"docker.io={world.registry.url}", "--cache-dir", str(world.cache), *args, cwd=repo,
    )  # fmt: skip
    return result


def requests(world: World) -> int:
    return len(world.github.exchanges) + len(world.registry.requests)


WORKFLOW = f"""\
name: ci  # a comment that stays
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    container: node:20
    services:
      db:
        image: "postgres:16"
    steps:
      - uses: actions/checkout@v4
      - uses: 'actions/setup-python@v5'   # python for the tests
      - uses: actions/checkout@v4.1.0 # v4.1.0
      - uses: actions/checkout@{CO2} # v4.2.2
      - uses: actions/checkout@{CO3} # v4.2.2
      - run: docker run --rm node:20 node --version
"""
FIXED = f"""\
name: ci  # a comment that stays
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    container: node:20@{{node}}
    services:
      db:
        image: "postgres:16@{{postgres}}"
    steps:
      - uses: actions/checkout@{CO3} # v4.2.2
      - uses: 'actions/setup-python@{SP1}'   # v5.3.0 # python for the tests
      - uses: actions/checkout@{CO2} # v4.1.0
      - uses: actions/checkout@{CO2} # v4.1.0
      - uses: actions/checkout@{CO3} # v4.2.2
      - run: docker run --rm node:20@{{node}} node --version
"""
PRE_COMMIT = """\
# hooks every commit runs
repos:
  - repo: https://github.com/psf/black
    rev: 24.3.0
    hooks:
      - id: black
  - repo: https://github.com/pre-commit/pre-commit-hooks
    rev: "v4.6.0"  # the usual ones
    hooks:
      - id: trailing-whitespace
  - repo: local
    hooks:
      - id: mine
        name: mine
        entry: ./mine
        language: script
"""
PRE_COMMIT_FIXED = f"""\
# hooks every commit runs
repos:
  - repo: https://github.com/psf/black
    rev: {BLACK}  # frozen: 24.3.0
    hooks:
      - id: black
  - repo: https://github.com/pre-commit/pre-commit-hooks
    rev: "{HOOKS}"  # frozen: v4.6.0 # the usual ones
    hooks:
      - id: trailing-whitespace
  - repo: local
    hooks:
      - id: mine
        name: mine
        entry: ./mine
        language: script
"""


def test_fix_pins_actions_images_and_hooks_and_keeps_everything_else(
    cli: Any, world: World, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "repo", {WF: WORKFLOW, ".pre-commit-config.yaml": PRE_COMMIT})
    result = fix(cli, world, repo)
    assert result.code == 0, result.out + result.err
    expected = FIXED.format(node=world.node, postgres=world.postgres)
    assert (repo / WF).read_text() == expected
    assert (repo / ".pre-commit-config.yaml").read_text() == PRE_COMMIT_FIXED
    assert (
        f"{WF}:11:15: PIN001 fixed: actions/checkout@v4 -> actions/checkout@{CO3} # v4.2.2"
        in result.out
    )
    assert f"{WF}:14:15: PIN003 fixed:" in result.out
    assert "re-commented" in result.out and "the code that runs is unchanged" in result.out
    assert result.out.rstrip().endswith("Fixed 9 references in 2 files.")
    # The image index's digest, not one platform's: asked with the index types accepted.
    assert all(
        "image.index" in (seen.accept or "")
        for seen in world.registry.requests
        if "/manifests/" in seen.path
    )
    # What fix wrote, scan accepts (and its verified pins pass online too).
    rescan = cli("scan", "--select", "PIN", "--format", "json", cwd=repo)
    assert rescan.code == 0, rescan.out


def test_a_second_run_changes_nothing_and_asks_nothing(
    cli: Any, world: World, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "repo", {WF: WORKFLOW, ".pre-commit-config.yaml": PRE_COMMIT})
    assert fix(cli, world, repo).code == 0
    first = {path: (repo / path).read_bytes() for path in (WF, ".pre-commit-config.yaml")}
    asked = requests(world)
    again = fix(cli, world, repo)
    assert again.code == 0, again.out
    assert again.out.strip() == "Nothing to fix."
    assert {path: (repo / path).read_bytes() for path in first} == first
    assert requests(world) == asked  # the cache knew everything, the verification too


def test_each_distinct_reference_is_asked_once(cli: Any, world: World, tmp_path: Path) -> None:
    same = "".join("      - uses: actions/checkout@v4\n" for _ in range(5))
    workflows = {
        f".github/workflows/w{i}.yml": _workflow(same + "    container: node:20\n")
        for i in range(4)
    }
    repo = make_repo(tmp_path / "repo", workflows)
    result = fix(cli, world, repo, "--select", "PIN001,PIN002")
    assert result.code == 0, result.out
    assert "Fixed 24 references in 4 files." in result.out
    queries = [e for e in world.github.exchanges if e.path == "/graphql"]
    assert len(queries) == 1  # one batch, one alias for actions/checkout@v4
    assert world.registry.count("HEAD", "/v2/library/node/manifests/20") == 2  # 401, then 200
    assert world.registry.count("GET", "/token") == 1


def test_dry_run_prints_the_diff_writes_nothing_and_exits_1(
    cli: Any, world: World, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "repo", {WF: WORKFLOW})
    before = (repo / WF).read_bytes()
    result = fix(cli, world, repo, "--dry-run")
    assert result.code == 1
    assert (repo / WF).read_bytes() == before
    assert result.out.startswith(f"--- a/{WF}\n+++ b/{WF}\n")
    assert "\n-      - uses: actions/checkout@v4\n" in result.out
    assert f"\n+      - uses: actions/checkout@{CO3} # v4.2.2\n" in result.out
    assert "would fix" in result.err and "Would fix 7 references in 1 file." in result.err
    # The diff applies: it is the fix.
    (repo / "fix.diff").write_text(result.out)
    git(repo, "apply", "fix.diff")
    assert (repo / WF).read_text() == FIXED.format(node=world.node, postgres=world.postgres)
    assert fix(cli, world, repo, "--dry-run").code == 0  # nothing left to do


def test_json_report_names_each_reference(cli: Any, world: World, tmp_path: Path) -> None:
    files = {WF: _workflow("      - uses: actions/checkout@v4\n      - uses: acme/ambiguous@v1\n")}
    repo = make_repo(tmp_path / "repo", files)
    result = fix(cli, world, repo, "--format", "json")
    assert result.code == 1
    document = json.loads(result.out)
    by_line = {item["line"]: item for item in document["references"]}
    assert by_line[6] == {
        "rule": "PIN001", "path": WF, "line": 6, "column": 15, "old": "actions/checkout@v4",
        "new": f"actions/checkout@{CO3} # v4.2.2", "status": "fixed", "reason": None, "note": None,
    }  # fmt: skip
    assert by_line[7]["status"] == "not-fixed"
    assert "both a branch and a tag" in by_line[7]["reason"]
    assert document["files"] == [{"path": WF, "diff": None}]
    assert document["requests"]["github"] >= 1


def test_references_that_cannot_be_resolved_are_listed_and_the_rest_fixed(
    cli: Any, world: World, tmp_path: Path
) -> None:
    steps = (
        "      - uses: actions/checkout@v4\n"
        "      - uses: actions/checkout@v9\n"  # no such tag (deleted?)
        "      - uses: nobody/nothing@v1\n"  # no such repository
        "      - uses: acme/ambiguous@v1\n"  # a branch and a tag
        "      - uses: docker://alpine:3.19\n"  # no such image in the registry
        "      - uses: docker://node:20\n"
        "      - uses: some-org/action\n"  # no ref at all
    )
    repo = make_repo(
        tmp_path / "repo", {WF: _workflow(steps, "    container: ${{ matrix.image }}\n")}
    )
    result = fix(cli, world, repo)
    assert result.code == 1
    fixed = (repo / WF).read_text()
    assert f"actions/checkout@{CO3} # v4.2.2" in fixed
    assert f"docker://node:20@{world.node}" in fixed
    assert "actions/checkout@v9\n" in fixed and "acme/ambiguous@v1\n" in fixed
    lines = result.out.splitlines()
    assert any(
        ":8:15: PIN001 not fixed: `actions/checkout@v9`: actions/checkout has no tag, branch or commit `v9`"
        in line
        for line in lines
    )
    assert any(
        ":9:15: PIN001 not fixed: `nobody/nothing@v1`: GitHub has no repository nobody/nothing"
        in line
        for line in lines
    )
    assert any(
        ":10:15: PIN004 not fixed: `acme/ambiguous@v1`: `v1` is both a branch and a tag" in line
        for line in lines
    )
    assert not any(":10:15: PIN001" in line for line in lines)  # one line per reference
    assert any(
        ":11:15: PIN002 not fixed: `docker://alpine:3.19`:" in line
        and "has no tag `3.19` of `library/alpine` (HTTP 404)" in line
        for line in lines
    )
    assert any(
        ":13:15: PIN001 not fixed: `some-org/action`: it names no ref" in line for line in lines
    )
    assert result.out.rstrip().endswith(
        "Fixed 2 references in 1 file; 5 could not be fixed (see why above)."
    )


def test_registry_refusals_and_rate_limits_are_a_line_each(
    cli: Any, world: World, tmp_path: Path
) -> None:
    world.registry.fail(r"/manifests/", 429, times=10, headers={"Retry-After": "3600"})
    repo = make_repo(
        tmp_path / "repo",
        {WF: _workflow("      - uses: actions/checkout@v4\n", "    container: node:20\n")},
    )
    result = fix(cli, world, repo)
    assert result.code == 1
    assert "too many requests (HTTP 429)" in result.out
    assert "Traceback" not in result.out + result.err
    assert f"actions/checkout@{CO3} # v4.2.2" in (repo / WF).read_text()


def test_offline_fixes_from_the_cache_only(cli: Any, world: World, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {WF: WORKFLOW})
    cold = fix(cli, world, repo, "--offline")
    assert cold.code == 1
    assert requests(world) == 0
    assert "not fixed: `actions/checkout@v4`: not in the cache (--offline)" in cold.out
    assert (repo / WF).read_text() == WORKFLOW
    other = make_repo(tmp_path / "other", {WF: WORKFLOW})
    assert fix(cli, world, other).code == 0  # online: learns every reference
    asked = requests(world)
    warm = fix(cli, world, repo, "--offline")
    assert requests(world) == asked
    # Offline, PIN003 is not verified: the pin whose comment lies stays as it was.
    assert warm.code == 0, warm.out
    assert (repo / WF).read_text() == FIXED.format(
        node=world.node, postgres=world.postgres
    ).replace(
        f"actions/checkout@{CO2} # v4.1.0\n      - uses: actions/checkout@{CO3}",
        f"actions/checkout@{CO2} # v4.2.2\n      - uses: actions/checkout@{CO3}",
    )


def test_no_token_fixes_images_and_says_how_to_give_one(
    cli: Any, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    repo = make_repo(
        tmp_path / "repo",
        {WF: _workflow("      - uses: actions/checkout@v4\n", "    container: node:20\n")},
    )
    result = fix(cli, world, repo)
    assert result.code == 1
    assert "looking up GitHub refs needs a token: set GITHUB_TOKEN or GH_TOKEN" in result.out
    assert f"container: node:20@{world.node}" in (repo / WF).read_text()
    assert world.github.exchanges == []


def test_waived_and_ignored_references_are_left_alone(
    cli: Any, world: World, tmp_path: Path
) -> None:
    steps = (
        "      - uses: actions/checkout@v4  # repo-harden: ignore[PIN001] kept by tag on purpose\n"
        "      - run: make test\n"
        "      - uses: actions/setup-python@v5\n"
    )
    config = (
        '[[waivers]]\nrule = "PIN001"\npath = ".github/workflows/release.yml"\n'
        'owner = "@acme/security"\nreason = "by tag"\nexpires = 2099-01-01\n'
    )
    files = {
        WF: _workflow(steps),
        ".github/workflows/release.yml": _workflow("      - uses: actions/checkout@v4\n"),
        ".repo-harden.toml": config,
    }
    repo = make_repo(tmp_path / "repo", files)
    result = fix(cli, world, repo)
    assert result.code == 0, result.out
    text = (repo / WF).read_text()
    assert "actions/checkout@v4  # repo-harden: ignore[PIN001]" in text
    assert f"actions/setup-python@{SP1} # v5.3.0" in text
    assert (repo / ".github/workflows/release.yml").read_text() == files[
        ".github/workflows/release.yml"
    ]


def test_anchors_flow_mappings_crlf_and_bom_survive(cli: Any, world: World, tmp_path: Path) -> None:
    text = (
        "on: push\r\n"
        "jobs:\r\n"
        "  a:\r\n"
        "    runs-on: ubuntu-latest\r\n"
        "    steps:\r\n"
        "      - uses: &checkout actions/checkout@v4\r\n"
        "      - {uses: actions/setup-python@v5, with: {python-version: '3.12'}}\r\n"
        "  b:\r\n"
        "    runs-on: ubuntu-latest\r\n"
        "    steps:\r\n"
        "      - uses: *checkout\r\n"
    )
    repo = make_repo(tmp_path / "repo", {})
    (repo / WF).parent.mkdir(parents=True)
    (repo / WF).write_bytes(b"\xef\xbb\xbf" + text.encode())
    result = fix(cli, world, repo)
    assert result.code == 0, result.out
    expected = text.replace(
        "&checkout actions/checkout@v4\r\n", f"&checkout actions/checkout@{CO3} # v4.2.2\r\n"
    ).replace(
        "{uses: actions/setup-python@v5, with: {python-version: '3.12'}}\r\n",
        f"{{uses: actions/setup-python@{SP1}, with: {{python-version: '3.12'}}}} # v5.3.0\r\n",
    )
    assert (repo / WF).read_bytes() == b"\xef\xbb\xbf" + expected.encode()


def test_dockerfiles_and_scripts(cli: Any, world: World, tmp_path: Path) -> None:
    files = {
        "Dockerfile": (
            "# syntax=docker/dockerfile:1\n"
            "ARG BASE=node:20\n"
            "FROM postgres:16 AS db\n"
            "FROM $BASE\n"  # from an ARG: pinned where the value is set, not here
            "COPY --from=node:20 /usr/local/bin/node /usr/local/bin/node\n"
            "RUN docker pull 'node:20'\n"
        ),
        "scripts/run.sh": "#!/bin/sh\nset -e\ndocker run --rm node:20 true\n",
    }
    repo = make_repo(tmp_path / "repo", files)
    result = fix(cli, world, repo)
    assert "FROM postgres:16@" + world.postgres in (repo / "Dockerfile").read_text()
    dockerfile = (repo / "Dockerfile").read_text()
    assert f"COPY --from=node:20@{world.node} /usr/local" in dockerfile
    assert f"RUN docker pull 'node:20@{world.node}'" in dockerfile
    assert f"docker run --rm node:20@{world.node} true" in (repo / "scripts/run.sh").read_text()
    assert "PIN002 not fixed: `$BASE`: it is built from a variable or an expression" in result.out
    assert result.code == 1


def test_the_token_is_never_printed(cli: Any, world: World, tmp_path: Path) -> None:
    world.github.echo_token = True
    world.github.fail(
        "POST", r"^/graphql$", 502, {"message": f"upstream broke (token {TOKEN})"}, times=10
    )
    repo = make_repo(tmp_path / "repo", {WF: _workflow("      - uses: actions/checkout@v4\n")})
    result = fix(cli, world, repo, "--format", "json")
    assert result.code == 1
    assert TOKEN not in result.out + result.err
    assert "not-fixed" in result.out


def test_github_enterprise_server(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    with FakeGitHub({TOKEN: Token()}, prefix="/api/v3") as github:
        history = github.add_history("acme/deploy")
        history.commit("deploy")
        history.tag("v2", commit_id("deploy"))
        repo = make_repo(tmp_path / "repo", {WF: _workflow("      - uses: acme/deploy@v2\n")})
        result = cli("fix", "--api-url", github.url, "--no-cache", cwd=repo)
        assert result.code == 0, result.out
        assert f"acme/deploy@{commit_id('deploy')} # v2" in (repo / WF).read_text()
        assert all(
            e.path in ("/graphql",) or e.path.startswith("/repos/") for e in github.exchanges
        )


def test_bad_options_are_usage_errors(cli: Any, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {WF: _workflow("      - uses: actions/checkout@v4\n")})
    result = cli("fix", "--registry-url", "docker.io", "--offline", cwd=repo)
    assert result.code == 2
    assert "--registry-url: expected HOST=URL" in result.err


def _workflow(steps: str, job_extra: str = "") -> str:
    return f"on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n{job_extra}    steps:\n{steps}"


def test_modes_and_links_survive(cli: Any, world: World, tmp_path: Path) -> None:
    """A fixed script stays executable; a workflow that is a link is not written through."""
    files = {
        "scripts/run.sh": "#!/bin/sh\ndocker run --rm node:20 true\n",
        ".github/workflows/real.yml": _workflow("      - uses: actions/checkout@v4\n"),
    }
    repo = make_repo(tmp_path / "repo", files, commit=False)
    (repo / "scripts/run.sh").chmod(0o755)
    (repo / WF).symlink_to("real.yml")
    result = fix(cli, world, repo)
    assert (repo / "scripts/run.sh").stat().st_mode & 0o777 == 0o755
    assert f"node:20@{world.node}" in (repo / "scripts/run.sh").read_text()
    assert f"actions/checkout@{CO3}" in (repo / ".github/workflows/real.yml").read_text()
    assert (repo / WF).is_symlink()
    assert (
        f"{WF}:6:15: PIN001 not fixed: `actions/checkout@v4`: {WF} is a symbolic link" in result.out
    )


def test_every_finding_is_fixed_whatever_the_report_shows(
    cli: Any, world: World, tmp_path: Path
) -> None:
    steps = "".join(f"      - uses: actions/checkout@v4\n      - run: echo {n}\n" for n in range(4))
    files = {WF: _workflow(steps), ".repo-harden.toml": "max-findings-per-file = 2\n"}
    repo = make_repo(tmp_path / "repo", files)
    result = fix(cli, world, repo)
    assert result.code == 0, result.out
    assert "Fixed 4 references in 1 file." in result.out


def test_github_unreachable_is_said_once_and_what_it_left_is_listed(
    cli: Any, world: World, tmp_path: Path
) -> None:
    steps = "".join(
        f"      - uses: actions/checkout@{ref}\n" for ref in ("v4", "v4.1.0", CO1, CO2, CO3)
    )
    repo = make_repo(tmp_path / "repo", {WF: _workflow(steps, "    container: node:20\n")})
    result = cli(
        "fix", "--api-url", "http://127.0.0.1:9", "--registry-url",
        f"docker.io={world.registry.url}", "--no-cache", cwd=repo,
    )  # fmt: skip
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0].startswith("GitHub did not answer: GraphQL query: GitHub could not be reached")
    assert result.out.count("could not be reached") == 1
    assert any(
        ":7:15: PIN001 not fixed: `actions/checkout@v4` (GitHub did not answer)" in line
        for line in lines
    )
    assert any(":8:15: PIN001 not fixed: `actions/checkout@v4.1.0`" in line for line in lines)
    assert "3 pinned commits could not be verified either (PIN004: GitHub did not answer)." in lines
    assert not any(f"actions/checkout@{CO1}" in line for line in lines)  # counted, not listed
    assert f"node:20@{world.node}" in (repo / WF).read_text()  # the registry still answered


def test_a_pin_that_was_not_verified_is_named_once_on_its_line(
    cli: Any, world: World, tmp_path: Path
) -> None:
    pinned = f"nobody/nothing@{CO1}"
    hooks = f"repos:\n  - repo: https://github.com/nobody/hooks\n    rev: {CO1}\n    hooks:\n      - id: x\n"
    files = {WF: _workflow(f"      - uses: {pinned} # v1\n"), ".pre-commit-config.yaml": hooks}
    repo = make_repo(tmp_path / "repo", files)
    result = fix(cli, world, repo)
    assert result.code == 1
    line = next(line for line in result.out.splitlines() if ":6:15:" in line)
    assert line.endswith(
        f"PIN004 not fixed: `{pinned}`: not verified: GitHub has no repository nobody/nothing, "
        "or the token cannot read it; if it is private or internal, use a token that can"
    )
    assert not any(":6:15: PIN003" in line for line in result.out.splitlines())
    hook = next(line for line in result.out.splitlines() if ":3:10:" in line)
    assert hook.count(CO1) == 1, hook
    assert hook.endswith(
        f"`{CO1}`: not verified: GitHub has no repository nobody/hooks, or "
        "the token cannot read it; if it is private or internal, use a token that can"
    )


def test_select_naming_no_rule_fix_handles_is_a_usage_error(cli: Any, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {WF: _workflow("      - uses: actions/checkout@v4\n")})
    result = cli("fix", "--offline", "--select", "WF001", cwd=repo)
    assert result.code == 2
    assert result.err.strip() == (
        "repo-harden: error: --select WF001: `repo-harden fix` fixes only PIN001, PIN002, "
        "PIN003 and PIN005 (and lists PIN004); `repo-harden scan` reports the other rules"
    )
    assert result.out == ""
    mixed = cli("fix", "--offline", "--dry-run", "--select", "PIN002,WF001", cwd=repo)
    assert mixed.code == 0
    assert "note: `repo-harden fix` fixes only PIN001" in mixed.err
    assert "WF001: see `repo-harden scan`" in mixed.err


def test_a_named_path_fix_leaves_alone_says_why(cli: Any, tmp_path: Path) -> None:
    """As `scan` does: an excluded file named on the command line is not fixed, and the
    user is told, not given a silent "Nothing to fix."."""
    vendored = "node_modules/tool/.github/workflows/ci.yml"
    repo = make_repo(
        tmp_path / "repo", {vendored: _workflow("      - uses: actions/checkout@v4\n")}
    )
    result = cli("fix", "--offline", "--dry-run", vendored, cwd=repo)
    assert result.code == 0, result.err
    assert (
        f"repo-harden: warning: {vendored}: not checked: vendored or generated "
        "(`node_modules/`, a default exclude)"
    ) in result.err.splitlines()


def test_every_fix_option_is_explained_in_its_help() -> None:
    from repo_harden.cli import build_parser

    parser = build_parser("fix")
    subcommands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    unexplained = [
        action.option_strings or [action.dest]
        for action in subcommands.choices["fix"]._actions
        if not action.help
    ]
    assert unexplained == []
    text = subcommands.choices["fix"].format_help()
    assert "PIN005 pre-commit revs; with a token also PIN003" in " ".join(text.split())
