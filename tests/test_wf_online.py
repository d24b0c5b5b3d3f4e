"""WF001 with the real default token, and WF101-WF104, online: `scan --online` and `audit`,
PyGithub over HTTP to the fake GitHub, whose every answer is checked against GitHub's
OpenAPI description. The organization's policies bind its repositories as GitHub's do;
what the token cannot read is a note naming the permission."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_repo
from tests.fake_github import (
    ADMIN,
    READ,
    FakeActions,
    FakeGitHub,
    Token,
    assert_github_shapes,
)

ADMIN_TOKEN = "ghp_admin0123456789abcdefghijklmnopqrstu"
PAT_TOKEN = "ghp_reader0123456789abcdefghijklmnopqrst"  # reads the repository, nothing more
REPO_ADMIN = "ghp_repoadmin0123456789abcdefghijklmnop"  # administers repositories, not the org
TOKENS = {
    ADMIN_TOKEN: Token(ADMIN),
    PAT_TOKEN: Token(READ, 404),
    REPO_ADMIN: Token(ADMIN, org_owner=False),
}
WF = ".github/workflows/ci.yml"
NO_PERMISSIONS = (
    "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n"
)
HARDENED = FakeActions(
    allowed_actions="selected",
    patterns_allowed=["actions/*"],
    sha_pinning_required=True,
    approval_policy="all_external_contributors",
)


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub(TOKENS) as fake:
        yield fake
    assert_github_shapes(fake)


def scan(
    cli: Any,
    github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    repo: Path,
    select: str,
    *,
    token: str = ADMIN_TOKEN,
) -> list[dict[str, Any]]:
    monkeypatch.delenv("GH_TOKEN", raising=False)
    monkeypatch.setenv("GITHUB_TOKEN", token)
    result = cli(
        "scan", "--online", "--repo", "acme/app", "--api-url", github.url, "--format", "json",
        "--select", select, cwd=repo,
    )  # fmt: skip
    assert result.code in (0, 1), result.err
    findings: list[dict[str, Any]] = result.json()["findings"]
    return findings


def checkout(tmp_path: Path, workflow: str = NO_PERMISSIONS) -> Path:
    return make_repo(tmp_path / "app", {WF: workflow})


def rules(findings: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(f["rule"], f["severity"]) for f in findings]


# WF001 with the real default --------------------------------------------------------------


def test_a_read_only_default_makes_a_missing_block_a_note(
    cli: Any, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    github.add_repo("acme/app")  # the organization's defaults: read-only, no approvals
    found = scan(cli, github, monkeypatch, checkout(tmp_path), "WF001")
    assert rules(found) == [("WF001", "note")]
    assert "read-only here (the organization `acme`)" in found[0]["message"]


def test_a_read_write_default_is_named_in_the_error(
    cli: Any, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    github.actions_of("acme").default_workflow_permissions = "write"
    github.add_repo("acme/app", actions=FakeActions(default_workflow_permissions="write"))
    found = scan(cli, github, monkeypatch, checkout(tmp_path), "WF001")
    assert rules(found) == [("WF001", "error")]
    assert "read and write on every scope (the repository)" in found[0]["message"]


def test_an_unknown_default_is_judged_as_offline(
    cli: Any, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    github.actions_of("acme").default_workflow_permissions = "write"
    github.add_repo("acme/app")
    found = scan(cli, github, monkeypatch, checkout(tmp_path), "WF001", token=PAT_TOKEN)
    assert rules(found) == [("WF001", "error")]
    assert "unless the repository or its organization restricts them" in found[0]["message"]


# WF101-WF104 ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SettingsCase:
    """An organization's policies, a repository's settings, and the codes reported."""

    name: str
    organization: FakeActions
    repository: FakeActions
    private: bool
    expected: list[str]


SETTINGS_CASES = [
    SettingsCase(
        "hardened organization",
        HARDENED,
        FakeActions(approval_policy="all_external_contributors"),
        False,
        [],
    ),
    SettingsCase(
        "a repository's own fork approval overrides its organization's",
        HARDENED,
        FakeActions(),
        False,
        ["WF104"],
    ),
    SettingsCase(
        "GitHub's defaults: every action, no pinning, first-time contributors",
        FakeActions(),
        FakeActions(),
        False,
        ["WF103", "WF103", "WF104"],
    ),
    SettingsCase(
        "read-write token and approvals, allowed by the organization",
        FakeActions(default_workflow_permissions="write", can_approve_pull_request_reviews=True),
        FakeActions(default_workflow_permissions="write", can_approve_pull_request_reviews=True),
        False,
        ["WF101", "WF102", "WF103", "WF103", "WF104"],
    ),
    SettingsCase(
        "a repository stricter than its organization",
        FakeActions(default_workflow_permissions="write"),
        FakeActions(
            allowed_actions="local_only",
            sha_pinning_required=True,
            approval_policy="all_external_contributors",
        ),
        False,
        [],
    ),
    SettingsCase(
        "an allow-list that lets everything through",
        FakeActions(allowed_actions="selected", patterns_allowed=["*"], sha_pinning_required=True),
        FakeActions(approval_policy="all_external_contributors"),
        False,
        ["WF103"],
    ),
    SettingsCase(
        "a server that offers no pinning policy",
        FakeActions(
            allowed_actions="selected", patterns_allowed=["acme/*"], sha_pinning_required=None
        ),
        FakeActions(approval_policy="all_external_contributors", sha_pinning_required=None),
        False,
        [],
    ),
    SettingsCase(
        "a private repository whose fork pull requests run unapproved with secrets",
        HARDENED,
        FakeActions(
            run_workflows_from_fork_pull_requests=True,
            require_approval_for_fork_pr_workflows=False,
            send_secrets_and_variables=True,
        ),
        True,
        [],  # the organization does not let fork pull requests of private repositories run
    ),
    SettingsCase(
        "the same where the organization lets them run",
        FakeActions(
            allowed_actions="selected",
            patterns_allowed=["actions/*"],
            sha_pinning_required=True,
            run_workflows_from_fork_pull_requests=True,
        ),
        FakeActions(
            run_workflows_from_fork_pull_requests=True,
            require_approval_for_fork_pr_workflows=False,
            send_secrets_and_variables=True,
        ),
        True,
        ["WF104"],
    ),
]


@pytest.mark.parametrize("case", SETTINGS_CASES, ids=lambda case: case.name)
def test_actions_settings(
    cli: Any,
    github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    case: SettingsCase,
) -> None:
    github.org_actions["acme"] = case.organization
    github.add_repo("acme/app", actions=case.repository, private=case.private)
    found = scan(cli, github, monkeypatch, checkout(tmp_path), "WF1")
    assert sorted(f["rule"] for f in found) == case.expected
    assert all(f["path"] == "" and f["severity"] == "warning" for f in found)


def test_messages_say_who_set_it_and_where_to_change_it(
    cli: Any, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    github.actions_of("acme").default_workflow_permissions = "write"
    github.actions_of("acme").can_approve_pull_request_reviews = True
    github.add_repo(
        "acme/app",
        actions=FakeActions(
            default_workflow_permissions="write",
            can_approve_pull_request_reviews=True,
            approval_policy="first_time_contributors_new_to_github",
        ),
    )
    found = scan(cli, github, monkeypatch, checkout(tmp_path), "WF1")
    messages = {f["rule"]: f["message"] for f in found}
    assert "read and write `GITHUB_TOKEN` by default (set by the repository)" in messages["WF101"]
    assert "Settings, Actions, General, Workflow permissions" in messages["WF101"]
    assert "may create and approve pull requests" in messages["WF102"]
    assert "only from accounts new to GitHub" in messages["WF104"]


def test_what_the_token_cannot_read_is_a_note_naming_the_permission(
    cli: Any, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    github.add_repo("acme/app")
    found = scan(cli, github, monkeypatch, checkout(tmp_path), "WF1", token=PAT_TOKEN)
    assert sorted(rules(found)) == [
        ("WF101", "note"),
        ("WF102", "note"),
        ("WF103", "note"),
        ("WF104", "note"),
    ]
    for finding in found:
        assert finding["message"].startswith("not judged: ")
        assert '"Administration" repository permission, read' in finding["message"]


def test_a_repository_admin_who_cannot_read_the_organization(
    cli: Any, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    github.org_actions["acme"] = HARDENED
    github.add_repo("acme/app", actions=FakeActions(approval_policy="all_external_contributors"))
    found = scan(cli, github, monkeypatch, checkout(tmp_path), "WF1", token=REPO_ADMIN)
    assert found == []  # the repository's own answers, bound by the organization, suffice
    asked = {exchange.template for exchange in github.exchanges}
    assert "/repos/{owner}/{repo}/actions/permissions" in asked


def test_a_repository_without_workflows_is_not_judged(
    cli: Any, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    github.actions_of("acme").default_workflow_permissions = "write"
    github.add_repo("acme/app", actions=FakeActions(default_workflow_permissions="write"))
    repo = make_repo(tmp_path / "app", {"README.md": "# app\n"})
    assert scan(cli, github, monkeypatch, repo, "WF1") == []


def test_a_user_repository_has_no_organization_to_ask(
    cli: Any, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    github.add_user("octo")
    github.add_repo("octo/app", actions=FakeActions(default_workflow_permissions="write"))
    monkeypatch.setenv("GITHUB_TOKEN", ADMIN_TOKEN)
    result = cli(
        "scan", "--online", "--repo", "octo/app", "--api-url", github.url, "--format", "json",
        "--select", "WF101", cwd=checkout(tmp_path),
    )  # fmt: skip
    assert [f["rule"] for f in result.json()["findings"]] == ["WF101"]
    assert not any(e.path.startswith("/orgs/") for e in github.exchanges)


# The audit ----------------------------------------------------------------------------------


def audit(cli: Any, github: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("GITHUB_TOKEN", ADMIN_TOKEN)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    result = cli(
        "audit", "--org", "acme", "--api-url", github.url, "--no-cache", "--format", "json",
        "--select", "WF", cwd=tmp_path,
    )  # fmt: skip
    assert result.code in (0, 1), result.err
    return result


def asked(github: FakeGitHub, template: str) -> list[str]:
    return [e.path for e in github.exchanges if e.template == template]


def test_audit_asks_the_organization_once_and_each_repository_only_what_is_open(
    cli: Any, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    github.org_actions["acme"] = HARDENED
    for name in ("api", "web"):
        github.add_repo(f"acme/{name}", files={WF: NO_PERMISSIONS})
    github.add_repo("acme/docs", files={"README.md": "# docs\n"})  # no workflows
    github.add_repo("acme/secret", files={WF: NO_PERMISSIONS}, private=True)
    result = audit(cli, github, tmp_path, monkeypatch)
    assert len(asked(github, "/orgs/{org}/actions/permissions")) == 1
    assert len(asked(github, "/orgs/{org}/actions/permissions/workflow")) == 1
    # settled by the organization: no repository is asked its token or its actions
    assert asked(github, "/repos/{owner}/{repo}/actions/permissions") == []
    assert asked(github, "/repos/{owner}/{repo}/actions/permissions/workflow") == []
    # a public repository's fork approval is its own (it overrides the organization's)
    assert sorted(
        asked(github, "/repos/{owner}/{repo}/actions/permissions/fork-pr-contributor-approval")
    ) == [
        "/repos/acme/api/actions/permissions/fork-pr-contributor-approval",
        "/repos/acme/web/actions/permissions/fork-pr-contributor-approval",
    ]
    by_repository = {(f["repository"], f["rule"], f["severity"]) for f in result.json()["findings"]}
    assert by_repository == {
        ("acme/api", "WF001", "note"),
        ("acme/web", "WF001", "note"),
        ("acme/secret", "WF001", "note"),
        ("acme/api", "WF104", "warning"),
        ("acme/web", "WF104", "warning"),
    }


def test_audit_asks_repositories_what_a_permissive_organization_leaves_open(
    cli: Any, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    github.actions_of("acme").default_workflow_permissions = "write"
    github.add_repo("acme/api", files={WF: NO_PERMISSIONS}, private=True)
    github.add_repo(
        "acme/web",
        files={WF: NO_PERMISSIONS},
        private=True,
        actions=FakeActions(default_workflow_permissions="write"),
    )
    result = audit(cli, github, tmp_path, monkeypatch)
    assert len(asked(github, "/repos/{owner}/{repo}/actions/permissions/workflow")) == 2
    found = {(f["repository"], f["rule"], f["severity"]) for f in result.json()["findings"]}
    assert ("acme/api", "WF001", "note") in found  # the repository chose read-only
    assert ("acme/web", "WF001", "error") in found
    assert ("acme/web", "WF101", "warning") in found
    assert ("acme/api", "WF101", "warning") not in found


def test_audit_asks_no_repository_the_token_cannot_administer(
    cli: Any, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    github.tokens[ADMIN_TOKEN] = Token(READ, 404)
    github.add_repo("acme/api", files={WF: NO_PERMISSIONS})
    result = audit(cli, github, tmp_path, monkeypatch)
    assert not any(
        "/actions/permissions" in e.path for e in github.exchanges if e.path.startswith("/repos/")
    )
    notes = [f for f in result.json()["findings"] if f["rule"].startswith("WF1")]
    assert notes and all(f["severity"] == "note" for f in notes)
    assert all("GitHub shows it only to repository admins" in f["message"] for f in notes)


SETTINGS_RULES = "WF101,WF102,WF103,WF104"
WORKFLOW_RULES = "WF001,WF002,WF003,WF004,WF005"
# a private repository under an organization that lets no fork pull request run: its
# allowed actions and its token's defaults
ALL_OF_IT = ["actions/permissions", "actions/permissions/workflow"]


TOKEN = "actions/permissions/workflow"
WF001_ERROR = ("WF001", "error")  # the token's write default, read from the repository


@pytest.mark.parametrize(
    ("chosen", "asks", "found"),
    [
        (["--select", "PIN,LCK,BP,OWN,DL"], [], set()),
        (["--select", "WF101"], ALL_OF_IT, {("WF101", "warning")}),
        (["--select", "WF001"], [TOKEN], {WF001_ERROR}),
        ([], ALL_OF_IT, {WF001_ERROR, ("WF101", "warning"), ("WF103", "warning")}),
        # WF101-WF104 off: only the token's defaults, which the workflow rules read
        (["--ignore", SETTINGS_RULES], [TOKEN], {WF001_ERROR}),
        (["--ignore", f"{SETTINGS_RULES},{WORKFLOW_RULES}"], [], set()),
        # a prefix: a repository's config may select a whole code, which wins over it
        (["--ignore", "WF"], ALL_OF_IT, set()),
    ],
)
def test_audit_asks_actions_settings_only_when_a_rule_that_reads_them_may_run(
    cli: Any,
    github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    *,
    chosen: list[str],
    asks: list[str],
    found: set[tuple[str, str]],
) -> None:
    """The Actions settings cost REST requests for each repository (GraphQL has none): an
    audit asks what the rules that may run read, and no more."""
    github.actions_of("acme").default_workflow_permissions = "write"
    github.add_repo(
        "acme/api",
        files={WF: NO_PERMISSIONS},
        private=True,
        actions=FakeActions(default_workflow_permissions="write"),
    )
    monkeypatch.setenv("GITHUB_TOKEN", ADMIN_TOKEN)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    result = cli(
        "audit", "--org", "acme", "--api-url", github.url, "--no-cache", "--format", "json",
        *chosen, cwd=tmp_path,
    )  # fmt: skip
    assert result.code in (0, 1), result.err
    prefix = "/repos/acme/api/"
    repository_asks = sorted(
        e.path.removeprefix(prefix) for e in github.exchanges if e.path.startswith(prefix)
        and "/actions/" in e.path
    )  # fmt: skip
    assert repository_asks == asks
    findings = result.json()["findings"]
    assert {(f["rule"], f["severity"]) for f in findings if f["rule"].startswith("WF")} == found
