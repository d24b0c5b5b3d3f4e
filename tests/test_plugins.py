"""Third-party checks, registered under the `repo_harden.checks` entry point group, found the
way an installed package is found (a `.dist-info` folder on the path), run by `scan` beside
the built-in rules, listed by `rules` and in SARIF, and refused in one line when broken."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import make_repo

PLUGIN_MODULE = '''
from repo_harden.core.declare import check
from repo_harden.core.model import Severity


@check("ACME001", "todo-in-workflow", Severity.WARNING, (".github/workflows/*.yml",))
def todo_in_workflow(ctx):
    """A workflow still holds a TODO.

    ## What it does
    Reports a line of a workflow that holds `TODO`.

    ## Why is this bad?
    Acme ships no workflow with unfinished steps.

    ## Example
    A step whose `run:` says `TODO`.

    ## Fix
    Finish the step.
    """
    from repo_harden.core.model import Position

    for path in ctx.files:
        text = ctx.snapshot.read_text(path) or ""
        for number, line in enumerate(text.splitlines(), 1):
            if "TODO" in line:
                yield ctx.finding(path, Position(number, line.index("TODO") + 1), "a TODO", line)
'''

WORKFLOW = """\
name: ci
on: push
permissions: {}
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: echo TODO
"""


def install_plugin(folder: Path, entry: str, module: str = PLUGIN_MODULE) -> dict[str, str]:
    """An installed distribution `acme-checks` whose entry point is `entry`; the environment
    that puts it on the path."""
    folder.mkdir()
    (folder / "acme_checks.py").write_text(module, encoding="utf-8")
    info = folder / "acme_checks-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: acme-checks\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(f"[repo_harden.checks]\n{entry}\n", encoding="utf-8")
    return {**os.environ, "PYTHONPATH": str(folder), "NO_COLOR": "1"}


def repo_harden(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return python(cwd, env, "-m", "repo_harden", *args)


def python(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_plugin_check_runs_beside_the_built_in_rules(tmp_path: Path) -> None:
    env = install_plugin(tmp_path / "site", "todo = acme_checks:todo_in_workflow")
    repo = make_repo(tmp_path / "repo", {".github/workflows/ci.yml": WORKFLOW})

    scanned = repo_harden(repo, env, "scan", "--format", "json", "--no-cache")
    found = {(f["rule"], f["path"], f["line"]) for f in json.loads(scanned.stdout)["findings"]}
    assert ("ACME001", ".github/workflows/ci.yml", 8) in found, scanned.stderr
    assert scanned.returncode == 1

    only = repo_harden(repo, env, "scan", "--format", "json", "--no-cache", "--select", "ACME")
    assert [f["rule"] for f in json.loads(only.stdout)["findings"]] == ["ACME001"]

    sarif = json.loads(repo_harden(repo, env, "scan", "--format", "sarif", "--no-cache").stdout)
    rules = {rule["id"] for rule in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert {"ACME001", "PIN001"} <= rules

    described = repo_harden(repo, env, "rules", "ACME001")
    assert described.returncode == 0
    assert "Acme ships no workflow with unfinished steps." in described.stdout

    hook = python(repo, env, "-m", "repo_harden.hooks.all_checks", ".github/workflows/ci.yml")
    assert hook.returncode == 1
    assert "ACME001" in hook.stdout

    without = {**env, "PYTHONPATH": ""}
    plain = repo_harden(repo, without, "scan", "--format", "json", "--no-cache")
    assert "ACME001" not in {f["rule"] for f in json.loads(plain.stdout)["findings"]}


def test_a_plugin_that_reuses_a_code_or_fails_to_load_is_refused_in_one_line(
    tmp_path: Path,
) -> None:
    repo = make_repo(tmp_path / "repo", {".github/workflows/ci.yml": WORKFLOW})
    reused = PLUGIN_MODULE.replace('"ACME001"', '"PIN001"')
    env = install_plugin(tmp_path / "reuses", "todo = acme_checks:todo_in_workflow", reused)
    result = repo_harden(repo, env, "scan", "--no-cache")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "repo-harden: error: two checks declare rule PIN001; a plugin reuses a code"
    ]

    env = install_plugin(tmp_path / "broken", "todo = acme_checks:no_such_check")
    result = repo_harden(repo, env, "scan", "--no-cache")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "plugin 'acme_checks:no_such_check' failed to load" in result.stderr


def test_a_scanned_repository_cannot_register_a_plugin(tmp_path: Path) -> None:
    """A checkout that holds a `.dist-info` with a `repo_harden.checks` entry point and the
    module it names is content, not an installed package: `repo-harden scan` run inside it
    (the console script, as the README, the hooks and the Action run it) never imports it."""
    marker = tmp_path / "plugin-ran"
    hostile = PLUGIN_MODULE + f"\nopen({str(marker)!r}, 'w').close()\n"
    repo = tmp_path / "repo"
    install_plugin(repo, "todo = acme_checks:todo_in_workflow", hostile)
    make_repo(repo, {".github/workflows/ci.yml": WORKFLOW})
    script = Path(sys.executable).with_name("repo-harden")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    result = subprocess.run(
        [str(script), "scan", "--format", "json", "--no-cache"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr  # the built-in rules ran
    assert "ACME001" not in {f["rule"] for f in json.loads(result.stdout)["findings"]}
    assert not marker.exists()
