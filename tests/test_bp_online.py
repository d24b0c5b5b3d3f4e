"""`repo-harden scan --online`: the real CLI, PyGithub talking HTTP to the fake GitHub on
loopback, whose every response is checked against GitHub's OpenAPI description.
Live protection (classic, rulesets, both, unreadable), drift, errors and the token."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import git, make_repo
from tests.fake_github import (
    ADMIN,
    READ,
    FakeGitHub,
    FakeRepo,
    FakeRuleset,
    Token,
    assert_github_shapes,
    classic_protection,
    pull_request_rule,
    strict_rules,
)

ADMIN_TOKEN = "ghp_admin0123456789abcdefghijklmnopqrstu"
PAT_TOKEN = "ghp_reader0123456789abcdefghijklmnopqrst"  # no admin: protection is a 404
APP_TOKEN = "ghs_app0123456789abcdefghijklmnopqrstuvw"  # no admin: protection is a 403
TOKENS = {ADMIN_TOKEN: Token(ADMIN), PAT_TOKEN: Token(READ, 404), APP_TOKEN: Token(READ, 403)}
OWNERS = {".github/CODEOWNERS": "* @acme/developers\n"}
ADMIN_ROLE = {"actor_id": 5, "actor_type": "RepositoryRole", "bypass_mode": "always"}
Located = list[tuple[str, str]]


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub(TOKENS) as fake:
        yield fake
    assert_github_shapes(fake)


@pytest.fixture
def online(cli: Any, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> Any:
    """`repo-harden scan --online --api-url FAKE ARGS` with a token in the environment."""

    def run(repo: Path, *args: str, token: str | None = ADMIN_TOKEN) -> Any:
        for name in ("GITHUB_TOKEN", "GH_TOKEN"):
            monkeypatch.delenv(name, raising=False)
        if token is not None:
            monkeypatch.setenv("GITHUB_TOKEN", token)
        return cli("scan", "--online", "--api-url", github.url, *args, cwd=repo)

    return run


def findings(result: Any) -> Located:
    assert result.code in (0, 1), result.err
    return [(f["rule"], f["path"]) for f in result.json()["findings"]]


def messages(result: Any) -> dict[str, str]:
    return {f["rule"]: f["message"] for f in result.json()["findings"]}


Setup = Callable[[FakeRepo], None]


def classic_only(**options: Any) -> Setup:
    def setup(repo: FakeRepo) -> None:
        repo.classic = classic_protection(**options)

    return setup


def rulesets(*sets: FakeRuleset, classic: dict[str, Any] | None = None) -> Setup:
    def setup(repo: FakeRepo) -> None:
        repo.rulesets = list(sets)
        repo.classic = classic_protection(**classic) if classic is not None else None

    return setup


def nothing(repo: FakeRepo) -> None:
    pass


LIVE_CASES: list[tuple[str, Setup, str, Located]] = [
    ("classic protection on", classic_only(), ADMIN_TOKEN, []),
    ("classic protection off: 404 Branch not protected", nothing, ADMIN_TOKEN, [("BP001", "")]),
    ("forbidden for a token without admin (404)", classic_only(), PAT_TOKEN, [("BP012", "")]),
    ("forbidden for an app without admin (403)", nothing, APP_TOKEN, [("BP012", "")]),
    (
        "weak classic protection",
        classic_only(
            approvals=0, force_pushes=True, deletions=True, dismiss_stale=False, contexts=()
        ),
        ADMIN_TOKEN,
        [("BP002", ""), ("BP003", ""), ("BP004", ""), ("BP006", ""), ("BP008", "")],
    ),
    (
        "no approvals count: GitHub's default, 1",
        classic_only(approvals=None),
        ADMIN_TOKEN,
        [],
    ),
    (
        "admins exempt and a user who may skip reviews",
        classic_only(enforce_admins=False, bypass_users=["octocat"]),
        ADMIN_TOKEN,
        [("BP007", ""), ("BP007", "")],
    ),
    (
        "an active ruleset",
        rulesets(FakeRuleset(7, "protect main", strict_rules())),
        ADMIN_TOKEN,
        [],
    ),
    (
        "an active ruleset, read by a token without admin",
        rulesets(FakeRuleset(7, "protect main", strict_rules())),
        PAT_TOKEN,
        [("BP012", ""), ("BP012", "")],
    ),
    (
        "an evaluate-only ruleset",
        rulesets(FakeRuleset(7, "trial", strict_rules(), enforcement="evaluate")),
        ADMIN_TOKEN,
        [("BP001", "")],
    ),
    (
        "a ruleset with a bypass actor",
        rulesets(FakeRuleset(7, "protect main", strict_rules(), bypass_actors=[ADMIN_ROLE])),
        ADMIN_TOKEN,
        [("BP007", "")],
    ),
    (
        "an organization ruleset whose details are hidden",
        rulesets(
            FakeRuleset(
                9,
                "org baseline",
                strict_rules(),
                source_type="Organization",
                source="acme",
                readable=False,
            )
        ),
        ADMIN_TOKEN,
        [("BP012", "")],
    ),
    (
        "both kinds at once: the strictest wins",
        rulesets(
            FakeRuleset(7, "protect main", strict_rules(approvals=2)),
            classic={"approvals": 0, "force_pushes": True, "deletions": True, "contexts": ()},
        ),
        ADMIN_TOKEN,
        [],
    ),
    (
        "both kinds at once, both weak",
        rulesets(
            FakeRuleset(7, "reviews", [pull_request_rule(0, last_push=False)]),
            classic={"approvals": 0, "last_push": False, "contexts": ()},
        ),
        ADMIN_TOKEN,
        [("BP002", ""), ("BP008", ""), ("BP009", "")],
    ),
]


@pytest.mark.parametrize(
    ("setup", "token", "expected"),
    [case[1:] for case in LIVE_CASES],
    ids=[case[0] for case in LIVE_CASES],
)
def test_live_protection(
    online: Any, github: FakeGitHub, tmp_path: Path, *, setup: Setup, token: str, expected: Located
) -> None:
    setup(github.add_repo("acme/api"))
    repo = make_repo(tmp_path / "repo", OWNERS)
    result = online(repo, "--repo", "acme/api", "--select", "BP", "--format", "json", token=token)
    assert findings(result) == expected
    assert token not in result.out + result.err


def test_messages_name_the_setting_value_and_source(
    online: Any, github: FakeGitHub, tmp_path: Path
) -> None:
    github.add_repo(
        "acme/api",
        classic=classic_protection(approvals=0, enforce_admins=False),
        rulesets=[FakeRuleset(7, "protect main", strict_rules(), bypass_actors=[ADMIN_ROLE])],
    ).rulesets[0].rules.pop(2)  # no pull_request rule in the ruleset
    repo = make_repo(tmp_path / "repo", OWNERS)
    result = online(repo, "--repo", "acme/api", "--select", "BP", "--format", "json")
    found = result.json()["findings"]
    text = [f["message"] for f in found]
    assert (
        "the default branch `main` requires 0 approvals (`required_approving_review_count: 0` "
        "in classic branch protection; no `pull_request` rule in ruleset `protect main`); the "
        "policy requires 1 approval (minimum-approvals)"
    ) in text
    assert (
        "the default branch `main` exempts admins from classic protection (`enforce_admins: "
        "false` in classic branch protection); enforce it on admins (`enforce_admins: true`)"
    ) in text
    assert any(
        m.startswith("RepositoryRole 5 (admin) may bypass ruleset `protect main`") for m in text
    )
    assert all(f["line"] is None and f["path"] == "" for f in found)


def test_unknown_protection_is_a_note_with_the_missing_permission(
    online: Any, github: FakeGitHub, tmp_path: Path
) -> None:
    github.add_repo("acme/api")
    repo = make_repo(tmp_path / "repo", OWNERS)
    result = online(repo, "--repo", "acme/api", "--select", "BP", token=APP_TOKEN)
    assert result.code == 0  # a note does not fail the run: unknown is not a failure
    assert "BP012 not judged: classic branch protection of `main` could not be read " in result.out
    assert "(HTTP 403 Resource not accessible by integration)" in result.out
    assert '"Administration" repository permission, read' in result.out
    assert "BP001" not in result.out


def test_evaluate_ruleset_is_named_in_the_unprotected_finding(
    online: Any, github: FakeGitHub, tmp_path: Path
) -> None:
    github.add_repo("acme/api", rulesets=[FakeRuleset(7, "trial", enforcement="evaluate")])
    repo = make_repo(tmp_path / "repo", OWNERS)
    result = online(repo, "--repo", "acme/api", "--select", "BP", "--format", "json")
    assert messages(result)["BP001"] == (
        "the repository has no protection on the default branch `main`: no classic branch "
        "protection and no active ruleset covers it; ruleset `trial` targets it but is in "
        "`evaluate` mode, which protects nothing; anyone with write access can push to it, "
        "force-push or delete it. Add a ruleset that targets `~DEFAULT_BRANCH`"
    )


DECLARED = """\
branches:
  - name: main
    protection:
      required_pull_request_reviews:
        required_approving_review_count: 2
        dismiss_stale_reviews: true
        require_code_owner_reviews: true
        require_last_push_approval: true
      required_status_checks:
        strict: true
        contexts: [test]
      enforce_admins: true
"""


def test_drift_between_declared_and_live(online: Any, github: FakeGitHub, tmp_path: Path) -> None:
    github.add_repo("acme/api", classic=classic_protection(approvals=1, force_pushes=True))
    repo = make_repo(tmp_path / "repo", {".github/settings.yml": DECLARED, **OWNERS})
    result = online(repo, "--repo", "acme/api", "--select", "BP", "--format", "json")
    located = [(f["rule"], f["path"], f["line"]) for f in result.json()["findings"]]
    assert located == [
        ("BP003", "", None),
        ("BP011", ".github/settings.yml", 4),
        ("BP011", ".github/settings.yml", 5),
    ]
    drift = [f["message"] for f in result.json()["findings"] if f["rule"] == "BP011"]
    assert drift[1] == (
        "required approvals of the default branch `main` is 2 in .github/settings.yml "
        "(`required_approving_review_count: 2` in classic branch protection) but 1 live "
        "(`required_approving_review_count: 1` in classic branch protection); apply the file "
        "again, or change it"
    )
    assert drift[0].startswith("block force pushes of the default branch `main` is on in ")

    github.repos["acme/api"].classic = classic_protection(approvals=2)
    assert findings(online(repo, "--repo", "acme/api", "--select", "BP", "--format", "json")) == []


DECLARED_RULESET = """\
rulesets:
  - name: protect main
    target: branch
    enforcement: active
    bypass_actors: []
    conditions:
      ref_name: {include: ["~DEFAULT_BRANCH"], exclude: []}
    rules:
      - type: deletion
      - type: non_fast_forward
      - type: pull_request
        parameters: {required_approving_review_count: 1, dismiss_stale_reviews_on_push: true,
                     require_code_owner_review: true, require_last_push_approval: true}
      - type: required_status_checks
        parameters: {required_status_checks: [{context: test}]}
"""


def test_drift_of_rulesets_and_bypass_actors(
    online: Any, github: FakeGitHub, tmp_path: Path
) -> None:
    live = FakeRuleset(7, "protect main", strict_rules(), bypass_actors=[ADMIN_ROLE])
    github.add_repo("acme/api", rulesets=[live])
    repo = make_repo(tmp_path / "repo", {".github/settings.yml": DECLARED_RULESET, **OWNERS})
    assert findings(
        online(repo, "--repo", "acme/api", "--select", "BP011", "--format", "json")
    ) == [("BP011", ".github/settings.yml")]
    [message] = messages(
        online(repo, "--repo", "acme/api", "--select", "BP011", "--format", "json")
    ).values()
    assert message.startswith(
        "bypass actor RepositoryRole 5 (admin) of the default branch `main` is absent in "
        ".github/settings.yml (the settings file does not list it) but may bypass (always) live"
    )

    live.bypass_actors, live.enforcement = [], "evaluate"
    result = online(repo, "--repo", "acme/api", "--select", "BP001,BP011", "--format", "json")
    located = [(f["rule"], f["path"], f["line"]) for f in result.json()["findings"]]
    assert located[0] == ("BP001", "", None)
    assert ("BP011", ".github/settings.yml", 2) in located
    assert any(
        m.startswith("ruleset `protect main` of the default branch `main` is active in ")
        and "but evaluate live" in m
        for m in (f["message"] for f in result.json()["findings"])
    )


def test_two_differences_at_one_line_are_two_findings(
    online: Any, github: FakeGitHub, tmp_path: Path
) -> None:
    live = classic_protection(approvals=2, force_pushes=True, bypass_teams=["release"])
    github.add_repo("acme/api", classic=live)
    repo = make_repo(tmp_path / "repo", {".github/settings.yml": DECLARED, **OWNERS})
    result = online(repo, "--repo", "acme/api", "--select", "BP011", "--format", "json")
    assert [
        (f["line"], f["message"].split(" of the default")[0]) for f in result.json()["findings"]
    ] == [
        (4, "block force pushes"),
        (4, "bypass actor Team release"),
    ]


def test_drift_of_the_default_branch(online: Any, github: FakeGitHub, tmp_path: Path) -> None:
    github.add_repo("acme/api", classic=classic_protection(), default_branch="trunk")
    settings = "repository:\n  default_branch: main\n" + DECLARED
    repo = make_repo(tmp_path / "repo", {".github/settings.yml": settings, **OWNERS})
    result = online(repo, "--repo", "acme/api", "--select", "BP011", "--format", "json")
    assert messages(result) == {
        "BP011": ".github/settings.yml declares `main` as the default branch, but it is `trunk` "
        "live, so the protection it declares is for another branch; apply the file again, or "
        "change it"
    }


def test_no_request_without_a_rule_that_reads_settings(
    online: Any, github: FakeGitHub, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "repo", OWNERS)
    assert online(repo, "--repo", "acme/api", "--select", "PIN,OWN001,OWN002").code == 0
    assert github.exchanges == []


def test_no_drift_is_judged_when_live_protection_is_unknown(
    online: Any, github: FakeGitHub, tmp_path: Path
) -> None:
    github.add_repo("acme/api", classic=classic_protection(approvals=1))
    repo = make_repo(tmp_path / "repo", {".github/settings.yml": DECLARED, **OWNERS})
    result = online(
        repo, "--repo", "acme/api", "--select", "BP", "--format", "json", token=PAT_TOKEN
    )
    assert findings(result) == [("BP012", "")]


def test_repository_from_the_origin_remote(online: Any, github: FakeGitHub, tmp_path: Path) -> None:
    github.add_repo("acme/api", classic=classic_protection(), default_branch="trunk")
    repo = make_repo(tmp_path / "repo", OWNERS)
    git(
        repo, "remote", "add", "origin", "https://x-access-token:ghs_remote@github.com/acme/api.git"
    )
    result = online(repo, "--select", "BP", "--format", "json")
    assert findings(result) == []
    assert [e.path for e in github.exchanges][:2] == [
        "/repos/acme/api",
        "/repos/acme/api/branches/trunk/protection",
    ]
    assert "ghs_remote" not in result.out + result.err


@pytest.mark.parametrize(
    ("args", "token", "error"),
    [
        ((), None, "--online needs a GitHub token: set GITHUB_TOKEN or GH_TOKEN"),
        ((), ADMIN_TOKEN, "cannot tell which GitHub repository this is"),
        (("--repo", "not-a-repo"), ADMIN_TOKEN, "--repo: expected OWNER/NAME, not 'not-a-repo'"),
        (("--repo", "acme/missing"), ADMIN_TOKEN, "reading the repository acme/missing: HTTP 404"),
        (("--repo", "acme/api"), "ghp_notknown", "HTTP 401 Bad credentials"),
    ],
)
def test_online_errors_are_one_line(
    online: Any,
    github: FakeGitHub,
    tmp_path: Path,
    *,
    args: tuple[str, ...],
    token: str | None,
    error: str,
) -> None:
    github.add_repo("acme/api")
    repo = make_repo(tmp_path / "repo", OWNERS)
    result = online(repo, *args, token=token)
    assert result.code == 2
    assert error in result.err
    assert len(result.err.strip().splitlines()) == 1, result.err
    assert "Traceback" not in result.err


def test_a_server_error_is_reported_not_taken_for_unprotected(
    online: Any, github: FakeGitHub, tmp_path: Path
) -> None:
    github.add_repo("acme/api", classic=classic_protection())
    github.fail("GET", "/protection$", 500, {"message": "Server Error", "documentation_url": ""})
    repo = make_repo(tmp_path / "repo", OWNERS)
    result = online(repo, "--repo", "acme/api")
    assert result.code == 2
    assert result.err == (
        "repo-harden: error: GET /repos/acme/api/branches/main/protection: HTTP 500 Server Error\n"
    )
    assert len(github.requests("/repos/{owner}/{repo}/branches/{branch}/protection")) == 3


def test_an_echoed_token_is_redacted_everywhere(
    online: Any, github: FakeGitHub, tmp_path: Path
) -> None:
    github.echo_token = True
    github.add_repo("acme/api")
    github.fail(
        "GET",
        "/protection$",
        403,
        {"message": f"Must have admin rights to Repository ({APP_TOKEN})", "documentation_url": ""},
    )
    repo = make_repo(tmp_path / "repo", OWNERS)
    result = online(repo, "--repo", "acme/api", "--select", "BP", token=APP_TOKEN)
    assert "Must have admin rights to Repository (***)" in result.out
    for output in ("text", "json", "sarif", "github"):
        shown = online(repo, "--repo", "acme/api", "--format", output, token=APP_TOKEN)
        assert APP_TOKEN not in shown.out + shown.err
    denied = online(repo, "--repo", "acme/api", token="ghp_unknown_echoed_token_0123456789")
    assert denied.code == 2
    assert "(token ***)" in denied.err
    assert "ghp_unknown_echoed_token_0123456789" not in denied.err + denied.out


def test_repo_and_api_url_need_online(cli: Any, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", OWNERS)
    result = cli("scan", "--repo", "acme/api", cwd=repo)
    assert result.code == 2
    assert "--repo and --api-url need --online" in result.err


CODEOWNERS_WITH_ERRORS = "# owners\n\n***/*.rb @monalisa\n*.md @acme/docs\n\n\n*.txt @ghost-user\n"
GITHUB_CODEOWNERS_ERRORS = [  # the shapes of GitHub's documented example
    {
        "column": 1,
        "kind": "Invalid pattern",
        "line": 3,
        "message": "Invalid pattern on line 3: Did you mean `**/*.rb`?\n\n  ***/*.rb @monalisa\n  ^",
        "path": ".github/CODEOWNERS",
        "source": "***/*.rb @monalisa",
        "suggestion": "Did you mean `**/*.rb`?",
    },
    {
        "column": 7,
        "kind": "Unknown owner",
        "line": 7,
        "message": "Unknown owner on line 7: make sure @ghost-user exists and has write access",
        "path": ".github/CODEOWNERS",
        "source": "*.txt @ghost-user",
        "suggestion": None,
    },
]


def test_online_own003_reports_the_errors_github_reports(
    online: Any, github: FakeGitHub, tmp_path: Path
) -> None:
    github.add_repo("acme/api", codeowners_errors=GITHUB_CODEOWNERS_ERRORS)
    repo = make_repo(tmp_path / "repo", {".github/CODEOWNERS": CODEOWNERS_WITH_ERRORS})
    result = online(repo, "--repo", "acme/api", "--select", "OWN003", "--format", "json")
    found = {(f["line"], f["column"]): f["message"] for f in result.json()["findings"]}
    assert found[(7, 7)] == (
        "GitHub reports Unknown owner: Unknown owner on line 7: make sure @ghost-user exists "
        "and has write access"
    )
    assert found[(3, 1)].startswith("GitHub reports Invalid pattern: ")
    assert "Did you mean `**/*.rb`?" in found[(3, 1)]
    assert len(github.requests("/repos/{owner}/{repo}/codeowners/errors")) == 1


def test_own003_offline_does_not_know_github_only_errors(cli: Any, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {".github/CODEOWNERS": CODEOWNERS_WITH_ERRORS})
    result = cli("scan", "--select", "OWN003", "--format", "json", cwd=repo)
    assert (7, 7) not in {(f["line"], f["column"]) for f in result.json()["findings"]}


def test_no_codeowners_errors_endpoint_means_no_file(
    online: Any, github: FakeGitHub, tmp_path: Path
) -> None:
    github.add_repo("acme/api")  # GitHub answers 404: the repository has no CODEOWNERS
    repo = make_repo(tmp_path / "repo", OWNERS)
    result = online(repo, "--repo", "acme/api", "--select", "OWN003", "--format", "json")
    assert result.code == 0
    assert result.json()["findings"] == []
