#!/usr/bin/env python3
"""The audit dashboard at scale: the size of the HTML file and the time headless Chromium
takes to open it and become interactive, for a synthetic organization (by default 10,000
repositories and 100,000 findings, with exceptions and a trend).

This is a script, not a timed test: it prints numbers and never fails on a slow result
(it exits 2 only when it cannot run). It needs Debian's `chromium` and the project's
`test` extra (Playwright, driving the system browser):

    python benchmarks/dashboard_bench.py                  # 10,000 repositories, 100,000 findings
    python benchmarks/dashboard_bench.py --repositories 1000 --findings 10000 --runs 3
    python benchmarks/dashboard_bench.py --keep report.html   # keep the page to look at

Load-to-interactive is the `dashboard-ready` mark the page's script sets once every
section is drawn and its handlers are installed, measured from the start of navigation
(Chromium's own clock), and also as wall time around `page.goto` until that mark exists.
Each run is a new browser page with an empty cache. The page is read from file://.
"""

from __future__ import annotations

import argparse
import datetime
import random
import statistics
import sys
import tempfile
import time
from itertools import accumulate
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))  # the tests' Chromium settings

from repo_harden.core.model import Finding  # noqa: E402
from repo_harden.engine.catalogue import catalogue  # noqa: E402
from repo_harden.engine.policy import Reported  # noqa: E402
from repo_harden.engine.records import (  # noqa: E402
    AUDITED,
    FAILED,
    INLINE,
    SKIPPED,
    WAIVER,
    Drift,
    Exemption,
    RepositoryStatus,
    Trend,
)
from repo_harden.reporters import Report  # noqa: E402
from repo_harden.reporters.html import render_html  # noqa: E402
from tests.chromium import CHROMIUM, CHROMIUM_FLAGS  # noqa: E402

ACTIONS = [
    "actions/checkout",
    "actions/setup-python",
    "actions/setup-node",
    "actions/cache",
    "docker/login-action",
    "docker/build-push-action",
    "github/codeql-action/init",
    "aws-actions/configure-aws-credentials",
    "actions/upload-artifact",
    "peter-evans/create-pull-request",
]
TEAMS = ["api", "web", "billing", "auth", "infra", "data", "ml", "docs", "tools", "mobile"]
IMAGES = ["python:3.12", "node:20", "ubuntu:22.04", "golang:1.22", "alpine:3.19", "redis:7"]
WORKFLOWS = ["ci.yml", "release.yml", "codeql.yml", "deploy.yml", "lint.yml", "nightly.yml"]
# Rule weights: what an organization's findings look like (unpinned actions dominate).
WEIGHTS = {
    "PIN001": 40,
    "PIN002": 8,
    "DL001": 3,
    "DL002": 2,
    "DL003": 8,
    "DL004": 3,
    "LCK001": 6,
    "LCK002": 2,
    "LCK003": 5,
    "LCK004": 4,
    "OWN001": 3,
    "OWN002": 3,
    "BP001": 2,
    "BP002": 1,
    "BP003": 1,
    "BP005": 1,
    "BP008": 2,
    "BP012": 1,
    "WF001": 7,
    "WF002": 1,
    "WF003": 1,
    "WF004": 2,
    "WF005": 2,
    "WF101": 2,
    "WF103": 1,
    "RH000": 1,
}
# What the workflow rules say, in short (their real messages name the job and step).
WORKFLOW_MESSAGES = {
    "WF001": "job `build` sets no `permissions:`, so its `GITHUB_TOKEN` can write everywhere",
    "WF002": "a `pull_request_target` job checks out the pull request's code with a write token",
    "WF003": "`${{ github.event.pull_request.title }}` is expanded into a `run:` script",
    "WF004": "step 4 sets `AWS_SECRET_ACCESS_KEY` from a stored secret; use OIDC instead",
    "WF005": "`npm publish` publishes without provenance",
    "WF101": "workflows get a read and write `GITHUB_TOKEN` by default",
    "WF103": "any action may run, pinned or not",
}


def synthetic_report(
    repositories: int, findings: int, seed: int = 1, *, distinct: bool = False
) -> Report:
    """An organization of `repositories` with `findings` spread over the audited ones (a few
    repositories hold many), a waiver or inline ignore in one repository of five, and a
    trend with new findings and protection drift. Messages repeat across repositories as
    they do in real organizations (the same `actions/checkout@v4` everywhere); `distinct`
    makes every path and message unique, the worst case for the page's size."""
    rng = random.Random(seed)
    rules = dict(catalogue(()).rules)
    names = [f"acme/{_word(rng)}-{number:05d}" for number in range(repositories)]
    statuses = [_status(rng, name) for name in names]
    audited = [s.name for s in statuses if s.status == AUDITED]
    weights = list(accumulate(1.0 / (rank + 1) ** 0.8 for rank in range(len(audited))))
    codes = list(WEIGHTS)
    reported: list[Reported] = []
    for _ in range(findings):
        repository = rng.choices(audited, cum_weights=weights)[0]  # a few repositories hold many
        code = rng.choices(codes, [WEIGHTS[c] for c in codes])[0]
        path, line, message = _finding_text(rng, code)
        if distinct:
            path = f"{path or 'settings'}/{len(reported)}"
            message = f"{message} (finding {len(reported)})"
        rule = rules[code]
        fingerprint = f"{rng.getrandbits(128):032x}"
        finding = Finding(code, path, line, 7 if line else None, message, fingerprint)
        reported.append(Reported(finding, rule, rule.severity, repository=repository))
    reported.sort(key=_by_place)
    today = datetime.date(2026, 6, 1)
    exemptions = [_exemption(rng, name, today) for name in audited if rng.random() < 0.2]
    new = {(i.repository or "", i.finding.fingerprint) for i in reported if rng.random() < 0.03}
    drift = tuple(
        Drift(name, ("BP003",), ()) if rng.random() < 0.5 else Drift(name, (), ("BP001",))
        for name in rng.sample(audited, min(40, len(audited)))
    )
    trend = Trend(
        previous="2026-05-25T06:00:00+00:00",
        compared=len(audited) - 12,
        new={"PIN": len(new) // 2, "LCK": len(new) - len(new) // 2},
        fixed={"PIN": 310, "OWN": 12, "BP": 9},
        drift=tuple(sorted(drift, key=lambda d: d.repository)),
        new_findings=frozenset(new),
        appeared=tuple(audited[:12]),
    )
    return Report(
        reported=reported,
        rules=rules,
        repositories=statuses,
        exemptions=exemptions,
        trend=trend,
        selected_rules=tuple(rules),
        day=today,
    )


def _by_place(item: Reported) -> tuple[str, str, int]:
    return (item.repository or "", item.finding.path, item.finding.line or 0)


def _word(rng: random.Random) -> str:
    return rng.choice(TEAMS)


def _status(rng: random.Random, name: str) -> RepositoryStatus:
    head = f"{rng.getrandbits(160):040x}"
    url = f"https://github.com/{name}"
    roll = rng.random()
    if roll < 0.05:
        return RepositoryStatus(name, SKIPPED, "archived (use --include-archived)", head, url)
    if roll < 0.06:
        reason = "reading its settings: HTTP 502 Bad Gateway"
        return RepositoryStatus(name, FAILED, reason, head, url)
    return RepositoryStatus(name, AUDITED, None, head, url)


def _finding_text(rng: random.Random, code: str) -> tuple[str, int | None, str]:
    workflow = f".github/workflows/{rng.choice(WORKFLOWS)}"
    line = rng.randint(5, 240)
    if code == "PIN001":
        action, ref = rng.choice(ACTIONS), f"v{rng.randint(1, 5)}"
        return (
            workflow,
            line,
            (
                f"`{action}@{ref}` uses `{ref}`, a tag or branch that can be moved to other code; "
                f"pin it to a full 40-character commit SHA: `uses: {action}@<commit-sha> # {ref}`"
            ),
        )
    if code == "PIN002":
        image = rng.choice(IMAGES)
        return (
            "Dockerfile",
            rng.randint(1, 30),
            (
                f"`FROM {image}` is not pinned by digest, so a re-pushed tag changes the build; "
                f"pin it as `{image}@sha256:<digest>`"
            ),
        )
    if code.startswith("BP"):
        return "", None, f"{code}: the default branch `main` is not protected as the policy asks"
    if code.startswith("LCK"):
        folder = rng.choice(["", "services/api/", "web/", "tools/"])
        return (
            f"{folder}requirements.txt",
            rng.randint(1, 60),
            (
                f"{code}: `{rng.choice(['requests', 'flask', 'django', 'numpy'])}` is not pinned "
                "to one exact version with a hash"
            ),
        )
    if code in WORKFLOW_MESSAGES:
        at_line = not code.startswith("WF1")  # WF101-WF104 are about the repository's settings
        place = (workflow, line) if at_line else ("", None)
        return *place, WORKFLOW_MESSAGES[code]
    command = "curl -fsSL https://get.example.com/install.sh | bash"
    return workflow, line, f"{code}: `{command}` runs what it downloads, unverified"


def _exemption(rng: random.Random, name: str, today: datetime.date) -> Exemption:
    if rng.random() < 0.5:
        return Exemption(
            INLINE, ("PIN001",), ".github/workflows/release.yml", rng.randint(5, 80), "",
            "the SLSA generator must be referenced by tag", None, repository=name,
        )  # fmt: skip
    expires = today + datetime.timedelta(days=rng.randint(-60, 400))
    return Exemption(
        WAIVER, ("LCK001",), "package.json", 3, "@acme/web", "a published library",
        expires, config=".repo-harden.toml", repository=name,
    )  # fmt: skip


# In the page: the time a synchronous filter (one rule over every finding) and a sort (the
# repository table by name) take, in milliseconds.
INTERACTIONS = """() => {
  const time = (act) => {
    const start = performance.now();
    act();
    return performance.now() - start;
  };
  const rule = document.getElementById("filter-rule");
  const filter = time(() => {
    rule.value = rule.options[1].value;
    rule.dispatchEvent(new Event("change"));
  });
  const sort = document.querySelector("#repositories thead th button");
  return [filter, time(() => sort.click())];
}"""


def measure(page_file: Path, runs: int, screenshot: Path | None) -> list[tuple[float, ...]]:
    """(mark from navigation start, wall time, filter, sort) in milliseconds, for each run;
    the last run's page is photographed into `screenshot`."""
    from playwright.sync_api import sync_playwright

    url = page_file.resolve().as_uri()
    results: list[tuple[float, ...]] = []
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            for _ in range(runs):
                page = context.new_page()
                started = time.perf_counter()
                page.goto(url, wait_until="commit")
                page.wait_for_selector("html[data-ready=true]", state="attached", timeout=60_000)
                wall = (time.perf_counter() - started) * 1000
                mark = page.evaluate("performance.getEntriesByName('dashboard-ready')[0].startTime")
                if screenshot is not None:  # the page as it opens, before the filter and sort
                    page.screenshot(path=str(screenshot))
                filtered, sorted_ = page.evaluate(INTERACTIONS)
                results.append((float(mark), wall, float(filtered), float(sorted_)))
                page.close()
        finally:
            context.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repositories", type=int, default=10_000)
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--distinct", action="store_true", help="every path and message unique (the worst case)"
    )
    parser.add_argument("--screenshot", type=Path, metavar="PNG", help="also take a screenshot")
    parser.add_argument("--keep", type=Path, metavar="FILE", help="also write the page to FILE")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        message = f"dashboard_bench: no browser at {CHROMIUM} (apt-get install chromium)"
        print(message, file=sys.stderr)
        return 2
    report = synthetic_report(args.repositories, args.findings, args.seed, distinct=args.distinct)
    started = time.perf_counter()
    page = render_html(report)
    rendered = (time.perf_counter() - started) * 1000
    data = page.encode()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(args.keep) if args.keep else Path(folder) / "dashboard.html"
        path.write_bytes(data)
        try:
            results = measure(path, args.runs, args.screenshot)
        except Exception as error:  # Playwright's errors and a browser that will not start
            print(f"dashboard_bench: cannot drive Chromium: {error}", file=sys.stderr)
            return 2
    _print_summary(args, report, len(data), rendered, results)
    return 0


def _print_summary(
    args: Any, report: Report, size: int, rendered: float, results: list[tuple[float, ...]]
) -> None:
    marks, walls, filters, sorts = (list(column) for column in zip(*results, strict=True))
    print(f"repositories {args.repositories:,}, findings {len(report.reported):,}, "
          f"exceptions {len(report.exemptions or ()):,}")  # fmt: skip
    print(f"file size    {size:,} bytes ({size / 1048576:.1f} MiB)")
    print(f"render_html  {rendered:.0f} ms (Python, building the page)")
    print(f"ready mark   median {statistics.median(marks):.0f} ms, max {max(marks):.0f} ms "
          f"(navigation start to interactive, {len(marks)} runs)")  # fmt: skip
    print(f"wall time    median {statistics.median(walls):.0f} ms, max {max(walls):.0f} ms "
          "(page.goto to interactive)")  # fmt: skip
    print(
        f"interactions median {statistics.median(filters):.0f} ms to filter by a rule, "
        f"{statistics.median(sorts):.0f} ms to sort the repositories by name"
    )


if __name__ == "__main__":
    sys.exit(main())
