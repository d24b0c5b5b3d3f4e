"""How a local scan asks git: `git_output` and the listing built on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from repo_harden.sources.local import LocalRepo, git_output, git_toplevel
from tests.conftest import make_repo


def test_git_output_is_what_git_prints(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "a\n"})
    (repo / "sub").mkdir()
    top = git_output(repo / "sub", "rev-parse", "--show-toplevel")
    assert top is not None
    assert Path(top.decode().strip()).resolve() == repo.resolve()
    assert git_toplevel(repo / "sub") == repo.resolve()


def test_a_failing_git_is_none_and_prints_nothing(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "not-a-checkout"
    outside.mkdir()
    assert git_output(outside, "rev-parse", "--show-toplevel") is None  # "not a git repository"
    assert git_output(outside, "no-such-command") is None
    captured = capfd.readouterr()
    assert (captured.out, captured.err) == ("", "")  # git's complaints are dropped


def test_without_git_on_the_path_it_is_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert git_output(tmp_path, "rev-parse", "--show-toplevel") is None


def test_the_listing_has_untracked_files_but_not_ignored_ones(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {".gitignore": "build/\n", "tracked.txt": "t\n"})
    (repo / "untracked.txt").write_text("u\n")
    (repo / "build").mkdir()
    (repo / "build" / "ignored.txt").write_text("i\n")
    (repo / "name with\nnewline.txt").write_text("n\n")
    assert sorted(LocalRepo(repo).paths()) == [
        ".gitignore",
        "name with\nnewline.txt",
        "tracked.txt",
        "untracked.txt",
    ]


def test_a_large_listing_does_not_block_on_the_pipe(tmp_path: Path) -> None:
    """More names than a pipe holds (64 KiB): git writes while we read."""
    repo = make_repo(tmp_path / "repo", {"README": "r\n"})
    folder = repo / ("d" * 100)
    folder.mkdir()
    for number in range(2000):
        (folder / f"{number:05}-{'x' * 60}.txt").touch()
    paths = LocalRepo(repo).paths()
    assert len(paths) == 2001


def test_a_scan_starts_git_without_the_subprocess_module(tmp_path: Path) -> None:
    from tests.conftest import modules_after

    repo = make_repo(tmp_path / "repo", {"Dockerfile": "FROM python:3.12\n"})
    (repo / "untracked.Dockerfile").write_text("FROM node:20\n")
    report, imported = modules_after(
        repo, "from repo_harden.cli import main; main(['scan', '--no-cache'])"
    )
    assert "untracked.Dockerfile" in report  # git listed the untracked file
    assert "subprocess" not in imported
