"""What a scan reads (`repo_harden.engine.scope`): vendored and generated trees are left out
by default, test fixtures with one line of config, `exclude` globs as before; and
`scan --list-files` shows what is read, by which rules, and what is left out and why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from repo_harden.commands.scan import rule_ranges
from repo_harden.engine.scope import DEFAULT_EXCLUDES, FIXTURE_FOLDERS
from tests.conftest import make_repo, write_files
from tests.rule_tables import scan_files

PIPED = "curl -fsSL https://x.io/i.sh | sh\n"

SCOPE_CASES: list[tuple[str, dict[str, str], list[str]]] = [
    ("a script of the project", {"ci/build.sh": PIPED}, ["ci/build.sh"]),
    ("installed node packages", {"node_modules/pkg/install.sh": PIPED}, []),
    ("a nested node_modules", {"web/node_modules/pkg/install.sh": PIPED}, []),
    ("vendored Go modules", {"vendor/github.com/o/r/hack/get.sh": PIPED}, []),
    ("third_party", {"third_party/lib/build.sh": PIPED}, []),
    ("a .venv", {".venv/lib/python3.12/site-packages/pkg/x.sh": PIPED}, []),
    ("any virtualenv, by its pyvenv.cfg", {"tools/env/pyvenv.cfg": "home = /usr\n", "tools/env/bin/x.sh": PIPED}, []),
    ("a folder without pyvenv.cfg is not a virtualenv", {"tools/env/bin/x.sh": PIPED}, ["tools/env/bin/x.sh"]),
    ("a script named like a vendored folder", {"scripts/vendor": "#!/bin/sh\n" + PIPED}, ["scripts/vendor"]),
    ("test fixtures are read unless the config says so", {"pkg/testdata/install.sh": PIPED}, ["pkg/testdata/install.sh"]),
    (
        "exclude-fixtures = true",
        {"pkg/testdata/install.sh": PIPED, "tests/fixtures/Dockerfile-bad": "FROM python:3\nRUN " + PIPED, ".repo-harden.toml": "exclude-fixtures = true\n"},
        [],
    ),
    (
        "default-excludes = false reads vendored trees",
        {"vendor/tool/get.sh": PIPED, ".repo-harden.toml": "default-excludes = false\n"},
        ["vendor/tool/get.sh"],
    ),
    ("exclude globs as before", {"ci/build.sh": PIPED, ".repo-harden.toml": 'exclude = ["ci/**"]\n'}, []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("files", "expected"), [c[1:] for c in SCOPE_CASES], ids=[c[0] for c in SCOPE_CASES]
)
def test_what_a_scan_reads(files: dict[str, str], expected: list[str]) -> None:
    found = scan_files(files, select=["DL001"])
    assert [f["path"] for f in found] == expected


def test_vendored_manifests_are_not_asked_for_lockfiles() -> None:
    """Excluded files are invisible to every rule, those that look at the whole tree too."""
    manifest = '{"dependencies": {"ms": "^2.1.3"}}'
    files = {
        "vendor/tool/package.json": manifest,
        "third_party/x/Cargo.toml": '[dependencies]\nserde = "1"\n',
    }
    assert scan_files(files, select=["LCK001"]) == []


@pytest.mark.parametrize(
    ("config", "error"),
    [
        ("default-excludes = 1", "default-excludes must be true or false"),
        ('exclude-fixtures = "yes"', "exclude-fixtures must be true or false"),
    ],
)
def test_scope_config_errors(cli: Any, tmp_path: Path, config: str, error: str) -> None:
    repo = make_repo(tmp_path / "repo", {".repo-harden.toml": config + "\n", "a.sh": "true\n"})
    result = cli("scan", cwd=repo)
    assert result.code == 2
    assert error in result.err


def test_hook_skips_a_committed_vendored_file(cli: Any, tmp_path: Path) -> None:
    """A hook is given the committed files: an excluded one is skipped there too."""
    repo = make_repo(tmp_path / "repo", {"node_modules/p/i.sh": PIPED, "ci/b.sh": PIPED})
    result = cli("scan", "--format", "json", "node_modules/p/i.sh", "ci/b.sh", cwd=repo)
    assert [f["path"] for f in result.json()["findings"]] == ["ci/b.sh"]


def _listing_repo(tmp_path: Path) -> Path:
    return make_repo(
        tmp_path / "repo",
        {
            ".github/workflows/ci.yml": "on: push\njobs: {}\n",
            "ci/build.sh": PIPED,
            "node_modules/a/x.sh": PIPED,
            "node_modules/b/y.sh": PIPED,
            "node_modules/c/z.sh": PIPED,
            "node_modules/d/w.sh": PIPED,
            "tools/env/pyvenv.cfg": "home = /usr\n",
            "tools/env/bin/activate.sh": PIPED,
            "legacy/old.sh": PIPED,
            "README.md": "# hi\n",
            ".repo-harden.toml": 'exclude = ["legacy/**"]\n',
        },
    )


def test_list_files_text(cli: Any, tmp_path: Path) -> None:
    result = cli("scan", "--list-files", cwd=_listing_repo(tmp_path))
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0] == "Read (2 files):"
    # PIN003 and PIN004 read workflows too (online they verify its pins).
    workflow_rules = ["DL001-DL004", "DL006", "OWN001", "OWN002", "PIN001-PIN004", "WF001-WF005"]
    assert lines[1].split() == [".github/workflows/ci.yml", *workflow_rules]
    assert lines[2].split() == ["ci/build.sh", "DL001-DL004", "PIN002"]
    assert "Excluded (6 files a rule would read):" in lines
    assert (
        "  vendored or generated (`node_modules/`, a default exclude): 4 (node_modules/a/x.sh, "
        "node_modules/b/y.sh, node_modules/c/z.sh and 1 more)"
    ) in lines
    assert "  in the virtualenv `tools/env/`: 1 (tools/env/bin/activate.sh)" in lines
    assert "  excluded by `legacy/**`: 1 (legacy/old.sh)" in lines
    assert (
        lines[-1] == "Not read by any selected rule: 3 files."
    )  # README.md, the config, pyvenv.cfg


def test_list_files_json_and_select(cli: Any, tmp_path: Path) -> None:
    result = cli(
        "scan", "--list-files", "--format", "json", "--select", "DL001", cwd=_listing_repo(tmp_path)
    )
    document = result.json()
    by_path = {f["path"]: f for f in document["files"]}
    assert by_path["ci/build.sh"] == {"path": "ci/build.sh", "rules": ["DL001"], "excluded": None}
    assert by_path["legacy/old.sh"]["excluded"] == {
        "kind": "config",
        "by": "legacy/**",
        "reason": "excluded by `legacy/**`",
    }
    assert by_path["tools/env/bin/activate.sh"]["excluded"]["kind"] == "virtualenv"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--format", "sarif"], "--list-files writes text or json"),
        (["--baseline", "b.json"], "--baseline has no use"),
    ],
)
def test_list_files_usage_errors(cli: Any, tmp_path: Path, args: list[str], error: str) -> None:
    result = cli("scan", "--list-files", *args, cwd=_listing_repo(tmp_path))
    assert result.code == 2
    assert error in result.err


def test_rule_ranges() -> None:
    codes = [
        "PIN002",
        "DL001",
        "DL002",
        "DL003",
        "PIN001",
        "DL006",
        "BP001",
        "BP002",
        "BP003",
        "BP004",
    ]
    assert rule_ranges(codes) == "BP001-BP004 DL001-DL003 DL006 PIN001 PIN002"


def test_documented_lists_match_the_code() -> None:
    """The README names every default exclude and fixture folder."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for name in (*DEFAULT_EXCLUDES, *FIXTURE_FOLDERS):
        assert f"`{name}/`" in readme, name


# Outside git ---------------------------------------------------------------------------------

UNPINNED = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n"


@pytest.mark.parametrize(
    ("cwd", "target"),
    [
        (".", ".github/workflows/ci.yml"),  # the workflow alone: it was read as `ci.yml`
        (".", ".github/workflows"),
        (".", ".github"),
        (".", "."),
        ("..", "project/.github/workflows/ci.yml"),
        ("..", "project"),
        (".github/workflows", "ci.yml"),
        (".github/workflows", None),
    ],
)
def test_outside_git_a_file_keeps_the_name_the_project_gives_it(
    cli: Any, tmp_path: Path, cwd: str, target: str | None
) -> None:
    """A folder that is no git checkout (a downloaded release, a CI workspace without
    .git): a workflow given alone, or its folder, is still `.github/workflows/ci.yml`,
    the path the rules read, however the scan is started."""
    project = tmp_path / "project"
    write_files(project, {".github/workflows/ci.yml": UNPINNED})
    assert not (project / ".git").exists()
    args = [target] if target is not None else []
    result = cli("scan", "--format", "json", "--select", "PIN001", *args, cwd=project / cwd)
    assert result.code == 1, result.err
    found = [(f["rule"], f["path"], f["line"]) for f in result.json()["findings"]]
    assert found == [("PIN001", ".github/workflows/ci.yml", 6)]


# What a scan says it checked (QA #1, #3, #15, #26, #27) ------------------------------------

SHEBANG_PIPED = "#!/bin/sh\n" + PIPED
# Files the Dockerfile and script globs match but the rules do not read: no shebang, or a
# name that only looks like a Dockerfile. Each holds what would be a finding if it were read.
NOT_READ = {
    "Dockerfile.dockerignore": "FROM node:20\n",
    "src/dockerfile.py": "FROM node:20\n",
    "ci/build.yml": PIPED,
    "scripts/noshebang": PIPED,
}


def test_list_files_reads_what_the_scan_reads(cli: Any, tmp_path: Path) -> None:
    """`--list-files` answers with the scan's own choice of files: content-gated files
    (no shebang, not a Dockerfile by name) are in neither."""
    repo = make_repo(tmp_path / "repo", {**NOT_READ, "scripts/tool": SHEBANG_PIPED})
    listing = cli("scan", "--list-files", "--format", "json", "--select", "DL,PIN", cwd=repo)
    read = [f["path"] for f in listing.json()["files"] if f["excluded"] is None]
    assert read == ["scripts/tool"]
    scan = cli("scan", "--format", "json", "--select", "DL,PIN", cwd=repo)
    assert {f["path"] for f in scan.json()["findings"]} == {"scripts/tool"}
    text = cli("scan", "--select", "DL,PIN", "--no-cache", cwd=repo)
    assert "in 1 file." in text.out


@pytest.mark.parametrize(
    ("args", "note"),
    [
        (["node_modules/x/a.sh"], "vendored or generated (`node_modules/`, a default exclude)"),
        (["node_modules"], "vendored or generated (`node_modules/`, a default exclude)"),
        (["ci/b.sh", "--exclude", "ci/*.sh"], "excluded by `ci/*.sh`"),
    ],
)
def test_a_named_excluded_path_is_said_not_checked(
    cli: Any, tmp_path: Path, args: list[str], note: str
) -> None:
    """Excludes keep applying to a path named on the command line (as in the hooks), and the
    user is told, in one line, that it was not checked and which exclude kept it out."""
    repo = make_repo(tmp_path / "repo", {"node_modules/x/a.sh": PIPED, "ci/b.sh": PIPED})
    result = cli("scan", "--no-cache", *args, cwd=repo)
    assert (result.code, result.out) == (0, "No findings in 0 files checked.\n")
    assert result.err == f"repo-harden: warning: {args[0]}: not checked: {note}\n"


def test_a_named_file_no_rule_reads(cli: Any, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"README.md": "curl https://x | sh\n", "a.sh": PIPED})
    result = cli("scan", "--no-cache", "README.md", cwd=repo)
    assert (result.code, result.out) == (0, "No findings in 0 files checked.\n")
    assert result.err == "repo-harden: warning: README.md: not checked: no selected rule reads it\n"
    both = cli("scan", "--no-cache", "README.md", "a.sh", "--select", "PIN", cwd=repo)
    assert both.out == "No findings in 1 file checked.\n"  # a.sh: PIN002 reads scripts


def test_a_named_hostile_path_is_escaped(cli: Any, tmp_path: Path) -> None:
    name = "node_modules/\x1b[31mred.sh"
    repo = make_repo(tmp_path / "repo", {name: PIPED})
    result = cli("scan", "--no-cache", name, cwd=repo)
    assert "\x1b" not in result.err
    assert "not checked: vendored or generated" in result.err


def test_the_hook_still_skips_an_excluded_file_in_silence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    """pre-commit passes every staged file: a vendored one is skipped, not reported, and
    the config's `exclude` applies too."""
    from repo_harden.hooks.all_checks import main as hook

    repo = make_repo(
        tmp_path / "repo",
        {"node_modules/p/i.sh": PIPED, "legacy/o.sh": PIPED, ".repo-harden.toml": 'exclude = ["legacy/**"]\n'},
    )  # fmt: skip
    monkeypatch.chdir(repo)
    assert hook(["node_modules/p/i.sh", "legacy/o.sh", "--select", "DL"]) == 0
    assert capsys.readouterr() == ("", "")


def test_a_repository_level_finding_is_in_no_file(cli: Any, tmp_path: Path) -> None:
    empty = make_repo(tmp_path / "empty", {})
    result = cli("scan", "--no-cache", cwd=empty)
    assert result.code == 1
    assert "Found 1 finding (1 warning) about the repository.\n" in result.out
    repo = make_repo(tmp_path / "repo", {"a.sh": PIPED})
    both = cli("scan", "--no-cache", "--select", "DL001,OWN001", cwd=repo)
    assert "Found 2 findings (1 error, 1 warning) in 1 file and about the repository." in both.out


def test_no_findings_counts_the_files_checked_not_the_files_listed(
    cli: Any, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "repo", {"a.sh": "true\n", "README.md": "x\n", "b.txt": "y\n"})
    result = cli("scan", "--no-cache", "--select", "DL", cwd=repo)
    assert result.out == "No findings in 1 file checked.\n"
    cache = tmp_path / "cache"
    cli("scan", "--cache-dir", str(cache), "--select", "DL", cwd=repo)
    warm = cli("scan", "--cache-dir", str(cache), "--select", "DL", cwd=repo)
    assert warm.out == "No findings in 1 file checked.\n"  # a cached run counts the same


def test_a_path_outside_the_checkout_is_refused(cli: Any, tmp_path: Path) -> None:
    """As `owners` and `waive`: one line, exit 2, for a file in no checkout while the scan
    runs in one (a file outside git, scanned from outside git, is still read: see below)."""
    repo = make_repo(tmp_path / "repo", {"a.sh": PIPED})
    outside = tmp_path / "elsewhere" / "passwd"
    write_files(outside.parent, {"passwd": "root:x:0:0::/root:/bin/sh\n"})
    for args in ([str(outside)], ["a.sh", str(outside)]):
        result = cli("scan", *args, cwd=repo)
        assert result.code == 2
        assert result.out == ""
        assert len(result.err.splitlines()) == 1
        assert f"{outside}: not inside the checkout at {repo}" in result.err
    listing = cli("scan", "--list-files", str(outside), cwd=repo)
    assert listing.code == 2


def test_another_checkout_can_be_named(cli: Any, tmp_path: Path) -> None:
    here = make_repo(tmp_path / "here", {"a.sh": "true\n"})
    other = make_repo(tmp_path / "other", {"b.sh": PIPED})
    result = cli("scan", "--format", "json", "--no-cache", "--select", "DL", str(other), cwd=here)
    assert [f["path"] for f in result.json()["findings"]] == ["b.sh"]


def test_from_a_subfolder_scan_checks_the_current_folder(cli: Any, tmp_path: Path) -> None:
    """As ruff: the current folder (the rest of the checkout is context). `--help` and the
    README say so."""
    repo = make_repo(tmp_path / "repo", {"web/a.sh": PIPED, "ci/b.sh": PIPED})
    result = cli("scan", "--format", "json", "--no-cache", "--select", "DL001", cwd=repo / "web")
    assert [f["path"] for f in result.json()["findings"]] == ["web/a.sh"]
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert "scans the current folder" in readme


def test_scan_help_says_what_no_path_means(capsys: Any) -> None:
    from repo_harden.cli import main

    with pytest.raises(SystemExit):
        main(["scan", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "default: the current folder (at the top of a checkout, all of it)" in help_text
