"""The hooks under the real pre-commit, in real git repositories.

A copy of this project (with its uncommitted work) is made into a hook
repository; a consumer repository names it in `.pre-commit-config.yaml` at its
HEAD commit, with the `pinned-actions` and `repo-harden` hooks. pre-commit
builds the hook environment once for the module (PRE_COMMIT_HOME is shared):
it pip-installs the project, as it would for any user, from the local wheelhouse
the README's test command builds (no index, no network).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import make_repo, offline_install_environment, workflow
from tests.fake_git_history import commit_id
from tests.fake_github import FakeGitHub, Token

PROJECT = Path(__file__).resolve().parents[1]
SHA = "11bd71901bbe5b1630ceea73d27597364c9af683"
WF = ".github/workflows/ci.yml"
UNPINNED = workflow("      - uses: actions/checkout@v4\n")
PINNED = workflow(f"      - uses: actions/checkout@{SHA} # v4.2.2\n")
FINDING = f"{WF}:6:15: PIN001 `actions/checkout@v4` uses `v4`"
HOOKS = ("pinned-actions", "repo-harden")
# The `repo-harden` hook runs every check: the consumer has a CODEOWNERS that owns all of
# it, so that only the workflow decides whether the commit passes.
CODEOWNERS = "* @acme/maintainers\n"


@dataclass(frozen=True)
class HookRepo:
    path: Path
    rev: str


@dataclass(frozen=True)
class Run:
    code: int
    output: str


def environment(pre_commit_home: Path) -> dict[str, str]:
    """A clean environment for git and pre-commit: fixed identity, no user git config, no
    git variables of an enclosing hook, no colour, the shared hook environments, and pip
    installing from the local wheelhouse only."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("GIT_", "PRE_COMMIT")) and name != "NO_COLOR"
    }
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Test",
        GIT_AUTHOR_EMAIL="test@example.invalid",
        GIT_COMMITTER_NAME="Test",
        GIT_COMMITTER_EMAIL="test@example.invalid",
        PRE_COMMIT_HOME=str(pre_commit_home),
        PRE_COMMIT_COLOR="never",
    )
    env.update(offline_install_environment())
    return env


def run(command: list[str], cwd: Path, home: Path, timeout: float = 120) -> Run:
    result = subprocess.run(
        command,
        cwd=cwd,
        env=environment(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
        timeout=timeout,
    )
    return Run(result.returncode, result.stdout)


def pre_commit(*args: str, cwd: Path, home: Path, timeout: float = 120) -> Run:
    return run([sys.executable, "-m", "pre_commit", *args], cwd, home, timeout)


def git(*args: str, cwd: Path, home: Path) -> Run:
    return run(["git", *args], cwd, home)


def project_files() -> list[str]:
    """This checkout's files as git sees them: tracked plus untracked-not-ignored, so that
    work not yet committed is what the hooks run."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    names = dict.fromkeys(name for name in listed.split("\0") if name)
    return [name for name in names if os.path.lexists(PROJECT / name)]


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory, pre_commit_home: Path) -> HookRepo:
    root = tmp_path_factory.mktemp("hookrepo")
    for name in project_files():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT / name, target, follow_symlinks=False)
    assert (root / ".pre-commit-hooks.yaml").is_file()
    for args in (("init", "-q", "-b", "main"), ("add", "-A"), ("commit", "-q", "-m", "snapshot")):
        done = git(*args, cwd=root, home=pre_commit_home)
        assert done.code == 0, done.output
    rev = git("rev-parse", "HEAD", cwd=root, home=pre_commit_home).output.strip()
    return HookRepo(root, rev)


@pytest.fixture(scope="module")
def warmed(
    hook_repo: HookRepo, pre_commit_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Build the hook environment once (pip installs the project): the slow part."""
    consumer = new_consumer(tmp_path_factory.mktemp("warm") / "consumer", hook_repo)
    done = pre_commit("install-hooks", cwd=consumer, home=pre_commit_home, timeout=600)
    assert done.code == 0, done.output


def pre_commit_config(hook_repo: HookRepo, hooks: str = "") -> str:
    hooks = hooks or "".join(f"      - id: {hook}\n" for hook in HOOKS)
    # json.dumps: a quoted YAML scalar, whatever characters the temporary path has.
    return f"repos:\n  - repo: {json.dumps(str(hook_repo.path))}\n    rev: {hook_repo.rev}\n    hooks:\n{hooks}"


def new_consumer(root: Path, hook_repo: HookRepo, hooks: str = "") -> Path:
    return make_repo(
        root,
        {
            "README.md": "a consumer of the hooks\n",
            ".github/CODEOWNERS": CODEOWNERS,
            ".pre-commit-config.yaml": pre_commit_config(hook_repo, hooks),
        },
    )


@pytest.fixture
def consumer(tmp_path: Path, hook_repo: HookRepo, pre_commit_home: Path, warmed: None) -> Path:
    """A consumer repository with the hooks installed as its git pre-commit hook."""
    repo = new_consumer(tmp_path / "consumer", hook_repo)
    done = pre_commit("install", cwd=repo, home=pre_commit_home)
    assert done.code == 0, done.output
    assert (repo / ".git" / "hooks" / "pre-commit").is_file()
    return repo


def commits(repo: Path, home: Path) -> int:
    return int(git("rev-list", "--count", "HEAD", cwd=repo, home=home).output)


def hook_names() -> dict[str, str]:
    """The names pre-commit prints for the hooks, from the project's `.pre-commit-hooks.yaml`."""
    hooks: list[dict[str, str]] = yaml.safe_load(
        (PROJECT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    )
    return {hook["id"]: hook["name"] for hook in hooks}


def hook_result(output: str, hook: str) -> str:
    """`Passed`, `Failed` or `(no files to check)Skipped`: the end of the hook's status line."""
    name = hook_names()[hook]
    (line,) = [line for line in output.splitlines() if line.startswith(name + "...")]
    return line.rstrip(".").rsplit(".", 1)[-1]


def test_unpinned_action_blocks_the_commit(consumer: Path, pre_commit_home: Path) -> None:
    (consumer / WF).parent.mkdir(parents=True)
    (consumer / WF).write_text(UNPINNED, encoding="utf-8")
    assert git("add", WF, cwd=consumer, home=pre_commit_home).code == 0

    done = git("commit", "-m", "add CI", cwd=consumer, home=pre_commit_home)
    assert done.code == 1, done.output
    assert "PIN001" in done.output
    # Each hook reported the finding, at its place, and failed.
    assert done.output.count(FINDING) == 2, done.output
    assert [hook_result(done.output, hook) for hook in HOOKS] == ["Failed", "Failed"]
    assert commits(consumer, pre_commit_home) == 1  # nothing was committed


def test_pinned_action_is_committed(consumer: Path, pre_commit_home: Path) -> None:
    (consumer / WF).parent.mkdir(parents=True)
    (consumer / WF).write_text(PINNED, encoding="utf-8")
    assert git("add", WF, cwd=consumer, home=pre_commit_home).code == 0

    done = git("commit", "-m", "add CI", cwd=consumer, home=pre_commit_home)
    assert done.code == 0, done.output
    assert "PIN001" not in done.output
    assert [hook_result(done.output, hook) for hook in HOOKS] == ["Passed", "Passed"]
    assert commits(consumer, pre_commit_home) == 2


def test_run_on_files_fixes_and_rechecks(consumer: Path, pre_commit_home: Path) -> None:
    """`pre-commit run --files`: fails on the unpinned workflow, passes once it is pinned."""
    (consumer / WF).parent.mkdir(parents=True)
    (consumer / WF).write_text(UNPINNED, encoding="utf-8")
    git("add", WF, cwd=consumer, home=pre_commit_home)
    failed = pre_commit("run", "--files", WF, cwd=consumer, home=pre_commit_home)
    assert failed.code == 1, failed.output
    assert failed.output.count(FINDING) == 2, failed.output

    (consumer / WF).write_text(PINNED, encoding="utf-8")
    git("add", WF, cwd=consumer, home=pre_commit_home)
    passed = pre_commit("run", "--files", WF, cwd=consumer, home=pre_commit_home)
    assert passed.code == 0, passed.output
    assert [hook_result(passed.output, hook) for hook in HOOKS] == ["Passed", "Passed"]


def test_pinned_actions_hook_skips_other_files(consumer: Path, pre_commit_home: Path) -> None:
    """The `files:` pattern of `pinned-actions` keeps it off files it does not read."""
    (consumer / "notes.txt").write_text("uses: actions/checkout@v4\n", encoding="utf-8")
    git("add", "notes.txt", cwd=consumer, home=pre_commit_home)
    done = pre_commit("run", "--files", "notes.txt", cwd=consumer, home=pre_commit_home)
    assert done.code == 0, done.output
    assert hook_result(done.output, "pinned-actions") == "(no files to check)Skipped"
    assert hook_result(done.output, "repo-harden") == "Passed"


@pytest.fixture
def learned_cache(cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> tuple[Path, str]:
    """A cache that `repo-harden fix` filled from the fake GitHub (gone by the time the hook
    runs), and the API URL it is kept under."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_hook0123456789abcdefghijklmnopqrstuvwx")
    with FakeGitHub({"ghp_hook0123456789abcdefghijklmnopqrstuvwx": Token()}) as github:
        history = github.add_history("actions/checkout")
        history.commit("v4")
        history.tag("v4", commit_id("v4"))
        history.tag("v4.2.2", commit_id("v4"), annotated=True)
        seed = make_repo(tmp_path / "seed", {WF: UNPINNED})
        learned = cli("fix", "--api-url", github.url, "--cache-dir", str(cache), cwd=seed)
        assert learned.code == 0, learned.out
        return cache, github.url


def test_fix_pins_pins_from_the_cache_and_fails_the_commit_that_it_changed(
    tmp_path: Path, hook_repo: HookRepo, pre_commit_home: Path, warmed: None,
    learned_cache: tuple[Path, str],
) -> None:  # fmt: skip
    """The opt-in fixer under the real pre-commit: offline, from what `repo-harden fix` put in
    the cache; a commit it changed fails (review the pins, add them, commit again)."""
    cache, api_url = learned_cache
    hooks = f"      - id: fix-pins\n        args: [--cache-dir, {json.dumps(str(cache))}, --api-url, {api_url}]\n"
    consumer = new_consumer(tmp_path / "consumer", hook_repo, hooks)
    assert pre_commit("install", cwd=consumer, home=pre_commit_home).code == 0
    (consumer / WF).parent.mkdir(parents=True)
    steps = "      - uses: actions/checkout@v4\n      - uses: actions/setup-node@v4\n"
    (consumer / WF).write_text(workflow(steps), encoding="utf-8")
    git("add", WF, cwd=consumer, home=pre_commit_home)

    failed = git("commit", "-m", "add CI", cwd=consumer, home=pre_commit_home)
    assert failed.code == 1, failed.output
    assert hook_result(failed.output, "fix-pins") == "Failed"
    assert "- files were modified by this hook" in failed.output
    pinned = f"      - uses: actions/checkout@{commit_id('v4')} # v4.2.2\n"
    assert pinned in (consumer / WF).read_text()
    # Not in the cache: the hook asks nothing, and says how to learn it.
    assert (
        "actions/setup-node@v4`: not in the cache (the fix-pins hook asks nothing" in failed.output
    )
    assert commits(consumer, pre_commit_home) == 1

    (consumer / WF).write_text(UNPINNED.replace("      - uses: actions/checkout@v4\n", pinned))
    git("add", WF, cwd=consumer, home=pre_commit_home)
    done = git("commit", "-m", "add CI", cwd=consumer, home=pre_commit_home)
    assert done.code == 0, done.output
    assert hook_result(done.output, "fix-pins") == "Passed"
    assert commits(consumer, pre_commit_home) == 2


# The hook environment holds the base install only -------------------------------------------

# Distributions that come with the `online` extra (or, cryptography, under PyGithub): a hook
# never imports them, so a hook environment must not pay for them.
ONLINE_ONLY = {"pygithub", "pip-audit", "requests", "urllib3", "cryptography", "pyjwt"}
BASE = {
    "packaging",
    "pyyaml",
    "tomlkit",
    "tree-sitter",
    "tree-sitter-bash",
}
ONLINE_MESSAGE = "pip install 'repo-harden[online]'"


@pytest.fixture(scope="module")
def hook_env(pre_commit_home: Path, warmed: None) -> Path:
    """The environment pre-commit built for the hooks: the project installed as for a user."""
    (found,) = pre_commit_home.glob("repo*/py_env-*")
    return found


def distributions(env: Path) -> dict[str, Path]:
    """The installed distributions of an environment, by normalized name, with their
    `.dist-info` folders."""
    found: dict[str, Path] = {}
    for info in env.glob("lib/python*/site-packages/*.dist-info"):
        metadata = BytesParser().parsebytes((info / "METADATA").read_bytes())
        found[canonicalize_name(str(metadata["Name"]))] = info
    return found


def test_the_hook_environment_installs_the_base_requirements_and_nothing_online(
    hook_env: Path,
) -> None:
    installed = distributions(hook_env)
    assert "repo-harden" in installed
    assert installed.keys() >= BASE
    assert not ONLINE_ONLY & installed.keys(), sorted(ONLINE_ONLY & installed.keys())


def test_the_wheel_declares_the_online_extra_and_keeps_it_out_of_the_base_requirements(
    hook_env: Path,
) -> None:
    """Read from the metadata of the wheel pip built from this checkout for the hooks."""
    info = distributions(hook_env)["repo-harden"]
    metadata = BytesParser().parsebytes((info / "METADATA").read_bytes())
    requirements = [Requirement(line) for line in metadata.get_all("Requires-Dist") or []]

    def names(extra: str | None) -> set[str]:
        """The requirements of `extra`, or (None) the base ones: those no extra marks."""
        found: set[str] = set()
        for requirement in requirements:
            marker = requirement.marker
            of_an_extra = marker is not None and "extra" in str(marker)
            if (extra is None and not of_an_extra) or (
                extra is not None and of_an_extra and marker and marker.evaluate({"extra": extra})
            ):
                found.add(canonicalize_name(requirement.name))
        return found

    assert "online" in (metadata.get_all("Provides-Extra") or [])
    assert names(None) == BASE
    assert {"pygithub", "pip-audit", "requests", "urllib3"} <= names("online")
    assert "repo-harden" in names("test")  # the test extra pulls in `online`: the fake GitHub


def test_without_the_online_extra_scan_works_and_online_commands_name_the_extra(
    tmp_path: Path, hook_env: Path, pre_commit_home: Path
) -> None:
    """The hook environment is a base install: `scan` (offline) and `fix --offline` run
    there; what goes online says, in one line and with exit code 2, which extra it needs."""
    repo = make_repo(tmp_path / "r", {WF: UNPINNED, ".github/CODEOWNERS": CODEOWNERS})
    exe = str(hook_env / "bin" / "repo-harden")

    scanned = run([exe, "scan"], repo, pre_commit_home)
    assert scanned.code == 1, scanned.output
    assert FINDING in scanned.output
    pinned = run([exe, "fix", "--offline"], repo, pre_commit_home)
    assert pinned.code == 1, pinned.output
    assert "PIN001 not fixed: `actions/checkout@v4`: not in the cache (--offline)" in pinned.output

    github_and_osv = f"needs PyGithub and pip-audit: {ONLINE_MESSAGE}"
    expected = {
        ("audit", "--org", "acme"): f"audit {github_and_osv}",
        ("scan", "--online"): f"scan --online {github_and_osv}",
        ("scan", "--online", "--select", "LCK006"): f"scan --online {github_and_osv}",
        (
            "inventory",
            "--org",
            "acme",
        ): f"inventory --org/--user/--repo needs PyGithub: {ONLINE_MESSAGE}",
        ("fix",): f"fix needs PyGithub and urllib3: {ONLINE_MESSAGE} "
        "(or `repo-harden fix --offline`: from the cache alone)",
    }
    for args, message in expected.items():
        done = run([exe, *args], repo, pre_commit_home)
        assert (done.code, done.output) == (2, f"repo-harden: error: {message}\n"), args


def test_fix_pins_online_without_the_extra_says_how_to_give_the_hook_its_dependencies(
    tmp_path: Path, hook_repo: HookRepo, pre_commit_home: Path, warmed: None
) -> None:
    consumer = new_consumer(tmp_path / "consumer", hook_repo, "      - id: fix-pins\n")
    (consumer / ".repo-harden.toml").write_text("[fix]\nonline = true\n", encoding="utf-8")
    (consumer / WF).parent.mkdir(parents=True)
    (consumer / WF).write_text(UNPINNED, encoding="utf-8")
    git("add", "-A", cwd=consumer, home=pre_commit_home)

    done = pre_commit("run", "fix-pins", "--files", WF, cwd=consumer, home=pre_commit_home)
    assert done.code == 1, done.output
    assert hook_result(done.output, "fix-pins") == "Failed"
    assert (
        "repo-harden: error: the fix-pins hook with `[fix] online = true` needs PyGithub and "
        "urllib3: give the hook `additional_dependencies: ['repo-harden[online]']` in "
        ".pre-commit-config.yaml\n"
    ) in done.output
    assert "Traceback" not in done.output
    assert (consumer / WF).read_text(encoding="utf-8") == UNPINNED
