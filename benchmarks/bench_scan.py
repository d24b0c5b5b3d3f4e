#!/usr/bin/env python3
"""Wall time of repo-harden against zizmor, on the same files, in one run.

Each case runs a baseline command (zizmor) and one or more repo-harden commands
on the same fixture, alternating the tools round by round so that they share
the machine's noise, and reports min and median wall time and the ratio of
medians (repo-harden / baseline) against the case's target.

This is a script, not a timed test: it never fails on a slow result. Time a
NON-editable install (see benchmarks/README.md):

    python -m venv /tmp/bench && /tmp/bench/bin/pip install . zizmor
    python benchmarks/bench_scan.py --repo-harden-bin /tmp/bench/bin

To add a case: write a fixture builder if no existing one fits (a function that
fills an empty folder, registered in FIXTURES), then a Case in `build_cases`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from fixture_git import GitError
from fixture_git import commit_all as commit_everything

PROJECT = Path(__file__).resolve().parent.parent
STARTER_WORKFLOWS = PROJECT / "tests" / "corpus" / "starter-workflows"
HOOK_FILE = ".github/workflows/ci-python-package.yml"

# repo-harden: 0 clean, 1 findings (2 is a usage error or an internal crash).
REPO_HARDEN_OK = frozenset({0, 1})
# zizmor: 0 clean, 10-14 findings by highest severity (1-3 are errors).
ZIZMOR_OK = frozenset({0, *range(10, 15)})


class BenchError(Exception):
    """Stops the benchmark; the message is for the user."""


@dataclass(frozen=True)
class Tools:
    """Absolute paths of the executables under test."""

    repo_harden: str
    repo_harden_hook: str
    repo_harden_pinned_actions: str
    repo_harden_workflow_boundaries: str
    zizmor: str


@dataclass(frozen=True)
class Command:
    label: str
    argv: tuple[str, ...]
    ok_codes: frozenset[int]
    # A folder emptied before every run (a cold cache); relative to the run's temporary folder.
    emptied: str | None = None


@dataclass(frozen=True)
class Case:
    name: str
    description: str
    fixture: str  # a key of FIXTURES; the commands run in the built folder
    baseline: Command
    candidates: tuple[Command, ...]
    target: float | None  # the highest acceptable ratio of medians; None: for information


@dataclass(frozen=True)
class Timing:
    command: Command
    wall_ms: tuple[float, ...]
    cpu_ms: tuple[float, ...]  # user + system time of the child process
    stdout_bytes: int  # of the check run, to show both tools reported something

    @property
    def min_ms(self) -> float:
        return min(self.wall_ms)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.wall_ms)

    @property
    def median_cpu_ms(self) -> float:
        return statistics.median(self.cpu_ms)


@dataclass(frozen=True)
class CaseResult:
    case: Case
    baseline: Timing
    candidates: tuple[Timing, ...]

    def ratio(self, timing: Timing) -> float:
        """The ratio of medians, candidate / baseline: the number the targets are about."""
        return timing.median_ms / self.baseline.median_ms

    def paired_ratio(self, timing: Timing) -> float:
        """The median of the per-round ratios. Each round runs both tools back to back, so
        this cancels slow drifts of the machine's speed (a busy neighbour, a throttled
        CPU) that the ratio of medians does not; when the two disagree, the machine was
        not quiet."""
        return statistics.median(
            mine / base for mine, base in zip(timing.wall_ms, self.baseline.wall_ms, strict=True)
        )


# ---------------------------------------------------------------- fixtures


def commit_all(folder: Path) -> None:
    """Make `folder` a git repository with everything in it committed."""
    if shutil.which("git") is None:
        raise BenchError("git is not on PATH; the fixtures are git repositories")
    commit_everything(folder)


def starter_workflows_repo(folder: Path) -> None:
    """All starter workflows in .github/workflows/ as `<category>-<file>`, committed."""
    if not STARTER_WORKFLOWS.is_dir():
        raise BenchError(f"the corpus is missing: {STARTER_WORKFLOWS}")
    workflows = folder / ".github" / "workflows"
    workflows.mkdir(parents=True)
    sources = sorted(
        path
        for path in STARTER_WORKFLOWS.glob("*/*")
        if path.suffix in {".yml", ".yaml"} and path.is_file()
    )
    for source in sources:
        target = workflows / f"{source.parent.name}-{source.name}"
        if target.exists():
            raise BenchError(f"two corpus files flatten to the same name: {target.name}")
        shutil.copyfile(source, target)
    if not (workflows / Path(HOOK_FILE).name).is_file():
        raise BenchError(f"the corpus lacks the hook case's file {HOOK_FILE}")
    commit_all(folder)


_SHELL_STEP = """\
      - name: step {n}
        run: |
          set -euo pipefail
          curl -fsSLo tool-{n} https://example.com/tool-{n}/v1.{n}.0/tool-linux-amd64
          echo "{digest}  tool-{n}" | sha256sum -c -
          chmod +x tool-{n} && ./tool-{n} --version
          python -m pip install --require-hashes -r requirements-{n}.txt
          npm ci --ignore-scripts
          docker run --rm -v "$PWD:/src" -w /src ghcr.io/acme/builder:{n} make test
          for target in linux darwin windows; do
            GOOS=$target go build -o "dist/app-$target" ./cmd/app
          done
          if [ -n "${{{{ github.head_ref }}}}" ]; then echo "pull request build"; fi
"""


def shell_heavy_repo(folder: Path) -> None:
    """60 workflows of 12 steps, each `run:` block ten lines of downloads, installs,
    docker and control flow: every block is parsed by the shell rules."""
    workflows = folder / ".github" / "workflows"
    workflows.mkdir(parents=True)
    for number in range(60):
        steps = "".join(_SHELL_STEP.format(n=step, digest="0" * 64) for step in range(12))
        text = (
            f"name: shell {number}\non: push\npermissions:\n  contents: read\njobs:\n"
            f"  build:\n    runs-on: ubuntu-latest\n    steps:\n{steps}"
        )
        (workflows / f"shell-{number:02d}.yml").write_text(text, encoding="utf-8")
    commit_all(folder)


FIXTURES: dict[str, Callable[[Path], None]] = {
    "starter-workflows": starter_workflows_repo,
    "shell-heavy": shell_heavy_repo,
}


# ---------------------------------------------------------------- cases


def zizmor(tools: Tools, *inputs: str) -> Command:
    argv = (tools.zizmor, "--offline", "--no-progress", "--format", "plain", *inputs)
    return Command(f"zizmor --offline {' '.join(inputs)}", argv, ZIZMOR_OK)


def scan_case(
    tools: Tools, name: str, description: str, fixture: str, *, target: float | None
) -> Case:
    """`repo-harden scan` against `zizmor --offline` over the whole fixture repository, with
    an empty cache every run (cold: what a first scan, or CI without a kept cache, pays):
    as it runs by default (`--jobs auto`, a process per core), and in one process."""
    cache = f"cache-{name}"
    scan = (tools.repo_harden, "scan", "--format", "json", "--cache-dir", f"../{cache}")
    return Case(
        name=name,
        description=description,
        fixture=fixture,
        baseline=zizmor(tools, "."),
        candidates=(
            Command(
                "repo-harden scan --format json (cold cache)",
                scan,
                REPO_HARDEN_OK,
                emptied=cache,
            ),
            Command(
                "repo-harden scan --format json --jobs 1 (cold cache)",
                (*scan, "--jobs", "1"),
                REPO_HARDEN_OK,
                emptied=cache,
            ),
        ),
        target=target,
    )


def warm_scan_case(tools: Tools) -> Case:
    """The corpus scanned again, unchanged: the cache filled by the first run is reused."""
    return Case(
        name="scan-corpus-warm",
        description="whole repository again, unchanged: the scan cache reused",
        fixture="starter-workflows",
        baseline=zizmor(tools, "."),
        candidates=(
            Command(
                "repo-harden scan --format json (warm cache)",
                (tools.repo_harden, "scan", "--format", "json", "--cache-dir", "../cache-warm"),
                REPO_HARDEN_OK,
            ),
        ),
        target=None,  # no issue sets one; the cold scan has the target
    )


def build_cases(tools: Tools) -> list[Case]:
    return [
        scan_case(
            tools,
            "scan-corpus",
            "whole repository: the 175 starter workflows",
            "starter-workflows",
            target=0.5,
        ),
        warm_scan_case(tools),
        scan_case(
            tools,
            "scan-shell-heavy",
            "whole repository: 60 workflows, 720 shell-heavy `run:` blocks",
            "shell-heavy",
            target=None,  # no issue sets one: it shows where shell analysis costs
        ),
        Case(
            name="hook-one-file",
            description=f"one workflow through the hook: {HOOK_FILE}",
            fixture="starter-workflows",
            baseline=zizmor(tools, HOOK_FILE),
            candidates=(
                Command(
                    "repo-harden-pinned-actions FILE",
                    (tools.repo_harden_pinned_actions, HOOK_FILE),
                    REPO_HARDEN_OK,
                ),
                Command(
                    "repo-harden-hook FILE", (tools.repo_harden_hook, HOOK_FILE), REPO_HARDEN_OK
                ),
                Command(
                    "repo-harden-workflow-boundaries FILE",
                    (tools.repo_harden_workflow_boundaries, HOOK_FILE),
                    REPO_HARDEN_OK,
                ),
            ),
            target=1.0,
        ),
    ]


# ---------------------------------------------------------------- tools


def find_tools(repo_harden_bin: Path | None, zizmor_exe: Path | None) -> Tools:
    def locate(name: str, folder: Path | None, hint: str) -> str:
        if folder is not None:
            candidate = folder / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate.absolute())
            raise BenchError(f"{name} is not an executable in {folder}")
        found = shutil.which(name)
        if found is None:
            raise BenchError(f"{name} is not on PATH. {hint}")
        return str(Path(found).absolute())

    hint = "Install repo-harden, or pass --repo-harden-bin DIR."
    return Tools(
        repo_harden=locate("repo-harden", repo_harden_bin, hint),
        repo_harden_hook=locate("repo-harden-hook", repo_harden_bin, hint),
        repo_harden_pinned_actions=locate("repo-harden-pinned-actions", repo_harden_bin, hint),
        repo_harden_workflow_boundaries=locate(
            "repo-harden-workflow-boundaries", repo_harden_bin, hint
        ),
        zizmor=find_zizmor(zizmor_exe, repo_harden_bin),
    )


def find_zizmor(explicit: Path | None, repo_harden_bin: Path | None) -> str:
    """--zizmor, else zizmor on PATH, else next to the repo-harden under test."""
    if explicit is not None:
        if explicit.is_file() and os.access(explicit, os.X_OK):
            return str(explicit.absolute())
        raise BenchError(f"--zizmor {explicit} is not an executable")
    found = shutil.which("zizmor")
    if found is None and repo_harden_bin is not None:
        found = shutil.which("zizmor", path=str(repo_harden_bin))
    if found is None:
        raise BenchError(
            "zizmor is not installed (not on PATH"
            + (f" nor in {repo_harden_bin}" if repo_harden_bin else "")
            + "). It is the baseline of every case, and a dev dependency: "
            "pip install -e '.[dev]' (or pip install zizmor), or pass --zizmor EXE."
        )
    return str(Path(found).absolute())


def version_of(executable: str) -> str:
    completed = subprocess.run(
        [executable, "--version"], capture_output=True, text=True, check=False
    )
    return completed.stdout.strip() or completed.stderr.strip() or "unknown"


def is_editable_install(repo_harden: str) -> bool:
    """True when the repo-harden script's interpreter imports repo_harden from a source tree."""
    first_line = Path(repo_harden).read_bytes().split(b"\n", 1)[0]
    if not first_line.startswith(b"#!"):
        return False
    interpreter = first_line[2:].decode().strip()
    probe = "import repo_harden, sys; sys.stdout.write(repo_harden.__file__ or '')"
    completed = subprocess.run(
        [*interpreter.split(), "-I", "-c", probe], capture_output=True, text=True, check=False
    )
    location = completed.stdout
    return bool(location) and not any(
        part in location for part in ("site-packages", "dist-packages")
    )


# ---------------------------------------------------------------- timing


def run_once(command: Command, cwd: Path) -> tuple[float, float]:
    """Wall and CPU milliseconds of one run, output discarded."""
    empty(command, cwd)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter_ns()
    completed = subprocess.run(
        command.argv,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    wall = (time.perf_counter_ns() - start) / 1e6
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode not in command.ok_codes:
        raise BenchError(f"{command.label} exited {completed.returncode} during timing")
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return wall, cpu


def empty(command: Command, cwd: Path) -> None:
    """Remove the command's cold-cache folder (beside the fixture), if it has one."""
    if command.emptied is not None:
        shutil.rmtree(cwd.parent / command.emptied, ignore_errors=True)


def check_once(command: Command, cwd: Path) -> int:
    """Run once with output captured: it must succeed and report; returns stdout's size."""
    empty(command, cwd)
    completed = subprocess.run(
        command.argv, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, check=False
    )
    if completed.returncode not in command.ok_codes:
        stderr = completed.stderr.decode(errors="replace").strip()
        raise BenchError(
            f"{command.label} exited {completed.returncode} in {cwd}:\n{stderr[-2000:]}"
        )
    if not completed.stdout:
        raise BenchError(f"{command.label} printed no findings; the comparison would be unfair")
    return len(completed.stdout)


def time_case(case: Case, cwd: Path, warmup: int, runs: int) -> CaseResult:
    """Warm-up rounds, then timed rounds; every round runs each command once.

    The order rotates every round, so no tool always runs first (or right after
    the other one) and slow spells on the machine land on every tool alike.
    """
    commands = (case.baseline, *case.candidates)
    sizes = [check_once(command, cwd) for command in commands]
    wall: list[list[float]] = [[] for _ in commands]
    cpu: list[list[float]] = [[] for _ in commands]
    for round_number in range(warmup + runs):
        shift = round_number % len(commands)
        for index in [*range(shift, len(commands)), *range(shift)]:
            wall_ms, cpu_ms = run_once(commands[index], cwd)
            if round_number >= warmup:
                wall[index].append(wall_ms)
                cpu[index].append(cpu_ms)
    timings = [
        Timing(command, tuple(w), tuple(c), size)
        for command, w, c, size in zip(commands, wall, cpu, sizes, strict=True)
    ]
    return CaseResult(case, timings[0], tuple(timings[1:]))


# ---------------------------------------------------------------- reporting


def render_table(results: Sequence[CaseResult]) -> str:
    header = ("case", "command", "min ms", "median ms", "cpu ms", "ratio", "paired", "target", "")
    rows: list[tuple[str, ...]] = []
    for result in results:
        base = result.baseline
        rows.append(
            (
                result.case.name,
                base.command.label,
                f"{base.min_ms:.1f}",
                f"{base.median_ms:.1f}",
                f"{base.median_cpu_ms:.1f}",
                "1.00x",
                "",
                "",
                "",
            )
        )
        for timing in result.candidates:
            ratio = result.ratio(timing)
            target = result.case.target
            met = "" if target is None else ("ok" if ratio <= target else "OVER")
            rows.append(
                (
                    "",
                    timing.command.label,
                    f"{timing.min_ms:.1f}",
                    f"{timing.median_ms:.1f}",
                    f"{timing.median_cpu_ms:.1f}",
                    f"{ratio:.2f}x",
                    f"{result.paired_ratio(timing):.2f}x",
                    "-" if target is None else f"<= {target:.1f}x",
                    met,
                )
            )
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    numeric = {2, 3, 4, 5, 6}

    def line(row: Sequence[str]) -> str:
        cells = [
            cell.rjust(width) if i in numeric else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def timing_json(timing: Timing) -> dict[str, object]:
    return {
        "label": timing.command.label,
        "argv": list(timing.command.argv),
        "min_ms": round(timing.min_ms, 3),
        "median_ms": round(timing.median_ms, 3),
        "median_cpu_ms": round(timing.median_cpu_ms, 3),
        "wall_ms": [round(value, 3) for value in timing.wall_ms],
        "cpu_ms": [round(value, 3) for value in timing.cpu_ms],
        "stdout_bytes": timing.stdout_bytes,
    }


def results_json(
    results: Sequence[CaseResult], tools: Tools, args: argparse.Namespace, editable: bool
) -> dict[str, object]:
    return {
        "environment": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "repo_harden": version_of(tools.repo_harden),
            "repo_harden_bin": str(Path(tools.repo_harden).parent),
            "repo_harden_editable": editable,
            "zizmor": version_of(tools.zizmor),
        },
        "warmup": args.warmup,
        "runs": args.runs,
        "cases": [
            {
                "name": result.case.name,
                "description": result.case.description,
                "target": result.case.target,
                "baseline": timing_json(result.baseline),
                "candidates": [
                    {
                        **timing_json(timing),
                        "ratio": round(result.ratio(timing), 4),
                        "paired_ratio": round(result.paired_ratio(timing), 4),
                        "meets_target": None
                        if result.case.target is None
                        else result.ratio(timing) <= result.case.target,
                    }
                    for timing in result.candidates
                ],
            }
            for result in results
        ],
    }


# ---------------------------------------------------------------- main


def positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def non_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError("must be at least 0")
    return number


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time repo-harden against zizmor on the same files (not a test: "
        "it reports, it does not fail on slow results). Use a non-editable install.",
    )
    parser.add_argument("--runs", type=positive, default=15, help="timed runs (default 15)")
    parser.add_argument(
        "--warmup", type=non_negative, default=3, help="untimed runs first (default 3)"
    )
    parser.add_argument(
        "--repo-harden-bin",
        type=Path,
        metavar="DIR",
        help="folder holding repo-harden and its hooks: repo-harden-hook, "
        "repo-harden-pinned-actions, repo-harden-workflow-boundaries (default: found on PATH)",
    )
    parser.add_argument(
        "--zizmor",
        type=Path,
        metavar="EXE",
        help="the zizmor executable (default: on PATH, else in --repo-harden-bin)",
    )
    parser.add_argument(
        "--case",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this case (repeatable); see --list",
    )
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="FILE",
        help="write the results as JSON to FILE, or to stdout instead of the table",
    )
    return parser.parse_args(argv)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    tools = find_tools(args.repo_harden_bin, args.zizmor)
    cases = build_cases(tools)
    if args.list:
        for case in cases:
            target = "no target" if case.target is None else f"target <= {case.target}x"
            print(f"{case.name:<16} {case.description} ({target})")
        return 0
    known = {case.name for case in cases}
    unknown = sorted(set(args.case) - known)
    if unknown:
        raise BenchError(f"unknown case {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    if args.case:
        cases = [case for case in cases if case.name in args.case]

    editable = is_editable_install(tools.repo_harden)
    if editable:
        log(
            "warning: repo-harden is an editable install; its start-up is slower than what "
            "users get. See benchmarks/README.md."
        )
    log(f"repo-harden: {version_of(tools.repo_harden)} ({Path(tools.repo_harden).parent})")
    log(f"zizmor:      {version_of(tools.zizmor)} ({tools.zizmor})")

    results: list[CaseResult] = []
    with tempfile.TemporaryDirectory(prefix="repo-harden-bench-") as temp:
        built: dict[str, Path] = {}
        for case in cases:
            if case.fixture not in built:
                folder = Path(temp) / case.fixture
                folder.mkdir()
                FIXTURES[case.fixture](folder)
                built[case.fixture] = folder
            log(f"{case.name}: {args.warmup} warm-up + {args.runs} timed runs per command")
            results.append(time_case(case, built[case.fixture], args.warmup, args.runs))

    document = results_json(results, tools, args, editable)
    if args.json == "-":
        print(json.dumps(document, indent=2))
    else:
        print(render_table(results))
        if args.json is not None:
            Path(args.json).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
            log(f"wrote {args.json}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except (BenchError, GitError) as error:
        print(f"bench_scan: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
