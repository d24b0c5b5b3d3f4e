"""`repo-harden audit` end to end: PyGithub over HTTP to the fake GitHub on loopback, whose
GraphQL executes against GitHub's public schema (an invalid query fails the test)."""

from __future__ import annotations

import gc
import io
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from repo_harden.audit.queries import TREE_LEVELS
from repo_harden.github.client import REDACTOR
from tests.conftest import CliResult, make_repo
from tests.fake_github import (
    ADMIN,
    READ,
    FakeGitHub,
    FakeRuleset,
    Token,
    assert_github_shapes,
    classic_protection,
    strict_rules,
)
from tests.fake_osv import FakeOsv
from tests.test_reporters import validate_sarif

TOKEN = "test-token"
PINNED = "actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11 # v4.1.1"


@pytest.fixture
def osv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeOsv]:
    """LCK006 asks a fake OSV API on loopback, never the real one."""
    with FakeOsv() as server:
        monkeypatch.setenv("REPO_HARDEN_OSV_URL", server.url)
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
        yield server


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, osv: FakeOsv) -> Iterator[FakeGitHub]:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    monkeypatch.delenv("CI", raising=False)
    with FakeGitHub() as server:
        yield server
        assert not server.graphql_invalid, "the audit sent a query GitHub's schema rejects"
        assert_github_shapes(server)  # and every REST answer had GitHub's OpenAPI shape


def audit(cli: Any, fake: FakeGitHub, tmp_path: Path, *args: str) -> CliResult:
    result: CliResult = cli(
        "audit", "--api-url", fake.url, "--cache-dir", str(tmp_path / "cache"), *args, cwd=tmp_path
    )
    return result


def findings_of(result: CliResult) -> list[dict[str, Any]]:
    return [
        {key: value for key, value in finding.items() if key != "repository"}
        for finding in result.json()["findings"]
    ]


def statuses(result: CliResult) -> dict[str, tuple[str, str | None]]:
    return {r["name"]: (r["status"], r["reason"]) for r in result.json()["repositories"]}


# The same files give the same findings ---------------------------------------------------

DEEP = "/".join(f"level{i}" for i in range(TREE_LEVELS + 2))
FIXTURE_FILES: dict[str, str | bytes] = {
    ".github/workflows/ci.yml": (
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
        f"      - uses: {PINNED}\n"
        "      - run: curl -fsSL https://get.example.com/install.sh | bash\n"
        "      # repo-harden: ignore[PIN001] the team pins it next sprint\n"
        "      - uses: actions/setup-python@v5\n"
    ),
    ".github/CODEOWNERS": "/src/ @acme/dev\n",
    "Dockerfile": "FROM python:3.12\nRUN pip install requests\n",
    f"{DEEP}/Dockerfile": "FROM node:20\nRUN curl -sL https://x.example.com/a.sh | sh\n",
    "package.json": '{"name": "x", "version": "1.0.0", "dependencies": {"left-pad": "^1.3.0"}}\n',
    "requirements.txt": "-r requirements-base.txt\nflask==3.0.0\njinja2==2.10\n",
    "requirements-base.txt": "requests\n",
    "tools/bootstrap": "#!/bin/sh\nwget -qO- https://example.com/x.sh | sh\n",
    "docs/logo.png": b"\x89PNG\r\n\x1a\n\0\0\0binary",
    "notes/latin1.txt": b"caf\xe9\n",
    "requirements-dev.txt": b"caf\xe9==1.0\n",
    ".github/workflows/broken.yml": "on: [push\njobs: {\n",
    ".repo-harden.toml": (
        "[[waivers]]\n"
        'rule = "LCK001"\npath = "package.json"\nowner = "@acme/web"\n'
        'reason = "a published library"\nexpires = 2099-01-01\n'
    ),
}


def fixture_checkout(tmp_path: Path) -> Path:
    root = make_repo(tmp_path / "checkout", FIXTURE_FILES, commit=False)
    workflows = root / ".github" / "workflows"
    (workflows / "link.yml").symlink_to("ci.yml")
    (workflows / "escape.yml").symlink_to("../../../outside.yml")
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "commit", "-qm", "fixture"], cwd=root, check=True)
    return root


def test_audit_finds_what_an_online_scan_of_a_checkout_finds(
    cli: Any, fake: FakeGitHub, tmp_path: Path
) -> None:
    root = fixture_checkout(tmp_path)
    checkout = fake.add_history("actions/checkout")  # the pinned action verifies (PIN003, PIN004)
    pinned = PINNED.split("@")[1].split(maxsplit=1)[0]
    checkout.commit("v4.1.1", sha=pinned)
    checkout.tag("v4.1.1", pinned, annotated=True)
    fake.add_repo_from_checkout(
        "acme/fixture",
        root,
        classic=classic_protection(approvals=1, force_pushes=True),
        rulesets=[
            FakeRuleset(
                7, "main rules", strict_rules(approvals=0),
                bypass_actors=[{"actor_id": 5, "actor_type": "Team", "bypass_mode": "always"}],
            )
        ],
    )  # fmt: skip
    scanned = cli(
        "scan", "--online", "--repo", "acme/fixture", "--api-url", fake.url,
        "--format", "json", cwd=root,
    )  # fmt: skip
    audited = audit(cli, fake, tmp_path, "--repo", "acme/fixture", "--format", "json")
    assert scanned.code == audited.code == 1, (scanned.err, audited.err)
    expected = findings_of(scanned)
    rules = {finding["rule"] for finding in expected}
    # The fixture exercises every kind of rule, online ones included.
    assert {"PIN001", "DL001", "DL003", "LCK003", "LCK006", "OWN002", "RH000"} <= rules
    assert {"BP007"} <= rules  # the ruleset's bypass list, read from GraphQL by the audit
    assert not {"PIN003", "PIN004"} & rules  # verified: its comment names its tag
    assert any(finding["path"].startswith(DEEP) for finding in expected)  # a deep tree
    assert findings_of(audited) == expected
    assert all(f["repository"] == "acme/fixture" for f in audited.json()["findings"])
    assert statuses(audited) == {"acme/fixture": ("audited", None)}


def test_rulesets_that_protect_nothing_are_named_as_an_online_scan_names_them(
    cli: Any, fake: FakeGitHub, tmp_path: Path
) -> None:
    root = make_repo(tmp_path / "checkout", {"README.md": "# app\n"})
    fake.add_repo_from_checkout(
        "acme/app",
        root,
        rulesets=[
            FakeRuleset(3, "trial", strict_rules(), enforcement="evaluate"),
            FakeRuleset(4, "off", strict_rules(), enforcement="disabled", include=["main"]),
            FakeRuleset(5, "elsewhere", strict_rules(), enforcement="evaluate", include=["dev"]),
        ],
    )
    scanned = cli("scan", "--online", "--repo", "acme/app", "--api-url", fake.url,
                  "--format", "json", "--select", "BP", cwd=root)  # fmt: skip
    audited = audit(cli, fake, tmp_path, "--repo", "acme/app", "--format", "json",
                    "--select", "BP")  # fmt: skip
    unprotected = [f["message"] for f in findings_of(audited) if f["rule"] == "BP001"]
    assert len(unprotected) == 1
    assert "ruleset `trial` targets it but is in `evaluate` mode" in unprotected[0]
    assert "ruleset `off` targets it but is in `disabled` mode" in unprotected[0]
    assert "elsewhere" not in unprotected[0]
    assert findings_of(audited) == findings_of(scanned)


def test_an_organization_ruleset_is_read_once_for_all_its_repositories(
    cli: Any, fake: FakeGitHub, tmp_path: Path
) -> None:
    shown = FakeRuleset(
        40, "org baseline", strict_rules(), source_type="Organization", source="acme",
        bypass_actors=[{"actor_id": 9, "actor_type": "Team", "bypass_mode": "always"}],
    )  # fmt: skip
    hidden = FakeRuleset(41, "org secret", strict_rules(), source_type="Organization",
                         source="acme", readable=False)  # fmt: skip
    names = [f"acme/svc-{i}" for i in range(6)]
    for name in names:
        fake.add_repo(name, files={"README.md": "x"}, rulesets=[shown, hidden])
    result = audit(cli, fake, tmp_path, "--org", "acme", "--format", "json", "--select", "BP")
    details = [e.path for e in fake.requests("/repos/{owner}/{repo}/rulesets/{ruleset_id}")]
    assert sorted(path.rsplit("/", 1)[1] for path in details) == ["40", "41"]
    by_repo: dict[str, set[str]] = {}
    for finding in result.json()["findings"]:
        by_repo.setdefault(finding["repository"], set()).add(finding["rule"])
    assert all({"BP007", "BP012"} <= by_repo.get(name, set()) for name in names), by_repo


@pytest.mark.parametrize("role", [ADMIN, READ])
def test_effective_rules_come_with_the_listing(
    cli: Any, fake: FakeGitHub, tmp_path: Path, role: str
) -> None:
    """The default branch's effective rules (`Ref.rules`: the repository's and the
    organization's rulesets, their conditions applied by GitHub) come with the listing, for
    an administrator and a reader alike: no repository's `rules/branches` is asked. An
    organization ruleset's bypass list, which the listing cannot show, is read once."""
    fake.tokens[TOKEN] = Token(role)
    org_ruleset = FakeRuleset(50, "org baseline", strict_rules(), source_type="Organization",
                              source="acme")  # fmt: skip
    fake.add_repo("acme/bare", files={"README.md": "x"})
    fake.add_repo("acme/own", files={"README.md": "x"},
                  rulesets=[FakeRuleset(51, "main", strict_rules())])  # fmt: skip
    fake.add_repo("acme/org", files={"README.md": "x"}, rulesets=[org_ruleset])
    fake.add_repo("acme/org2", files={"README.md": "x"}, rulesets=[org_ruleset])
    result = audit(cli, fake, tmp_path, "--org", "acme", "--format", "json", "--select", "BP")
    assert fake.requests("/repos/{owner}/{repo}/rules/branches/{branch}") == []
    details = [e.path for e in fake.requests("/repos/{owner}/{repo}/rulesets/{ruleset_id}")]
    assert [path.rsplit("/", 1)[1] for path in details].count("50") == 1
    rules = {(f["repository"], f["rule"]) for f in result.json()["findings"]}
    unprotected = {repository for repository, rule in rules if rule == "BP001"}
    # a reader cannot see classic protection, so it is BP012 (unknown), never "unprotected"
    assert unprotected == ({"acme/bare"} if role == ADMIN else set())
    assert (("acme/bare", "BP012") in rules) == (role == READ)
    for protected in ("acme/own", "acme/org", "acme/org2"):
        assert not {rule for repository, rule in rules if repository == protected} & {
            "BP001",
            "BP002",
            "BP003",
            "BP004",
            "BP008",
        }, rules


def test_effective_rules_cut_short_in_the_listing_are_asked_over_rest(
    cli: Any, fake: FakeGitHub, tmp_path: Path
) -> None:
    """More rules than one page of the listing holds: that repository's effective rules are
    asked over REST, and judged the same."""
    many = [{"type": kind} for kind in ("creation", "required_linear_history") * 60]
    fake.add_repo("acme/many", files={"README.md": "x"},
                  rulesets=[FakeRuleset(60, "main", strict_rules() + many)])  # fmt: skip
    fake.add_repo("acme/few", files={"README.md": "x"},
                  rulesets=[FakeRuleset(61, "main", strict_rules())])  # fmt: skip
    result = audit(cli, fake, tmp_path, "--org", "acme", "--format", "json", "--select", "BP")
    asked = [
        e.path.split("/")[3] for e in fake.requests("/repos/{owner}/{repo}/rules/branches/{branch}")
    ]
    assert set(asked) == {"many"}  # its 124 rules in two pages of 100
    rules = {(f["repository"], f["rule"]) for f in result.json()["findings"]}
    assert not {rule for _, rule in rules} & {"BP001", "BP002", "BP003", "BP004", "BP008"}, rules


def test_a_file_whose_graphql_text_is_truncated_is_read_whole_over_rest(
    cli: Any, fake: FakeGitHub, tmp_path: Path
) -> None:
    padding = "".join(f"      - run: echo step {i}\n" for i in range(400))
    big = _workflow("actions/checkout@v4") + padding + "      - uses: actions/setup-go@v5\n"
    fake.add_repo("acme/big", files={".github/workflows/ci.yml": big})
    fake.blob_text_limit = 1024  # GitHub stops Blob.text at 512 KiB; the fake, sooner
    result = audit(cli, fake, tmp_path, "--repo", "acme/big", "--format", "json")
    unpinned = [
        f["message"].split("`")[1] for f in result.json()["findings"] if f["rule"] == "PIN001"
    ]
    assert unpinned == ["actions/checkout@v4", "actions/setup-go@v5"]  # the second is past 1 KiB
    assert fake.requests("/repos/{owner}/{repo}/git/blobs/{file_sha}")


def test_sarif_of_an_audit_is_valid_and_names_each_repository(
    cli: Any, fake: FakeGitHub, tmp_path: Path
) -> None:
    fake.add_synthetic_org("acme", 8, seed=1)
    result = audit(cli, fake, tmp_path, "--org", "acme", "--format", "sarif")
    document = json.loads(result.out)
    validate_sarif(document)
    results = document["runs"][0]["results"]
    assert results
    assert all(r["properties"]["repository"].startswith("acme/") for r in results)


def test_html_report_escapes_what_repositories_hold(
    cli: Any, fake: FakeGitHub, tmp_path: Path
) -> None:
    evil = ".github/workflows/<img src=x onerror=alert(1)>.yml"
    fake.add_repo("acme/web", files={evil: _workflow("actions/checkout@v4")})
    fake.add_repo("acme/old", files={"README.md": "x"}, archived=True)
    result = audit(cli, fake, tmp_path, "--org", "acme", "--format", "html", "-o", "r.html")
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert result.code == 1
    assert page.startswith("<!DOCTYPE html>")
    assert "<img" not in page
    assert "\\u003cimg src=x onerror=alert(1)\\u003e.yml" in page  # in the page's JSON data
    assert '"https://github.com/repo-harden/repo-harden/blob/main/docs/rules.md#pin001' in page
    # The page in a browser, with the text shown as text: tests/test_dashboard_browser.py


# What is audited, skipped and failed ---------------------------------------------------------


def test_an_organization_audit_reports_each_repository_and_its_status(
    cli: Any, fake: FakeGitHub, tmp_path: Path
) -> None:
    org = fake.add_synthetic_org("acme", 40, seed=3)
    result = audit(cli, fake, tmp_path, "--org", "acme", "--format", "json")
    assert result.code == 1, result.err
    seen = statuses(result)
    assert sorted(seen) == org.names()
    for name, planted in org.repos.items():
        if planted.archived:
            assert seen[name] == ("skipped", "archived (use --include-archived)")
        elif planted.fork:
            assert seen[name] == ("skipped", "a fork (use --include-forks)")
        elif planted.empty:
            assert seen[name] == ("skipped", "empty")
        else:
            assert seen[name] == ("audited", None)
    found = result.json()["findings"]
    unpinned = {f["repository"] for f in found if f["rule"] == "PIN001"}
    assert unpinned == set(org.names(lambda r: bool(r.unpinned_actions) and _audited(r)))
    piped = {f["repository"] for f in found if f["rule"] == "DL001"}
    assert piped == set(org.names(lambda r: bool(r.curl_pipe_shell) and _audited(r)))


def test_the_audit_ends_after_pip_audit_has_loaded(
    cli: Any, fake: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pip-audit loads on a thread while the audit runs, and loading it runs `pip
    --version`; an audit that ended first (all its results cached) left pip writing into a
    closed pipe, and pip's traceback on the terminal. The command waits for the loading."""
    from repo_harden.advisories.source import PipAuditSource

    loading: list[str] = []

    def slow_load(self: PipAuditSource) -> object:
        loading.append("started")
        time.sleep(1.0)  # longer than the audit of one cached repository
        loading.append("finished")
        raise RuntimeError("not needed here")  # left for a lookup to report, as a failure

    monkeypatch.setattr(PipAuditSource, "_osv", slow_load)
    fake.add_synthetic_org("acme", 1, seed=3)
    audit(cli, fake, tmp_path, "--org", "acme", "--format", "json")  # fills the cache
    loading.clear()
    again = audit(cli, fake, tmp_path, "--org", "acme", "--format", "json")
    assert again.code in (0, 1), again.err
    assert loading == ["started", "finished"]
    loading.clear()
    failed = audit(cli, fake, tmp_path, "--org", "nobody")  # an audit that ends in an error
    assert failed.code == 2
    assert loading == ["started", "finished"]


def _audited(repo: Any) -> bool:
    return not (repo.archived or repo.fork or repo.empty)


def test_archived_and_forks_are_audited_when_asked(
    cli: Any, fake: FakeGitHub, tmp_path: Path
) -> None:
    org = fake.add_synthetic_org("acme", 12, seed=3)
    result = audit(
        cli, fake, tmp_path, "--org", "acme", "--include-archived", "--include-forks",
        "--format", "json",
    )  # fmt: skip
    skipped = {name for name, (status, _) in statuses(result).items() if status == "skipped"}
    assert skipped == set(org.names(lambda r: r.empty))


def test_text_report_ends_with_tables_per_repository_and_rule_family(
    cli: Any, fake: FakeGitHub, tmp_path: Path
) -> None:
    fake.add_synthetic_org("acme", 10, seed=1)
    result = audit(cli, fake, tmp_path, "--org", "acme")
    lines = result.out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("repository "))
    assert lines[header].split() == [
        "repository",
        "status",
        "errors",
        "warnings",
        "notes",
        "reason",
    ]
    assert any(line.startswith("rule family ") for line in lines[header:])
    assert "Repositories: " in result.out
    assert "\r" not in result.err  # no progress bar when stderr is not a terminal
    assert "rate-limited requests" in result.err


@pytest.mark.parametrize(
    "case",
    [
        ("", (), 1),  # findings fail the audit at the default threshold, warning
        ('fail-on = "never"\n', (), 0),  # the --config file's fail-on decides
        ('fail-on = "never"\n', ("--fail-on", "warning"), 1),  # and --fail-on wins over it
    ],
)
def test_the_exit_code_follows_fail_on_from_the_config_then_the_command_line(
    cli: Any, fake: FakeGitHub, tmp_path: Path, case: tuple[str, tuple[str, ...], int]
) -> None:
    config, args, code = case
    fake.add_synthetic_org("acme", 10, seed=1)
    config_file = tmp_path / "org.toml"
    config_file.write_text(config)
    result = audit(cli, fake, tmp_path, "--org", "acme", "--config", str(config_file), *args)
    assert result.code == code, result.err


def test_a_user_and_named_repositories(cli: Any, fake: FakeGitHub, tmp_path: Path) -> None:
    fake.add_user("octo")
    fake.add_repo("octo/tool", files={".github/workflows/ci.yml": _workflow("actions/checkout@v4")})
    fake.add_repo("octo/lib", files={"README.md": "# lib\n"})
    by_user = audit(cli, fake, tmp_path, "--user", "octo", "--format", "json")
    assert statuses(by_user) == {"octo/lib": ("audited", None), "octo/tool": ("audited", None)}
    named = audit(
        cli, fake, tmp_path, "--repo", "octo/tool", "--repo", "octo/gone", "--format", "json"
    )
    assert named.code == 3
    seen = statuses(named)
    assert seen["octo/tool"] == ("audited", None)
    assert seen["octo/gone"][0] == "failed"
    assert "octo/gone" in str(seen["octo/gone"][1])


def _workflow(uses: str) -> str:
    return f"on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: {uses}\n"


def test_an_unknown_organization_is_a_usage_error(
    cli: Any, fake: FakeGitHub, tmp_path: Path
) -> None:
    result = audit(cli, fake, tmp_path, "--org", "nobody")
    assert result.code == 2
    assert result.err.startswith("repo-harden: error: --org nobody: GitHub shows no organization")
    assert "Traceback" not in result.err


def test_nothing_to_audit_is_a_usage_error(cli: Any, fake: FakeGitHub, tmp_path: Path) -> None:
    result = audit(cli, fake, tmp_path)
    assert result.code == 2
    assert "--org, --user or --repo" in result.err


# Faults: the audit goes on, and says what it could not read ------------------------------------


def test_5xx_answers_are_retried(cli: Any, fake: FakeGitHub, tmp_path: Path) -> None:
    fake.add_synthetic_org("acme", 6, seed=2)
    fake.fail("GET", r"/rules/branches/", 500, times=3)
    fake.fail_graphql_timeout(times=2)
    result = audit(cli, fake, tmp_path, "--org", "acme", "--format", "json")
    assert result.code == 1, result.err
    assert all(status != "failed" for status, _ in statuses(result).values())


def test_a_batch_that_times_out_for_ever_is_split_until_one_repository_fails(
    cli: Any, fake: FakeGitHub, tmp_path: Path
) -> None:
    org = fake.add_synthetic_org("acme", 12, seed=2)
    victim = org.audited[3]
    fake.fail_repository(victim)  # every query that names it fails with a timeout
    result = audit(cli, fake, tmp_path, "--org", "acme", "--format", "json")
    assert result.code == 3
    seen = statuses(result)
    assert seen[victim][0] == "failed"
    assert "timeout" in str(seen[victim][1])
    others = [name for name in org.audited if name != victim]
    assert all(seen[name] == ("audited", None) for name in others if not org.repos[name].empty)
    # Its findings are missing; the others' are reported.
    assert {f["repository"] for f in result.json()["findings"]} >= {
        n for n in others if org.repos[n].unpinned_actions
    }


def test_a_repository_deleted_during_the_audit_fails_alone(
    cli: Any, fake: FakeGitHub, tmp_path: Path
) -> None:
    org = fake.add_synthetic_org("acme", 8, seed=5)
    victim = org.audited[-1]
    fake.delete_after(victim, requests=1)  # after the listing
    result = audit(cli, fake, tmp_path, "--org", "acme", "--format", "json")
    assert result.code == 3
    status, reason = statuses(result)[victim]
    assert status == "failed"
    assert reason


def test_a_secondary_rate_limit_is_waited_out(cli: Any, fake: FakeGitHub, tmp_path: Path) -> None:
    fake.add_synthetic_org("acme", 6, seed=2)
    fake.secondary_rate_limit(retry_after=1, after=2)
    started = time.monotonic()
    result = audit(cli, fake, tmp_path, "--org", "acme", "--format", "json")
    assert result.code == 1, result.err
    assert time.monotonic() - started >= 1.0
    assert fake.counters.secondary_limited >= 1
    assert all(status != "failed" for status, _ in statuses(result).values())


def _add_ruleset_repo(fake: FakeGitHub) -> None:
    ruleset = FakeRuleset(77, "protect main", strict_rules())
    fake.add_repo("acme/zz-protected", files={"README.md": "x"}, rulesets=[ruleset])


@pytest.mark.parametrize(
    ("resource", "graphql_type"),
    [("core", None), ("graphql", "RATE_LIMITED"), ("graphql", "RATE_LIMIT")],
)
def test_a_spent_budget_waits_for_its_reset(
    cli: Any, fake: FakeGitHub, tmp_path: Path, resource: str, graphql_type: str | None
) -> None:
    fake.add_synthetic_org("acme", 6, seed=2)
    _add_ruleset_repo(fake)  # its effective rules are asked over REST (the `core` budget)
    if graphql_type is not None:
        fake.graphql_rate_limit_type = graphql_type
    fake.exhaust(resource, reset_in=1.5)
    result = audit(cli, fake, tmp_path, "--org", "acme", "--format", "json")
    assert result.code == 1, result.err
    assert fake.counters.primary_limited >= 1
    assert all(status != "failed" for status, _ in statuses(result).values())


def test_waiting_longer_than_max_wait_fails_the_repositories_instead(
    cli: Any, fake: FakeGitHub, tmp_path: Path
) -> None:
    fake.add_synthetic_org("acme", 6, seed=2)
    _add_ruleset_repo(fake)
    fake.exhaust("core", reset_in=3600)
    result = audit(cli, fake, tmp_path, "--org", "acme", "--max-wait", "5", "--format", "json")
    assert result.code == 3
    failed = [reason for status, reason in statuses(result).values() if status == "failed"]
    assert failed
    assert all("--max-wait" in str(reason) for reason in failed)


def test_a_token_echoed_by_github_never_reaches_the_output(
    cli: Any, fake: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "ghp_SECRETSECRETSECRETSECRET0123456789"
    monkeypatch.setenv("GITHUB_TOKEN", secret)
    fake.echo_token = True
    fake.add_synthetic_org("acme", 3)
    result = audit(cli, fake, tmp_path, "--org", "acme", "--format", "json", "-o", "r.json")
    assert result.code == 2
    assert "401" in result.err
    assert secret not in result.out + result.err
    assert not (tmp_path / "r.json").exists()
    cache = tmp_path / "cache"
    for file in cache.rglob("*") if cache.exists() else ():
        assert secret.encode() not in file.read_bytes()


# Cost: frugal cold, nearly free warm -----------------------------------------------------------


def test_a_warm_reaudit_of_an_unchanged_org_costs_only_the_listing(
    cli: Any, fake: FakeGitHub, tmp_path: Path
) -> None:
    org = fake.add_synthetic_org("acme", 120, seed=7)
    cold = audit(cli, fake, tmp_path, "--org", "acme", "--format", "json")
    cold_cost = fake.counters.rate_limited_requests
    assert cold_cost / len(org.repos) <= 1.5
    warm = audit(cli, fake, tmp_path, "--org", "acme", "--format", "json")
    warm_cost = fake.counters.rate_limited_requests - cold_cost
    assert warm_cost / len(org.repos) <= 0.05
    assert fake.counters.not_modified > 0  # settings asked again, answered 304 for free
    assert warm.json()["findings"] == cold.json()["findings"]
    assert "repositories unchanged since the cached audit" in warm.err


def test_a_changed_repository_is_read_again(cli: Any, fake: FakeGitHub, tmp_path: Path) -> None:
    fake.add_repo("acme/app", files={".github/workflows/ci.yml": _workflow("actions/checkout@v4")})
    first = audit(cli, fake, tmp_path, "--repo", "acme/app", "--format", "json")
    assert [f["rule"] for f in first.json()["findings"] if f["rule"] == "PIN001"] == ["PIN001"]
    fake.repos["acme/app"].files[".github/workflows/ci.yml"] = _workflow(PINNED).encode()
    second = audit(cli, fake, tmp_path, "--repo", "acme/app", "--format", "json")
    assert "PIN001" not in {f["rule"] for f in second.json()["findings"]}


# Scale-out: shards, merge, resume --------------------------------------------------------------


def test_shards_merged_equal_the_whole_audit(cli: Any, fake: FakeGitHub, tmp_path: Path) -> None:
    fake.add_synthetic_org("acme", 30, seed=4)
    whole = audit(cli, fake, tmp_path, "--org", "acme", "--format", "json", "--no-cache")
    reports = []
    for shard in ("1/3", "2/3", "3/3"):
        path = tmp_path / f"shard-{shard[0]}.json"
        audit(cli, fake, tmp_path, "--org", "acme", "--shard", shard, "--format", "json",
              "-o", str(path), "--no-cache")  # fmt: skip
        reports.append(str(path))
    merged = cli("merge", *reports, "--format", "json", cwd=tmp_path)
    assert merged.code == whole.code == 1
    key = lambda f: (f["repository"], f["path"], f["line"] or 0, f["rule"], f["fingerprint"])  # noqa: E731
    assert sorted(merged.json()["findings"], key=key) == sorted(whole.json()["findings"], key=key)
    assert merged.json()["repositories"] == whole.json()["repositories"]


def test_merge_refuses_what_is_not_a_report(cli: Any, tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"some": "thing"}')
    result = cli("merge", "x.json", "missing.json", cwd=tmp_path)
    assert result.code == 2
    assert "x.json: not a repo-harden JSON report" in result.err


def test_merge_refuses_a_scan_report(cli: Any, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {".github/workflows/ci.yml": _workflow("a/b@v1")})
    scanned = cli("scan", "--format", "json", "-o", str(tmp_path / "scan.json"), cwd=repo)
    assert scanned.code == 1, scanned.err
    result = cli("merge", str(tmp_path / "scan.json"), cwd=tmp_path)
    assert (result.code, result.out) == (2, "")
    [line] = result.err.splitlines()
    assert "scan.json: not an audit report" in line


def _on_a_terminal(args: list[str], cwd: Path) -> tuple[int, bytes, str]:
    """`repo-harden ARGS` with its standard output on a terminal (a pty): the exit code,
    what the terminal showed, and standard error."""
    import pty

    main, terminal = pty.openpty()
    command = [sys.executable, "-m", "repo_harden", *args]
    process = subprocess.Popen(command, cwd=cwd, stdout=terminal, stderr=subprocess.PIPE)
    os.close(terminal)
    shown = b""
    while True:  # read as it writes: a pty holds a few kilobytes, the page is larger
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: the process is gone and the terminal closed
            break
        if not chunk:
            break
        shown += chunk
    os.close(main)
    assert process.stderr is not None
    err = process.stderr.read().decode()
    return process.wait(), shown, err


def test_merge_does_not_print_a_page_of_html_on_a_terminal(tmp_path: Path) -> None:
    audited = {"tool": "repo-harden", "version": "0.1.0", "findings": [], "repositories": []}
    (tmp_path / "a.json").write_text(json.dumps(audited))
    code, shown, err = _on_a_terminal(["merge", "a.json", "--format", "html"], tmp_path)
    assert (code, shown) == (2, b"")
    assert err == (
        "repo-harden: error: --format html writes a web page: give -o FILE "
        "(`-o -` writes it to standard output)\n"
    )
    code, shown, _ = _on_a_terminal(["merge", "a.json", "--format", "html", "-o", "-"], tmp_path)
    assert code == 0 and shown.startswith(b"<!DOCTYPE html>")


def test_an_interrupted_audit_resumes_where_it_stopped(
    cli: Any, fake: FakeGitHub, tmp_path: Path
) -> None:
    org = fake.add_synthetic_org("acme", 150, seed=8)
    fake.delay = 0.02
    cache = tmp_path / "cache"
    command = [
        sys.executable, "-m", "repo_harden", "audit", "--org", "acme", "--api-url", fake.url,
        "--cache-dir", str(cache), "--format", "json", "--concurrency", "4",
    ]  # fmt: skip
    env = {**os.environ, "GITHUB_TOKEN": TOKEN}
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    database = next(iter(cache.glob("*.sqlite3")), None) if cache.exists() else None
    stored = 0
    deadline = time.monotonic() + 60
    while stored == 0 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
        database = next(iter(cache.glob("*.sqlite3")), None) if cache.exists() else None
        if database is not None:
            stored = _stored_results(database)
    process.kill()  # SIGKILL: no clean-up runs
    process.wait()
    assert 0 < stored < len(org.audited), "the kill should land mid-audit"
    fake.delay = 0
    before = fake.counters.rate_limited_requests
    resumed = audit(cli, fake, tmp_path, "--org", "acme", "--format", "json")
    assert resumed.code in (0, 1), resumed.err
    assert sorted(statuses(resumed)) == org.names()
    reused = int(resumed.err.split("; ")[-1].split()[0])
    assert reused >= stored
    (tmp_path / "fresh").mkdir()
    fresh = audit(cli, fake, tmp_path / "fresh", "--org", "acme", "--format", "json", "--no-cache")
    assert resumed.json()["findings"] == fresh.json()["findings"]
    assert fake.counters.rate_limited_requests - before > 0


def test_an_audit_holds_no_finding_in_memory_as_it_goes(
    cli: Any, fake: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its memory must not grow with the organization: each repository's findings go to
    disk as it finishes, and the report reads them back one at a time. Counted, not timed:
    the `Reported` objects alive after each listing page, beyond those alive before, and
    the rulesets kept (a quarter of the repositories have their own, no other reads them)."""
    from repo_harden.audit import runner
    from repo_harden.engine.policy import Reported

    fake.add_synthetic_org("acme", 230, seed=4)  # three listing pages

    def alive() -> int:
        gc.collect()
        return sum(isinstance(thing, Reported) for thing in gc.get_objects())

    counted: dict[str, list[int]] = {"pages": [], "spooled": [], "rulesets": []}
    run, finish_page = runner.Audit.run, runner.Audit._finish_page

    def counting_run(self: runner.Audit) -> runner.AuditResult:
        counted["before"] = [alive()]
        return run(self)

    def counting_finish_page(self: runner.Audit, page: Any) -> None:
        finish_page(self, page)
        counted["pages"].append(alive() - counted["before"][0])
        counted["spooled"].append(len(self.result.reported))
        counted["rulesets"].append(len(self._api._rulesets))  # a repository's own: read, gone

    monkeypatch.setattr(runner.Audit, "run", counting_run)
    monkeypatch.setattr(runner.Audit, "_finish_page", counting_finish_page)
    result = audit(cli, fake, tmp_path, "--org", "acme", "--format", "json")
    assert result.code == 1, result.err
    assert len(counted["pages"]) == 3
    assert counted["pages"] == [0, 0, 0]
    assert counted["rulesets"] == [0, 0, 0]
    assert 0 < counted["spooled"][0] < counted["spooled"][-1] == len(result.json()["findings"])


def _stored_results(database: Path) -> int:
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1) as db:
            row = db.execute("SELECT count(*) FROM results").fetchone()
    except sqlite3.Error:
        return 0
    return int(row[0])


# Authentication ------------------------------------------------------------------------------


def test_a_github_app_installation_audits(
    cli: Any, fake: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pem, public = app_key()
    fake.add_app(4242, public, {77: "admin"})
    (tmp_path / "app.pem").write_bytes(pem)
    monkeypatch.delenv("GITHUB_TOKEN")
    fake.add_synthetic_org("acme", 5, seed=1)
    result = audit(
        cli, fake, tmp_path, "--org", "acme", "--app-id", "4242", "--app-key", "app.pem",
        "--installation-id", "77", "--format", "json",
    )  # fmt: skip
    assert result.code in (0, 1), result.err
    assert fake.counters.app_tokens == 1
    assert statuses(result)
    assert "PRIVATE KEY" not in result.out + result.err
    # Installation tokens expire: a long audit renews them, and redacts each new one.
    fake.installation_token_ttl = 20  # PyGithub renews a token 20 s before it expires
    (tmp_path / "renew").mkdir()
    again = audit(
        cli, fake, tmp_path / "renew", "--org", "acme", "--app-id", "4242", "--app-key",
        str(tmp_path / "app.pem"), "--installation-id", "77", "--format", "json", "--no-cache",
    )  # fmt: skip
    assert again.code in (0, 1), again.err
    assert fake.counters.app_tokens > 2
    issued = [token for token in fake.tokens if token.startswith("ghs_")]
    assert issued
    assert REDACTOR("\n".join(issued)).count("***") == len(issued)


def app_key() -> tuple[bytes, bytes]:
    """A new App's private key and public key, in PEM."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem, public


def test_app_tokens_renewed_by_many_threads_at_once_are_each_redacted(fake: FakeGitHub) -> None:
    """PyGithub's renewal is not thread-safe: threads that found the token due at once each
    made one, and the ones dropped were never learnt by the redactor (a test above failed
    now and then under load). Renewals now run one at a time, each token learnt as made."""
    from concurrent.futures import ThreadPoolExecutor

    from github import Github

    from repo_harden.github.app_auth import installation_auth

    pem, public = app_key()
    fake.add_app(4243, public, {78: "admin"})
    fake.installation_token_ttl = 20  # PyGithub renews 20 s before expiry: every use renews
    auth = installation_auth(4243, pem.decode(), 78)
    Github(auth=auth, base_url=fake.url)  # binds the App's requester to the fake
    with ThreadPoolExecutor(max_workers=8) as pool:
        used = set(pool.map(lambda _: auth.token, range(32)))
    issued = [token for token in fake.tokens if token.startswith("ghs_")]
    assert len(issued) == 32  # each use made one, none was lost between threads
    assert used == set(issued)
    assert REDACTOR("\n".join(issued)).count("***") == len(issued)


def test_an_app_needs_all_three_options(cli: Any, fake: FakeGitHub, tmp_path: Path) -> None:
    result = audit(cli, fake, tmp_path, "--org", "acme", "--app-id", "1")
    assert result.code == 2
    assert "--app-id, --app-key and --installation-id" in result.err


def test_no_token_is_a_clear_error(
    cli: Any, fake: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    result = audit(cli, fake, tmp_path, "--org", "acme")
    assert result.code == 2
    assert "GITHUB_TOKEN or GH_TOKEN" in result.err


def test_github_enterprise_server_paths(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    with FakeGitHub(prefix="/api/v3") as ghes:
        ghes.add_synthetic_org("acme", 4, seed=1)
        result = audit(cli, ghes, tmp_path, "--org", "acme", "--format", "json")
        assert result.code in (0, 1), result.err
        assert statuses(result)
        assert not ghes.graphql_invalid


def test_json_report_fields(cli: Any, fake: FakeGitHub, tmp_path: Path) -> None:
    fake.add_repo("acme/app", files={".github/workflows/ci.yml": _workflow("actions/checkout@v4")})
    document = json.loads(audit(cli, fake, tmp_path, "--repo", "acme/app", "--format", "json").out)
    finding = next(f for f in document["findings"] if f["rule"] == "PIN001")
    assert set(finding) == {
        "rule", "name", "severity", "path", "line", "column", "message", "fingerprint",
        "repository",
    }  # fmt: skip
    assert finding["repository"] == "acme/app"
    assert finding["path"] == ".github/workflows/ci.yml"
    [repository] = document["repositories"]
    assert repository == {
        "name": "acme/app",
        "status": "audited",
        "reason": None,
        "head": fake.repos["acme/app"].git().commit_oid,  # type: ignore[union-attr]
        "url": "https://github.example/acme/app",
    }
    assert document["exceptions"] == []
    assert document["selected_rules"][:2] == ["RH000", "RH001"]


# Progress ------------------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_drawn_on_a_terminal_and_not_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    from repo_harden.audit.runner import AuditResult
    from repo_harden.audit.transport import Stats
    from repo_harden.commands.audit import TerminalProgress, show_progress
    from repo_harden.engine.records import RepositoryStatus

    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert show_progress(Terminal())
    assert not show_progress(io.StringIO())
    monkeypatch.setenv("CI", "true")
    assert not show_progress(Terminal())
    screen = Terminal()
    progress = TerminalProgress(screen)
    result = AuditResult(repositories=[RepositoryStatus("a/b", "audited")])
    stats = Stats()
    stats.add("graphql", 3)
    stats.add("rest")
    progress.update(result, stats, rate_left=4321)
    assert screen.getvalue().startswith("\r\x1b[K")
    assert "1 repositories done (0 failed), 2 requests, rate limit left 4321" in screen.getvalue()
    progress.finish()
    assert screen.getvalue().endswith("\r\x1b[K")


@pytest.mark.parametrize("value", ["0", "101"])
def test_concurrency_is_bounded(cli: Any, fake: FakeGitHub, tmp_path: Path, value: str) -> None:
    result = audit(cli, fake, tmp_path, "--org", "acme", "--concurrency", value)
    assert result.code == 2
    assert "--concurrency: between 1 and 100" in result.err


def test_a_repository_named_twice_is_audited_once(
    cli: Any, fake: FakeGitHub, tmp_path: Path
) -> None:
    org = fake.add_synthetic_org("acme", 5, seed=1)
    named = org.audited[0]
    result = audit(cli, fake, tmp_path, "--org", "acme", "--repo", named, "--format", "json")
    names = [repo["name"] for repo in result.json()["repositories"]]
    assert sorted(names) == org.names()


def test_an_audit_with_a_token_never_imports_pygithub(fake: FakeGitHub, tmp_path: Path) -> None:
    """PyGithub is a fifth of a second of imports; only a GitHub App's credentials need it."""
    from tests.conftest import modules_after

    fake.add_repo("acme/api", files={".github/workflows/ci.yml": "on: push\njobs: {}\n"})
    call = (
        "from repo_harden.cli import main; print(main(['audit', '--org', 'acme', '--api-url', "
        f"{fake.url!r}, '--cache-dir', {str(tmp_path / 'cache')!r}, '--format', 'json']))"
    )
    printed, imported = modules_after(tmp_path, call)
    assert json.loads(printed.rsplit("\n", 1)[0])["repositories"][0]["name"] == "acme/api"
    assert printed.rsplit("\n", 1)[1] in ("0", "1")
    assert "repo_harden.audit.transport" in imported
    assert not {"github", "github.Auth", "jwt"} & imported
