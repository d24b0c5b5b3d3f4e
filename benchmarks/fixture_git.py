"""Hermetic git for the benchmarks' fixture repositories: no user or system config, no
hooks, no signing, a fixed identity. Shared by every benchmark script."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

HERMETIC_GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}


class GitError(Exception):
    """A git command that builds a fixture failed; the message says which and why."""


def git(folder: Path, *args: str) -> None:
    completed = subprocess.run(
        ["git", *args],
        cwd=folder,
        env={**os.environ, **HERMETIC_GIT_ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise GitError(f"git {' '.join(args)} failed: {completed.stderr.strip()}")


def commit_all(folder: Path) -> None:
    """Make `folder` a repository whose one commit holds every file in it."""
    git(folder, "init", "--quiet", "--initial-branch=main")
    git(folder, "add", "--all")
    git(folder, "commit", "--quiet", "--no-verify", "--no-gpg-sign", "-m", "fixture")
