"""`repo-harden waive` writes waivers with tomlkit, keeping the config's comments and layout;
waivers may carry a compensating control, which a config setting can require."""

from __future__ import annotations

import datetime
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_repo, workflow

WF = ".github/workflows/release.yml"
LATER = (datetime.date.today() + datetime.timedelta(days=90)).isoformat()
CONFIG = """\
# repo-harden's settings for this repository
select = ["ALL"]   # every rule

[severity]
PIN002 = "warning"  # images are next quarter's work

[[waivers]]
rule = "DL003"
path = "scripts/**"
owner = "@acme/ops"
reason = "pip is pinned by the lockfile job"
expires = 2099-01-01
"""


def waive(cli: Any, repo: Path, *args: str) -> Any:
    return cli(
        "waive", "PIN001", WF, "--owner", "@acme/security", "--reason",
        "the SLSA generator must be referenced by tag", "--expires", LATER, *args, cwd=repo,
    )  # fmt: skip


def test_a_waiver_is_added_and_everything_else_kept(cli: Any, tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo", {".repo-harden.toml": CONFIG, WF: workflow("      - uses: a/b@v1\n")}
    )
    assert cli("scan", "--select", "PIN001", cwd=repo).code == 1
    result = waive(cli, repo, "--compensating-control", "the release job runs in a sandbox")
    assert result.code == 0, result.err
    assert result.out == (
        f"Added a waiver of PIN001 for `{WF}` to {repo / '.repo-harden.toml'} (line 14): "
        f"owner @acme/security, until {LATER}.\n"
    )
    text = (repo / ".repo-harden.toml").read_text()
    assert text.startswith(CONFIG)  # comments, order and spacing as they were
    assert text[len(CONFIG) :] == (
        '\n[[waivers]]\nrule = "PIN001"\n'
        f'path = "{WF}"\nowner = "@acme/security"\n'
        'reason = "the SLSA generator must be referenced by tag"\n'
        f"expires = {LATER}\n"
        'compensating-control = "the release job runs in a sandbox"\n'
    )
    assert cli("scan", "--select", "PIN001", cwd=repo).code == 0  # it waives
    listed = cli("waivers", cwd=repo)
    assert "      compensating control: the release job runs in a sandbox\n" in listed.out
    as_json = cli("waivers", "--format", "json", cwd=repo).json()
    assert [w["compensating_control"] for w in as_json["waivers"]] == [
        None,
        "the release job runs in a sandbox",
    ]


def test_into_pyproject(cli: Any, tmp_path: Path) -> None:
    pyproject = '[project]\nname = "x"  # the package\n\n[tool.repo-harden]\nignore = ["OWN"]\n'
    repo = make_repo(tmp_path / "repo", {"pyproject.toml": pyproject})
    assert waive(cli, repo).code == 0
    text = (repo / "pyproject.toml").read_text()
    assert text.startswith(pyproject)
    assert "[[tool.repo-harden.waivers]]" in text
    table = tomllib.loads(text)["tool"]["repo-harden"]
    assert table["ignore"] == ["OWN"]
    assert table["waivers"][0]["path"] == WF


def test_a_config_is_made_when_there_is_none(cli: Any, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"README.md": "x\n"})
    (repo / "sub").mkdir()
    result = cli(
        "waive", "DL003", "../scripts/install.sh", "--owner", "me", "--reason", "r",
        "--expires", LATER, cwd=repo / "sub",
    )  # fmt: skip
    assert result.code == 0, result.err
    document = tomllib.loads((repo / ".repo-harden.toml").read_text())
    assert document["waivers"][0]["path"] == "scripts/install.sh"  # relative to the root
    assert document["waivers"][0]["expires"] == datetime.date.fromisoformat(LATER)


BAD = [
    (("PIN999", WF, "--owner", "o", "--reason", "r", "--expires", LATER), "no rule 'PIN999'"),
    (("PIN001", WF, "--owner", "o", "--reason", "r", "--expires", "2020-01-01"), "is in the past"),
    (("PIN001", WF, "--owner", "o", "--reason", "r", "--expires", "soon"), "takes a date"),
    (("PIN001", WF, "--owner", " ", "--reason", "r", "--expires", LATER), "must say something"),
    (
        ("PIN001", "/etc/passwd", "--owner", "o", "--reason", "r", "--expires", LATER),
        "not inside the checkout",
    ),
]


@pytest.mark.parametrize(("args", "error"), BAD, ids=[error for _, error in BAD])
def test_bad_waivers_are_refused(
    cli: Any, tmp_path: Path, args: tuple[str, ...], error: str
) -> None:
    repo = make_repo(tmp_path / "repo", {".repo-harden.toml": CONFIG})
    result = cli("waive", *args, cwd=repo)
    assert result.code == 2
    assert error in result.err
    assert (repo / ".repo-harden.toml").read_text() == CONFIG


def test_a_config_can_require_a_compensating_control(cli: Any, tmp_path: Path) -> None:
    config = "require-compensating-control = true\n" + CONFIG
    repo = make_repo(tmp_path / "repo", {".repo-harden.toml": config})
    refused = waive(cli, repo)
    assert refused.code == 2
    assert (
        "requires a compensating control for every waiver (--compensating-control TEXT)"
        in refused.err
    )
    # The waiver already there has none: it is RH002 now, and waives nothing.
    scanned = cli("scan", "--format", "json", cwd=repo).json()["findings"]
    (invalid,) = [f for f in scanned if f["rule"] == "RH002"]
    assert "missing `compensating-control` (the config requires one)" in invalid["message"]
    assert waive(cli, repo, "--compensating-control", "reviewed by hand").code == 0


def test_an_unknown_waiver_field_is_still_an_error(cli: Any, tmp_path: Path) -> None:
    config = CONFIG + 'compensating-controls = "typo"\n'
    repo = make_repo(tmp_path / "repo", {".repo-harden.toml": config})
    scanned = cli("scan", "--format", "json", cwd=repo).json()["findings"]
    assert any("unknown field `compensating-controls`" in f["message"] for f in scanned)


@pytest.mark.parametrize("path", ["does/not/exist.yml", ".github/workflows/nope-*.yml"])
def test_a_waiver_that_matches_no_file_is_written_with_a_warning(
    cli: Any, tmp_path: Path, path: str
) -> None:
    repo = make_repo(tmp_path / "repo", {WF: workflow("      - uses: a/b@v1\n")})
    result = cli(
        "waive", "PIN001", path, "--owner", "@a", "--reason", "r", "--expires", LATER, cwd=repo
    )
    assert result.code == 0
    [warning] = result.err.splitlines()
    assert warning.startswith(f"repo-harden: warning: `{path}` matches no file in the checkout")
    waivers = tomllib.loads((repo / ".repo-harden.toml").read_text())["waivers"]
    assert [waiver["path"] for waiver in waivers] == [path]


@pytest.mark.parametrize("path", [WF, ".github", ".github/workflows/*.yml", "release.yml", "."])
def test_a_waiver_that_matches_a_file_has_no_warning(cli: Any, tmp_path: Path, path: str) -> None:
    repo = make_repo(tmp_path / "repo", {WF: workflow("      - uses: a/b@v1\n")})
    result = cli(
        "waive", "PIN001", path, "--owner", "@a", "--reason", "r", "--expires", LATER, cwd=repo
    )
    assert (result.code, result.err) == (0, "")
