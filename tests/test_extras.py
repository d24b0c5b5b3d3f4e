"""The optional dependencies: a command that needs a package of an extra that is not
installed says so in one line, naming the extra, and exits 2. A real base install (the
pre-commit hook environment) is checked in `test_precommit.py`; here, in-process, a
package is hidden from the import system as if it were not installed."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from repo_harden.core.extras import missing_module_message
from tests.conftest import make_repo, workflow

WF = ".github/workflows/ci.yml"
TOKEN = "ghp_extras0123456789abcdefghijklmnopqrstu"


def hide(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    """`import NAME` fails and `find_spec(NAME)` finds nothing, as when it is not installed."""
    for name in modules:
        monkeypatch.setitem(sys.modules, name, None)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "r", {WF: workflow("      - uses: actions/checkout@v4\n")})


def test_each_online_command_names_what_it_lacks_of_the_online_extra(
    cli: Any, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    hide(monkeypatch, "github")
    install = "pip install 'repo-harden[online]'"
    expected = {
        ("audit", "--org", "acme"): f"audit needs PyGithub: {install}",
        ("scan", "--online"): f"scan --online needs PyGithub: {install}",
        (
            "inventory",
            "--repo",
            "acme/api",
        ): f"inventory --org/--user/--repo needs PyGithub: {install}",
        ("inventory", "--online"): f"inventory --online needs PyGithub: {install}",
    }
    for args, message in expected.items():
        done = cli(*args, cwd=repo)
        assert (done.code, done.out, done.err) == (2, "", f"repo-harden: error: {message}\n")

    hide(monkeypatch, "pip_audit")
    done = cli("audit", "--org", "acme", cwd=repo)
    assert done.err == f"repo-harden: error: audit needs PyGithub and pip-audit: {install}\n"


def test_fix_needs_the_extra_online_and_not_offline(
    cli: Any, repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    hide(monkeypatch, "urllib3")
    done = cli("fix", "--cache-dir", str(tmp_path / "cache"), cwd=repo)
    assert (done.code, done.out) == (2, "")
    assert done.err == (
        "repo-harden: error: fix needs urllib3: pip install 'repo-harden[online]' "
        "(or `repo-harden fix --offline`: from the cache alone)\n"
    )
    offline = cli("fix", "--offline", "--cache-dir", str(tmp_path / "cache"), cwd=repo)
    assert offline.code == 1
    assert "not in the cache (--offline)" in offline.out


def test_the_sbom_format_names_the_sbom_extra_before_reading_anything(
    cli: Any, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hide(monkeypatch, "cyclonedx")
    done = cli("inventory", "--format", "cyclonedx", cwd=repo)
    assert (done.code, done.out) == (2, "")
    assert done.err == (
        "repo-harden: error: --format cyclonedx needs cyclonedx-python-lib: "
        "pip install 'repo-harden[sbom]'\n"
    )


def test_a_path_that_did_not_check_first_still_gets_one_line(
    cli: Any, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command line's safety net: a module of an extra missing where no command looked
    for it first is the same one line, not a traceback."""
    monkeypatch.setattr("repo_harden.commands.audit.require", lambda *args, **kwargs: None)
    hide(monkeypatch, "github")
    (repo / "app.pem").write_text("not read: PyGithub is missing first\n", encoding="utf-8")
    app = ("--app-id", "1", "--app-key", "app.pem", "--installation-id", "2")  # PyGithub's part
    done = cli("audit", "--org", "acme", "--api-url", "http://127.0.0.1:9", *app, cwd=repo)
    assert (done.code, done.out) == (2, "")
    assert done.err == (
        "repo-harden: error: this command needs PyGithub: pip install 'repo-harden[online]'\n"
    )


def test_a_missing_module_no_extra_brings_is_a_bug_not_a_missing_extra() -> None:
    assert missing_module_message("github.Auth") == (
        "this command needs PyGithub: pip install 'repo-harden[online]'"
    )
    assert missing_module_message("yaml") is None  # a base dependency
    assert missing_module_message(None) is None
