#!/usr/bin/env python3
"""What one REST request costs the audit in CPU: `Transport.rest_get` (its own keep-alive
connection over `http.client`, `github/connection.py`) against the fake GitHub of the
tests on loopback (no added latency), timed in a process of its own (the fake runs in this
one), and, in the same run, alternating, the same request the way the audit sent it until
December 2026: PyGithub's requester over requests, in a thread per request for the
deadline, with the environment read once per connection (`settle_environment`).

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

# Run in the timed process: N requests, then their CPU and wall time.
CLIENT = """
import functools, json, resource, sys, time
from github import Auth
api_url, requests, way, token = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
path = "/repos/bench/api/actions/permissions"
if way == "transport":
    from repo_harden.audit.transport import Governor, Transport
    t = Transport(Auth.Token(token), api_url, governor=Governor(1, 60.0))
    send = functools.partial(t.rest_get, path)
else:
    from github import Github
    from repo_harden.core.deadline import within
    from repo_harden.github.client import settle_environment
    github = Github(auth=Auth.Token(token), base_url=api_url, retry=None, per_page=100,
                    seconds_between_requests=None, seconds_between_writes=None)
    settle_environment(github)
    ask = functools.partial(github.requester.requestJson, "GET", path, headers={})
    send = functools.partial(within, 60.0, ask)
send()  # the connection is made
usage, started = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
for _ in range(requests):
    send()
wall, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF)
cpu = after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime
print(json.dumps([cpu / requests * 1000, wall / requests * 1000]))
"""

WAYS = {"transport": "the audit's Transport", "pygithub": "PyGithub + requests"}


def one_round(api_url: str, requests: int, way: str) -> tuple[float, float]:
    argv = [sys.executable, "-c", CLIENT, api_url, str(requests), way, TOKEN]
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
    figures: dict[str, list[tuple[float, float]]] = {way: [] for way in WAYS}
    with FakeGitHub({TOKEN: Token(ADMIN)}) as fake:
        fake.add_repo("bench/api")
        for _ in range(args.rounds):  # alternating, so that drift hits both alike
            for way in WAYS:
                figures[way].append(one_round(fake.url, args.requests, way))
    print(
        f"One REST request on loopback: {args.requests} x {args.rounds} rounds,"
        f" {len(os.environ)} environment variables"
    )
    print("sent through            CPU ms/request   wall ms/request")
    medians = {}
    for way, rounds in figures.items():
        cpu = statistics.median(round_[0] for round_ in rounds)
        wall = statistics.median(round_[1] for round_ in rounds)
        medians[way] = cpu
        print(f"{WAYS[way]:22}  {cpu:14.3f}   {wall:15.3f}")
    ratio = medians["transport"] / medians["pygithub"]
    print(f"CPU, Transport / PyGithub + requests: {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
