"""PIN001 and PIN002: one table per rule, (files, expected findings as (rule, path, line, col))."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests import test_audit
from tests.conftest import make_repo, workflow
from tests.fake_github import FakeGitHub
from tests.rule_tables import located, scan_files

SHA = "11bd71901bbe5b1630ceea73d27597364c9af683"
DIGEST = "sha256:" + "a" * 64
WF = ".github/workflows/ci.yml"

Expected = list[tuple[str, str, int, int]]

PIN001_CASES: list[tuple[str, dict[str, str], Expected]] = [
    (
        "tag",
        {WF: workflow("      - uses: actions/checkout@v4\n")},
        [("PIN001", WF, 6, 15)],
    ),
    ("full sha", {WF: workflow(f"      - uses: actions/checkout@{SHA} # v4\n")}, []),
    (
        "short sha",
        {WF: workflow("      - uses: actions/checkout@11bd719\n")},
        [("PIN001", WF, 6, 15)],
    ),
    (
        "branch",
        {WF: workflow("      - uses: some-org/action@main\n")},
        [("PIN001", WF, 6, 15)],
    ),
    ("no ref", {WF: workflow("      - uses: some-org/action\n")}, [("PIN001", WF, 6, 15)]),
    (
        "action in a subfolder of a repository",
        {WF: workflow("      - uses: github/codeql-action/init@v3\n")},
        [("PIN001", WF, 6, 15)],
    ),
    ("local action", {WF: workflow("      - uses: ./.github/actions/setup\n")}, []),
    (
        "docker step is PIN002's",
        {WF: workflow("      - uses: docker://alpine:3.19\n")},
        [("PIN002", WF, 6, 15)],
    ),
    (
        "quoted value keeps its column",
        {WF: workflow('      - uses: "actions/setup-python@v5"\n')},
        [("PIN001", WF, 6, 15)],
    ),
    (
        "reusable workflow at job level",
        {WF: "on: push\njobs:\n  call:\n    uses: acme/workflows/.github/workflows/build.yml@v1\n"},
        [("PIN001", WF, 4, 11)],
    ),
    (
        "pinned reusable workflow",
        {WF: f"on: push\njobs:\n  call:\n    uses: acme/w/.github/workflows/b.yml@{SHA}\n"},
        [],
    ),
    (
        "local reusable workflow",
        {WF: "on: push\njobs:\n  call:\n    uses: ./.github/workflows/build.yml\n"},
        [],
    ),
    (
        ".yaml extension",
        {".github/workflows/ci.yaml": workflow("      - uses: actions/cache@v4\n")},
        [("PIN001", ".github/workflows/ci.yaml", 6, 15)],
    ),
    (
        "workflows in a subfolder are not workflows",
        {".github/workflows/sub/x.yml": workflow("      - uses: actions/cache@v4\n")},
        [],
    ),
    (
        "composite action.yml",
        {
            "action.yml": "name: x\nruns:\n  using: composite\n  steps:\n"
            "    - uses: actions/setup-node@v4\n"
        },
        [("PIN001", "action.yml", 5, 13)],
    ),
    (
        "nested action.yaml",
        {
            ".github/actions/setup/action.yaml": "runs:\n  using: composite\n  steps:\n"
            f"    - uses: actions/setup-node@{SHA}\n    - uses: actions/cache@v4\n"
        },
        [("PIN001", ".github/actions/setup/action.yaml", 5, 13)],
    ),
    (
        "two jobs share a step through a YAML anchor: one finding",
        {
            WF: "on: push\njobs:\n  a:\n    runs-on: x\n    steps: &s\n"
            "      - uses: actions/checkout@v4\n  b:\n    runs-on: x\n    steps: *s\n"
        },
        [("PIN001", WF, 6, 15)],
    ),
]


def _scan(files: dict[str, str]) -> Expected:
    return located(scan_files(files, ignore=["OWN", "WF"]))


@pytest.mark.parametrize(
    ("files", "expected"),
    [case[1:] for case in PIN001_CASES],
    ids=[case[0] for case in PIN001_CASES],
)
def test_pin001(files: dict[str, str], expected: Expected) -> None:
    assert _scan(files) == expected


PIN002_CASES: list[tuple[str, str, Expected]] = [
    ("container string", "    container: node:20\n", [("PIN002", WF, 5, 16)]),
    ("container image", "    container:\n      image: node:20\n", [("PIN002", WF, 6, 14)]),
    ("container pinned", f"    container: node:20@{DIGEST}\n", []),
    (
        "service images",
        "    services:\n      db:\n        image: postgres:16\n"
        f"      cache:\n        image: redis@{DIGEST}\n",
        [("PIN002", WF, 7, 16)],
    ),
    ("image from an expression is not judged", "    container: ${{ matrix.image }}\n", []),
    (
        "tag from an expression is still a tag",
        "    container: node:${{ matrix.node }}\n",
        [("PIN002", WF, 5, 16)],
    ),
    ("empty container", "    container: ''\n", []),
]


@pytest.mark.parametrize(
    ("job_extra", "expected"),
    [case[1:] for case in PIN002_CASES],
    ids=[case[0] for case in PIN002_CASES],
)
def test_pin002_jobs(job_extra: str, expected: Expected) -> None:
    files = {WF: workflow("      - uses: ./local\n", job_extra=job_extra)}
    assert _scan(files) == expected


def test_pin002_docker_action_and_steps() -> None:
    files = {
        "docker/action.yml": "runs:\n  using: docker\n  image: docker://alpine:3\n",
        "local/action.yml": "runs:\n  using: docker\n  image: Dockerfile\n",
        WF: workflow(f"      - uses: docker://ghcr.io/o/i@{DIGEST}\n"),
    }
    assert _scan(files) == [("PIN002", "docker/action.yml", 3, 10)]


def test_messages_name_the_reference_and_the_fix(cli: Any, tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {WF: workflow("      - uses: actions/checkout@v4\n", job_extra="    container: node:20\n")},
    )
    messages = {
        f["rule"]: f["message"]
        for f in cli("scan", "--format", "json", "--ignore", "OWN", cwd=repo).json()["findings"]
    }
    assert "`actions/checkout@v4`" in messages["PIN001"]
    assert "`uses: actions/checkout@<commit-sha> # v4`" in messages["PIN001"]
    assert "`node:20`" in messages["PIN002"]
    assert "node:20@sha256:<digest>" in messages["PIN002"]


TRUSTED_CASES = [
    ('trusted-owners = ["actions"]', []),
    ('trusted-owners = ["ACTIONS"]', []),
    ('trusted-owners = ["actions/checkout"]', []),
    ('trusted-owners = ["actions/cache"]', [("PIN001", WF, 6, 15)]),
    ('trusted-owners = ["act"]', [("PIN001", WF, 6, 15)]),
    ("", [("PIN001", WF, 6, 15)]),
]


@pytest.mark.parametrize(("option", "expected"), TRUSTED_CASES)
def test_pin001_trusted_owners(option: str, expected: Expected) -> None:
    files = {
        WF: workflow("      - uses: actions/checkout@v4\n"),
        ".repo-harden.toml": f"[rules.PIN001]\n{option}\n",
    }
    assert _scan(files) == expected


def test_trusted_owners_in_pyproject() -> None:
    files = {
        WF: workflow("      - uses: acme/deploy@v2\n      - uses: other/x@v1\n"),
        "pyproject.toml": '[tool.repo-harden.rules.PIN001]\ntrusted-owners = ["acme"]\n',
    }
    assert _scan(files) == [("PIN001", WF, 7, 15)]


def test_fingerprint_survives_moved_lines(cli: Any, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {WF: workflow("      - uses: actions/checkout@v4\n")})
    before = cli("scan", "--format", "json", "--ignore", "OWN", cwd=repo).json()["findings"][0]
    (repo / WF).write_text(
        "# a comment\n\n" + workflow("      - run: echo hi\n      - uses: actions/checkout@v4\n")
    )
    after = cli("scan", "--format", "json", "--ignore", "OWN", cwd=repo).json()["findings"][0]
    assert after["line"] != before["line"]
    assert after["fingerprint"] == before["fingerprint"]


def test_repeated_problem_gets_distinct_fingerprints(cli: Any, tmp_path: Path) -> None:
    steps = "      - uses: actions/checkout@v4\n      - uses: actions/checkout@v4\n"
    repo = make_repo(tmp_path / "repo", {WF: workflow(steps)})
    findings = cli("scan", "--format", "json", "--ignore", "OWN", cwd=repo).json()["findings"]
    assert len(findings) == 2
    assert findings[0]["fingerprint"] != findings[1]["fingerprint"]


def _step(uses: str, comment: str) -> dict[str, str]:
    return {WF: workflow(f"      - uses: {uses}{comment}\n")}


# zizmor's own verdict on each comment was checked with zizmor 1.33.1 on the same lines:
# it honours `# zizmor: ignore[...]` in a YAML comment on the finding's line (a list, spaces
# in the brackets, a reason or a note around it), and nothing else.
ZIZMOR_CASES: list[tuple[str, dict[str, str], Expected]] = [
    ("unpinned-uses stands for PIN001", _step("acme/a@v1", "  # zizmor: ignore[unpinned-uses] reviewed"), []),
    ("a list of audits", _step("acme/a@v1", "  # zizmor: ignore[artipacked,unpinned-uses]"), []),
    ("spaces inside the brackets", _step("acme/a@v1", "  # zizmor: ignore[ unpinned-uses ]"), []),
    ("after a note in the same comment", _step("acme/a@v1", "  # note # zizmor: ignore[unpinned-uses]"), []),
    ("unpinned-images stands for PIN002", _step("docker://alpine:3", "  # zizmor: ignore[unpinned-images]"), []),
    (
        "a job container image",
        {WF: workflow("      - run: npm test\n").replace("    steps:", "    container:\n      image: node:20  # zizmor: ignore[unpinned-images]\n    steps:")},
        [],
    ),
    ("another audit ignores nothing here", _step("acme/a@v1", "  # zizmor: ignore[template-injection]"), [("PIN001", WF, 6, 15)]),
    ("unpinned-uses is not PIN002", _step("docker://alpine:3", "  # zizmor: ignore[unpinned-uses]"), [("PIN002", WF, 6, 15)]),
    ("no space after the colon", _step("acme/a@v1", "  # zizmor:ignore[unpinned-uses]"), [("PIN001", WF, 6, 15)]),
    ("two spaces after #", _step("acme/a@v1", "  #  zizmor: ignore[unpinned-uses]"), [("PIN001", WF, 6, 15)]),
    ("another case", _step("acme/a@v1", "  # ZIZMOR: IGNORE[unpinned-uses]"), [("PIN001", WF, 6, 15)]),
    ("not a comment: inside the quoted value", _step('"acme/a@v1 # zizmor: ignore[unpinned-uses]"', ""), [("PIN001", WF, 6, 15)]),
    (
        "on the line above: zizmor reads the finding's line only",
        {WF: workflow("      # zizmor: ignore[unpinned-uses]\n      - uses: acme/a@v1\n")},
        [("PIN001", WF, 7, 15)],
    ),
    (
        "inside a run: script it is shell, not YAML",
        {WF: workflow("      - run: |\n          docker run redis:7  # zizmor: ignore[unpinned-images]\n")},
        [("PIN002", WF, 7, 22)],
    ),
    (
        "refused by the config",
        {**_step("acme/a@v1", "  # zizmor: ignore[unpinned-uses]"), ".repo-harden.toml": "foreign-ignores = []\n"},
        [("PIN001", WF, 6, 15)],
    ),
    (
        "outside workflows and actions zizmor reads no comment",
        {"Dockerfile": "FROM python:3.12  # zizmor: ignore[unpinned-images]\n"},
        [("PIN002", "Dockerfile", 1, 6)],
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("files", "expected"), [c[1:] for c in ZIZMOR_CASES], ids=[c[0] for c in ZIZMOR_CASES]
)
def test_zizmor_ignore_comments(files: dict[str, str], expected: Expected) -> None:
    assert located(scan_files(files, select=["PIN"])) == expected


def test_zizmor_ignores_are_counted_and_listed(cli: Any, tmp_path: Path) -> None:
    """Honoured, but visibly: the summary counts them, `repo-harden waivers` lists them as
    foreign ignores (text and json), and says so when the config refuses them."""
    steps = (
        "      - uses: acme/a@v1  # zizmor: ignore[unpinned-uses] our own action\n"
        "      - uses: acme/b@v1  # zizmor: ignore[artipacked]\n"
    )
    repo = make_repo(tmp_path / "repo", {WF: workflow(steps)})
    scan = cli("scan", "--select", "PIN", cwd=repo)
    assert "1 ignored inline (1 by zizmor comments)" in scan.out
    listed = cli("waivers", cwd=repo).out.splitlines()
    assert "Foreign ignores (zizmor comments, honoured as repo-harden's): 2" in listed
    assert f"  {WF}:6  PIN001  # zizmor: ignore[unpinned-uses]" in listed
    assert f"  {WF}:7  no repo-harden rule  # zizmor: ignore[artipacked]" in listed
    document = cli("waivers", "--format", "json", cwd=repo).json()
    assert document["foreign"][0] == {
        "path": WF,
        "line": 6,
        "tool": "zizmor",
        "ids": ["unpinned-uses"],
        "rules": ["PIN001"],
        "honoured": True,
    }
    (repo / ".repo-harden.toml").write_text("foreign-ignores = []\n")
    refused = cli("waivers", cwd=repo).out
    assert "refused by `foreign-ignores = []`: they suppress nothing): 2" in refused
    assert cli("waivers", "--format", "json", cwd=repo).json()["foreign"][0]["honoured"] is False


def test_foreign_ignores_config_error(cli: Any, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {".repo-harden.toml": 'foreign-ignores = ["hadolint"]\n'})
    result = cli("scan", cwd=repo)
    assert result.code == 2
    assert "foreign-ignores: unknown tool 'hadolint'; known: zizmor" in result.err


fake = test_audit.fake  # the audit's fixtures: a fake GitHub and a fake OSV on loopback
osv = test_audit.osv


def test_an_org_audit_honours_and_reports_zizmor_ignores(
    cli: Any, fake: FakeGitHub, tmp_path: Path
) -> None:
    """The audit judges as scan does, and its report lists a zizmor comment among the
    repository's exceptions (an inline ignore whose reason is the comment)."""
    steps = "      - uses: acme/a@v1  # zizmor: ignore[unpinned-uses] our own action\n"
    fake.add_repo("acme/web", files={WF: workflow(steps)})
    document = test_audit.audit(cli, fake, tmp_path, "--org", "acme", "--format", "json").json()
    assert [f["rule"] for f in document["findings"] if f["rule"].startswith("PIN")] == []
    (exception,) = [e for e in document["exceptions"] if e["repository"] == "acme/web"]
    assert exception["kind"] == "inline"
    assert exception["rules"] == ["PIN001"]
    assert (exception["path"], exception["line"]) == (WF, 6)
    assert exception["reason"] == "# zizmor: ignore[unpinned-uses]"


PC = ".pre-commit-config.yaml"
PIN005_CASES: list[tuple[str, str, Expected]] = [
    ("tag", "  - repo: https://github.com/psf/black\n    rev: 24.3.0\n", [("PIN005", PC, 3, 10)]),
    (
        "frozen commit",
        f"  - repo: https://github.com/psf/black\n    rev: {SHA}  # frozen: 24.3.0\n",
        [],
    ),
    (
        "upper-case commit",
        f"  - repo: https://github.com/psf/black\n    rev: {SHA.upper()}\n",
        [],
    ),
    ("short sha", "  - repo: https://x.example/a/b\n    rev: 11bd719\n", [("PIN005", PC, 3, 10)]),
    ("quoted tag", '  - repo: https://gitlab.com/a/b\n    rev: "v1.0"\n', [("PIN005", PC, 3, 10)]),
    ("no rev", "  - repo: https://github.com/psf/black\n", [("PIN005", PC, 2, 11)]),
    ("local", "  - repo: local\n    hooks: []\n", []),
    ("meta", "  - repo: meta\n    hooks: []\n", []),
]


@pytest.mark.parametrize(
    ("repos", "expected"),
    [case[1:] for case in PIN005_CASES],
    ids=[case[0] for case in PIN005_CASES],
)
def test_pin005(repos: str, expected: Expected) -> None:
    assert _scan({PC: f"repos:\n{repos}"}) == expected


def test_pin005_only_the_root_config_and_trusted_owners() -> None:
    config = (
        "repos:\n"
        "  - repo: https://github.com/acme/hooks\n    rev: v1\n"
        "  - repo: git@github.com:other/hooks.git\n    rev: v2\n"
    )
    files = {
        PC: config,
        f"sub/{PC}": config,  # pre-commit reads the root one only
        ".repo-harden.toml": '[rules.PIN005]\ntrusted-owners = ["acme"]\n',
    }
    assert _scan(files) == [("PIN005", PC, 5, 10)]
    (finding,) = scan_files(files, ignore=["OWN"])
    assert "`rev: <commit-sha>  # frozen: v2`" in finding["message"]


def test_pin005_runs_in_the_pinned_actions_hook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from repo_harden.hooks.pinned_actions import main

    repo = make_repo(
        tmp_path / "repo", {PC: "repos:\n  - repo: https://github.com/psf/black\n    rev: 24.3.0\n"}
    )
    monkeypatch.chdir(repo)
    monkeypatch.setenv("NO_COLOR", "1")
    assert main([PC]) == 1
    assert capsys.readouterr().out.startswith(f"{PC}:3:10: PIN005 hook repository")
