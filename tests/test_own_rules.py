"""OWN001-OWN003, the `codeowners` hook and `repo-harden owners`, on real git repositories."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from repo_harden.checks.ownership import reported_error_findings
from repo_harden.core.declare import DOC_HEADINGS, CheckContext
from repo_harden.core.parsed import ParsedFiles
from repo_harden.core.snapshot import ReportedError
from repo_harden.engine.catalogue import catalogue
from repo_harden.hooks.codeowners import main as codeowners_hook
from repo_harden.readers.codeowners import MAX_BYTES
from repo_harden.sources.local import LocalRepo
from tests.conftest import CliResult, make_repo, workflow
from tests.rule_tables import scan_files

Cli = Callable[..., CliResult]
Located = tuple[str, str, int | None, int | None]

ROOT = Path(__file__).parent.parent
CODEOWNERS = ".github/CODEOWNERS"
CI = ".github/workflows/ci.yml"
WORKFLOW = workflow("      - run: echo hi\n")


def scan(
    cli: Cli, repo: Path, *args: str, select: str = "OWN,RH"
) -> tuple[int, list[dict[str, Any]]]:
    result = cli("scan", "--select", select, "--format", "json", *args, cwd=repo)
    assert result.err == ""
    return result.code, result.json()["findings"]


def located(findings: Sequence[Mapping[str, Any]], rule: str | None = None) -> list[Located]:
    return [
        (f["rule"], f["path"], f["line"], f["column"])
        for f in findings
        if rule is None or f["rule"] == rule
    ]


def messages(findings: Sequence[Mapping[str, Any]], rule: str) -> list[str]:
    return [f["message"] for f in findings if f["rule"] == rule]


# OWN001 ---------------------------------------------------------------------------------


def test_own001_missing_codeowners_is_a_repository_finding(tmp_path: Path, cli: Cli) -> None:
    repo = make_repo(tmp_path / "repo", {CI: WORKFLOW, "src/CODEOWNERS": "* @a\n"})
    code, findings = scan(cli, repo)
    assert located(findings) == [("OWN001", "", None, None)]
    assert "no CODEOWNERS file in `.github/`, the root or `docs/`" in findings[0]["message"]
    assert code == 1


@pytest.mark.parametrize("location", [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"])
def test_own001_any_location_counts(tmp_path: Path, cli: Cli, location: str) -> None:
    repo = make_repo(tmp_path / "repo", {CI: WORKFLOW, location: "* @acme/dev\n"})
    assert scan(cli, repo) == (0, [])


# OWN002 ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Own2Case:
    """A CODEOWNERS (at `location`) and files; the OWN002 findings (path, line, column),
    with fragments each message must contain and fragments it must not."""

    id: str
    codeowners: str
    files: Mapping[str, str]
    expected: list[tuple[str, int | None, int | None]]
    contains: Sequence[str] = ()
    lacks: Sequence[str] = ()
    location: str = CODEOWNERS
    config: str = ""


OWN002_CASES = [
    Own2Case("catch-all-owns-everything", "* @acme/dev\n", {CI: WORKFLOW}, []),
    Own2Case(
        "owner-less-line-un-owns",
        "* @acme/dev\n/.github/workflows/\n",
        {CI: WORKFLOW},
        [(CODEOWNERS, 2, 1)],
        contains=(
            "`.github/workflows/ci.yml` and new files such as `.github/workflows/<new>.yml` "
            "and `.github/workflows/<new>.yaml` have no code owner",
            "the last matching line, .github/CODEOWNERS:2 `/.github/workflows/`, names no owners",
            "add `/.github/workflows/ @<owner>` at the end of .github/CODEOWNERS",
        ),
    ),
    Own2Case(
        "no-line-matches",
        "/src/ @acme/dev\n",
        {CI: WORKFLOW},
        [(CODEOWNERS, None, None)],
        contains=(
            "`.github/CODEOWNERS`, `.github/workflows/ci.yml`",
            "`.github/actions/<new>/action.yml`",
            "no line of .github/CODEOWNERS matches them",
        ),
    ),
    Own2Case(
        "yml-pattern-leaves-new-yaml-workflows-unowned",
        "/.github/CODEOWNERS @sec\n/.github/workflows/*.yml @sec\n/.github/actions/ @sec\n",
        {CI: WORKFLOW},
        [(CODEOWNERS, None, None)],
        contains=("a new file such as `.github/workflows/<new>.yaml` has no code owner",),
        lacks=("ci.yml", "<new>.yml`"),
    ),
    Own2Case(
        "trailing-star-is-not-recursive",
        "* @dev\n/deploy/\n/deploy/* @ops\n",
        {"deploy/run.sh": "", "deploy/k8s/app.yaml": ""},
        [(CODEOWNERS, 2, 1)],
        contains=("`deploy/k8s/app.yaml` and a new file such as `deploy/<new>/<new>`",),
        lacks=("run.sh", "`deploy/<new>`"),
        config='[rules.OWN002]\nsensitive-paths = ["deploy/"]\n',
    ),
    Own2Case(
        "configured-file",
        "/.github/ @sec\n",
        {"Dockerfile": "FROM scratch\n", ".github/settings.yml": "repository: {}\n"},
        [(CODEOWNERS, None, None)],
        contains=("`Dockerfile` has no code owner: no line of .github/CODEOWNERS matches it",),
        config='[rules.OWN002]\nsensitive-paths = ["Dockerfile"]\n',
    ),
    Own2Case(
        "paths-are-case-sensitive",
        "/.GitHub/ @sec\n",
        {CI: WORKFLOW},
        [(CODEOWNERS, None, None)],
        contains=("`.github/workflows/ci.yml`",),
    ),
    Own2Case(
        "the-codeowners-file-itself",
        "/.github/workflows/ @sec\n/.github/actions/ @sec\n",
        {CI: WORKFLOW},
        [(CODEOWNERS, None, None)],
        contains=("`.github/CODEOWNERS` has no code owner",),
        lacks=("ci.yml",),
    ),
    Own2Case(
        "a-new-codeowners-github-would-read-first",
        "/CODEOWNERS @sec\n/.github/workflows/ @sec\n/.github/actions/ @sec\n",
        {CI: WORKFLOW},
        [("CODEOWNERS", None, None)],
        contains=(
            "a new `.github/CODEOWNERS` (GitHub would read it instead of CODEOWNERS) has no",
        ),
        location="CODEOWNERS",
    ),
    Own2Case(
        "action-yml-anywhere",
        "* @dev\n/tools/\n",
        {"tools/setup/action.yml": "runs:\n  using: composite\n  steps: []\n"},
        [(CODEOWNERS, 2, 1)],
        contains=("`tools/setup/action.yml` has no code owner",),
    ),
    Own2Case(
        "one-finding-per-deciding-line",
        "* @dev\n/.github/workflows/\n  /.pre-commit-config.yaml\n",
        {CI: WORKFLOW, ".pre-commit-config.yaml": "repos: []\n"},
        [(CODEOWNERS, 2, 1), (CODEOWNERS, 3, 3)],
    ),
    Own2Case(
        "skipped-lines-count-for-nothing",
        "* @dev\n/.github/ security-team\n/.github/workflows/\n",
        {CI: WORKFLOW},
        [(CODEOWNERS, 3, 1)],
    ),
]


@pytest.mark.parametrize("case", OWN002_CASES, ids=lambda case: case.id)
def test_own002(case: Own2Case) -> None:
    files = {case.location: case.codeowners, **case.files}
    if case.config:
        files[".repo-harden.toml"] = case.config
    findings = scan_files(files, select=["OWN002"])
    assert located(findings) == [("OWN002", *where) for where in case.expected]
    for message in messages(findings, "OWN002"):
        for fragment in case.contains:
            assert fragment in message
        for fragment in case.lacks:
            assert fragment not in message


def test_own002_groups_thirty_workflows_into_one_finding(tmp_path: Path, cli: Cli) -> None:
    workflows = {f".github/workflows/w{n:02}.yml": WORKFLOW for n in range(30)}
    repo = make_repo(tmp_path / "repo", {CODEOWNERS: "* @dev\n/.github/workflows/\n", **workflows})
    _, findings = scan(cli, repo)
    assert located(findings) == [("OWN002", CODEOWNERS, 2, 1)]
    assert "`.github/workflows/w04.yml`, 25 more and new files such as" in findings[0]["message"]


def test_own002_says_nothing_without_codeowners(tmp_path: Path, cli: Cli) -> None:
    repo = make_repo(tmp_path / "repo", {CI: WORKFLOW})
    _, findings = scan(cli, repo)
    assert [f["rule"] for f in findings] == ["OWN001"]


def test_own002_unreadable_codeowners_is_rh000_only(tmp_path: Path, cli: Cli) -> None:
    repo = make_repo(tmp_path / "repo", {CODEOWNERS: b"* @a\n\x00\x01", CI: WORKFLOW})
    _, findings = scan(cli, repo)
    assert located(findings) == [("RH000", CODEOWNERS, None, None)]


def test_own002_inline_ignore_on_the_deciding_line(tmp_path: Path, cli: Cli) -> None:
    text = "* @dev\n# repo-harden: ignore[OWN002] rulesets protect workflows\n/.github/workflows/\n"
    repo = make_repo(tmp_path / "repo", {CODEOWNERS: text, CI: WORKFLOW})
    assert scan(cli, repo) == (0, [])


def test_own002_scan_of_one_workflow_reports_it_at_its_path(tmp_path: Path, cli: Cli) -> None:
    repo = make_repo(tmp_path / "repo", {CODEOWNERS: "* @dev\n/.github/workflows/\n", CI: WORKFLOW})
    _, findings = scan(cli, repo, CI)
    assert located(findings) == [("OWN002", CI, None, None)]
    assert findings[0]["message"].startswith(
        "`.github/workflows/ci.yml` has no code owner: the last matching line, "
        ".github/CODEOWNERS:2 `/.github/workflows/`, names no owners"
    )


# The hook ---------------------------------------------------------------------------------


def run_hook(
    repo: Path, files: Sequence[str], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> tuple[int, str]:
    monkeypatch.chdir(repo)
    monkeypatch.setenv("NO_COLOR", "1")
    code = codeowners_hook(list(files))
    return code, capsys.readouterr().out


def test_hook_on_a_new_unowned_workflow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    repo = make_repo(tmp_path / "repo", {CODEOWNERS: "* @dev\n/.github/workflows/\n"})
    (repo / ".github/workflows").mkdir()
    (repo / ".github/workflows/new.yml").write_text(WORKFLOW)
    code, out = run_hook(repo, [".github/workflows/new.yml"], monkeypatch, capsys)
    assert code == 1
    assert out.startswith(
        ".github/workflows/new.yml: OWN002 `.github/workflows/new.yml` has no code owner: "
        "the last matching line, .github/CODEOWNERS:2 `/.github/workflows/`, names no owners"
    )
    assert "OWN003" not in out
    assert "OWN001" not in out


def test_hook_on_an_owned_workflow_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    repo = make_repo(tmp_path / "repo", {CODEOWNERS: "* @dev\n/.github/ @sec\n", CI: WORKFLOW})
    assert run_hook(repo, [CI], monkeypatch, capsys) == (0, "")


def test_hook_on_codeowners_reports_at_its_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    text = "* @dev\n/.github/workflows/\n!docs/ @writers\n"
    repo = make_repo(tmp_path / "repo", {CODEOWNERS: text, CI: WORKFLOW})
    code, out = run_hook(repo, [CODEOWNERS], monkeypatch, capsys)
    assert code == 1
    assert re.findall(r"^(\S+): (OWN\d+)", out, re.MULTILINE) == [
        (".github/CODEOWNERS:2:1", "OWN002"),
        (".github/CODEOWNERS:3:1", "OWN003"),
    ]


def test_hook_without_any_codeowners(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    repo = make_repo(tmp_path / "repo", {CI: WORKFLOW})
    code, out = run_hook(repo, [CI], monkeypatch, capsys)
    assert code == 1
    assert out.startswith("(repository): OWN001 no CODEOWNERS file")


def test_hook_is_declared_and_its_files_cover_the_sensitive_paths() -> None:
    hooks = {
        hook["id"]: hook
        for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    }
    hook = hooks["codeowners"]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts[hook["entry"]] == "repo_harden.hooks.codeowners:main"
    files = re.compile(hook["files"])
    covered = [
        ".github/CODEOWNERS",
        "CODEOWNERS",
        "docs/CODEOWNERS",
        ".github/workflows/ci.yml",
        ".github/actions/setup/action.yml",
        ".github/actions/setup/run.sh",
        "tools/action.yaml",
        "action.yml",
        ".pre-commit-config.yaml",
        ".github/settings.yml",
    ]
    assert [path for path in covered if not files.search(path)] == []
    others = ["src/CODEOWNERS", "src/app.py", "docs/index.md", "my-action.yml"]
    assert [path for path in others if files.search(path)] == []


# OWN003 ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Own3Case:
    id: str
    codeowners: str
    expected: list[tuple[int, int]] = field(default_factory=list)


OWN003_CASES = [
    Own3Case("valid", "* @acme/dev\n*.md docs@example.com\n/apps/github\n"),
    Own3Case("negation", "* @dev\n!*.md @writers\n", [(2, 1)]),
    Own3Case("range", "* @dev\n/src/[ab]/ @core\n", [(2, 6)]),
    Own3Case("escaped-hash", "* @dev\n\\#notes @core\n", [(2, 1)]),
    Own3Case("bad-owners", "* dev @ok @a, x@y\n", [(1, 3), (1, 11), (1, 15)]),
    Own3Case("owner-as-pattern", "@acme/dev\n", [(1, 1)]),
]


@pytest.mark.parametrize("case", OWN003_CASES, ids=lambda case: case.id)
def test_own003(case: Own3Case) -> None:
    findings = scan_files({CODEOWNERS: case.codeowners}, select=["OWN003"])
    assert located(findings) == [("OWN003", CODEOWNERS, *at) for at in case.expected]


def test_own003_shadowed_codeowners(tmp_path: Path, cli: Cli) -> None:
    files = {CODEOWNERS: "* @dev\n", "CODEOWNERS": "!x\n", "docs/CODEOWNERS": "* @dev\n"}
    repo = make_repo(tmp_path / "repo", files)
    _, findings = scan(cli, repo, select="OWN003")
    assert located(findings) == [
        ("OWN003", "CODEOWNERS", None, None),
        ("OWN003", "docs/CODEOWNERS", None, None),
    ]
    assert messages(findings, "OWN003")[0].startswith(
        "GitHub reads .github/CODEOWNERS and never this file"
    )


def test_own003_file_over_3_mb(tmp_path: Path, cli: Cli) -> None:
    line = "/src/ @acme/dev\n"
    big = "* @dev\n" + line * (MAX_BYTES // len(line))
    repo = make_repo(tmp_path / "repo", {CODEOWNERS: big, CI: WORKFLOW})
    _, findings = scan(cli, repo)
    assert located(findings) == [
        ("OWN002", CODEOWNERS, None, None),
        ("OWN003", CODEOWNERS, None, None),
    ]
    assert "GitHub does not load .github/CODEOWNERS, which is over 3 MB" in findings[0]["message"]
    assert "3.0 MiB; GitHub does not load a CODEOWNERS file over 3 MB" in findings[1]["message"]


INLINE_IGNORES = [
    "* @dev\n# repo-harden: ignore[OWN003] kept for the GitLab mirror\n!*.md @writers\n",
    "* @dev\n!*.md @writers # repo-harden: ignore[OWN003] kept for the GitLab mirror\n",
]


@pytest.mark.parametrize("text", INLINE_IGNORES, ids=["line-above", "same-line"])
def test_own003_inline_ignore(tmp_path: Path, cli: Cli, text: str) -> None:
    repo = make_repo(tmp_path / "repo", {CODEOWNERS: text})
    assert scan(cli, repo) == (0, [])


def test_own003_inline_ignore_without_reason_is_rh002(tmp_path: Path, cli: Cli) -> None:
    text = "* @dev\n!*.md @writers # repo-harden: ignore[OWN003]\n"
    repo = make_repo(tmp_path / "repo", {CODEOWNERS: text})
    _, findings = scan(cli, repo)
    assert located(findings) == [
        ("OWN003", CODEOWNERS, 2, 1),
        ("RH002", CODEOWNERS, 2, 16),
    ]


def test_own003_reports_errors_github_reports(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {CODEOWNERS: "* @ghost\n"})
    snapshot = LocalRepo(repo)
    rule = catalogue().rules["OWN003"]
    ctx = CheckContext(rule, snapshot, [CODEOWNERS], {}, ParsedFiles(snapshot))
    error = ReportedError(
        CODEOWNERS, 1, 3, "Unknown owner", "Unknown owner on line 1", "* @ghost", "check it"
    )
    [finding] = reported_error_findings(ctx, [error])
    assert (finding.rule, finding.path, finding.line, finding.column) == (
        "OWN003",
        CODEOWNERS,
        1,
        3,
    )
    assert finding.message == "GitHub reports Unknown owner: Unknown owner on line 1; check it"


# Rule docs ----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["OWN001", "OWN002", "OWN003"])
def test_rule_docs_have_every_heading(code: str) -> None:
    doc = catalogue().rules[code].doc
    assert [heading for heading in DOC_HEADINGS if f"\n{heading}\n" not in doc] == []


# repo-harden owners --------------------------------------------------------------------------

OWNERS_FILE = "* @dev\n/.github/ @sec\n/.github/workflows/legacy/\n"


@pytest.fixture
def owned_repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", {CODEOWNERS: OWNERS_FILE, CI: WORKFLOW, "src/a.py": ""})


def test_owners_text_like_check_ignore(owned_repo: Path, cli: Cli) -> None:
    paths = [CI, "src/a.py", ".github/workflows/legacy/old.yml", ".github/workflows/new.yml"]
    result = cli("owners", *paths, cwd=owned_repo)
    assert result.out.splitlines() == [
        ".github/CODEOWNERS:2:/.github/\t@sec\t.github/workflows/ci.yml",
        ".github/CODEOWNERS:1:*\t@dev\tsrc/a.py",
        ".github/CODEOWNERS:3:/.github/workflows/legacy/\t(no owner)\t"
        ".github/workflows/legacy/old.yml",
        ".github/CODEOWNERS:2:/.github/\t@sec\t.github/workflows/new.yml",
    ]
    assert result.code == 1


def test_owners_all_owned_exits_0(owned_repo: Path, cli: Cli) -> None:
    result = cli("owners", "a.py", cwd=owned_repo / "src")
    assert (result.code, result.out) == (0, ".github/CODEOWNERS:1:*\t@dev\tsrc/a.py\n")


def test_owners_folder_stands_for_its_files(owned_repo: Path, cli: Cli) -> None:
    result = cli("owners", ".github", cwd=owned_repo)
    assert [line.split("\t")[2] for line in result.out.splitlines()] == [CODEOWNERS, CI]
    assert result.code == 0


@pytest.mark.parametrize("made", [False, True], ids=["not-yet", "empty"])
def test_owners_of_a_folder_with_no_files_is_its_new_files(
    tmp_path: Path, cli: Cli, made: bool
) -> None:
    codeowners = "* @dev\n/src/ @backend\n*.py @python\n"
    repo = make_repo(tmp_path / "repo", {CODEOWNERS: codeowners})
    if made:
        (repo / "src").mkdir()
    given = "src" if made else "src/"  # an existing folder needs no slash
    result = cli("owners", given, "src/new.py", "--format", "text", cwd=repo)
    assert result.out.splitlines() == [
        ".github/CODEOWNERS:2:/src/\t@backend\tsrc/",
        ".github/CODEOWNERS:3:*.py\t@python\tsrc/new.py",
    ]
    report = cli("owners", given, "--format", "json", cwd=repo).json()["paths"]
    assert [(p["path"], p["line"]) for p in report] == [("src/", 2)]


def test_owners_json(owned_repo: Path, cli: Cli) -> None:
    result = cli("owners", "--format", "json", "src/a.py", "x/legacy", cwd=owned_repo)
    assert result.code == 0
    report = result.json()
    assert report["codeowners"] == CODEOWNERS
    assert report["paths"][0] == {
        "path": "src/a.py",
        "owned": True,
        "owners": ["@dev"],
        "source": CODEOWNERS,
        "line": 1,
        "pattern": "*",
        "reason": "the last matching line is .github/CODEOWNERS:1 `*`",
    }


def test_owners_no_matching_line(tmp_path: Path, cli: Cli) -> None:
    repo = make_repo(tmp_path / "repo", {"CODEOWNERS": "/src/ @dev\n!x @y\n"})
    result = cli("owners", "README.md", cwd=repo)
    assert (result.code, result.out) == (1, "CODEOWNERS::\t(no owner)\tREADME.md\n")
    assert "GitHub skips 1 line of CODEOWNERS" in result.err


def test_owners_without_codeowners(tmp_path: Path, cli: Cli) -> None:
    repo = make_repo(tmp_path / "repo", {"README.md": ""})
    result = cli("owners", "README.md", cwd=repo)
    # Never `::` first, as `git check-ignore -n` writes it: a GitHub Actions workflow command.
    assert (result.code, result.out) == (1, "(no CODEOWNERS)::\t(no owner)\tREADME.md\n")
    assert "no CODEOWNERS file" in result.err


def test_owners_path_outside_the_checkout(owned_repo: Path, cli: Cli) -> None:
    result = cli("owners", "../elsewhere.txt", cwd=owned_repo)
    assert result.code == 2
    assert "not inside the checkout" in result.err


def test_excluded_paths_need_no_owner(cli: Any, tmp_path: Path) -> None:
    files = {
        ".github/CODEOWNERS": "/.github/ @acme/security\n",
        "tests/fixtures/action.yml": "runs:\n  using: composite\n  steps: []\n",
    }
    repo = make_repo(tmp_path / "r", files)
    flagged = cli("scan", "--format", "json", "--select", "OWN002", cwd=repo).json()["findings"]
    assert any("tests/fixtures/action.yml" in f["message"] for f in flagged)
    excluded = cli(
        "scan", "--format", "json", "--select", "OWN002", "--exclude", "tests/fixtures/**", cwd=repo
    )
    assert excluded.json()["findings"] == []


def test_default_sensitive_globs_match_the_sensitive_list() -> None:
    """The check's file patterns (kept in file_kinds, so declaring them loads no parser)
    are exactly the globs of the built-in sensitive list."""
    from repo_harden.checks.ownership.sensitive_paths import default_sensitive_paths
    from repo_harden.readers.file_kinds import DEFAULT_SENSITIVE_GLOBS

    globs = tuple(glob for entry in default_sensitive_paths(()) for glob in entry.globs)
    assert globs == DEFAULT_SENSITIVE_GLOBS


def test_hook_reports_missing_codeowners_only_for_sensitive_commits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without CODEOWNERS, committing a README is none of OWN001's business; committing a
    workflow is."""
    from repo_harden.hooks.all_checks import main as all_checks_hook

    repo = make_repo(
        tmp_path / "r", {"README.md": "hi\n", ".github/workflows/ci.yml": "on: push\n"}
    )
    monkeypatch.chdir(repo)
    assert all_checks_hook(["README.md"]) == 0
    assert "OWN001" not in capsys.readouterr().out
    assert all_checks_hook([".github/workflows/ci.yml"]) == 1
    assert "OWN001" in capsys.readouterr().out
