"""LCK003, LCK004 and LCK005: requirements files read as pip reads them, and the index
settings of pip, uv, Pipenv, Poetry, npm and yarn. Also the `lockfiles` hook."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from repo_harden.core.globs import PathMatcher
from repo_harden.engine.catalogue import catalogue
from repo_harden.hooks.lockfiles import main as lockfiles_hook
from tests.conftest import make_repo
from tests.rule_tables import located, scan_files

ROOT = Path(__file__).resolve().parents[1]
SHA = "6f1e0c3d2b4a59687c8e7f1a2b3c4d5e6f708192"
H = "--hash=sha256:" + "a" * 64

Expected = list[tuple[str, str, int, int]]


def _scan(cli: Any, repo: Path, rules: str) -> Expected:
    result = cli("scan", "--format", "json", "--select", rules, cwd=repo)
    assert result.code in (0, 1), result.err
    return [(f["rule"], f["path"], f["line"], f["column"]) for f in result.json()["findings"]]


R = "requirements.txt"

LCK003_CASES: list[tuple[str, dict[str, str], Expected]] = [
    ("exact pin", {R: "requests==2.32.3\n"}, []),
    ("arbitrary equality", {R: "requests===2.32.3\n"}, []),
    ("range", {R: "requests>=2.31\n"}, [("LCK003", R, 1, 1)]),
    ("no version", {R: "# deps\n\nrequests\n"}, [("LCK003", R, 3, 1)]),
    ("wildcard", {R: "requests==2.*\n"}, [("LCK003", R, 1, 1)]),
    ("markers and extras", {R: 'requests[socks]==2.32.3 ; python_version >= "3.8"\n'}, []),
    (
        "continuation lines",
        {R: f"requests==2.32.3 \\\n    {H}\nflask>=2 \\\n  {H}\n"},
        [("LCK003", R, 3, 1)],
    ),
    ("comment after a pin", {R: "requests==2.32.3  # pinned by hand\n"}, []),
    ("vcs tag", {R: "git+https://github.com/o/r@v1.0#egg=r\n"}, [("LCK003", R, 1, 1)]),
    ("vcs commit", {R: f"r @ git+https://github.com/o/r@{SHA}\n"}, []),
    (
        "editable vcs branch",
        {R: "-e git+https://github.com/o/r@main#egg=r\n"},
        [("LCK003", R, 1, 1)],
    ),
    ("url without hash", {R: "pkg @ https://example.com/pkg-1.0.tar.gz\n"}, [("LCK003", R, 1, 1)]),
    ("url with hash fragment", {R: "pkg @ https://example.com/pkg-1.0.tar.gz#sha256=abcd\n"}, []),
    ("local paths", {R: "-e .\n./libs/util\n"}, []),
    (
        "constraints files too",
        {"constraints.txt": "urllib3<3\n"},
        [("LCK003", "constraints.txt", 1, 1)],
    ),
    (
        "included files are followed, *.in files are not",
        {R: "-r base.txt\n-c requirements.in\n", "base.txt": "six\n", "requirements.in": "six\n"},
        [("LCK003", "base.txt", 1, 1)],
    ),
    (
        "requirements folder",
        {"requirements/dev.txt": "pytest\n"},
        [("LCK003", "requirements/dev.txt", 1, 1)],
    ),
    (
        "dev-requirements.txt",
        {"dev-requirements.txt": "pytest\n"},
        [("LCK003", "dev-requirements.txt", 1, 1)],
    ),
]


@pytest.mark.parametrize(
    ("files", "expected"), [c[1:] for c in LCK003_CASES], ids=[c[0] for c in LCK003_CASES]
)
def test_lck003(files: dict[str, str], expected: Expected) -> None:
    assert located(scan_files(files, select=["LCK003"])) == expected


LCK004_CASES: list[tuple[str, dict[str, str], Expected]] = [
    (
        "no hashes at all: one finding",
        {R: "requests==2.32.3\nsix==1.17.0\n"},
        [("LCK004", R, 1, 1)],
    ),
    ("all hashed", {R: f"requests==2.32.3 {H}\nsix==1.17.0 {H}\n"}, []),
    (
        "some hashed: each missing one",
        {R: f"requests==2.32.3 {H}\nsix==1.17.0\nidna==3.7\n"},
        [("LCK004", R, 2, 1), ("LCK004", R, 3, 1)],
    ),
    ("unpinned lines are LCK003's", {R: "requests>=2\n"}, []),
    (
        "editables, paths and VCS cannot be hashed",
        {R: f"-e .\n./x\nr @ git+https://github.com/o/r@{SHA}\n"},
        [],
    ),
    ("constraints need no hashes", {"constraints.txt": "six==1.17.0\n"}, []),
    ("a hash fragment counts", {R: "pkg @ https://e.com/p.whl#sha256=ab\n"}, []),
    ("an editable VCS checkout at a commit", {R: f"-e git+https://github.com/o/r@{SHA}#egg=r\n"}, []),
    ("ssh VCS at a commit", {R: f"git+ssh://git@github.com/o/r.git@{SHA}#egg=r\n"}, []),
    (
        "pinned lines beside a VCS line: still reported, at the pinned line",
        {R: f"-e git+https://github.com/o/r@{SHA}#egg=r\nblack==24.8.0\n"},
        [("LCK004", R, 2, 1)],
    ),
]  # fmt: skip


def test_lck004_advice_moves_unhashable_requirements_apart() -> None:
    """pip refuses hash-checking mode for a file with a VCS requirement or an editable: the
    advice says to install those apart first, and names them; a file without one does not."""
    mixed = {R: f"-e .\ngit+https://github.com/o/r@{SHA}#egg=r\nblack==24.8.0\n"}
    (finding,) = scan_files(mixed, select=["LCK004"])
    assert "pip cannot hash `.`, `git+https://github.com/o/r@" in finding["message"]
    assert "file of its own" in finding["message"]
    (plain,) = scan_files({R: "black==24.8.0\n"}, select=["LCK004"])
    assert "cannot hash" not in plain["message"]


@pytest.mark.parametrize(
    ("files", "expected"), [c[1:] for c in LCK004_CASES], ids=[c[0] for c in LCK004_CASES]
)
def test_lck004(files: dict[str, str], expected: Expected) -> None:
    assert located(scan_files(files, select=["LCK004"])) == expected


LCK005_CASES: list[tuple[str, dict[str, str], Expected]] = [
    ("extra index", {R: "--extra-index-url https://pypi.acme.dev/simple\n"}, [("LCK005", R, 1, 1)]),
    ("trusted host", {R: "six==1\n--trusted-host=pypi.acme.dev\n"}, [("LCK005", R, 2, 1)]),
    ("plain-http index", {R: "-i http://pypi.acme.dev/simple\n"}, [("LCK005", R, 1, 1)]),
    ("https index", {R: "--index-url https://pypi.acme.dev/simple\n"}, []),
    ("loopback http is local", {R: "--index-url http://localhost:8080/simple\n"}, []),
    ("http find-links", {R: "-f http://dl.acme.dev/wheels\n"}, [("LCK005", R, 1, 1)]),
    ("http requirement URL", {R: "pkg @ http://e.com/p.tar.gz#sha256=ab\n"}, [("LCK005", R, 1, 1)]),
    (
        "pip.conf",
        {
            "pip.conf": "[global]\nindex-url = https://pypi.org/simple\nextra-index-url =\n    https://a.dev/simple\ntrusted-host = a.dev\n"
        },
        [("LCK005", "pip.conf", 4, 5), ("LCK005", "pip.conf", 5, 16)],
    ),
    (
        "uv.toml",
        {"uv.toml": 'allow-insecure-host = ["a.dev"]\n\n[[index]]\nurl = "http://a.dev/simple"\n'},
        [("LCK005", "uv.toml", 1, 24), ("LCK005", "uv.toml", 4, 7)],
    ),
    (
        "uv extra index with the default strategy",
        {"uv.toml": 'extra-index-url = ["https://a.dev/simple"]\n'},
        [],
    ),
    (
        "uv unsafe strategy",
        {
            "pyproject.toml": '[tool.uv]\nextra-index-url = ["https://a.dev/simple"]\nindex-strategy = "unsafe-best-match"\n'
        },
        [("LCK005", "pyproject.toml", 3, 1)],
    ),
    (
        "Poetry source over http",
        {"pyproject.toml": '[[tool.poetry.source]]\nname = "a"\nurl = "http://a.dev/simple"\n'},
        [("LCK005", "pyproject.toml", 3, 7)],
    ),
    (
        "Pipfile source without TLS verification",
        {"Pipfile": '[[source]]\nname = "a"\nurl = "https://a.dev/simple"\nverify_ssl = false\n'},
        [("LCK005", "Pipfile", 3, 7)],
    ),
    (
        ".npmrc",
        {
            ".npmrc": "registry=http://npm.acme.dev/\n@acme:registry=https://npm.acme.dev/\nstrict-ssl=false\n"
        },
        [("LCK005", ".npmrc", 1, 10), ("LCK005", ".npmrc", 3, 12)],
    ),
    (".yarnrc", {".yarnrc": 'registry "http://npm.acme.dev/"\n'}, [("LCK005", ".yarnrc", 1, 10)]),
    (
        ".yarnrc.yml",
        {
            ".yarnrc.yml": 'npmRegistryServer: "http://npm.acme.dev"\nenableStrictSsl: false\nunsafeHttpWhitelist:\n  - "*.acme.dev"\nnpmScopes:\n  acme:\n    npmRegistryServer: "https://npm.acme.dev"\n'
        },
        [(".yarnrc.yml", 1, 20), (".yarnrc.yml", 2, 18), (".yarnrc.yml", 4, 5)],  # type: ignore[list-item]
    ),
]


@pytest.mark.parametrize(
    ("files", "expected"), [c[1:] for c in LCK005_CASES], ids=[c[0] for c in LCK005_CASES]
)
def test_lck005(files: dict[str, str], expected: list[tuple[Any, ...]]) -> None:
    found = located(scan_files(files, select=["LCK005"]))
    if expected and len(expected[0]) == 3:
        expected = [("LCK005", *e) for e in expected]
    assert found == expected


def test_messages_say_what_and_how(cli: Any, tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {R: "--extra-index-url https://a.dev/simple\nflask>=2\nsix==1.17.0\n"},
    )
    result = cli("scan", "--format", "json", "--select", "LCK", cwd=repo).json()
    messages = {f["rule"]: f["message"] for f in result["findings"]}
    assert "dependency confusion" in messages["LCK005"]
    assert "`flask>=2`" in messages["LCK003"] and "`==`" in messages["LCK003"]
    assert "--generate-hashes" in messages["LCK004"]


def test_bad_requirement_line_is_rh000_and_the_rest_is_checked(cli: Any, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {R: "six>=1\nnot a requirement ===\n--bogus-option\n"})
    result = cli("scan", "--format", "json", "--select", "LCK003,RH", cwd=repo)
    assert result.err == ""
    found = [(f["rule"], f["line"]) for f in result.json()["findings"]]
    assert found == [("LCK003", 1), ("RH000", 2)]


# The hook ----------------------------------------------------------------------------------


def _hook() -> dict[str, Any]:
    hooks: list[dict[str, Any]] = yaml.safe_load(
        (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    )
    return next(hook for hook in hooks if hook["id"] == "lockfiles")


SAMPLE_PATHS = [
    "package.json",
    "web/package-lock.json",
    "yarn.lock",
    "a/pnpm-lock.yaml",
    "pyproject.toml",
    "uv.lock",
    "uv.toml",
    "poetry.lock",
    "Pipfile",
    "Pipfile.lock",
    "go.mod",
    "svc/go.sum",
    "Cargo.toml",
    "Cargo.lock",
    "Gemfile",
    "gems.rb",
    "composer.json",
    "composer.lock",
    "pubspec.yaml",
    "Package.swift",
    "mix.exs",
    "infra/main.tf",
    "src/App.csproj",
    "requirements.txt",
    "requirements-dev.txt",
    "dev-requirements.txt",
    "requirements/base.txt",
    "constraints.txt",
    "pip.conf",
    "pip.ini",
    ".npmrc",
    ".yarnrc",
    ".yarnrc.yml",
    "README.md",
    "setup.py",
    "requirements.in",
    "src/main.py",
    "package.json.bak",
    "docs/a.txt",
]


@pytest.mark.parametrize("path", SAMPLE_PATHS)
def test_hook_files_regex_matches_what_the_lck_checks_read(path: str) -> None:
    checks = [c for code, c in catalogue().checks.items() if code.startswith("LCK")]
    read = any(PathMatcher(c.patterns).matches(path) for c in checks)
    assert bool(re.search(_hook()["files"], path)) == read


def test_hook_reports_the_files_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {"requirements.txt": "flask>=2\n", "web/package.json": '{"dependencies": {"ms": "^2"}}'},
    )
    monkeypatch.chdir(repo)
    monkeypatch.setenv("NO_COLOR", "1")
    assert lockfiles_hook(["requirements.txt"]) == 1
    out = capsys.readouterr().out
    assert "requirements.txt:1:1: LCK003" in out
    assert "web/package.json" not in out
    assert lockfiles_hook(["web/package.json"]) == 1
    assert "web/package.json:1:2: LCK001" in capsys.readouterr().out
    assert lockfiles_hook([]) == 0


def test_an_extra_index_over_plain_http_reads_as_one_sentence() -> None:
    """QA #17: the plain-HTTP case was spliced into the middle of the message."""
    (finding,) = scan_files(
        {R: "--extra-index-url http://pypi.internal/simple\n"}, select=["LCK005"]
    )
    assert finding["message"] == (
        "`--extra-index-url http://pypi.internal/simple` makes pip take the highest version "
        "found on any index, so a package of the same name published on PyPI can replace "
        "yours (dependency confusion), and it is plain HTTP, so anyone on the network path "
        "can replace what it serves; use a single https:// `--index-url` that serves both"
    )
    (https,) = scan_files(
        {R: "--extra-index-url https://pypi.internal/simple\n"}, select=["LCK005"]
    )
    assert "plain HTTP" not in https["message"]
    assert https["message"].endswith("; use a single `--index-url` that serves both")
