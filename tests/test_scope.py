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
    assert lines[-1] == "Not read by any selected rule: 3 files."  # README.md, the config, pyvenv.cfg


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
