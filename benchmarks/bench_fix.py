#!/usr/bin/env python3
"""What `repo-harden fix` costs on the 175 starter workflows: a `repo-harden fix` subprocess
against the fake GitHub and the fake registry of the tests (real HTTP on loopback), which
know every reference the corpus uses, with `--latency` seconds added to every answer.

- cold: an empty cache: every distinct reference is asked (the report counts them, and
  the requests that asked them: GraphQL queries of 25 references each, REST compares,
  registry requests);
- warm: the corpus unpinned again, the cold run's cache: no request at all.

Reports requests and wall time. Target (issue #16): at most one request per distinct
reference cold, none warm. A script, not a test: it prints numbers and fails only when it
cannot run.

    python benchmarks/bench_fix.py [--latency 0.05] [--repo-harden-bin DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
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

from fixture_git import commit_all, git  # noqa: E402

from tests.corpus_pins import CORPUS_IMAGES, corpus_references, serve_corpus  # noqa: E402
from tests.fake_github import FakeGitHub, Token  # noqa: E402
from tests.fake_registry import FakeRegistry  # noqa: E402

TOKEN = "ghp_bench0123456789abcdefghijklmnopqrstuv"
CORPUS = PROJECT / "tests" / "corpus" / "starter-workflows"


@dataclass
class Run:
    name: str
    seconds: float
    exit_code: int
    graphql: int
    rest: int
    registry: int
    summary: str

    @property
    def requests(self) -> int:
        return self.graphql + self.rest + self.registry


def main() -> int:
    args = parse_args()
    command = [shutil.which("repo-harden", path=args.repo_harden_bin) or "repo-harden", "fix"]
    workdir = Path(tempfile.mkdtemp(prefix="fix-bench-"))
    try:
        repo = corpus_fixture(workdir / "corpus")
        workflows = repo / ".github" / "workflows"
        with FakeGitHub({TOKEN: Token()}) as github, FakeRegistry() as registry:
            served = serve_corpus(workflows, github, registry)
            github.delay = registry.delay = args.latency
            command += [
                "--api-url", github.url, "--registry-url", f"docker.io={registry.url}",
                "--cache-dir", str(workdir / "cache"),
            ]  # fmt: skip
            environment = {**os.environ, "GITHUB_TOKEN": TOKEN, "DOCKER_CONFIG": str(workdir)}
            runs = []
            for name in ("cold", "warm"):
                git(repo, "checkout", "--quiet", "--", ".")  # unpinned again
                runs.append(
                    one_run(name, command, repo, environment, github=github, registry=registry)
                )
        distinct = len(served.references) + len(CORPUS_IMAGES)
        pinned = sum(1 for _, ref in served.references if len(ref) == 40)
        report(runs, distinct, distinct - pinned, args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def corpus_fixture(root: Path) -> Path:
    workflows = root / ".github" / "workflows"
    workflows.mkdir(parents=True)
    for source in sorted(CORPUS.rglob("*.y*ml")):
        shutil.copy(source, workflows / f"{source.parent.name}-{source.name}")
    commit_all(root)
    assert corpus_references(workflows)
    return root


def one_run(
    name: str,
    command: list[str],
    repo: Path,
    environment: dict[str, str],
    *,
    github: FakeGitHub,
    registry: FakeRegistry,
) -> Run:
    before = (github.counters.graphql, github.counters.rest, len(registry.requests))
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=repo, env=environment, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"bench_fix: `repo-harden fix` failed:\n{done.stderr}")
    lines = done.stdout.strip().splitlines()
    return Run(
        name,
        seconds,
        done.returncode,
        github.counters.graphql - before[0],
        github.counters.rest - before[1],
        len(registry.requests) - before[2],
        lines[-1] if lines else "",
    )


def report(runs: list[Run], distinct: int, to_pin: int, args: argparse.Namespace) -> None:
    if args.json:
        document = {
            "latency": args.latency,
            "distinct_references": distinct,
            "references_to_pin": to_pin,
            "runs": [asdict(run) | {"requests": run.requests} for run in runs],
        }
        print(json.dumps(document, indent=2))
        return
    print(
        f"{distinct} distinct references ({to_pin} to pin, the rest pinned already and "
        f"verified), {args.latency * 1000:.0f} ms per answer"
    )
    print(
        f"{'run':<6}{'requests':>9}{'graphql':>9}{'rest':>6}{'registry':>10}{'seconds':>9}  result"
    )
    for run in runs:
        print(
            f"{run.name:<6}{run.requests:>9}{run.graphql:>9}{run.rest:>6}{run.registry:>10}"
            f"{run.seconds:>9.2f}  {run.summary}"
        )
    cold, warm = runs
    per_reference = cold.requests / distinct
    print(
        f"cold: {per_reference:.2f} requests per distinct reference (target: at most 1); "
        f"warm: {warm.requests} requests (target: 0)"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per answer")
    parser.add_argument("--repo-harden-bin", metavar="DIR", help="where repo-harden is")
    parser.add_argument("--json", action="store_true", help="print JSON")
    return parser.parse_args()


if __name__ == "__main__":
    raise SystemExit(main())
