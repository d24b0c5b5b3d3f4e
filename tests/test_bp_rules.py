"""BP001-BP010 offline, on what `.github/settings.yml` declares (probot settings and
safe-settings formats): one table of (settings file, config, expected findings), run
through the real CLI on real git repositories; then the `branch-protection` hook."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from repo_harden.hooks.branch_protection import main as branch_protection_hook
from tests.conftest import make_repo
from tests.rule_tables import scan_files

SETTINGS = ".github/settings.yml"
OWNERS = {".github/CODEOWNERS": "* @acme/developers\n"}
Expected = list[tuple[str, int | None, int | None]]

STRICT_CLASSIC = """\
branches:
  - name: main
    protection:
      required_pull_request_reviews:
        required_approving_review_count: 1
        dismiss_stale_reviews: true
        require_code_owner_reviews: true
        require_last_push_approval: true
      required_status_checks:
        strict: true
        contexts: [test]
      enforce_admins: true
      restrictions: null
"""

STRICT_RULES = """\
    rules:
      - type: deletion
      - type: non_fast_forward
      - type: pull_request
        parameters:
          required_approving_review_count: 1
          dismiss_stale_reviews_on_push: true
          require_code_owner_review: true
          require_last_push_approval: true
          required_review_thread_resolution: false
      - type: required_status_checks
        parameters:
          strict_required_status_checks_policy: true
          required_status_checks:
            - context: test
"""


def ruleset(
    *, enforcement: str = "active", include: str = '"~DEFAULT_BRANCH"', extra: str = ""
) -> str:
    return (
        "rulesets:\n"
        "  - name: protect main\n"
        "    target: branch\n"
        f"    enforcement: {enforcement}\n"
        f"{extra}"
        "    conditions:\n"
        "      ref_name:\n"
        f"        include: [{include}]\n"
        "        exclude: []\n" + STRICT_RULES
    )


def classic(**replace: str) -> str:
    """STRICT_CLASSIC with some lines replaced: {"old text": "new text"}."""
    text = STRICT_CLASSIC
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


CASES: list[tuple[str, str, str, Expected]] = [
    ("strict classic protection", STRICT_CLASSIC, "", []),
    ("strict active ruleset", ruleset(), "", []),
    ("ruleset on every branch", ruleset(include='"~ALL"'), "", []),
    ("ruleset naming the branch", ruleset(include='"refs/heads/main"'), "", []),
    ("ruleset on a glob", ruleset(include='"refs/heads/ma*"'), "", []),
    (
        "protection removed",
        "branches:\n  - name: main\n    protection: null\n",
        "",
        [("BP001", 3, 17)],
    ),
    (
        "only another branch is protected",
        classic(**{"name: main": "name: develop"}),
        "",
        [("BP001", 2, 3)],
    ),
    (
        "a ruleset in evaluate mode protects nothing",
        ruleset(enforcement="evaluate"),
        "",
        [("BP001", 2, 5)],
    ),
    ("a disabled ruleset protects nothing", ruleset(enforcement="disabled"), "", [("BP001", 2, 5)]),
    (
        "a ruleset that excludes the branch",
        ruleset().replace("exclude: []", 'exclude: ["refs/heads/main"]'),
        "",
        [("BP001", 2, 3)],
    ),
    (
        "a tag ruleset does not protect a branch",
        ruleset().replace("target: branch", "target: tag"),
        "",
        [("BP001", 2, 3)],
    ),
    ("a file that manages no protection", "repository:\n  private: true\n", "", []),
    (
        "no approvals required",
        classic(**{"required_approving_review_count: 1": "required_approving_review_count: 0"}),
        "",
        [("BP002", 5, 42)],
    ),
    (
        "an absent count is GitHub's default, 1",
        classic(**{"        required_approving_review_count: 1\n": ""}),
        "",
        [],
    ),
    (
        "fewer approvals than the policy's minimum",
        STRICT_CLASSIC,
        "minimum-approvals = 2\n",
        [("BP002", 5, 42)],
    ),
    (
        "no pull request at all: only BP002",
        "branches:\n  - name: main\n    protection:\n      required_pull_request_reviews: null\n"
        "      required_status_checks: {strict: true, contexts: [test]}\n"
        "      enforce_admins: true\n",
        "",
        [("BP002", 4, 38)],
    ),
    (
        "force pushes allowed",
        STRICT_CLASSIC + "      allow_force_pushes: true\n",
        "",
        [("BP003", 14, 27)],
    ),
    (
        "force pushes allowed, in the API's shape",
        STRICT_CLASSIC + "      allow_force_pushes: {enabled: true}\n",
        "",
        [("BP003", 14, 27)],
    ),
    ("deletion allowed", STRICT_CLASSIC + "      allow_deletions: true\n", "", [("BP004", 14, 24)]),
    (
        "a ruleset without deletion and non_fast_forward rules",
        ruleset().replace("      - type: deletion\n      - type: non_fast_forward\n", ""),
        "",
        [("BP003", 10, 7), ("BP004", 10, 7)],
    ),
    (
        "code owners not required",
        classic(**{"require_code_owner_reviews: true": "require_code_owner_reviews: false"}),
        "",
        [("BP005", 7, 37)],
    ),
    (
        "code owners not required, but turned off in the policy",
        classic(**{"require_code_owner_reviews: true": "require_code_owner_reviews: false"}),
        "require-code-owner-review = false\n",
        [],
    ),
    (
        "stale approvals kept",
        classic(**{"dismiss_stale_reviews: true": "dismiss_stale_reviews: false"}),
        "",
        [("BP006", 6, 32)],
    ),
    (
        "admins exempt",
        classic(**{"enforce_admins: true": "enforce_admins: false"}),
        "",
        [("BP007", 12, 23)],
    ),
    (
        "a bypass actor outside the allowlist",
        ruleset(
            extra="    bypass_actors:\n      - actor_id: 5\n        actor_type: RepositoryRole\n"
            "        bypass_mode: always\n"
        ),
        "",
        [("BP007", 6, 9)],
    ),
    (
        "a bypass actor on the allowlist",
        ruleset(
            extra="    bypass_actors:\n      - actor_id: 5\n        actor_type: RepositoryRole\n"
            "        bypass_mode: always\n"
        ),
        'allowed-bypass-actors = ["RepositoryRole:admin"]\n',
        [],
    ),
    (
        "a classic bypass allowance",
        classic(
            **{
                "require_last_push_approval: true\n": "require_last_push_approval: true\n"
                "        bypass_pull_request_allowances:\n          users: [octocat]\n"
            }
        ),
        'allowed-bypass-actors = ["Team"]\n',
        [("BP007", 10, 19)],
    ),
    (
        "no status checks",
        classic(
            **{
                "      required_status_checks:\n        strict: true\n        contexts: [test]\n": ""
            }
        ),
        "",
        [("BP008", 4, 7)],
    ),
    (
        "a status check the policy names is missing",
        STRICT_CLASSIC,
        'required-status-checks = ["test", "lint"]\n',
        [("BP008", 10, 9)],
    ),
    (
        "last push approval not required",
        classic(**{"require_last_push_approval: true": "require_last_push_approval: false"}),
        "",
        [("BP009", 8, 37)],
    ),
    ("signed commits are off by default", ruleset(), "", []),
    (
        "signed commits when the policy asks",
        ruleset(),
        "require-signed-commits = true\n",
        [("BP010", 10, 7)],
    ),
    (
        "signed commits required by a rule",
        ruleset().replace(
            "      - type: deletion\n",
            "      - type: deletion\n      - type: required_signatures\n",
        ),
        "require-signed-commits = true\n",
        [],
    ),
    (
        "the strictest source wins",
        classic(**{"required_approving_review_count: 1": "required_approving_review_count: 0"})
        + "      allow_force_pushes: true\n"
        + ruleset().replace(
            "required_approving_review_count: 1", "required_approving_review_count: 2"
        ),
        "minimum-approvals = 2\n",
        [],
    ),
    (
        "safe-settings' `default` branch entry",
        classic(**{"name: main": "name: default"}).replace(
            "enforce_admins: true", "enforce_admins: false"
        ),
        "",
        [("BP007", 12, 23)],
    ),
    (
        "the file's own default branch",
        "repository:\n  default_branch: trunk\n" + classic(**{"name: main": "name: trunk"}),
        "",
        [],
    ),
    (
        "the file's own default branch is not protected",
        "repository:\n  default_branch: trunk\n" + STRICT_CLASSIC,
        "",
        [("BP001", 4, 3)],
    ),
    ("master is the default when nothing says", classic(**{"name: main": "name: master"}), "", []),
]


def _scan(cli: Any, repo: Path, *args: str) -> Expected:
    result = cli("scan", "--select", "BP,RH", "--format", "json", *args, cwd=repo)
    assert result.code in (0, 1), result.err
    return [(f["rule"], f["line"], f["column"]) for f in result.json()["findings"]]


@pytest.mark.parametrize(
    ("settings", "config", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_declared_settings(settings: str, config: str, expected: Expected) -> None:
    files = {SETTINGS: settings, **OWNERS}
    if config:
        files[".repo-harden.toml"] = "[branch-protection]\n" + config
    found = scan_files(files, select=["BP", "RH"])
    assert [(f["rule"], f["line"], f["column"]) for f in found] == expected


def test_code_owner_review_is_not_asked_for_without_codeowners(cli: Any, tmp_path: Path) -> None:
    settings = classic(**{"require_code_owner_reviews: true": "require_code_owner_reviews: false"})
    repo = make_repo(tmp_path / "repo", {SETTINGS: settings})
    assert _scan(cli, repo) == []


def test_settings_yaml_extension_and_invalid_yaml(cli: Any, tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {".github/settings.yaml": "branches:\n  - name: main\n    protection: null\n", **OWNERS},
    )
    assert _scan(cli, repo) == [("BP001", 3, 17)]
    (repo / ".github/settings.yaml").write_text("branches: [\n")
    assert _scan(cli, repo) == [("RH000", 2, 1)]
    (repo / SETTINGS).write_text(STRICT_CLASSIC)  # the settings app reads settings.yml first
    assert _scan(cli, repo) == []


def test_messages_say_which_setting_its_value_and_where(cli: Any, tmp_path: Path) -> None:
    settings = (
        classic(**{"required_approving_review_count: 1": "required_approving_review_count: 0"})
        + "      allow_force_pushes: true\n"
        + ruleset(enforcement="evaluate")
    )
    repo = make_repo(tmp_path / "repo", {SETTINGS: settings, **OWNERS})
    result = cli("scan", "--select", "BP", "--format", "json", cwd=repo)
    messages = {f["rule"]: f["message"] for f in result.json()["findings"]}
    assert messages["BP002"] == (
        ".github/settings.yml declares that the default branch `main` requires 0 approvals "
        "(`required_approving_review_count: 0` in classic branch protection); the policy "
        "requires 1 approval (minimum-approvals)"
    )
    assert "`allow_force_pushes: true` in classic branch protection" in messages["BP003"]

    evaluate_only = make_repo(tmp_path / "evaluate", {SETTINGS: ruleset(enforcement="evaluate")})
    result = cli("scan", "--select", "BP", "--format", "json", cwd=evaluate_only)
    [finding] = result.json()["findings"]
    assert "ruleset `protect main` targets it but is in `evaluate` mode" in finding["message"]


@pytest.mark.parametrize(
    ("table", "error"),
    [
        ("minimum-approval = 1", "unknown setting 'minimum-approval'"),
        ('minimum-approvals = "2"', "minimum-approvals must be a whole number from 0 to 10"),
        ("require-signed-commits = 1", "require-signed-commits must be true or false"),
        ('allowed-bypass-actors = "Team"', "allowed-bypass-actors must be a list of strings"),
    ],
)
def test_policy_config_is_strict(cli: Any, tmp_path: Path, table: str, error: str) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {
            SETTINGS: STRICT_CLASSIC,
            "pyproject.toml": f"[tool.repo-harden.branch-protection]\n{table}\n",
        },
    )
    result = cli("scan", cwd=repo)
    assert result.code == 2
    assert error in result.err
    assert "Traceback" not in result.err


# The `branch-protection` hook -----------------------------------------------------------


def test_hook_checks_a_changed_settings_file_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = classic(**{"enforce_admins: true": "enforce_admins: false"})
    repo = make_repo(tmp_path / "repo", {SETTINGS: settings, **OWNERS})
    monkeypatch.chdir(repo)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("GITHUB_TOKEN", "must-not-be-used")
    assert branch_protection_hook([SETTINGS]) == 1
    out = capsys.readouterr().out
    assert out.startswith(".github/settings.yml:12:23: BP007 ")
    assert branch_protection_hook([".github/CODEOWNERS"]) == 0
    assert branch_protection_hook([]) == 0


def test_hook_and_offline_scan_never_import_pygithub(tmp_path: Path) -> None:
    """The hook's real entry point and an offline scan, with `-X importtime` (as the
    environment variable PYTHONPROFILEIMPORTTIME) listing every module imported: neither
    PyGithub nor requests is among them."""
    repo = make_repo(tmp_path / "repo", {SETTINGS: STRICT_CLASSIC, **OWNERS})
    scripts = Path(sys.executable).parent
    for command in (
        [str(scripts / "repo-harden-branch-protection"), SETTINGS],
        [sys.executable, "-m", "repo_harden", "scan", "--select", "BP"],
    ):
        result = subprocess.run(
            command,
            cwd=repo,
            env={**os.environ, "PYTHONPROFILEIMPORTTIME": "1", "GITHUB_TOKEN": "unused"},
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        imported = {
            line.split("|")[-1].strip() for line in result.stderr.splitlines() if "|" in line
        }
        assert "repo_harden.checks.branch_protection" in imported
        assert not {"github", "requests", "urllib3"} & imported
        assert "repo_harden.github.client" not in imported
