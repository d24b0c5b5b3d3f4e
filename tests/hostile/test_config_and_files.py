"""Issue 14, items 5, 9, 10, 11, 15, 17: a repository's config, names and sizes never crash a
scan, turn rules off in silence, or make it read what is not the repository's."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from repo_harden.sources.local import LocalRepo
from tests.conftest import DATA, git, make_repo, workflow

PIN = workflow("      - uses: actions/checkout@v4\n")


@pytest.mark.parametrize(
    ("config", "says"),
    [
        ('exclude = ["[z-a]"]\n', "exclude: '[z-a]': the character range `z-a` is reversed"),
        (
            '[[waivers]]\nrule = "PIN001"\npath = "[z-a]"\nowner = "@a"\nreason = "r"\n'
            "expires = 2099-01-01\n",
            "the waiver at line 1: path: '[z-a]'",
        ),
        ('ignore = [""]\n', 'ignore: an empty rule selector ""'),
        ('[rules.LCK001]\nexempt-paths = ["[z-a]"]\n', "[rules.LCK001].exempt-paths: '[z-a]'"),
        ('select = ["", "PIN"]\n', 'select: an empty rule selector ""'),
    ],
)
def test_a_bad_config_is_one_line_and_exit_2(
    cli: Any, tmp_path: Path, config: str, says: str
) -> None:
    repo = make_repo(tmp_path / "r", {".repo-harden.toml": config, "ci.yml": PIN})
    result = cli("scan", cwd=repo)
    assert result.code == 2
    assert says in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_a_bad_exclude_on_the_command_line_is_a_usage_error(cli: Any, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"ci.yml": PIN})
    result = cli("scan", "--exclude", "[z-a]", cwd=repo)
    assert result.code == 2
    assert result.err.startswith("repo-harden: error: --exclude: '[z-a]'")


def test_a_config_that_links_out_of_the_repository_is_not_read(cli: Any, tmp_path: Path) -> None:
    outside = tmp_path / "secret.toml"
    outside.write_text('ignore = ["PIN"]\n')
    repo = make_repo(tmp_path / "r", {".github/workflows/ci.yml": PIN}, commit=False)
    (repo / ".repo-harden.toml").symlink_to(outside)
    result = cli("scan", cwd=repo)
    assert result.code == 2
    assert "a symbolic link that points outside the repository" in result.err


def test_a_huge_config_is_not_read_whole(cli: Any, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {".github/workflows/ci.yml": PIN}, commit=False)
    with (repo / "pyproject.toml").open("wb") as file:
        file.truncate(64 * 1024 * 1024)  # sparse: 64 MiB that take no disk
    result = cli("scan", cwd=repo)
    assert result.code == 2
    assert "larger than 10 MiB" in result.err


def test_findings_per_file_are_capped_with_a_count_of_the_rest(cli: Any, tmp_path: Path) -> None:
    steps = "".join(f"      - uses: actions/checkout@v{n}\n" for n in range(30))
    repo = make_repo(
        tmp_path / "r",
        {
            ".github/workflows/ci.yml": workflow(steps),
            ".repo-harden.toml": 'max-findings-per-file = 10\nselect = ["PIN001"]\n',
        },
    )
    as_json = cli("scan", "--format", "json", cwd=repo)
    assert len(as_json.json()["findings"]) == 10
    as_text = cli("scan", cwd=repo)
    assert "20 more not shown" in as_text.out
    assert as_text.code == as_json.code == 1


def test_a_file_name_that_is_not_utf8_is_rh000_and_the_rest_is_reported(
    cli: Any, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "r", {".github/workflows/good.yml": PIN}, commit=False)
    bad = os.fsdecode(b".github/workflows/bad\xff.yml")
    (repo / bad).write_text(PIN)
    git(repo, "add", "-A")
    for form in ("json", "sarif", "text", "github"):
        result = cli("scan", "--format", form, cwd=repo)
        assert result.code == 1, result.err
        assert "Traceback" not in result.err
    found = {
        (f["rule"], f["path"]) for f in cli("scan", "--format", "json", cwd=repo).json()["findings"]
    }
    assert ("RH000", bad) in found
    assert ("PIN001", ".github/workflows/good.yml") in found
    text = cli("scan", cwd=repo).out
    assert "bad\\xff.yml: RH000 not checked: its name is not valid UTF-8 (byte 0xff)" in text


def test_a_tracked_file_in_a_folder_we_may_not_enter_is_rh000(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As root the folder would be readable: the refusal is the kernel's, simulated here."""
    repo = make_repo(tmp_path / "r", {"locked/Dockerfile": "FROM node:20\n"})
    real_stat, real_lstat = os.stat, os.lstat

    def refusing(real: Callable[..., os.stat_result]) -> Callable[..., os.stat_result]:
        def refuse(path: str | os.PathLike[str], *args: Any, **kwargs: Any) -> os.stat_result:
            if "/locked/" in os.fspath(path):
                raise PermissionError(13, "Permission denied")
            return real(path, *args, **kwargs)

        return refuse

    monkeypatch.setattr(os, "stat", refusing(real_stat))
    monkeypatch.setattr(os, "lstat", refusing(real_lstat))
    local = LocalRepo(repo)
    assert "locked/Dockerfile" in local.paths()
    assert local.read_text("locked/Dockerfile") is None
    assert (
        local.unreadable_reason("locked/Dockerfile") == "it could not be read (Permission denied)"
    )


def test_sarif_uris_are_percent_encoded_and_valid(cli: Any, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a b/#x?y%z/Dockerfile": "FROM node:20\n"})
    result = cli("scan", "--format", "sarif", "--select", "PIN002", cwd=repo)
    sarif = json.loads(result.out)
    jsonschema.validate(sarif, json.loads((DATA / "sarif-schema-2.1.0.json").read_text()))
    uris = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in sarif["runs"][0]["results"]
    ]
    assert uris == ["a%20b/%23x%3Fy%25z/Dockerfile"]


def test_the_hook_says_a_path_is_outside_the_repository(tmp_path: Path) -> None:
    from repo_harden.hooks.all_checks import main

    repo = make_repo(tmp_path / "r", {"ci.yml": PIN})
    (tmp_path / "x").write_text("FROM node:20\n")
    cwd = Path.cwd()
    os.chdir(repo)
    try:
        code = main(["../x"])
    finally:
        os.chdir(cwd)
    assert code == 2
