"""The scan cache: an unchanged checkout is not checked again, anything a rule read that
changes is, and a cache folder that is a link, or an entry that is not ours, is never
followed or believed."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import repo_harden.engine.run
import repo_harden.readers.yaml
from repo_harden.frontend.scan_cache import FORMAT
from tests.conftest import git, make_repo, workflow
from tests.test_corpus import EXPECTED, corpus_repo

UNPINNED = workflow("      - uses: actions/checkout@v4\n")
PINNED = workflow("      - uses: actions/checkout@" + "a" * 40 + "  # v4\n")


class Counted:
    """Counts the calls of a function it stands in for."""

    def __init__(self, real: Callable[..., Any]) -> None:
        self.real = real
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.real(*args, **kwargs)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> tuple[Counted, Counted]:
    """(check runs, YAML documents composed)."""
    runs = Counted(repo_harden.engine.run.run_checks)
    parses = Counted(repo_harden.readers.yaml.compose)
    monkeypatch.setattr("repo_harden.engine.judge.run_checks", runs)
    monkeypatch.setattr(repo_harden.readers.yaml, "compose", parses)
    return runs, parses


def entries(cache: Path) -> list[Path]:
    folder = cache / "scan"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def scan(cli: Any, repo: Path, cache: Path, *args: str) -> Any:
    """A scan in one process, where `counted` sees every parse (`--jobs` forks: see
    tests/test_scan_jobs.py for the cache of a split scan)."""
    arguments = ("--format", "json", "--cache-dir", str(cache), "--jobs", "1", *args)
    return cli("scan", *arguments, cwd=repo)


def rules_of(result: Any) -> list[tuple[str, str]]:
    return [(f["rule"], f["path"]) for f in result.json()["findings"]]


def test_an_unchanged_checkout_is_not_checked_again(
    cli: Any, tmp_path: Path, counted: tuple[Counted, Counted]
) -> None:
    runs, parses = counted
    repo = corpus_repo(tmp_path / "corpus")
    cache = tmp_path / "cache"
    cold = scan(cli, repo, cache)
    assert (runs.calls, parses.calls) == (1, 175)  # each workflow parsed once, for every rule
    assert len(entries(cache)) == 1
    runs.calls = parses.calls = 0
    warm = scan(cli, repo, cache)
    assert (runs.calls, parses.calls) == (0, 0)
    uncached = cli("scan", "--format", "json", "--no-cache", cwd=repo)
    assert warm.out == cold.out == uncached.out
    assert (warm.code, warm.err) == (cold.code, "")
    counts: dict[str, int] = {}
    for finding in warm.json()["findings"]:
        counts[finding["rule"]] = counts.get(finding["rule"], 0) + 1
    assert counts == EXPECTED


def test_a_changed_file_is_checked_again(
    cli: Any, tmp_path: Path, counted: tuple[Counted, Counted]
) -> None:
    runs, _ = counted
    repo = make_repo(tmp_path / "r", {".github/workflows/ci.yml": UNPINNED})
    cache = tmp_path / "cache"
    assert ("PIN001", ".github/workflows/ci.yml") in rules_of(scan(cli, repo, cache))
    (repo / ".github/workflows/ci.yml").write_text(PINNED)
    assert ("PIN001", ".github/workflows/ci.yml") not in rules_of(scan(cli, repo, cache))
    assert runs.calls == 2


def test_a_new_file_and_a_new_config_are_seen(
    cli: Any, tmp_path: Path, counted: tuple[Counted, Counted]
) -> None:
    runs, _ = counted
    repo = make_repo(tmp_path / "r", {".github/workflows/ci.yml": PINNED})
    cache = tmp_path / "cache"
    scan(cli, repo, cache)
    (repo / ".github/workflows/new.yml").write_text(UNPINNED)  # untracked: git lists it
    assert ("PIN001", ".github/workflows/new.yml") in rules_of(scan(cli, repo, cache))
    (repo / ".repo-harden.toml").write_text('ignore = ["PIN001"]\n')
    assert ("PIN001", ".github/workflows/new.yml") not in rules_of(scan(cli, repo, cache))
    assert runs.calls == 3
    assert len(entries(cache)) == 2  # one per config


def test_no_cache_reads_and_writes_nothing(cli: Any, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {".github/workflows/ci.yml": UNPINNED})
    cache = tmp_path / "cache"
    cli("scan", "--no-cache", "--cache-dir", str(cache), cwd=repo)
    assert not cache.exists()


def test_the_default_cache_is_the_user_cache_folder_never_the_checkout(
    cli: Any, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "r", {".github/workflows/ci.yml": UNPINNED})
    cli("scan", cwd=repo)
    assert len(entries(Path(os.environ["XDG_CACHE_HOME"]) / "repo-harden")) == 1
    assert git(repo, "status", "--porcelain", "--ignored") == ""


@pytest.mark.parametrize(
    "entry",
    [
        "not json {",
        json.dumps({"format": 1, "key": "another", "listing": None, "files": [], "findings": []}),
        "[]",
    ],
)
def test_an_entry_that_is_not_ours_is_ignored_and_replaced(
    cli: Any, tmp_path: Path, counted: tuple[Counted, Counted], entry: str
) -> None:
    runs, _ = counted
    repo = make_repo(tmp_path / "r", {".github/workflows/ci.yml": UNPINNED})
    cache = tmp_path / "cache"
    first = scan(cli, repo, cache)
    (stored,) = entries(cache)
    stored.write_text(entry)
    again = scan(cli, repo, cache)
    assert (again.out, again.err, runs.calls) == (first.out, "", 2)
    assert json.loads(stored.read_text())["format"] == FORMAT


def test_findings_that_are_not_findings_are_not_believed(
    cli: Any, tmp_path: Path, counted: tuple[Counted, Counted]
) -> None:
    runs, _ = counted
    repo = make_repo(tmp_path / "r", {".github/workflows/ci.yml": UNPINNED})
    cache = tmp_path / "cache"
    first = scan(cli, repo, cache)
    (stored,) = entries(cache)
    document = json.loads(stored.read_text())
    document["findings"] = [["PIN001", "x", "one", None, "m", "f", None]]
    stored.write_text(json.dumps(document))
    assert scan(cli, repo, cache).out == first.out
    assert runs.calls == 2


def test_a_cache_folder_that_is_a_link_is_not_written_through(cli: Any, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {".github/workflows/ci.yml": UNPINNED})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    link = tmp_path / "cache"
    link.symlink_to(elsewhere)
    result = scan(cli, repo, link)
    assert ("PIN001", ".github/workflows/ci.yml") in rules_of(result)
    assert list(elsewhere.iterdir()) == []
    assert "is a symbolic link: it is not used" in result.err


def test_a_scan_folder_that_is_a_link_is_not_written_through(cli: Any, tmp_path: Path) -> None:
    """The repository's own files can never be the cache: a link planted where the entries go
    (here by hand) is not followed, for reading or writing."""
    repo = make_repo(tmp_path / "r", {".github/workflows/ci.yml": UNPINNED})
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "scan").symlink_to(repo / ".github")
    result = scan(cli, repo, cache)
    assert ("PIN001", ".github/workflows/ci.yml") in rules_of(result)
    assert sorted(p.name for p in (repo / ".github").iterdir()) == ["workflows"]
    assert "is a symbolic link: it is not used" in result.err


def test_an_entry_that_is_a_link_is_not_read(
    cli: Any, tmp_path: Path, counted: tuple[Counted, Counted]
) -> None:
    runs, _ = counted
    repo = make_repo(tmp_path / "r", {".github/workflows/ci.yml": UNPINNED})
    cache = tmp_path / "cache"
    first = scan(cli, repo, cache)
    (stored,) = entries(cache)
    copy = tmp_path / "copy"
    copy.write_bytes(stored.read_bytes())
    stored.unlink()
    stored.symlink_to(copy)
    assert scan(cli, repo, cache).out == first.out
    assert runs.calls == 2
    assert not stored.is_symlink()  # replaced by a file of our own; the link's target kept
    assert copy.read_bytes() == stored.read_bytes()


def test_only_the_most_recent_entries_are_kept(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("repo_harden.frontend.scan_cache.MAX_ENTRIES", 2)
    repo = make_repo(tmp_path / "r", {".github/workflows/ci.yml": UNPINNED})
    cache = tmp_path / "cache"
    names = []
    for selected in ("PIN", "DL", "WF"):
        scan(cli, repo, cache, "--select", selected)
        names.append({path.name for path in entries(cache)})
    assert [len(kept) for kept in names] == [1, 2, 2]
    assert not names[0] & names[2]  # the oldest went first


def test_a_cache_that_cannot_be_written_is_a_warning(cli: Any, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {".github/workflows/ci.yml": UNPINNED})
    cache = tmp_path / "cache"
    cache.write_text("a file, not a folder")
    result = scan(cli, repo, cache)
    assert ("PIN001", ".github/workflows/ci.yml") in rules_of(result)
    assert result.err.startswith(f"repo-harden: warning: the scan cache folder {cache}")


def test_a_run_in_which_a_check_crashed_is_not_kept(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = repo_harden.engine.run.run_checks
    runs = []

    def crashing(*args: Any, **kwargs: Any) -> Any:
        run = real(*args, **kwargs)
        run.crashes.append("PIN001 crashed:\nTraceback (simulated)")
        runs.append(run)
        return run

    monkeypatch.setattr("repo_harden.engine.judge.run_checks", crashing)
    repo = make_repo(tmp_path / "r", {".github/workflows/ci.yml": UNPINNED})
    cache = tmp_path / "cache"
    assert scan(cli, repo, cache).code == 2  # a crash is repo-harden's bug: exit 2
    scan(cli, repo, cache)
    assert (len(runs), entries(cache)) == (2, [])


@pytest.mark.parametrize("xdg", ["", "relative/cache"])
def test_without_a_home_folder_there_is_no_cache(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, xdg: str
) -> None:
    """`~` that cannot be expanded stays `~`: a folder of the checkout we scan, never used."""
    repo = make_repo(tmp_path / "r", {".github/workflows/ci.yml": UNPINNED})
    monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    monkeypatch.setattr("os.path.expanduser", lambda path: path)
    result = cli("scan", "--format", "json", cwd=repo)
    assert ("PIN001", ".github/workflows/ci.yml") in rules_of(result)
    assert git(repo, "status", "--porcelain", "--ignored") == ""
    assert not (repo / "relative").exists()
