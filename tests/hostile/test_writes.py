"""Issue 14, items 1-2: where a report goes is the user's choice alone, and a bad choice is
one line and exit 2 (exit 1 means findings)."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_repo, workflow

FILES = {".github/workflows/ci.yml": workflow("      - uses: actions/checkout@v4\n")}


@pytest.mark.parametrize(
    ("output", "says"),
    [
        (".", "is a folder"),
        ("missing/report.json", "the folder missing does not exist"),
        ("", "must not be empty"),
        ("/proc/report.json", "cannot write it"),  # a folder nobody may write, even root
    ],
)
def test_a_bad_output_is_one_line_and_exit_2(
    cli: Any, tmp_path: Path, output: str, says: str
) -> None:
    repo = make_repo(tmp_path / "r", FILES)
    for option in ("-o", "--write-baseline"):
        result = cli("scan", "--format", "json", option, output, cwd=repo)
        assert result.code == 2, result
        assert says in result.err
        assert len(result.err.strip().splitlines()) == 1
        assert "Traceback" not in result.err


def test_dash_is_standard_output(cli: Any, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", FILES)
    result = cli("scan", "--format", "json", "-o", "-", cwd=repo)
    assert result.code == 1
    assert "PIN001" in {finding["rule"] for finding in result.json()["findings"]}
    assert not (repo / "-").exists()


def test_dev_stdout_into_a_pipe(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", FILES)
    result = subprocess.run(
        [sys.executable, "-m", "repo_harden", "scan", "--format", "json", "-o", "/dev/stdout"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert '"rule": "PIN001"' in result.stdout


def test_a_planted_baseline_link_is_replaced_not_followed(cli: Any, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", FILES)
    script = tmp_path / "deploy.sh"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    (repo / "baseline.json").symlink_to(script)
    result = cli("scan", "--write-baseline", "baseline.json", cwd=repo)
    assert result.code == 0, result.err
    assert script.read_text() == "#!/bin/sh\n"
    assert not (repo / "baseline.json").is_symlink()
    assert stat.S_IMODE((repo / "baseline.json").stat().st_mode) & 0o111 == 0
