#!/usr/bin/env python3
"""What one REST request costs the audit in CPU: `Transport.rest_get` against the fake GitHub
of the tests on loopback (no added latency), timed in a process of its own (the fake runs
in this one), with each PyGithub connection reading the environment's proxies and CA
bundle once (`settle_environment`, the default) and, in the same run, alternating, on
every request, as requests does by default. What reading costs grows with the size of
the environment (requests walks all of it twice per request): the figures print it.

A script, not a test: it prints numbers and fails only when it cannot run.

    python benchmarks/bench_requests.py [--requests 500] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from tests.fake_github import ADMIN, FakeGitHub, Token  # noqa: E402

TOKEN = "ghp_benchTOKEN0123456789abcdefghijklmnop"

# Run in the timed process: N requests through one Transport, then its CPU and wall time.
CLIENT = """
import json, resource, sys, time
from github import Auth
import repo_harden.audit.transport as transport_module
api_url, requests, per_request = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
if per_request:
    transport_module.settle_environment = lambda github: None
path = "/repos/bench/api/actions/permissions"
governor = transport_module.Governor(1, 60.0)
with transport_module.Transport(Auth.Token(sys.argv[4]), api_url, governor=governor) as t:
    t.rest_get(path)  # the connection is made
    usage, started = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    for _ in range(requests):
        t.rest_get(path)
    wall, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF)
cpu = after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime
print(json.dumps([cpu / requests * 1000, wall / requests * 1000]))
"""


def one_round(api_url: str, requests: int, per_request: bool) -> tuple[float, float]:
    argv = [sys.executable, "-c", CLIENT, api_url, str(requests), str(int(per_request)), TOKEN]
    completed = subprocess.run(argv, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        sys.exit(f"bench_requests: the client failed:\n{completed.stderr}")
    cpu, wall = json.loads(completed.stdout)
    return float(cpu), float(wall)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    figures: dict[str, list[tuple[float, float]]] = {"once": [], "per request": []}
    with FakeGitHub({TOKEN: Token(ADMIN)}) as fake:
        fake.add_repo("bench/api")
        for _ in range(args.rounds):  # alternating, so that drift hits both alike
            for name, per_request in (("once", False), ("per request", True)):
                figures[name].append(one_round(fake.url, args.requests, per_request))
    print(
        f"REST requests through the audit's Transport: {args.requests} x {args.rounds} rounds,"
        f" {len(os.environ)} environment variables"
    )
    print("environment read   CPU ms/request   wall ms/request")
    medians = {}
    for name, rounds in figures.items():
        cpu = statistics.median(round_[0] for round_ in rounds)
        wall = statistics.median(round_[1] for round_ in rounds)
        medians[name] = cpu
        print(f"{name:17}  {cpu:14.3f}   {wall:15.3f}")
    print(f"CPU, once / per request: {medians['once'] / medians['per request']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
