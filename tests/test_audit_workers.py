"""`audit --jobs N`: worker processes read and check the pages; the report is the same.

The pool's own behaviour (order, several processes, errors, ends) runs against toy
auditors in real spawned processes (`tests/audit_workers_toy.py`); the command runs whole
against the fake GitHub."""

from __future__ import annotations

import functools
import json
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from repo_harden.audit.listing import ListedRepository
from repo_harden.audit.runner import Page, PageOutcome
from repo_harden.audit.workers import WorkerCrash, WorkerPool
from repo_harden.commands import audit as commands_audit
from repo_harden.core.errors import FatalError
from repo_harden.github.client import GitHubError
from tests.audit_workers_toy import toy_auditor
from tests.fake_github import FakeGitHub
from tests.test_audit import app_key, audit, fake, osv  # noqa: F401 - the fixtures

PAGES = 10


def pages(count: int = PAGES) -> Iterator[Page]:
    for index in range(count):
        yield Page(index, [ListedRepository(f"acme/repo-{index}-{n}") for n in range(3)])


def pool(behaviour: str = "well", jobs: int = 2) -> WorkerPool:
    return WorkerPool(jobs, functools.partial(toy_auditor, behaviour))


def no_worker_left() -> bool:
    return not multiprocessing.active_children()


def test_pages_come_back_in_listing_order_from_several_processes() -> None:
    workers = pool()
    outcomes = list(workers.outcomes(pages()))
    assert [outcome.index for outcome in outcomes] == list(range(PAGES))
    assert [listed.full_name for listed, _ in outcomes[4].checked] == [
        f"acme/repo-4-{n}" for n in range(3)
    ]
    processes = {document["pid"] for outcome in outcomes for _, document in outcome.checked}
    assert len(processes) == 2  # both workers had pages ...
    assert os.getpid() not in processes  # ... and this process checked none
    costs = workers.stats()  # each worker's requests, as it last told them
    assert sum(stats.counts["rest"] for stats in costs) == PAGES
    assert sum(stats.graphql_points for stats in costs) == 3 * PAGES
    assert len(workers.rates_left()) == 2
    assert no_worker_left()


@pytest.mark.parametrize(
    ("behaviour", "error", "message"),
    [
        # A FatalError (a revoked token): its message, as one process would end with.
        ("fatal", FatalError, r"the token was revoked \(HTTP 401\)"),
        # An internal error: raised here with the worker's traceback.
        ("crash", WorkerCrash, r"(?s)an audit worker process failed.*KeyError"),
        # Killed (os._exit): its exit code, and that a re-run resumes.
        ("die", WorkerCrash, r"ended unexpectedly \(exit code 9\).*re-run resumes"),
    ],
)
def test_a_failing_worker_ends_the_audit_and_every_worker(
    behaviour: str, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        list(pool(behaviour).outcomes(pages()))
    assert no_worker_left()


def test_a_workers_traceback_cannot_forge_a_line_or_move_the_cursor() -> None:
    with pytest.raises(WorkerCrash) as raised:
        list(pool("forge").outcomes(pages()))
    message = str(raised.value)
    assert "forged" in message
    assert "\x1b" not in message
    assert "\r" not in message
    lines = message.splitlines()
    assert lines[0] == "an audit worker process failed:"
    assert all(line.startswith("  | ") for line in lines[1:])
    assert no_worker_left()


def test_a_listing_error_is_raised_here_and_the_workers_end() -> None:
    def failing_listing() -> Iterator[Page]:
        yield from pages(2)
        raise GitHubError("listing the organization: HTTP 502", 502)

    with pytest.raises(GitHubError, match="HTTP 502"):
        list(pool().outcomes(failing_listing()))
    assert no_worker_left()


def test_stopping_early_ends_the_workers() -> None:
    """Ctrl-C in this process ends the loop that takes the outcomes: the workers go too."""
    outcomes = pool().outcomes(pages(50))
    first: PageOutcome = next(outcomes)
    assert first.index == 0
    outcomes.close()
    assert no_worker_left()


# The command -----------------------------------------------------------------------------


def cost(result: Any) -> dict[str, int]:
    found = re.search(
        r"(\d+) rate-limited requests \((\d+) GraphQL costing (\d+) points, (\d+) REST\)",
        result.err,
    )
    assert found is not None, result.err
    names = ("requests", "graphql", "points", "rest")
    return dict(zip(names, map(int, found.groups()), strict=True))


def test_jobs_give_the_report_of_one_process(
    cli: Any,
    fake: FakeGitHub,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    fake.add_synthetic_org("acme", 230, seed=4)  # three listing pages
    for folder in ("one", "two"):
        (tmp_path / folder).mkdir()
    one = audit(cli, fake, tmp_path / "one", "--org", "acme", "--format", "json")
    two = audit(cli, fake, tmp_path / "two", "--org", "acme", "--format", "json", "--jobs", "2")
    assert one.code == two.code == 1, two.err
    assert json.loads(two.out) == json.loads(one.out)
    assert len(json.loads(two.out)["repositories"]) == 230
    # The workers' requests are counted: those one process made, and the organization's
    # four Actions policies once more when the second worker took a page (each reads them).
    assert cost(one)["rest"] > 0
    assert cost(two)["rest"] - cost(one)["rest"] in (0, 4)
    assert cost(two)["points"] >= cost(one)["points"] > 0
    assert no_worker_left()


def test_workers_judge_with_the_config_this_process_read(
    cli: Any,
    fake: FakeGitHub,  # noqa: F811 - the fixture
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`--config FILE` is read once, here: the workers get the config parsed, so a file
    that is gone (or changed) by the time they start changes nothing."""
    fake.add_synthetic_org("acme", 150, seed=5)
    config = tmp_path / "org.toml"
    config.write_text('select = ["PIN"]\nfail-on = "never"\n', encoding="utf-8")
    real_audit_options = commands_audit.audit_options

    def options_then_remove_the_file(args: Any) -> Any:
        parsed = real_audit_options(args)
        config.unlink(missing_ok=True)  # before any worker starts
        return parsed

    monkeypatch.setattr(commands_audit, "audit_options", options_then_remove_the_file)
    result = audit(cli, fake, tmp_path, "--org", "acme", "--format", "json",
                   "--config", str(config), "--jobs", "2")  # fmt: skip
    assert result.code == 0, result.err
    findings = json.loads(result.out)["findings"]
    assert findings
    assert {finding["rule"][:3] for finding in findings} == {"PIN"}
    assert not [r for r in json.loads(result.out)["repositories"] if r["status"] == "failed"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--jobs", "0"], "--jobs: at least 1, not 0"),
        (["--jobs", "many"], "--jobs: expected a number or auto, not 'many'"),
        (["--jobs", "5", "--concurrency", "4"], "--jobs 5: at most --concurrency (4)"),
    ],
)
def test_jobs_out_of_range_is_one_line(
    cli: Any,
    fake: FakeGitHub,  # noqa: F811 - the fixture
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    *,
    arguments: list[str],
    message: str,
) -> None:
    try:
        result = audit(cli, fake, tmp_path, "--org", "acme", *arguments)
        code, err = result.code, result.err
    except SystemExit as exit_:  # argparse's own errors
        code, err = int(str(exit_.code)), capsys.readouterr().err
    assert code == 2
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_ends_the_audit_in_one_line(
    fake: FakeGitHub,  # noqa: F811 - the fixture
    tmp_path: Path,
    jobs: str,
) -> None:
    """A terminal's Ctrl-C reaches every process of the foreground group, the workers too:
    the audit ends in one line and 130 however many processes it has, and leaves none
    behind (nor pip-audit's `pip --version`, which it may be running)."""
    fake.add_synthetic_org("acme", 230, seed=4)
    fake.delay = 0.05  # the audit is still reading when the signal comes
    command = [sys.executable, "-m", "repo_harden", "audit", "--org", "acme", "--jobs", jobs,
               "--api-url", fake.url, "--cache-dir", str(tmp_path / "cache")]  # fmt: skip
    child = subprocess.Popen(  # a group of its own, as a shell's foreground job
        command,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while fake.counters.rest < 20 and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # until the workers have asked for some Actions settings
    assert fake.counters.rest >= 20, child.communicate(timeout=60)
    os.killpg(child.pid, signal.SIGINT)
    out, err = child.communicate(timeout=60)
    assert child.returncode == 130, err
    assert err == "repo-harden: interrupted\n", err
    assert out == ""
    assert group_ends(child.pid), "a process of the audit outlived it"


def group_ends(group: int, seconds: float = 10.0) -> bool:
    """Whether every process of `group` is gone within `seconds` (multiprocessing's
    resource tracker exits a moment after the audit closes its end of their pipe)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_workers_audit_as_a_github_app_installation(
    cli: Any,
    fake: FakeGitHub,  # noqa: F811 - the fixture
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each worker makes its own installation token from the same key (a path relative to
    where the audit was started) and redacts it, as the parent does."""
    pem, public = app_key()
    fake.add_app(4242, public, {77: "admin"})
    (tmp_path / "app.pem").write_bytes(pem)
    monkeypatch.delenv("GITHUB_TOKEN")
    fake.add_synthetic_org("acme", 150, seed=2)
    fake.delay = 0.01  # the workers are busy long enough to share the pages
    result = audit(
        cli, fake, tmp_path, "--org", "acme", "--app-id", "4242", "--app-key", "app.pem",
        "--installation-id", "77", "--format", "json", "--jobs", "2",
    )  # fmt: skip
    assert result.code in (0, 1), result.err
    repositories = json.loads(result.out)["repositories"]
    assert len(repositories) == 150
    assert not [r for r in repositories if r["status"] == "failed"]
    # This process's, and one for each worker that asked GitHub anything (a worker that
    # started late may have found no page left).
    assert fake.counters.app_tokens in (2, 3)
    issued = [token for token in fake.tokens if token.startswith("ghs_")]
    assert len(issued) == fake.counters.app_tokens
    assert not [token for token in issued if token in result.out + result.err]
    assert "PRIVATE KEY" not in result.out + result.err
