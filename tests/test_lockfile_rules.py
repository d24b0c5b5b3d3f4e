"""LCK001 and LCK002: a table per rule and ecosystem, real manifest and lockfile pairs made
by the package managers themselves, and pairs copied from public projects
(tests/fixtures/lockfiles/README.md)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TESTS, make_repo
from tests.rule_tables import scan_files

FIXTURES = TESTS / "fixtures" / "lockfiles"
PUBLIC = FIXTURES / "public"
REAL_PAIRS = sorted(
    str(path.relative_to(FIXTURES))
    for path in FIXTURES.glob("*/*")
    if path.is_dir() and path.parent != PUBLIC
)
# Copied from public projects, each with its license: `public/<ecosystem>-<project>`.
PUBLIC_PAIRS = sorted(f"public/{path.name}" for path in PUBLIC.iterdir() if path.is_dir())

Expected = list[tuple[str, str, int | None]]


def _scan(cli: Any, repo: Path, *extra: str) -> list[dict[str, Any]]:
    result = cli("scan", "--format", "json", "--select", "LCK,RH", *extra, cwd=repo)
    assert result.code in (0, 1), result.err
    findings: list[dict[str, Any]] = result.json()["findings"]
    return findings


def _where(findings: list[dict[str, Any]]) -> Expected:
    return [(f["rule"], f["path"], f["line"]) for f in findings]


def _fixture_repo(tmp_path: Path, case: str) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / case, repo)
    return make_repo(repo, {})


# Real projects: consistent as generated, stale after a one-line manifest edit --------


def test_every_ecosystem_has_real_pairs() -> None:
    ecosystems = {case.split("/")[0] for case in REAL_PAIRS}
    assert {"npm", "pnpm", "yarn", "uv", "poetry", "cargo"} <= ecosystems


def test_every_ecosystem_has_public_pairs() -> None:
    ecosystems = {case.removeprefix("public/").split("-")[0] for case in PUBLIC_PAIRS}
    assert {"npm", "pnpm", "yarn", "uv", "poetry", "cargo"} <= ecosystems


@pytest.mark.parametrize("case", PUBLIC_PAIRS)
def test_public_pair_keeps_its_license_and_provenance(case: str) -> None:
    assert (FIXTURES / case / "LICENSE").read_text(encoding="utf-8").strip()
    readme = (FIXTURES / "README.md").read_text(encoding="utf-8")
    assert f"`{case}`" in readme, "list the project, commit and license in the README table"


@pytest.mark.parametrize("case", REAL_PAIRS + PUBLIC_PAIRS)
def test_real_consistent_project_has_no_findings(cli: Any, tmp_path: Path, case: str) -> None:
    repo = _fixture_repo(tmp_path, case)
    assert _scan(cli, repo) == []


# (case, manifest, old text, new text, what the message must name, the fixing command)
EDITS = [
    ("npm/basic", "package.json", '"ms": "^2.1.3"', '"ms": "^3.0.0"', "`ms`", "npm install"),
    (
        "npm/workspaces",
        "packages/app/package.json",
        '"ms": "^2.1.3"',
        '"ms": "^2.1.3", "once": "^1.4.0"',
        "`once`",
        "npm install",
    ),
    (
        "npm/lockfile-v1",
        "package.json",
        '"is-number": "^7.0.0"',
        '"is-number": "^6.0.0"',
        "`is-number`",
        "npm install",
    ),
    ("pnpm/basic", "package.json", '"ms": "^2.1.3"', '"ms": "^2.1.0"', "`ms`", "pnpm install"),
    (
        "pnpm/workspace",
        "packages/util/package.json",
        '"depd": "^2.0.0"',
        '"depd": "^2.0.0", "once": "^1.4.0"',
        "`once`",
        "pnpm install",
    ),
    (
        "pnpm/lockfile-v5",
        "package.json",
        '"escape-html": "~1.0.3"',
        '"escape-html": "^1.0.3"',
        "`escape-html`",
        "pnpm install",
    ),
    (
        "pnpm/lockfile-v6",
        "package.json",
        '"depd": "2.0.0"',
        '"depd": "^2.0.0"',
        "`depd`",
        "pnpm install",
    ),
    (
        "pnpm/overrides",
        "package.json",
        '"debug>ms": "2.1.2"',
        '"debug>ms": "2.1.3"',
        "the override `debug>ms` is `2.1.3` but `2.1.2` in pnpm-lock.yaml",
        "pnpm install",
    ),
    (  # `resolutions` are overrides to pnpm too
        "pnpm/overrides",
        "package.json",
        '"is-number": "6.0.0"',
        '"is-number": "7.0.0"',
        "the override `is-number` is `7.0.0`",
        "pnpm install",
    ),
    (
        "pnpm/overrides",
        "package.json",
        '"is-positive": "^3.0.0"',
        '"is-positive": "^3.0.0", "is-even": "^1.0.0"',
        "`is-even` is not in pnpm-lock.yaml",
        "pnpm install",
    ),
    (
        "yarn/classic",
        "package.json",
        '"ms": "^2.1.3"',
        '"ms": "^2.1.0"',
        "`ms@^2.1.0`",
        "yarn install",
    ),
    (
        "yarn/berry-resolutions",
        "package.json",
        '"ms": "2.1.2"',
        '"ms": "2.1.0"',
        "the resolution `ms: 2.1.0` has no entry in yarn.lock",
        "yarn install",
    ),
    (
        "yarn/berry",
        "packages/util/package.json",
        '"depd": "^2.0.0"',
        '"depd": "^2.0.1"',
        "`depd`",
        "yarn install",
    ),
    ("uv/basic", "pyproject.toml", '"six>=1.16",', '"six>=1.17",', "`six>=1.17`", "uv lock"),
    (
        "uv/workspace",
        "packages/lib-a/pyproject.toml",
        'dependencies = ["idna~=3.7"]',
        'dependencies = ["idna~=3.7", "attrs"]',
        "`attrs`",
        "uv lock",
    ),
    (  # a group that other groups include: reported once, for the group that declares it
        "uv/include-groups",
        "pyproject.toml",
        '"iniconfig>=2.0"',
        '"iniconfig>=2.1"',
        "`iniconfig>=2.1` (group `test`)",
        "uv lock",
    ),
    (
        "uv/include-groups",
        "pyproject.toml",
        'base = ["idna>=3.4", ',
        'base = ["idna>=3.4", "attrs>=23", ',
        "`attrs>=23` (group `base`) is not in uv.lock",
        "uv lock",
    ),
    ("poetry/classic", "pyproject.toml", 'six = "^1.16"', 'six = "^2.0"', "six", "poetry lock"),
    (
        "poetry/pep621",
        "pyproject.toml",
        '"idna>=3.4",',
        '"idna>=3.4", "attrs>=23",',
        "`attrs>=23`",
        "poetry lock",
    ),
    (
        "poetry/poetry-1.8",
        "pyproject.toml",
        'iniconfig = "~2.0"',
        'iniconfig = "~2.1"',
        "iniconfig",
        "poetry lock",
    ),
    ("pipenv/basic", "Pipfile", 'six = ">=1.16"', 'six = ">=1.18"', "`six", "pipenv lock"),
    (
        "composer/path-repository",
        "composer.json",
        '"fixture/greeter": "^1.2"',
        '"fixture/greeter": "^1.2", "fixture/other": "^1.0"',
        "`fixture/other`",
        "composer update fixture/other",
    ),
    (
        "cargo/workspace",
        "crates/cli/Cargo.toml",
        'path = "../macros", optional',
        'path = "../macros", version = "0.4", optional',
        "`macros`",
        "cargo update --workspace",
    ),
]


# The same for the public pairs: a changed range and an added dependency.
PUBLIC_EDITS = [
    (
        "public/npm-vscode-statusbar-sample",
        "package.json",
        '"typescript": "^5.1.3"',
        '"typescript": "^5.2.0"',
        "`typescript`",
        "npm install",
    ),
    (
        "public/npm-vscode-statusbar-sample",
        "package.json",
        '"typescript": "^5.1.3"',
        '"typescript": "^5.1.3", "left-pad": "^1.3.0"',
        "`left-pad`",
        "npm install",
    ),
    (
        "public/pnpm-pnpm-workspace-template",
        "packages/ui/package.json",
        '"shared": "workspace:*"',
        '"shared": "workspace:*", "once": "^1.4.0"',
        "`once`",
        "pnpm install",
    ),
    (
        "public/pnpm-pnpm-workspace-template",
        "package.json",
        '"vite": "^7.2.4"',
        '"vite": "^7.3.1"',
        "`vite`",
        "pnpm install",
    ),
    (
        "public/yarn-ya-linguistics",
        "package.json",
        '"prettier": "^2.6.2"',
        '"prettier": "^2.7.0"',
        "`prettier@^2.7.0`",
        "yarn install",
    ),
    (
        "public/yarn-ya-linguistics",
        "package.json",
        '"typescript": "^4.7.2"',
        '"typescript": "^4.7.2", "left-pad": "^1.3.0"',
        "`left-pad@^1.3.0`",
        "yarn install",
    ),
    (
        "public/uv-uv-template",
        "pyproject.toml",
        '"python-dotenv>=1.0",',
        '"python-dotenv>=1.3",',
        "`python-dotenv>=1.3`",
        "uv lock",
    ),
    (
        "public/uv-uv-template",
        "pyproject.toml",
        '"python-dotenv>=1.0",',
        '"python-dotenv>=1.0", "attrs>=23",',
        "`attrs>=23`",
        "uv lock",
    ),
    (
        "public/poetry-python-poetry-template",
        "pyproject.toml",
        'mypy = "^1.9.0"',
        'mypy = "^1.10.0"',
        "`mypy",
        "poetry lock",
    ),
    (
        "public/cargo-table-grep",
        "Cargo.toml",
        'regex = "1"',
        'regex = "2"',
        "`regex`",
        "cargo update --workspace",
    ),
    (  # serde is locked, but only as a dependency of other crates
        "public/cargo-table-grep",
        "Cargo.toml",
        'regex = "1"',
        'serde = "1"\nregex = "1"',
        "`serde` is locked for other crates",
        "cargo update --workspace",
    ),
]
ALL_EDITS = EDITS + PUBLIC_EDITS


@pytest.mark.parametrize("edit", ALL_EDITS, ids=[f"{e[0]}:{e[4]}" for e in ALL_EDITS])
def test_one_line_manifest_edit_makes_lck002_fire(
    cli: Any, tmp_path: Path, edit: tuple[str, str, str, str, str, str]
) -> None:
    case, manifest, old, new, names, command = edit
    repo = _fixture_repo(tmp_path, case)
    path = repo / manifest
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    (edited,) = [number for number, line in enumerate(lines) if old in line]
    lines[edited] = lines[edited].replace(old, new)
    path.write_text("".join(lines), encoding="utf-8")
    findings = _scan(cli, repo)
    assert findings, "the edit went unnoticed"
    assert {f["rule"] for f in findings} == {"LCK002"}
    first = findings[0]
    assert (first["path"], first["line"]) == (manifest, edited + 1)
    assert names in first["message"]
    assert f"`{command}`" in first["message"]


# Each verdict was checked against `uv lock --locked` (uv 0.13.9) on the same edit.
UV_GROUP_EDITS = [
    # uv records a group with its includes flattened: dropping one is drift in `dev`
    ('{include-group = "lint-tools"}, ', "", ["`colorama` (group `dev`) is in uv.lock but no longer"]),
    ('"iniconfig>=2.0"', '"iniconfig>=2.1"', ["`iniconfig>=2.1` (group `test`) in pyproject.toml"]),
    # the same requirement however spelled, included twice, or named again: one entry
    ('"idna >= 3.4"]', '"idna>=3.4"]', []),
    ('"tomli>=2.0"]', '"tomli>=2.0", "iniconfig>=2.0"]', []),
    ('{include-group = "lint-tools"}', '{include-group = "Lint.Tools"}', []),
    ('dev = [', 'dev = ["six>=1.16", ', []),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "expected"), UV_GROUP_EDITS)
def test_uv_dependency_groups_are_compared_as_uv_flattens_them(
    cli: Any, tmp_path: Path, old: str, new: str, expected: list[str]
) -> None:
    """`{include-group = ...}` no longer turns the comparison of dependency groups off: each
    group is compared as uv records it in `requires-dev` (its includes flattened in, each
    requirement once, uv's legacy `dev-dependencies` in `dev`), and a drift inherited from an
    included group is reported once, for the group that declares it."""
    repo = _fixture_repo(tmp_path, "uv/include-groups")
    manifest = repo / "pyproject.toml"
    text = manifest.read_text()
    assert text.count(old) == 1
    manifest.write_text(text.replace(old, new))
    messages = [f["message"] for f in _scan(cli, repo)]
    assert len(messages) == len(expected), messages
    for message, wanted in zip(messages, expected, strict=True):
        assert wanted in message


def test_uv_groups_that_uv_refuses_are_not_compared() -> None:
    """An include of a group that does not exist, or a cycle, makes uv refuse the project
    ("malformed dependency groups"): there is no lock to compare those groups with."""
    lock = (
        'version = 1\n\n[[package]]\nname = "p"\nversion = "1"\nsource = { virtual = "." }\n\n'
        "[package.metadata]\nrequires-dist = []\n\n[package.metadata.requires-dev]\n"
        'a = [{ name = "six", specifier = ">=1" }]\n'
    )
    for groups in (
        'a = [{include-group = "missing"}]',
        'a = [{include-group = "b"}]\nb = [{include-group = "a"}]',
    ):
        manifest = f'[project]\nname = "p"\nversion = "1"\n\n[dependency-groups]\n{groups}\n'
        assert scan_files({"pyproject.toml": manifest, "uv.lock": lock}, select=["LCK002"]) == []


def test_pnpm_10_overrides_in_the_workspace_file_are_compared(cli: Any, tmp_path: Path) -> None:
    """pnpm 10 reads `overrides` from pnpm-workspace.yaml; `pnpm install --frozen-lockfile`
    refuses the lockfile once they change (ERR_PNPM_LOCKFILE_CONFIG_MISMATCH)."""
    repo = _fixture_repo(tmp_path, "pnpm/workspace-overrides")
    workspace = repo / "pnpm-workspace.yaml"
    workspace.write_text(workspace.read_text().replace("ms: 2.1.2", "ms: 2.1.3"))
    findings = _scan(cli, repo)
    assert _where(findings) == [("LCK002", "package.json", None)]
    assert "the override `ms` is `2.1.3` but `2.1.2` in pnpm-lock.yaml" in findings[0]["message"]
    # A commit of the workspace file alone (as the `lockfiles` hook sees it) finds it too.
    alone = _scan(cli, repo, "pnpm-workspace.yaml")
    assert _where(alone) == [("LCK002", "pnpm-workspace.yaml", None)]
    assert alone[0]["message"] == findings[0]["message"]


@pytest.mark.parametrize(
    ("case", "resolutions"),
    [
        # yarn 4 needs no entry for a package that is not locked at all
        ("yarn/berry-resolutions", {"left-pad": "1.2.0"}),
        # yarn 1's `install --frozen-lockfile` accepts a lockfile whose resolutions changed
        ("yarn/classic", {"ms": "2.1.0"}),
    ],
)
def test_resolution_edits_the_package_manager_accepts_pass(
    cli: Any, tmp_path: Path, case: str, resolutions: dict[str, str]
) -> None:
    repo = _fixture_repo(tmp_path, case)
    manifest = repo / "package.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["resolutions"] = {**data.get("resolutions", {}), **resolutions}
    manifest.write_text(json.dumps(data, indent=2), encoding="utf-8")
    assert _scan(cli, repo) == []


def test_an_unreadable_workspace_file_is_rh000_and_its_overrides_are_not_judged(
    cli: Any, tmp_path: Path
) -> None:
    repo = _fixture_repo(tmp_path, "pnpm/workspace-overrides")
    (repo / "pnpm-workspace.yaml").write_text("packages: [\noverrides: {\n")
    findings = _scan(cli, repo)
    assert _where(findings) == [("RH000", "pnpm-workspace.yaml", 3)]


def test_lockfile_alone_gets_the_finding(cli: Any, tmp_path: Path) -> None:
    """A hook run on a commit of just the lockfile keeps the finding: it moves there."""
    repo = _fixture_repo(tmp_path, "npm/basic")
    manifest = repo / "package.json"
    manifest.write_text(manifest.read_text().replace('"^2.1.3"', '"^3.0.0"'))
    findings = _scan(cli, repo, "package-lock.json")
    assert _where(findings) == [("LCK002", "package-lock.json", None)]


# LCK001 -------------------------------------------------------------------------------

PKG_DEPS = '{\n  "name": "x",\n  "dependencies": {\n    "ms": "^2.1.3"\n  }\n}\n'
PKG_NO_DEPS = '{\n  "name": "x",\n  "scripts": {"test": "node t.js"}\n}\n'
PEP621 = '[project]\nname = "p"\nversion = "1"\ndependencies = [\n    "requests>=2",\n]\n'
POETRY = (
    '[tool.poetry]\nname = "p"\n\n[tool.poetry.dependencies]\npython = "^3.9"\nrequests = "^2"\n'
)
TF_ROOT = 'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws" }\n  }\n  backend "s3" {}\n}\n'
TF_CHILD = 'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws" }\n  }\n}\n'
CSPROJ = (
    '<Project Sdk="Microsoft.NET.Sdk">\n  <PropertyGroup>\n'
    "    <RestorePackagesWithLockFile>true</RestorePackagesWithLockFile>\n"
    '  </PropertyGroup>\n  <ItemGroup>\n    <PackageReference Include="Newtonsoft.Json" Version="13.0.3" />\n'
    "  </ItemGroup>\n</Project>\n"
)

LCK001_CASES: list[tuple[str, dict[str, str], Expected]] = [
    ("package.json without lockfile", {"package.json": PKG_DEPS}, [("LCK001", "package.json", 3)]),
    ("package.json without dependencies", {"package.json": PKG_NO_DEPS}, []),
    ("package.json with yarn.lock", {"package.json": PKG_DEPS, "yarn.lock": ""}, []),
    ("package.json with bun.lock", {"package.json": PKG_DEPS, "bun.lock": "{}"}, []),
    (
        "npm workspace member, lockfile at the root",
        {
            "package.json": '{"workspaces": ["packages/*"]}',
            "package-lock.json": '{"lockfileVersion": 3, "packages": {}}',
            "packages/a/package.json": PKG_DEPS,
        },
        [],
    ),
    (
        "not a member of the root's workspaces",
        {
            "package.json": '{"workspaces": ["packages/*"]}',
            "package-lock.json": '{"lockfileVersion": 3, "packages": {}}',
            "tools/a/package.json": PKG_DEPS,
        },
        [("LCK001", "tools/a/package.json", 3)],
    ),
    (
        "pnpm workspace member",
        {
            "pnpm-workspace.yaml": "packages:\n  - 'apps/**'\n  - '!apps/legacy'\n",
            "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
            "apps/web/package.json": PKG_DEPS,
            "apps/legacy/package.json": PKG_DEPS,
        },
        [("LCK001", "apps/legacy/package.json", 3)],
    ),
    ("vendored node_modules", {"node_modules/ms/package.json": PKG_DEPS}, []),
    ("PEP 621 without lockfile", {"pyproject.toml": PEP621}, [("LCK001", "pyproject.toml", 4)]),
    ("PEP 621 with uv.lock", {"pyproject.toml": PEP621, "uv.lock": "version = 1\n"}, []),
    ("PEP 621 with pylock.dev.toml", {"pyproject.toml": PEP621, "pylock.dev.toml": ""}, []),
    (
        "PEP 621 with a compiled requirements file",
        {
            "pyproject.toml": PEP621,
            "requirements.txt": "# This file is autogenerated by pip-compile with Python 3.12\n"
            "requests==2.32.3 \\\n    --hash=sha256:aa\n",
        },
        [],
    ),
    ("Poetry dependencies", {"pyproject.toml": POETRY}, [("LCK001", "pyproject.toml", 4)]),
    (
        "only python in Poetry dependencies",
        {"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.9"\n'},
        [],
    ),
    ("no dependencies", {"pyproject.toml": '[project]\nname = "p"\nversion = "1"\n'}, []),
    (
        "uv workspace member and an excluded one",
        {
            "pyproject.toml": '[tool.uv.workspace]\nmembers = ["libs/*"]\nexclude = ["libs/old"]\n',
            "uv.lock": "version = 1\n",
            "libs/a/pyproject.toml": PEP621,
            "libs/old/pyproject.toml": PEP621,
        },
        [("LCK001", "libs/old/pyproject.toml", 4)],
    ),
    ("Pipfile", {"Pipfile": '[packages]\nrequests = "*"\n'}, [("LCK001", "Pipfile", 1)]),
    ("Pipfile.lock", {"Pipfile": '[packages]\nrequests = "*"\n', "Pipfile.lock": "{}"}, []),
    (
        "go.mod with requirements",
        {"go.mod": "module x\n\ngo 1.22\n\nrequire golang.org/x/mod v0.14.0\n"},
        [("LCK001", "go.mod", 5)],
    ),
    ("go.mod without requirements", {"go.mod": "module x\n\ngo 1.22\n"}, []),
    (
        "Cargo.toml",
        {"Cargo.toml": '[package]\nname = "c"\nversion = "0.1.0"\n\n[dependencies]\nserde = "1"\n'},
        [("LCK001", "Cargo.toml", 5)],
    ),
    (
        "Cargo workspace member, lockfile at the root",
        {
            "Cargo.toml": '[workspace]\nmembers = ["crates/*"]\n',
            "Cargo.lock": "version = 4\n",
            "crates/c/Cargo.toml": '[package]\nname = "c"\n\n[dependencies]\nserde = "1"\n',
        },
        [],
    ),
    (
        "Gemfile",
        {"Gemfile": "source 'https://rubygems.org'\ngem 'rails'\n"},
        [("LCK001", "Gemfile", 2)],
    ),
    ("Gemfile.lock", {"Gemfile": "gem 'rails'\n", "Gemfile.lock": "GEM\n"}, []),
    (
        "composer.json with platform packages only",
        {"composer.json": '{"require": {"php": ">=8.1", "ext-json": "*"}}'},
        [],
    ),
    (
        "composer.json",
        {"composer.json": '{\n  "require": {\n    "monolog/monolog": "^3.0"\n  }\n}\n'},
        [("LCK001", "composer.json", 2)],
    ),
    (
        "pubspec.yaml",
        {"pubspec.yaml": "name: app\ndependencies:\n  http: ^1.2.0\n"},
        [("LCK001", "pubspec.yaml", 2)],
    ),
    (
        "Package.swift",
        {
            "Package.swift": 'let package = Package(\n  dependencies: [\n    .package(url: "https://github.com/apple/swift-nio", from: "2.0.0"),\n  ]\n)\n'
        },
        [("LCK001", "Package.swift", 3)],
    ),
    (
        "mix.exs",
        {"mix.exs": 'defp deps do\n  [\n    {:jason, "~> 1.4"}\n  ]\nend\n'},
        [("LCK001", "mix.exs", 3)],
    ),
    (
        "umbrella app",
        {
            "mix.exs": 'def project, do: [apps_path: "apps"]\n',
            "mix.lock": "%{}\n",
            "apps/a/mix.exs": 'defp deps, do: [{:jason, "~> 1.4"}]\n',
        },
        [],
    ),
    ("Terraform root module", {"infra/main.tf": TF_ROOT}, [("LCK001", "infra/main.tf", 2)]),
    ("Terraform child module", {"modules/vpc/main.tf": TF_CHILD}, []),
    ("Terraform locked", {"infra/main.tf": TF_ROOT, "infra/.terraform.lock.hcl": ""}, []),
    ("csproj with lock files on", {"src/App.csproj": CSPROJ}, [("LCK001", "src/App.csproj", 6)]),
    (
        "csproj with lock files off",
        {
            "src/App.csproj": CSPROJ.replace(
                "<RestorePackagesWithLockFile>true</RestorePackagesWithLockFile>", ""
            )
        },
        [],
    ),
    (
        "exempt in the config",
        {
            "pyproject.toml": PEP621
            + '\n[tool.repo-harden.rules.LCK001]\nexempt-paths = ["pyproject.toml"]\n'
        },
        [],
    ),
]


@pytest.mark.parametrize(
    ("files", "expected"), [c[1:] for c in LCK001_CASES], ids=[c[0] for c in LCK001_CASES]
)
def test_lck001(files: dict[str, str], expected: Expected) -> None:
    assert _where(scan_files(files, select=["LCK001"], ignore=["RH000"])) == expected


def test_lck001_message_names_the_command() -> None:
    files = {
        "web/package.json": '{"packageManager": "pnpm@9.15.0", "dependencies": {"ms": "^2"}}',
        "api/pyproject.toml": POETRY,
        "svc/pyproject.toml": PEP621,
    }
    messages = {f["path"]: f["message"] for f in scan_files(files, select=["LCK", "RH"])}
    assert "run `pnpm install`" in messages["web/package.json"]
    assert "run `poetry lock`" in messages["api/pyproject.toml"]
    assert "run `uv lock`" in messages["svc/pyproject.toml"]


# LCK002 cases the real fixtures do not cover ---------------------------------------------

GO_MOD = "module x\n\ngo 1.22\n\nrequire (\n\tgolang.org/x/mod v0.14.0\n\texample.com/local v1.0.0\n)\n\nreplace example.com/local => ../local\n"
GO_SUM = "golang.org/x/mod v0.14.0 h1:abc=\ngolang.org/x/mod v0.14.0/go.mod h1:def=\n"
CARGO_TOML = '[package]\nname = "app"\nversion = "0.1.0"\n\n[dependencies]\nserde = "1.0.200"\nrand = { version = "0.8" }\n'
CARGO_LOCK = (
    "version = 4\n\n"
    '[[package]]\nname = "app"\nversion = "0.1.0"\ndependencies = [\n "serde",\n]\n\n'
    '[[package]]\nname = "serde"\nversion = "1.0.210"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\n'
    'checksum = "8e8d9c4d4ab5bb5e5d5a7f2b7e1c5b6a3b3b0e4e4a5c6b7d8e9f0a1b2c3d4e5f"\n'
)


def _npm_lock(root_deps: str, packages: str) -> str:
    return (
        '{"lockfileVersion": 3, "packages": {"": {"dependencies": {'
        + root_deps
        + "}}, "
        + packages
        + "}}"
    )


LCK002_CASES: list[tuple[str, dict[str, str], Expected, str]] = [
    (
        "go.sum lacks a required module; a local replacement needs none",
        {
            "go.mod": GO_MOD,
            "go.sum": GO_SUM.replace("golang.org/x/mod v0.14.0/go.mod h1:def=\n", ""),
        },
        [],
        "",
    ),
    (
        "go.sum lacks every line of a module",
        {"go.mod": GO_MOD, "go.sum": ""},
        [("LCK002", "go.mod", 6)],
        "`golang.org/x/mod v0.14.0` has no checksum line in go.sum",
    ),
    (
        "Cargo.lock lacks a direct dependency",
        {"Cargo.toml": CARGO_TOML, "Cargo.lock": CARGO_LOCK},
        [("LCK002", "Cargo.toml", 7)],
        "`rand` is not in Cargo.lock",
    ),
    (
        "a direct dependency is locked only as another crate's (cargo build --locked refuses)",
        {
            "Cargo.toml": CARGO_TOML.replace('rand = { version = "0.8" }\n', ""),
            "Cargo.lock": CARGO_LOCK.replace(' "serde",\n', ' "helper",\n')
            + '\n[[package]]\nname = "helper"\nversion = "0.1.0"\ndependencies = [\n "serde",\n]\n',
        },
        [("LCK002", "Cargo.toml", 6)],
        "`serde` is locked for other crates, but Cargo.lock does not list it among `app`'s "
        "dependencies",
    ),
    (
        "Cargo.lock locks a version the requirement excludes",
        {
            "Cargo.toml": CARGO_TOML.replace('"1.0.200"', '"1.0.211"').replace(
                'rand = { version = "0.8" }\n', ""
            ),
            "Cargo.lock": CARGO_LOCK,
        },
        [("LCK002", "Cargo.toml", 6)],
        "`serde` requires `1.0.211`, but Cargo.lock locks 1.0.210",
    ),
    (
        "npm alias satisfied by the real package",
        {
            "package.json": '{"dependencies": {"lodash4": "npm:lodash@^4.17.0"}}',
            "package-lock.json": _npm_lock(
                '"lodash4": "npm:lodash@^4.17.0"',
                '"node_modules/lodash4": {"name": "lodash", "version": "4.17.21"}',
            ),
        },
        [],
        "",
    ),
    (
        "npm git spec changed",
        {
            "package.json": '{"dependencies": {"x": "github:o/x#v2"}}',
            "package-lock.json": _npm_lock(
                '"x": "github:o/x#v1"', '"node_modules/x": {"version": "1.0.0"}'
            ),
        },
        [("LCK002", "package.json", 1)],
        "`x` is `github:o/x#v2` in package.json but `github:o/x#v1` in package-lock.json",
    ),
    (
        "npm accepts a changed range the locked version still satisfies",
        {
            "package.json": '{"dependencies": {"ms": "^2.1.0"}}',
            "package-lock.json": _npm_lock(
                '"ms": "^2.1.3"', '"node_modules/ms": {"version": "2.1.3"}'
            ),
        },
        [],
        "",
    ),
    (
        "npm takes any locked version for `*`, a prerelease too (node-semver alone would not)",
        {
            "package.json": '{"dependencies": {"x": "*"}}',
            "package-lock.json": _npm_lock(
                '"x": "*"', '"node_modules/x": {"version": "2.0.0-rc.1"}'
            ),
        },
        [],
        "",
    ),
    (
        "Poetry's `=1.2.3` is `==1.2.3`: the excluded locked version is named",
        {
            "pyproject.toml": POETRY.replace('"^2"', '"=2.30.0"'),
            "poetry.lock": 'content-hash = "00"\n\n[[package]]\nname = "requests"\nversion = "2.31.0"\n',
        },
        [("LCK002", "pyproject.toml", 6)],
        '`requests = "=2.30.0"` does not allow the locked 2.31.0',
    ),
    (
        "npm nested install satisfies a workspace member",
        {
            "package.json": '{"workspaces": ["a"]}',
            "a/package.json": '{"dependencies": {"ms": "^1.0.0"}}',
            "package-lock.json": _npm_lock(
                "",
                '"node_modules/ms": {"version": "2.1.3"}, "a/node_modules/ms": {"version": "1.0.0"},'
                ' "a": {"dependencies": {"ms": "^1.0.0"}}',
            ),
        },
        [],
        "",
    ),
    (
        "pnpm: a dependency removed from package.json",
        {
            "package.json": '{"dependencies": {}}',
            "pnpm-lock.yaml": "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      ms:\n        specifier: ^2.1.3\n        version: 2.1.3\n",
        },
        [("LCK002", "package.json", None)],
        "`ms` is in pnpm-lock.yaml but no longer in package.json",
    ),
    (
        "pnpm: a dependency moved to devDependencies",
        {
            "package.json": '{"devDependencies": {"ms": "^2.1.3"}}',
            "pnpm-lock.yaml": "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      ms:\n        specifier: ^2.1.3\n        version: 2.1.3\n",
        },
        [("LCK002", "package.json", 1)],
        "`ms` is in devDependencies in package.json but not in pnpm-lock.yaml",
    ),
    (
        "pnpm: an overridden direct dependency whose override was dropped",
        {
            "package.json": '{"dependencies": {"ms": "^2.0.0"}}',
            "pnpm-lock.yaml": "lockfileVersion: '9.0'\noverrides:\n  ms: 2.1.3\nimporters:\n  .:\n    dependencies:\n      ms:\n        specifier: 2.1.3\n        version: 2.1.3\n",
        },
        [("LCK002", "package.json", None)],
        "the override `ms` is in pnpm-lock.yaml but no longer declared",
    ),
    (
        "pnpm: an override whose `$` reference names no dependency is not judged",
        {
            "package.json": '{"dependencies": {"ms": "^2.0.0"}, "pnpm": {"overrides": {"debug": "$nothing"}}}',
            "pnpm-lock.yaml": "lockfileVersion: '9.0'\noverrides:\n  debug: ^4.0.0\nimporters:\n  .:\n    dependencies:\n      ms:\n        specifier: ^2.0.0\n        version: 2.1.3\n",
        },
        [],
        "",
    ),
    (
        "pnpm: an override from a catalog is not judged",
        {
            "package.json": '{"dependencies": {"ms": "^2.0.0"}, "pnpm": {"overrides": {"ms": "catalog:"}}}',
            "pnpm-lock.yaml": "lockfileVersion: '9.0'\noverrides:\n  ms: 2.1.3\nimporters:\n  .:\n    dependencies:\n      ms:\n        specifier: 2.1.3\n        version: 2.1.3\n",
        },
        [],
        "",
    ),
    (
        "pnpm: a direct dependency an override removes (`-`) is rightly not in the lockfile",
        {
            "package.json": '{"dependencies": {"ms": "^2.0.0", "debug": "^4.0.0"}, "pnpm": {"overrides": {"ms": "-"}}}',
            "pnpm-lock.yaml": "lockfileVersion: '9.0'\noverrides:\n  ms: '-'\nimporters:\n  .:\n    dependencies:\n      debug:\n        specifier: ^4.0.0\n        version: 4.4.3\n",
        },
        [],
        "",
    ),
    (
        "uv: a dependency removed",
        {
            "pyproject.toml": '[project]\nname = "p"\nversion = "1"\ndependencies = []\n',
            "uv.lock": 'version = 1\n\n[[package]]\nname = "p"\nversion = "1"\nsource = { virtual = "." }\n\n'
            '[package.metadata]\nrequires-dist = [{ name = "six", specifier = ">=1" }]\n',
        },
        [("LCK002", "pyproject.toml", None)],
        "`six` is in uv.lock but no longer in pyproject.toml",
    ),
    (
        "uv: specifiers equal in another order and spelling",
        {
            "pyproject.toml": '[project]\nname = "p"\nversion = "1"\ndependencies = ["Six <2, >= 1.0"]\n',
            "uv.lock": 'version = 1\n\n[[package]]\nname = "p"\nversion = "1"\nsource = { virtual = "." }\n\n'
            '[package.metadata]\nrequires-dist = [{ name = "six", specifier = ">=1,<2" }]\n',
        },
        [],
        "",
    ),
    (
        "uv: a requirement written twice is locked once",
        {
            "pyproject.toml": '[project]\nname = "p"\nversion = "1"\ndependencies = ["six>=1", "six >= 1"]\n',
            "uv.lock": 'version = 1\n\n[[package]]\nname = "p"\nversion = "1"\nsource = { virtual = "." }\n\n'
            '[package.metadata]\nrequires-dist = [{ name = "six", specifier = ">=1" }]\n',
        },
        [],
        "",
    ),
    (
        "uv: the same name with two markers is two requirements",
        {
            "pyproject.toml": '[project]\nname = "p"\nversion = "1"\ndependencies = ["six>=1", "six>=1; sys_platform == \'win32\'"]\n',
            "uv.lock": 'version = 1\n\n[[package]]\nname = "p"\nversion = "1"\nsource = { virtual = "." }\n\n'
            '[package.metadata]\nrequires-dist = [{ name = "six", specifier = ">=1" }]\n',
        },
        [("LCK002", "pyproject.toml", 4)],
        "is not in uv.lock",
    ),
]


@pytest.mark.parametrize(
    ("files", "expected", "message"),
    [c[1:] for c in LCK002_CASES],
    ids=[c[0] for c in LCK002_CASES],
)
def test_lck002(files: dict[str, str], expected: Expected, message: str) -> None:
    findings = scan_files(files, select=["LCK002"], ignore=["RH000"])
    assert _where(findings) == expected
    if message:
        assert message in findings[0]["message"]


# Bad manifests and lockfiles: RH000, never a traceback -----------------------------------

BAD_FILES: list[tuple[str, dict[str, str], str, str]] = [
    (
        "package.json not JSON",
        {"package.json": '{"dependencies": {'},
        "package.json",
        "invalid JSON",
    ),
    ("package.json a list", {"package.json": "[1, 2]"}, "package.json", "not a package.json"),
    (
        "package-lock.json not JSON",
        {"package.json": PKG_DEPS, "package-lock.json": "{,}"},
        "package-lock.json",
        "invalid JSON",
    ),
    (
        "package-lock.json a list",
        {"package.json": PKG_DEPS, "package-lock.json": "[]"},
        "package-lock.json",
        "not an npm lockfile",
    ),
    (
        "pnpm-lock.yaml not YAML",
        {"package.json": PKG_DEPS, "pnpm-lock.yaml": "importers:\n  .: [\n"},
        "pnpm-lock.yaml",
        "invalid YAML",
    ),
    (
        "yarn berry entry not YAML",
        {
            "package.json": '{"name": "w", "dependencies": {"ms": "^2"}}',
            "yarn.lock": '__metadata:\n  version: 8\n\n"w@workspace:.":\n  dependencies: [\n',
        },
        "yarn.lock",
        "invalid YAML",
    ),
    ("pyproject.toml not TOML", {"pyproject.toml": "[project\n"}, "pyproject.toml", "invalid TOML"),
    (
        "pyproject.toml bad requirement",
        {
            "pyproject.toml": '[project]\nname = "p"\ndependencies = ["six >>> 1"]\n',
            "uv.lock": 'version = 1\n\n[[package]]\nname = "p"\nversion = "1"\nsource = { virtual = "." }\n',
        },
        "pyproject.toml",
        "invalid requirement",
    ),
    (
        "uv.lock project block not TOML",
        {
            "pyproject.toml": PEP621,
            "uv.lock": 'version = 1\n\n[[package]]\nname = "p"\nsource = { virtual = "." }\nx = \n',
        },
        "uv.lock",
        "invalid TOML",
    ),
    (
        "poetry.lock not TOML",
        {"pyproject.toml": POETRY, "poetry.lock": 'content-hash = "00"\n[[package]\n'},
        "poetry.lock",
        "invalid TOML",
    ),
    (
        "Pipfile.lock not JSON",
        {"Pipfile": '[packages]\nsix = "*"\n', "Pipfile.lock": "{"},
        "Pipfile.lock",
        "invalid JSON",
    ),
    (
        "composer.lock a string",
        {"composer.json": '{"require": {"a/b": "1"}}', "composer.lock": '"x"'},
        "composer.lock",
        "not a composer.lock",
    ),
    ("Cargo.toml not TOML", {"Cargo.toml": "[package\n"}, "Cargo.toml", "invalid TOML"),
    (
        "Cargo.lock not TOML",
        {"Cargo.toml": CARGO_TOML, "Cargo.lock": "version = 4\n[[package]\n"},
        "Cargo.lock",
        "invalid TOML",
    ),
]


@pytest.mark.parametrize(
    ("files", "path", "reason"), [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES]
)
def test_bad_manifest_or_lockfile_is_rh000(files: dict[str, str], path: str, reason: str) -> None:
    bad = [f for f in scan_files(files, select=["LCK", "RH"]) if f["rule"] == "RH000"]
    assert [f["path"] for f in bad] == [path]
    assert reason in bad[0]["message"]
