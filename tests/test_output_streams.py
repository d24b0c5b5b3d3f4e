"""A reader that stops early (`repo-harden scan | head`) gets no traceback, from the scan
or from a hook run as the console script pre-commit calls."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_corpus import corpus_repo

COMMANDS = [
    [sys.executable, "-m", "repo_harden", "scan"],
    [sys.executable, "-c", "from repo_harden.hooks.all_checks import main; main()"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=["scan", "hook"])
def test_closed_pipe_is_quiet(tmp_path: Path, command: list[str]) -> None:
    repo = corpus_repo(tmp_path / "corpus")  # ~100 KB of findings: more than a pipe holds
    workflows = sorted(str(p.relative_to(repo)) for p in (repo / ".github/workflows").iterdir())
    arguments = command + (workflows if "hooks" in command[-1] else [])
    process = subprocess.Popen(arguments, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()
    errors = process.stderr.read().decode()
    code = process.wait(timeout=60)
    assert b"PIN001" in first
    assert "Traceback" not in errors
    assert code == 1


@pytest.mark.parametrize("command", COMMANDS, ids=["scan", "hook"])
def test_a_closed_standard_output_is_the_null_device(tmp_path: Path, command: list[str]) -> None:
    """`repo-harden scan >&-`: Python makes a closed stdout None, and writing the report to
    it failed with a traceback. It goes nowhere now, as with `>/dev/null`, and the exit
    code still says there are findings."""
    repo = corpus_repo(tmp_path / "corpus")
    arguments = command + ([".github/workflows/ci-go.yml"] if "hooks" in command[-1] else [])
    script = " ".join(shlex.quote(argument) for argument in arguments) + " >&-"
    result = subprocess.run(["sh", "-c", script], cwd=repo, capture_output=True, check=False)
    assert result.stderr == b""
    assert result.returncode == 1
