"""The rule options of every front end are checked alike: an empty value (`--select "$RULES"`
with RULES unset) is a usage error, never "every rule"; each error is one line that names
the option it is about."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from repo_harden.hooks.pinned_actions import main as pinned_actions_hook
from tests.conftest import make_repo, workflow

CI = ".github/workflows/ci.yml"
FILES = {CI: workflow("      - uses: actions/checkout@v4\n")}

EMPTY_VALUES = [
    (["--select", ""], '--select: an empty rule selector ""'),
    (["--select", ","], '--select: an empty rule selector ""'),
    (["--select", "PIN001,"], '--select: an empty rule selector ""'),
    (["--select", " "], '--select: an empty rule selector ""'),
    (["--ignore", ""], '--ignore: an empty rule selector ""'),
    (["--exclude", ""], '--exclude: an empty glob ""'),
]
# Where the rule options exist: each command with what else it needs to get that far.
COMMANDS = [
    ["scan"],
    ["fix", "--offline", "--no-cache"],
    ["audit", "--repo", "acme/app", "--no-cache"],
]


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("repo-harden: error: ")
    return lines[0].removeprefix("repo-harden: error: ")


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command[0])
@pytest.mark.parametrize(("args", "says"), EMPTY_VALUES)
def test_an_empty_rule_option_is_a_usage_error(
    cli: Any, tmp_path: Path, command: list[str], args: list[str], says: str
) -> None:
    repo = make_repo(tmp_path / "repo", FILES)
    result = cli(*command, *args, cwd=repo)
    assert (result.code, result.out) == (2, "")
    assert one_error_line(result.err).startswith(says)


@pytest.mark.parametrize(("args", "says"), EMPTY_VALUES)
def test_an_empty_rule_option_of_a_hook_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    args: list[str],
    says: str,
) -> None:
    repo = make_repo(tmp_path / "repo", FILES)
    monkeypatch.chdir(repo)
    assert pinned_actions_hook([*args, CI]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert one_error_line(captured.err).startswith(says)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--select", "PIN999"], "--select: 'PIN999' matches no rule"),
        (["--ignore", "PIN,NOPE"], "--ignore: 'NOPE' matches no rule"),
        (["--exclude", "[z-a]"], "--exclude: '[z-a]': the character range `z-a` is reversed"),
    ],
)
def test_an_option_error_names_the_option(
    cli: Any, tmp_path: Path, args: list[str], says: str
) -> None:
    repo = make_repo(tmp_path / "repo", FILES)
    for command in COMMANDS:
        result = cli(*command, *args, cwd=repo)
        assert result.code == 2
        assert one_error_line(result.err).startswith(says), command


def test_a_package_query_error_names_the_option(cli: Any, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", FILES)
    result = cli("inventory", "--package", "left-pad", cwd=repo)
    assert result.code == 2
    assert one_error_line(result.err).startswith("--package 'left-pad': expected a package URL")


def test_a_config_that_is_a_folder_is_named_as_one(cli: Any, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", FILES)
    (repo / "configs").mkdir()
    for command in (["scan"], ["audit", "--repo", "acme/app", "--no-cache"]):
        result = cli(*command, "--config", "configs", cwd=repo)
        assert result.code == 2
        assert (
            one_error_line(result.err)
            == "configs: a folder, not a config file (name the file in it)"
        )


def test_a_missing_config_is_still_no_such_file(cli: Any, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", FILES)
    result = cli("scan", "--config", "missing.toml", cwd=repo)
    assert one_error_line(result.err) == "missing.toml: no such config file"


def test_version_is_printed_without_building_every_commands_parser(tmp_path: Path) -> None:
    """`repo-harden --version` named no command, so it built all nine parsers (and imported
    their modules) to print one line."""
    from repo_harden import __version__
    from repo_harden.cli import main
    from tests.conftest import modules_after

    call = "from repo_harden.cli import main; main(['--version'])"
    output, imported = modules_after(tmp_path, call)
    assert output == f"repo-harden {__version__}"
    assert not {name for name in imported if name.startswith("repo_harden.commands.")}
    assert main(["--version"]) == 0
    with pytest.raises(SystemExit) as parsed:  # after a command, argparse answers it
        main(["rules", "--version"])
    assert parsed.value.code == 2  # `rules` has no --version: a usage error, as before
