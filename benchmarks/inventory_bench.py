#!/usr/bin/env python3
"""What an incident query costs: `repo-harden inventory --org ORG --uses ...` against the fake
GitHub of the tests (`tests/fake_github.py`, a real HTTP server on loopback whose GraphQL
executes against GitHub's public schema), serving the synthetic organization of
`benchmarks/audit_bench.py` with `--latency` added to every answer. The actions its
workflows use (actions/checkout, actions/setup-node, at tags and at pinned commits) are
served too, so that the transitive reading follows every one of them.

Runs, each a `repo-harden inventory` subprocess (so the server and the client each have a
core):
- cold: an empty cache;
- warm: the same query again, the organization unchanged, with the cold run's cache.

Reports, from the server's own counters: rate-limited requests per repository (REST plus
GraphQL queries), GraphQL points, and wall time. Targets (issue #17): warm, no request
beyond the listing (one GraphQL query per 100 repositories) and at most 2 s; cold, within
the audit's budget (1.5 requests per repository, issue #7) and the audit's 60 s.

A script, not a test: it prints numbers and fails only when it cannot run.

    python benchmarks/inventory_bench.py [--repos 1000] [--latency 0.05] [--concurrency 16]
                                         [--uses actions/setup-node] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from tests.fake_github import CHECKOUT_SHA, SETUP_NODE_SHA, FakeGitHub  # noqa: E402

COLD_PER_REPOSITORY = 1.5  # the audit's budget
COLD_SECONDS = 60.0
WARM_SECONDS = 2.0
NODE_ACTION = "runs:\n  using: node20\n  main: dist/index.js\n"


@dataclass
class Run:
    name: str
    seconds: float
    exit_code: int
    rate_limited: int
    per_repository: float
    rest: int
    graphql: int
    graphql_points: int
    matches: int


def main() -> int:
    args = parse_args()
    command = [str(args.repo_harden_bin / "repo-harden")] if args.repo_harden_bin else [
        sys.executable, "-m", "repo_harden"
    ]  # fmt: skip
    workdir = Path(tempfile.mkdtemp(prefix="inventory-bench-"))
    runs: list[Run] = []
    try:
        with FakeGitHub() as fake:
            org = fake.add_synthetic_org("bench", args.repos, seed=11)
            serve_actions(fake)
            fake.delay = args.latency
            environment = {
                **os.environ,
                "GITHUB_TOKEN": "test-token",
                "XDG_CACHE_HOME": str(workdir / "xdg"),
            }
            for name in ("cold", "warm"):
                runs.append(
                    one_run(
                        name,
                        fake=fake,
                        command=command,
                        workdir=workdir,
                        environment=environment,
                        args=args,
                        repositories=len(org.repos),
                    )
                )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps([asdict(run) for run in runs], indent=2))
    else:
        report(runs, args)
    return 0


def serve_actions(fake: FakeGitHub) -> None:
    """The files of the actions the synthetic workflows name, at the commits they pin, which
    their `v4` tags name too (the synthetic organization's histories of those actions)."""
    for repository, pinned in (
        ("actions/checkout", CHECKOUT_SHA),
        ("actions/setup-node", SETUP_NODE_SHA),
    ):
        fake.add_release(repository, None, {"action.yml": NODE_ACTION}, commit=pinned)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per answer")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--uses", default="actions/setup-node", help="the query")
    parser.add_argument("--repo-harden-bin", type=Path, help="folder of the repo-harden to time")
    parser.add_argument("--json", action="store_true")
    return parser.parse_args()


def one_run(
    name: str,
    *,
    fake: FakeGitHub,
    command: list[str],
    workdir: Path,
    environment: dict[str, str],
    args: argparse.Namespace,
    repositories: int,
) -> Run:
    before = dict(asdict(fake.counters))
    output = workdir / f"{name}.json"
    started = time.perf_counter()
    completed = subprocess.run(
        [
            *command, "inventory", "--org", "bench", "--uses", args.uses,
            "--api-url", fake.url, "--cache-dir", str(workdir / "cache"),
            "--concurrency", str(args.concurrency), "--format", "json", "-o", str(output),
        ],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    if completed.returncode not in (0, 1):
        sys.exit(
            f"inventory_bench: the {name} run failed ({completed.returncode}):\n"
            f"{completed.stdout}{completed.stderr}"
        )
    after = asdict(fake.counters)
    spent = {key: after[key] - before[key] for key in after if isinstance(after[key], int)}
    rate_limited = spent["rest"] + spent["graphql"]
    document = json.loads(output.read_text(encoding="utf-8"))
    return Run(
        name=name,
        seconds=round(seconds, 2),
        exit_code=completed.returncode,
        rate_limited=rate_limited,
        per_repository=round(rate_limited / repositories, 4),
        rest=spent["rest"],
        graphql=spent["graphql"],
        graphql_points=spent["graphql_points"],
        matches=len(document["items"]),
    )


def report(runs: list[Run], args: argparse.Namespace) -> None:
    listing = math.ceil(args.repos / 100)
    print(
        f"inventory --org of {args.repos} repositories --uses {args.uses}, "
        f"{args.latency * 1000:.0f} ms per answer, concurrency {args.concurrency}"
    )
    print(f"{'run':5}  {'wall s':>7}  {'req/repo':>8}  {'REST':>5}  {'GraphQL':>7}  "
          f"{'points':>6}  {'matches':>7}")  # fmt: skip
    for run in runs:
        print(
            f"{run.name:5}  {run.seconds:7.2f}  {run.per_repository:8.3f}  {run.rest:5}  "
            f"{run.graphql:7}  {run.graphql_points:6}  {run.matches:7}"
        )
    cold, warm = runs
    verdicts = [
        f"cold requests {'met' if cold.per_repository <= COLD_PER_REPOSITORY else 'MISSED'} "
        f"({cold.per_repository:.3f}/repository, the audit's budget {COLD_PER_REPOSITORY})",
        f"cold wall time {'met' if cold.seconds <= COLD_SECONDS else 'MISSED'} "
        f"({cold.seconds:.1f} s, target {COLD_SECONDS:.0f} s)",
        f"warm requests {'met' if warm.rate_limited <= listing else 'MISSED'} "
        f"({warm.rate_limited}, the listing is {listing})",
        f"warm wall time {'met' if warm.seconds <= WARM_SECONDS else 'MISSED'} "
        f"({warm.seconds:.2f} s, target {WARM_SECONDS:.0f} s)",
    ]
    print("targets: " + "; ".join(verdicts))


if __name__ == "__main__":
    sys.exit(main())
