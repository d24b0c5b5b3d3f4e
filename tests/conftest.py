"""Shared test helpers: real git repositories in tmp_path and the real CLI."""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from repo_harden.cli import main

TESTS = Path(__file__).parent
CORPUS = TESTS / "corpus" / "starter-workflows"
DATA = TESTS / "data"
PROJECT = TESTS.parent
# The package's source folders: `repo_harden/checks` and `repo_harden/hooks` are links to
# the top-level `checks/` and `hooks/`, which `Path.rglob` does not follow.
PACKAGE_FOLDERS = ("repo_harden", "checks", "hooks")
# Where the README's test command puts wheels of the project's dependencies (and of its
# build backend), so that the tests that pip-install the project need no network.
WHEELHOUSE_ENV = "REPO_HARDEN_WHEELHOUSE"
# Nothing listens on the discard port: whatever tries a proxied connection fails at once.
DEAD_PROXY = "http://127.0.0.1:9"


def offline_install_environment() -> dict[str, str]:
    """Environment variables under which pip (and virtualenv, and pre-commit) install from
    the local wheelhouse only: no index, no machine pip config, no version check, and every
    HTTP(S) connection sent to a dead loopback proxy, so a test that reached for the network
    would fail rather than pass by downloading."""
    wheelhouse = Path(os.environ.get(WHEELHOUSE_ENV) or Path(sys.prefix) / "wheelhouse")
    if not any(wheelhouse.glob("*.whl")):
        pytest.fail(
            f"no wheels in {wheelhouse}: fill it once as the README's test command does, "
            f"`pip wheel -q -w {wheelhouse} . setuptools && pip download -q --require-hashes "
            f"--no-deps -d {wheelhouse} -r requirements/action.txt`, "
            f"or name another folder in {WHEELHOUSE_ENV}",
            pytrace=False,
        )
    proxies = dict.fromkeys(("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"), DEAD_PROXY)
    return {
        **proxies,
        "no_proxy": "",
        "NO_PROXY": "",
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheelhouse),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "VIRTUALENV_NO_PERIODIC_UPDATE": "1",
    }


class InternetRefused(OSError):
    """A test tried to connect beyond the loopback interface."""


def _is_loopback(address: object) -> bool:
    if not isinstance(address, tuple):
        return True  # a Unix socket path, not the network
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%", maxsplit=1)[0]).is_loopback
    except ValueError:
        return False  # a host name other than localhost: it would be looked up


@pytest.fixture(autouse=True, scope="session")
def loopback_only() -> Iterator[None]:
    """No test reaches the internet: in this process, a connection to anything but a
    loopback address fails (subprocesses that install get `offline_install_environment`)."""
    original_connect = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise InternetRefused(f"tests use loopback addresses only, not {address!r}")
        original_connect(self, address)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", connect)
        yield


@pytest.fixture(autouse=True)
def own_cache_folder(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test has its own user cache folder (the scan cache's, the audit's), never the
    real one: what one test kept cannot change what another finds."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))


def git(repo: Path, *args: str) -> str:
    """Run git in `repo` with a fixed identity and no user config."""
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.invalid",
    }
    result = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout


def write_files(root: Path, files: Mapping[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def make_repo(root: Path, files: Mapping[str, str | bytes], *, commit: bool = True) -> Path:
    """A real git repository holding `files` (committed unless told otherwise)."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    write_files(root, files)
    if commit and files:
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "initial")
    return root


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run `repo-harden ARGS` in-process in a folder; returns code, stdout and stderr."""

    def run(*args: str, cwd: Path) -> CliResult:
        monkeypatch.chdir(cwd)
        monkeypatch.setenv("NO_COLOR", "1")
        code = main(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def package_sources() -> list[Path]:
    """Every Python file of the package, `checks/` and `hooks/` included."""
    return sorted(path for folder in PACKAGE_FOLDERS for path in (PROJECT / folder).rglob("*.py"))


def modules_after(cwd: Path, call: str) -> tuple[str, set[str]]:
    """What `call` (a line of Python, such as a repo-harden `main`) prints in a fresh
    interpreter run in `cwd`, and the names of every module it imported."""
    import ast

    probe = (
        "import sys, contextlib, io\n"
        "out = io.StringIO()\n"
        f"with contextlib.redirect_stdout(out):\n    {call}\n"
        "sys.stdout.write(out.getvalue())\n"
        "print(sorted(sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=cwd, capture_output=True, text=True, check=True
    )
    *output, imported = result.stdout.splitlines()
    return "\n".join(output), set(ast.literal_eval(imported))


def workflow(steps: str, *, job_extra: str = "") -> str:
    """A minimal workflow around the given step lines (already indented by 6 spaces), with a
    read-only token (WF001); the `permissions:` come last, so that lines keep their numbers."""
    steps = steps if steps.endswith("\n") else steps + "\n"
    return (
        f"on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n{job_extra}    steps:\n{steps}"
        "permissions:\n  contents: read\n"
    )
