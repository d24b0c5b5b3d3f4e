"""CI enforcement: baselines, GitHub annotations, and the composite action run as CI would."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import DATA, git, make_repo, offline_install_environment, workflow

ROOT = Path(__file__).resolve().parents[1]
WF = ".github/workflows/ci.yml"
CHECKOUT = "      - uses: actions/checkout@v4\n"


def _codes(result: Any) -> list[str]:
    return [f["rule"] for f in result.json()["findings"]]


def test_baseline_accepts_known_findings_after_lines_move(cli: Any, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {WF: workflow(CHECKOUT, job_extra="    container: node:20\n")})
    written = cli("scan", "--ignore", "OWN", "--write-baseline", "baseline.json", cwd=repo)
    assert written.code == 0
    assert "Wrote 2 findings to the baseline" in written.out
    entries = json.loads((repo / "baseline.json").read_text())["findings"]
    assert [e["rule"] for e in entries] == ["PIN001", "PIN002"]

    # Move every line down and reformat: quotes, indentation, comments.
    moved = (
        "# CI\n\non: [push]\npermissions: {}\njobs:\n    build:\n        runs-on: ubuntu-latest\n"
    )
    moved += "        container: 'node:20'\n        steps:\n          - run: echo hi\n"
    moved += '          - uses: "actions/checkout@v4"  # checkout\n'
    (repo / WF).write_text(moved)
    result = cli("scan", "--ignore", "OWN", "--baseline", "baseline.json", cwd=repo)
    assert result.code == 0, result.out
    assert "No findings" in result.out
    assert "2 known from the baseline" in result.out

    # A new problem fails, and only it is reported.
    (repo / WF).write_text(moved + "          - uses: actions/cache@v4\n")
    result = cli(
        "scan", "--ignore", "OWN", "--baseline", "baseline.json", "--format", "json", cwd=repo
    )
    assert result.code == 1
    assert [(f["rule"], f["line"]) for f in result.json()["findings"]] == [("PIN001", 12)]


def test_baseline_errors_are_usage_errors(cli: Any, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {WF: workflow(CHECKOUT)})
    missing = cli("scan", "--baseline", "nope.json", cwd=repo)
    assert missing.code == 2
    assert "no such baseline" in missing.err
    (repo / "bad.json").write_text("{not json")
    bad = cli("scan", "--baseline", "bad.json", cwd=repo)
    assert bad.code == 2
    assert "not a repo-harden baseline" in bad.err


def test_github_annotations_put_errors_first_and_count_everything(cli: Any, tmp_path: Path) -> None:
    config = '[severity]\nPIN001 = "note"\n'
    steps = "".join(f"      - uses: actions/a{n}@v1\n" for n in range(15))
    repo = make_repo(
        tmp_path / "r",
        {WF: workflow(steps, job_extra="    container: node:20\n"), ".repo-harden.toml": config},
    )
    lines = cli("scan", "--ignore", "OWN", "--format", "github", cwd=repo).out.splitlines()
    assert lines[0].startswith("::error file=.github/workflows/ci.yml,line=5,col=16,title=PIN002")
    assert all(line.startswith("::notice ") for line in lines[1:16])
    assert lines[16] == "Found 16 findings (1 error, 15 notes) in 1 file."


# The composite action, run step by step the way the runner runs it.

_EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")


def _evaluate(value: str, context: dict[str, str]) -> str:
    return _EXPRESSION.sub(lambda match: context[match.group(1)], value)


def action_checkout(runner_temp: Path) -> Path:
    """The action as the runner fetches it: a copy of the project's files, so that pip's
    in-tree build never writes into the checkout under test."""
    copy = runner_temp / "action"
    if not copy.exists():
        tracked = (
            subprocess.run(
                ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                cwd=ROOT,
                capture_output=True,
                check=True,
            )
            .stdout.decode()
            .split("\0")
        )
        for name in filter(None, tracked):
            if (ROOT / name).is_file():
                (copy / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, copy / name)
    return copy


def run_action(workspace: Path, runner_temp: Path, inputs: dict[str, str]) -> tuple[int, str, str]:
    """Run action.yml's steps with bash, as a runner would: -eo pipefail, env from `env:`,
    inputs with their defaults, and GITHUB_OUTPUT collected. Returns (exit, log, outputs)."""
    action_path = action_checkout(runner_temp)
    action = yaml.safe_load((action_path / "action.yml").read_text(encoding="utf-8"))
    context = {f"inputs.{k}": str(v.get("default", "")) for k, v in action["inputs"].items()}
    context.update({f"inputs.{k}": v for k, v in inputs.items()})
    context["github.action_path"] = str(action_path)
    outputs = runner_temp / "github_output"
    outputs.write_text("")
    # The runner's `python3` is the interpreter the tests run on, which the wheelhouse was
    # built for (on PATH there may be another version, with no wheels for it).
    interpreter = runner_temp / "python-bin"
    interpreter.mkdir(exist_ok=True)
    if not (interpreter / "python3").exists():
        (interpreter / "python3").symlink_to(sys.executable)
    search_path = f"{interpreter}{os.pathsep}{os.environ.get('PATH', '')}"
    log = ""
    for step in action["runs"]["steps"]:
        env = {k: _evaluate(str(v), context) for k, v in step.get("env", {}).items()}
        assert "${{" not in step["run"], "inputs must reach scripts through env"
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=workspace,
            env={
                **os.environ,
                **env,
                **offline_install_environment(),
                "PATH": search_path,
                "RUNNER_TEMP": str(runner_temp),
                "GITHUB_OUTPUT": str(outputs),
                "NO_COLOR": "1",
            },
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        log += result.stdout + result.stderr
        if result.returncode:
            return result.returncode, log, outputs.read_text()
    return 0, log, outputs.read_text()


@pytest.fixture(scope="module")
def runner_temp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One runner temp folder for the module, so the install step's venv is built once."""
    yield tmp_path_factory.mktemp("runner-temp")


def test_action_fails_on_unpinned_and_uploads_valid_sarif(
    tmp_path: Path, runner_temp: Path
) -> None:
    owned = {".github/CODEOWNERS": "* @acme/maintainers\n"}  # OWN001 is not under test
    repo = make_repo(tmp_path / "r", {WF: workflow(CHECKOUT), **owned})
    code, log, outputs = run_action(repo, runner_temp, {})
    assert code == 1, log
    assert "::error file=.github/workflows/ci.yml,line=6,col=15,title=PIN001" in log
    assert outputs.strip() == f"sarif-file={runner_temp / 'repo-harden.sarif'}"
    assert not (repo / "repo-harden.sarif").exists()  # never in the checkout by default
    sarif = json.loads((runner_temp / "repo-harden.sarif").read_text())
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(sarif, schema)
    (result,) = sarif["runs"][0]["results"]
    assert result["ruleId"] == "PIN001"
    assert result["partialFingerprints"]["repoHarden/v1"]


def test_action_inputs_baseline_and_select(tmp_path: Path, runner_temp: Path) -> None:
    repo = make_repo(tmp_path / "r", {WF: workflow(CHECKOUT, job_extra="    container: node:20\n")})
    subprocess.run(
        [str(runner_temp / "repo-harden-venv" / "bin" / "repo-harden"), "scan",
         "--write-baseline", "known.json"],
        cwd=repo, check=True, capture_output=True,
    )  # fmt: skip
    steps = CHECKOUT + "      - uses: actions/cache@v4\n"
    (repo / WF).write_text(workflow(steps, job_extra="    container: node:20\n"))
    code, log, _ = run_action(
        repo,
        runner_temp,
        {"baseline": "known.json", "format": "text", "select": "PIN001", "sarif-file": "o.sarif"},
    )
    assert code == 1, log
    assert "ci.yml:8:15: PIN001 `actions/cache@v4`" in log
    assert "actions/checkout" not in log
    assert "PIN002" not in log
    assert [
        r["ruleId"] for r in json.loads((repo / "o.sarif").read_text())["runs"][0]["results"]
    ] == ["PIN001"]
    code, log, _ = run_action(repo, runner_temp, {"fail-on": "never"})
    assert code == 0, log


def test_readme_workflows_pass_the_tools_own_rules(cli: Any, tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", readme, flags=re.DOTALL)
    workflows = [block for block in blocks if block.startswith("name:") and "\njobs:" in block]
    assert len(workflows) == 2
    files = {f".github/workflows/readme-{n}.yml": text for n, text in enumerate(workflows)}
    repo = make_repo(tmp_path / "r", files)
    findings = cli("scan", "--ignore", "OWN", "--format", "json", cwd=repo).json()["findings"]
    # Only the placeholder for the release you choose is left for you to pin.
    assert [(f["rule"], f["message"].split("`")[1]) for f in findings] == [
        ("PIN001", "repo-harden/repo-harden@<commit-sha>")
    ]


def test_the_project_passes_its_own_rules(cli: Any) -> None:
    result = cli("scan", cwd=ROOT)
    assert result.code == 0, result.out


def test_a_pull_request_cannot_get_code_run_through_the_sarif_file(
    tmp_path: Path, runner_temp: Path
) -> None:
    """Issue 14, item 1, the whole chain: the pull request commits `repo-harden.sarif` as a
    link to the action's own `repo-harden` script and a finding whose message holds `$(...)`
    and forged workflow commands. Were the SARIF written through the link, the script would
    be SARIF (still executable) and the next step would run the `$(...)`."""
    script = runner_temp / "repo-harden-venv" / "bin" / "repo-harden"
    if not script.exists():  # the install step of another test builds it; build it here
        run_action(make_repo(tmp_path / "warm", {"README.md": "x\n"}), runner_temp, {})
    before = script.read_bytes()
    marker = tmp_path / "pwned"
    forged = f"actions/checkout@v4$(touch {marker})"
    hostile = {
        WF: workflow(f"      - uses: {forged}\n      - uses: '::add-mask::x\\n::error::forged'\n"),
        ".github/CODEOWNERS": "* @acme/maintainers\n",
    }
    repo = make_repo(tmp_path / "pr", hostile, commit=False)
    (repo / "repo-harden.sarif").symlink_to(script)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "hostile")
    for inputs in ({}, {"sarif-file": "repo-harden.sarif", "format": "text"}):
        code, log, _ = run_action(repo, runner_temp, inputs)
        assert code == 1, log
        assert script.read_bytes() == before
        assert not marker.exists()
        assert not [line for line in log.splitlines() if line.lstrip().startswith("::add-mask")]
        assert "::error::forged" not in [line.strip() for line in log.splitlines()]
    assert not (repo / "repo-harden.sarif").is_symlink()  # the link was replaced, not followed


def test_the_action_installs_every_dependency_pinned_with_hashes() -> None:
    """requirements/action.txt gives each of pyproject.toml's base dependencies and its
    build backend one version that satisfies them, with hashes (action.yml installs it with
    `--require-hashes`): a dependency added or raised without regenerating it fails here."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wanted = [
        Requirement(text)
        for text in (*project["project"]["dependencies"], *project["build-system"]["requires"])
    ]
    locked = _locked_versions(ROOT / "requirements" / "action.txt")
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is not in requirements/action.txt"
        version, hashes = locked[name]
        assert requirement.specifier.contains(version, prereleases=True), (name, version)
        assert hashes, f"{name} has no hash"
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    steps = " ".join(step["run"] for step in action["runs"]["steps"] if "run" in step)
    assert '--require-hashes --no-deps -r "$RH_ACTION_PATH/requirements/action.txt"' in steps
    assert '--no-deps --no-build-isolation "$RH_ACTION_PATH"' in steps


def _locked_versions(path: Path) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) of a `uv pip compile --generate-hashes` file."""
    locked: dict[str, tuple[str, list[str]]] = {}
    text = path.read_text().replace("\\\n", " ")
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        pinned, *options = line.split(" --hash=")
        requirement = Requirement(pinned.strip())
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", line
        hashes = [option.strip() for option in options]
        locked[canonicalize_name(requirement.name)] = (specifier.version, hashes)
    return locked
