"""WF002: a privileged workflow that checks out a pull request's code and runs it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from repo_harden.checks.trust_boundaries.workflow_runs import (
    PRIVILEGED_EVENTS,
    Run,
    describe_secrets,
    runs_of,
    secrets_of,
    token_of,
    workflows,
)
from repo_harden.core.declare import CheckContext, check
from repo_harden.core.lazy import lazy_import
from repo_harden.core.model import Finding, Severity
from repo_harden.readers.workflows import WORKFLOW_PATTERNS, Job, Workflow

if TYPE_CHECKING:
    from repo_harden.checks.trust_boundaries import pull_request_code
else:
    pull_request_code = lazy_import("repo_harden.checks.trust_boundaries.pull_request_code")


@check(
    "WF002",
    "untrusted-code-in-privileged-workflow",
    Severity.ERROR,
    WORKFLOW_PATTERNS,
    needs_settings=True,
    per_file=True,
)
def untrusted_code_in_privileged_workflow(ctx: CheckContext) -> Iterator[Finding]:
    """A privileged workflow checks out a pull request's code and runs it.

    ## What it does
    Finds jobs that run for `pull_request_target`, `workflow_run` or `issue_comment`
    (directly, or as a reusable workflow called by such a workflow of the same
    repository), that check out the pull request's code (`actions/checkout` with a `ref:`
    of the head SHA, the head branch or `refs/pull/...`, the head repository, or
    `allow-unsafe-pr-checkout: true`; `gh pr checkout` or `git fetch` of a pull ref), and
    then run it: a build, a test, a package install (whose install scripts run), a
    script from the tree, or a local action. It reports them when the job holds
    secrets, a token that can write, or `id-token: write`.

    The trigger alone is not a finding: a `pull_request_target` job that only labels or
    comments, or checks the code out into a folder it only reads, is what the trigger
    is for. A job gated to pull requests from the repository itself (`head.repo.full_name
    == github.repository`) is not reported; one gated on a maintainer's label or
    association, or run in a deployment `environment:` (which can require a reviewer), is
    reported only when it checks out a branch rather than the approved commit.

    ## Why is this bad?
    These triggers run the base repository's workflow, with its secrets and a token that
    can write, for an event that anyone can cause: opening a pull request from a fork,
    or commenting on one. Checking out the pull request's code and building it hands the
    author all of that: their `package.json`, `setup.py`, `Makefile` or test runs with
    the job's privileges. This is the "pwn request" that compromised, among others, the
    workflows of several well-known projects.

    ## Example
    ```yaml title=".github/workflows/test.yml"
    on: pull_request_target
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
            with:
              ref: ${{ github.event.pull_request.head.sha }}
          - run: npm ci && npm test
            env:
              NPM_TOKEN: ${{ secrets.NPM_TOKEN }}
    ```

    ## Fix
    Build and test untrusted code in a `pull_request` workflow, which gets no secrets and
    a read-only token, and do the privileged part (commenting, publishing results) in a
    `workflow_run` workflow that reads the first one's results as data only:
    ```yaml title=".github/workflows/test.yml"
    on: pull_request
    permissions:
      contents: read
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
            with:
              persist-credentials: false
          - run: npm ci && npm test
    ```

    ## References
    - https://securitylab.github.com/resources/github-actions-preventing-pwn-requests/
    """
    for path, workflow in workflows(ctx):
        runs = [run for run in runs_of(ctx, path, workflow) if run.event in PRIVILEGED_EVENTS]
        if not runs:
            continue
        for job in workflow.jobs:
            found = _judge(ctx, path, workflow, job, runs)
            if found is not None:
                yield found


def _judge(
    ctx: CheckContext, path: str, workflow: Workflow, job: Job, runs: list[Run]
) -> Finding | None:
    checkout = pull_request_code.checkout_of(ctx, path, job)
    if checkout is None:
        return None
    execution = pull_request_code.execution_after(ctx, path, job, checkout)
    if execution is None:
        return None
    same_repository, approved = pull_request_code.gate_of(job, checkout)
    if same_repository or (approved and not checkout.moving):
        return None
    run = runs[0]
    held = _held(ctx, workflow, job, run)
    if not held:
        return None
    start = (
        f"{job.label()} runs on {run.describe()}, which an outsider's pull request or comment "
        f"can trigger, and checks out the pull request's code in "
        f"{_step_doing(job, checkout.index, checkout.what)}"
    )
    runner = _step_doing(job, execution.index, f"`{execution.what}`")
    if approved:
        middle = (
            " after a maintainer's approval (its `if:` or its environment); but that names a "
            "branch, which the author can push to once approved, so the code that runs in "
            f"{runner} may not be the code that was approved, and it runs with {held}. Check "
            "out the approved commit (`github.event.pull_request.head.sha`) instead"
        )
    else:
        middle = (
            f", then runs it in {runner} while the job holds {held}: the pull request's "
            "author can run any code with them. Build untrusted code in a `pull_request` "
            "workflow (no secrets, a read-only token) and do the privileged part in a separate "
            "`workflow_run` job that reads its results as data"
        )
    subject = f"{job.id.value}:{checkout.index}:{execution.index}"
    return ctx.finding(path, checkout.at, start + middle, subject)


def _step_doing(job: Job, index: int, what: str) -> str:
    """`step 3 (`npm ci && npm test`) with `npm ci``: the step, and what in it does the
    thing, unless its label already shows exactly that."""
    label = job.steps[index].label(index)
    return label if label.endswith(f"({what})") else f"{label} with {what}"


def _held(ctx: CheckContext, workflow: Workflow, job: Job, run: Run) -> str:
    """What the job holds that the pull request's code could take, or ""."""
    parts = []
    secrets = secrets_of(workflow, job, run)
    if secrets:
        parts.append(describe_secrets(secrets))
    grant = token_of(ctx, workflow, job, run)
    if grant.may_write():
        parts.append(f"a `GITHUB_TOKEN` that can write ({grant.describe_writes()})")
    if grant.block is not None and grant.block.level("id-token") == "write":
        parts.append("`id-token: write` (logins to the clouds that trust the repository)")
    return " and ".join(parts)
