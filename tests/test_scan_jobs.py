"""`scan --jobs`: a scan's files dealt out to forked processes give the same findings as
one process (the rule tables check every case split in parts, `tests/rule_tables.py`);
here, the processes themselves, a child that fails, and the scan end to end.

The forking runs in a fresh interpreter (`_in_python`): a pytest process may hold a thread
of an earlier test, and `ForkedParts` rightly refuses to fork one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

from repo_harden.core.declare import Check
from repo_harden.engine.catalogue import catalogue
from repo_harden.engine.config import Config
from repo_harden.engine.run import run_checks
from repo_harden.frontend.forked import SMALLEST_PART, ForkedParts, can_fork
from repo_harden.sources.memory import MemoryRepo
from tests.conftest import PROJECT, make_repo
from tests.rule_tables import located, scan_files
from tests.test_corpus import EXPECTED, corpus_repo


def _in_python(code: str, cwd: Path | None = None) -> Any:
    """Run `code` in a fresh interpreter; it prints one JSON value last, which is returned."""
    completed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd or PROJECT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.splitlines()[-1])


def test_chunks_are_taken_by_the_processes_and_come_back_in_order() -> None:
    here, results = _in_python(
        """
        import json, os, time
        from repo_harden.frontend.forked import ForkedParts
        def work(index):
            time.sleep(0.05)  # long enough for every child to start and take some
            return [index, os.getpid()]
        print(json.dumps([os.getpid(), ForkedParts(3).map(work, 12, 3)]))
        """
    )
    assert [index for index, _ in results] == list(range(12))
    pids = {pid for _, pid in results}
    assert here in pids  # this process takes chunks too
    assert len(pids) == 3  # and each child took some


def test_a_slow_process_takes_fewer_chunks() -> None:
    """A process on a busy core takes fewer chunks: here the child is five times slower."""
    here, results = _in_python(
        """
        import json, os, time
        from repo_harden.frontend.forked import ForkedParts
        here = os.getpid()
        def work(index):
            time.sleep(0.01 if os.getpid() == here else 0.05)
            return os.getpid()
        print(json.dumps([here, ForkedParts(2).map(work, 24, 2)]))
        """
    )
    assert results.count(here) >= 16


def test_the_chunks_of_a_child_that_fails_are_worked_here() -> None:
    """A child that dies (here by `os._exit`, as the kernel's OOM killer would end it) or
    whose results cannot be sent: the chunks it took are worked in this process."""
    results = _in_python(
        """
        import json, os
        from repo_harden.frontend.forked import ForkedParts
        here = os.getpid()
        def dies(index):
            if os.getpid() != here:
                os._exit(3)
            return [index, True]
        def unsendable(index):
            return [index, True] if os.getpid() == here else object()
        print(json.dumps([ForkedParts(3).map(f, 9, 3) for f in (dies, unsendable)]))
        """
    )
    assert results == [[[index, True] for index in range(9)]] * 2


def test_ctrl_c_in_a_child_interrupts_the_scan() -> None:
    """A child that Ctrl-C ended says so (exit status 130): the scan is interrupted, not
    finished in this process, whether or not this process raised it too."""
    outcome = _in_python(
        """
        import json, os, time
        from repo_harden.frontend.forked import ForkedParts
        here = os.getpid()
        def work(index):
            if os.getpid() != here:
                raise KeyboardInterrupt
            time.sleep(0.05)  # leaves the child time to take a chunk
            return index
        try:
            ForkedParts(2).map(work, 6, 2)
            outcome = "finished"
        except KeyboardInterrupt:
            outcome = "interrupted"
        print(json.dumps(outcome))
        """
    )
    assert outcome == "interrupted"


def test_a_refused_fork_leaves_the_chunks_to_the_others() -> None:
    """The system may refuse a process (a limit on processes, no memory): the chunks are
    taken by the processes there are."""
    results = _in_python(
        """
        import json, os, time
        from repo_harden.frontend.forked import ForkedParts
        here, real_fork, asked = os.getpid(), os.fork, []
        def fork():
            asked.append(1)
            if len(asked) == 1:
                raise BlockingIOError(11, "Resource temporarily unavailable")
            return real_fork()
        os.fork = fork
        def work(index):
            time.sleep(0.02)
            return [index, os.getpid() == here]
        chunks = ForkedParts(3).map(work, 8, 3)
        print(json.dumps([len(asked), chunks]))
        """
    )
    forks, chunks = results
    assert forks == 2
    assert [index for index, _ in chunks] == list(range(8))
    assert {here for _, here in chunks} == {True, False}  # this process and the one child


def test_no_child_is_left_behind_when_this_process_fails() -> None:
    left = _in_python(
        """
        import json, os, time
        from repo_harden.frontend.forked import ForkedParts
        here = os.getpid()
        def work(index):
            if os.getpid() == here:
                raise RuntimeError("a chunk failed here")
            time.sleep(60)
        try:
            ForkedParts(3).map(work, 6, 3)
        except RuntimeError:
            pass
        try:
            os.waitpid(-1, os.WNOHANG)
            left = "a child is still there"
        except ChildProcessError:
            left = None  # every child was killed and reaped
        print(json.dumps(left))
        """
    )
    assert left is None


def test_a_thread_keeps_the_scan_in_one_process() -> None:
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        assert not can_fork()
        parts = ForkedParts(4)
        assert parts.parts == 1
        assert parts.map(lambda index: index + 10, 3, 4) == [10, 11, 12]
    finally:
        release.set()
        thread.join()


def test_scan_jobs_forks_and_reports_what_one_process_reports(tmp_path: Path) -> None:
    """The 175 starter workflows, scanned with `--jobs 2` and `--jobs 1`: the same report,
    byte for byte, and the same exit code; the first really forked, the second did not."""
    repo = corpus_repo(tmp_path / "corpus")
    code = """
        import contextlib, io, json, os, sys
        from repo_harden.cli import main
        forks = []
        real_fork = os.fork
        def counted_fork():
            forks.append(1)
            return real_fork()
        os.fork = counted_fork
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(["scan", "--format", "json", "--no-cache", "--jobs", JOBS])
        print(json.dumps([code, len(forks), out.getvalue()]))
    """
    two = _in_python(code.replace("JOBS", '"2"'), cwd=repo)
    one = _in_python(code.replace("JOBS", '"1"'), cwd=repo)
    assert (two[1], one[1]) == (1, 0)
    assert two[0] == one[0] == 1
    assert two[2] == one[2]
    findings = json.loads(two[2])["findings"]
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding["rule"]] = counts.get(finding["rule"], 0) + 1
    assert counts == EXPECTED


def test_a_split_scan_is_cached_with_every_file_its_parts_read(tmp_path: Path) -> None:
    """The cache entry of a split scan lists the files the forked child read too: unchanged,
    the next scan reuses it; a workflow only the child read edited, it runs again. (Each
    scan in a fresh interpreter: the cache's key holds where repo-harden's code is, which
    differs under pytest.)"""
    repo = corpus_repo(tmp_path / "corpus")
    # its one reusable workflow makes whichever process checks it read every workflow
    (repo / ".github" / "workflows" / "code-scanning-crda.yml").unlink()
    log = tmp_path / "reads.log"
    code = f"""
        import contextlib, io, json, os
        from repo_harden.cli import main
        from repo_harden.engine import judge
        from repo_harden.sources.local import LocalRepo
        forks, runs, checking, scan = [], [], [], os.getpid()
        real_fork, real_run, real_read = os.fork, judge.run_checks, LocalRepo.read_text
        os.fork = lambda: forks.append(1) or real_fork()
        def run_checks(*a, **k):
            runs.append(1)
            checking.append(1)
            try:
                return real_run(*a, **k)
            finally:
                checking.clear()  # the cache's digests, read after, are not the checks'
        judge.run_checks = run_checks
        def read_text(self, path):  # which process's checks read what: a line each
            if checking:
                who = "child" if os.getpid() != scan else "scan"
                descriptor = os.open({str(log)!r}, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
                os.write(descriptor, f"{{who}} {{path}}\\n".encode())
                os.close(descriptor)
            return real_read(self, path)
        LocalRepo.read_text = read_text
        arguments = ["--format", "json", "--cache-dir", {str(tmp_path / "cache")!r}]
        with contextlib.redirect_stdout(io.StringIO()):
            main(["scan", *arguments, "--jobs", JOBS])
        print(json.dumps([len(forks), len(runs)]))
    """
    assert _in_python(code.replace("JOBS", '"2"'), cwd=repo) == [1, 1]
    reads = [line.split(" ", 1) for line in log.read_text(encoding="utf-8").splitlines()]
    by_scan = {path for who, path in reads if who == "scan"}
    by_child = sorted({path for who, path in reads if who == "child"} - by_scan)
    assert by_child  # the child took chunks, and read their workflows alone
    assert _in_python(code.replace("JOBS", '"1"'), cwd=repo) == [0, 0]  # reused
    edited = repo / by_child[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert _in_python(code.replace("JOBS", '"1"'), cwd=repo) == [0, 1]


@pytest.mark.parametrize(
    ("value", "message"),
    [("0", "--jobs: at least 1, not 0"), ("two", "--jobs: expected a number or auto, not 'two'")],
)
def test_scan_jobs_out_of_range_is_one_line(
    cli: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, message: str
) -> None:
    repo = make_repo(tmp_path / "repo", {"README.md": "hello\n"})
    with pytest.raises(SystemExit) as exited:  # argparse's own error
        cli("scan", "--jobs", value, cwd=repo)
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert message in err
    assert "Traceback" not in err


def test_scan_jobs_auto_and_help(
    cli: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = corpus_repo(tmp_path / "corpus")
    result = cli("scan", "--jobs", "auto", "--no-cache", "--format", "json", cwd=repo)
    assert result.code == 1
    assert len(result.json()["findings"]) == sum(EXPECTED.values())
    with pytest.raises(SystemExit):
        cli("scan", "--help", cwd=repo)
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--jobs N processes that check the files (default auto: one per core" in help_text
    assert f"Each takes {SMALLEST_PART} workflows or scripts at least" in help_text


# The callers of reusable workflows -------------------------------------------------------

CALLED = ".github/workflows/build.yml"
BUILD = (
    "on: workflow_call\njobs:\n  b:\n    runs-on: x\n    permissions: {}\n    steps:\n"
    "      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683\n"
    "        with:\n          ref: ${{ github.event.pull_request.head.sha }}\n"
    "      - run: make\n"
)


def _caller(uses: str) -> str:
    return f"on: pull_request_target\njobs:\n  call:\n    uses: {uses}\n    secrets: inherit\n"


def test_a_caller_that_escapes_the_path_is_still_a_caller() -> None:
    """The callers of a reusable workflow are looked for only in workflows whose text could
    name one; a double-quoted escape can spell the path without `.github/workflows/` in the
    text, and such a workflow is still read."""
    for uses in ("./.github/workflows/build.yml", '"./.github\\x2fworkflows/build.yml"'):
        files = {".github/workflows/ci.yml": _caller(uses), CALLED: BUILD}
        assert located(scan_files(files, select=["WF002"])) == [("WF002", CALLED, 9, 16)], uses


def test_workflows_that_cannot_call_are_not_parsed_for_callers() -> None:
    """Hooked on the reusable workflow alone, WF002 looks for its callers: it parses the
    workflows that could be one, not the others (a broken one is reported only when it is
    parsed)."""
    check = _check("WF002")
    broken = "on: push\njobs: [\n"
    files = {
        CALLED: BUILD,
        ".github/workflows/ci.yml": _caller("./.github/workflows/build.yml"),
        ".github/workflows/other.yml": broken,
        ".github/workflows/names.yml": "# see .github/workflows/build.yml\n" + broken,
    }
    run = run_checks(MemoryRepo(files), [check], Config(), targets=[CALLED])
    unparsed = {f.path for f in run.findings if f.rule == "RH000"}
    assert unparsed == {".github/workflows/names.yml"}
    assert [(f.rule, f.path) for f in run.findings if f.rule != "RH000"] == [("WF002", CALLED)]


def _check(code: str) -> Check:
    return catalogue(()).checks[code]


def test_per_file_is_declared_by_the_file_checks_only() -> None:
    """`per_file` is declared on the checks that read workflows, actions, scripts and the
    files beside them one by one; none of the repository-wide ones."""
    checks = catalogue(()).checks.values()
    split = {check.rule.code for check in checks if check.per_file}
    assert split == {
        *(f"PIN00{n}" for n in (1, 2, 5)),
        *(f"DL00{n}" for n in range(1, 7)),
        *(f"WF00{n}" for n in range(1, 6)),
    }
    assert not any(check.per_file and check.repository_level for check in checks)


def test_a_small_checkout_is_not_split() -> None:
    """Fewer files than two parts' worth: one part, and `map` is not even asked."""
    asked = []

    class Counting:
        parts = 2
        smallest_part = SMALLEST_PART

        def map(self, work: Any, count: int, processes: int) -> list[Any]:
            asked.append(processes)
            return [work(index) for index in range(count)]

    files = {f".github/workflows/w{n}.yml": _caller("x/y@v1") for n in range(2 * SMALLEST_PART)}
    checks = [_check("PIN001")]
    run_checks(MemoryRepo(dict(list(files.items())[:-1])), checks, Config(), spread=Counting())
    assert asked == []
    whole = run_checks(MemoryRepo(files), checks, Config(), spread=Counting())
    assert asked == [2]
    assert len(whole.findings) == 2 * SMALLEST_PART


# Ctrl-C while the parts run: a terminal sends SIGINT to every process of the group. Here
# the forked child sends it, to its whole group, when it first imports a module the checks
# import lazily (so it lands while the parts run, without racing a timer).
_INTERRUPTED_CHILD = """
import importlib.abc, os, signal, sys

signal.signal(signal.SIGINT, signal.default_int_handler)
scan = os.getpid()


class InterruptFromTheChild(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "repo_harden.shell.fetches" and os.getpid() != scan:
            os.killpg(0, signal.SIGINT)
        return None


from repo_harden.cli import main

sys.meta_path.insert(0, InterruptFromTheChild())
sys.exit(main(["scan", "--no-cache", "--jobs", "2"]))
"""


def test_ctrl_c_during_a_split_scan_ends_every_process(tmp_path: Path) -> None:
    repo = corpus_repo(tmp_path / "corpus")
    with subprocess.Popen(
        [sys.executable, "-c", _INTERRUPTED_CHILD],
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a process group of its own, which the SIGINT goes to
    ) as scan:
        out, err = scan.communicate(timeout=120)
    assert err == "repo-harden: interrupted\n"
    assert scan.returncode == 130
    assert out == ""
    with pytest.raises(ProcessLookupError):  # no process of the group is left
        os.killpg(scan.pid, 0)


def test_hostile_names_and_text_come_back_from_a_child_as_one_process_shows_them(
    tmp_path: Path,
) -> None:
    """A file name with a terminal escape and a byte that is not UTF-8 (a lone surrogate in
    Python), and a `uses:` that spells a terminal escape, go through a child's results
    (`marshal`) and come out escaped, as `--jobs 1` prints them."""
    step = "on: push\njobs:\n  b:\n    runs-on: x\n    steps:\n      - uses: {}\n"
    files: dict[str, str | bytes] = {
        f".github/workflows/w{n}.yml": step.format("actions/checkout@v4") for n in range(44)
    }
    files[".github/workflows/bad\x1b[2Kname\udcff.yml"] = step.format("x/y@v1")
    files[".github/workflows/evil.yml"] = step.format('"a/b@\\u001b[31mred"')
    repo = make_repo(tmp_path / "repo", files)
    code = """
        import contextlib, io, json, os
        from repo_harden.cli import main
        forks, real_fork = [], os.fork
        os.fork = lambda: forks.append(1) or real_fork()
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            main(["scan", "--no-cache", "--jobs", JOBS])
        print(json.dumps([len(forks), out.getvalue()]))
    """
    two = _in_python(code.replace("JOBS", '"2"'), cwd=repo)
    one = _in_python(code.replace("JOBS", '"1"'), cwd=repo)
    assert (two[0], one[0]) == (1, 0)
    assert two[1] == one[1]
    assert "\x1b" not in two[1]
    assert "bad\\x1b[2Kname\\xff.yml: RH000" in two[1]
    pin = ".github/workflows/evil.yml:6:15: PIN001 `a/b@\\x1b[31mred`"
    assert any(line.startswith(pin) for line in two[1].splitlines())
