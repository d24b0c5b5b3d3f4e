"""WF001: a workflow token that can write more than its job needs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from repo_harden.checks.trust_boundaries.workflow_runs import (
    callers_of,
    default_permissions,
    workflows,
)
from repo_harden.core.declare import CheckContext, check
from repo_harden.core.lazy import lazy_import
from repo_harden.core.model import Finding, Severity
from repo_harden.readers.workflows import WORKFLOW_PATTERNS, Job, Permissions, Workflow, display
from repo_harden.readers.yaml import Scalar

if TYPE_CHECKING:
    from repo_harden.checks.trust_boundaries import token_use
else:
    token_use = lazy_import("repo_harden.checks.trust_boundaries.token_use")

# What a token that writes a scope lets whoever runs code in the job do.
IMPACT = {
    "contents": "push commits and tags, and change releases",
    "pull-requests": "open, edit and merge pull requests",
    "issues": "write issues and comments in the repository's name",
    "packages": "publish packages under the repository",
    "id-token": "get OIDC tokens for the cloud accounts that trust this repository",
    "pages": "replace the published site",
    "security-events": "dismiss code scanning alerts",
    "actions": "cancel, re-run or delete workflow runs and caches",
    "deployments": "create deployments",
    "checks": "report passing checks for any commit",
    "statuses": "set commit statuses that required checks trust",
    "attestations": "attest artifacts this repository did not build",
    "discussions": "write discussions",
    "repository-projects": "edit projects",
}
_EVERYTHING = "push code, change releases, approve pull requests and publish packages"


def _impact(scope: str) -> str:
    return IMPACT.get(scope, f"write `{display(scope)}`")


@check(
    "WF001",
    "excessive-token-permissions",
    Severity.ERROR,
    WORKFLOW_PATTERNS,
    needs_settings=True,
    per_file=True,
)
def excessive_token_permissions(ctx: CheckContext) -> Iterator[Finding]:
    """A workflow's `GITHUB_TOKEN` may write more than its jobs need.

    ## What it does
    Reads the `permissions:` of each workflow and each job and reports:
    - a job with no `permissions:` in a workflow with none, whose token then gets the
      repository's default: read and write on every scope in repositories and
      organizations that have not restricted it (the default for those created before
      February 2023). With `--online` and in an audit the real default is read: where it
      is read-only, the finding is a note. A reusable workflow called by workflows of the
      same repository gets their token, and is judged through them; one that no workflow
      of the repository calls is a warning (its own block caps what callers elsewhere give);
    - `permissions: write-all`, at the workflow or the job;
    - a scope given `write` that a job does nothing with (a warning): this is said only
      of jobs whose every step is understood, that is well-known actions (checkout,
      setup, cache, artifacts, Pages, CodeQL, release and comment actions...) and
      scripts whose commands that see the token are known (`gh release`, `gh pr`,
      `git push`...). A workflow-level scope that only some jobs use is reported with
      the jobs that do not.

    ## Why is this bad?
    Every step of a job can read its token: a compromised action, a malicious
    dependency installed by the build, or code injected into a script. With write
    access it can push to the default branch, replace releases, publish packages or
    approve pull requests; with `id-token: write` it can log in to the cloud accounts
    that trust the repository. A token that can only read limits the damage to reading.

    ## Example
    ```yaml title=".github/workflows/pages.yml"
    on: push
    permissions:
      contents: read
      pages: write
      id-token: write
    jobs:
      build:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
          - run: npm ci && npm run build
      deploy:
        needs: build
        runs-on: ubuntu-latest
        steps:
          - uses: actions/deploy-pages@d6db90164ac5ed86f2b6aed7e0febac5b3c0c03e # v4.0.5
    ```

    ## Fix
    Read-only at the top, and each write scope on the one job that needs it:
    ```yaml title=".github/workflows/pages.yml"
    on: push
    permissions:
      contents: read
    jobs:
      build:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
          - run: npm ci && npm run build
      deploy:
        needs: build
        runs-on: ubuntu-latest
        permissions:
          pages: write
          id-token: write
        steps:
          - uses: actions/deploy-pages@d6db90164ac5ed86f2b6aed7e0febac5b3c0c03e # v4.0.5
    ```
    Set the repository's (or the organization's) default to read-only too: Settings,
    Actions, General, Workflow permissions.

    ## References
    - https://docs.github.com/en/actions/writing-workflows/choosing-what-your-workflow-does/controlling-permissions-for-github_token
    """
    for path, workflow in workflows(ctx):
        yield from _missing(ctx, path, workflow)
        yield from _write_all(ctx, path, workflow)
        yield from _unneeded(ctx, path, workflow)


def _missing(ctx: CheckContext, path: str, workflow: Workflow) -> Iterator[Finding]:
    if workflow.permissions is not None or _bounded_by_callers(ctx, path, workflow):
        return
    default = default_permissions(ctx)
    severity = Severity.NOTE if default is not None and default.value == "read" else None
    if workflow.trigger_names() == {"workflow_call"}:
        # called from other repositories: their callers' token, which its own block would cap
        gets = "whatever its callers give it, from other repositories"
        severity = Severity.WARNING
    elif default is None:
        gets = (
            "the repository's default permissions, read and write on every scope unless the "
            "repository or its organization restricts them"
        )
    elif default.value == "read":
        gets = (
            f"the repository's default, read-only here ({default.source}); declare it "
            "anyway, so that the job stays read-only if the default changes"
        )
    else:
        gets = f"the repository's default, read and write on every scope ({default.source})"
    for job in workflow.jobs:
        if job.permissions is not None or (not job.steps and job.uses is None):
            continue  # a job that runs nothing (GitHub rejects it) gets no token
        message = (
            f"{job.label()} sets no `permissions:` and neither does the workflow, so its "
            f"`GITHUB_TOKEN` gets {gets}"
        )
        if severity != Severity.NOTE:
            message += (
                f": any step, or a dependency it installs, can {_EVERYTHING}. Add "
                "`permissions: contents: read` to the workflow and give each job only the "
                "write scopes it needs"
            )
        yield ctx.finding(
            path, job.id.at, message, f"no-permissions:{job.id.value}", severity=severity
        )


def _bounded_by_callers(ctx: CheckContext, path: str, workflow: Workflow) -> bool:
    """A reusable workflow that only runs when called by workflows of the same repository:
    its token is the callers' (or less), and a caller without `permissions:` is reported
    itself."""
    return workflow.trigger_names() == {"workflow_call"} and bool(callers_of(ctx, path))


def _write_all(ctx: CheckContext, path: str, workflow: Workflow) -> Iterator[Finding]:
    blocks: list[tuple[str, Permissions | None]] = [("the workflow", workflow.permissions)]
    blocks += [(job.label(), job.permissions) for job in workflow.jobs]
    for owner, block in blocks:
        everything = block.everything if block is not None else None
        if everything is None or everything.value.strip() != "write-all":
            continue
        message = (
            f"{owner} gives its token `write-all`: any step, or a dependency it installs, can "
            f"{_EVERYTHING}, and log in to the clouds that trust this repository. List only "
            "the scopes it needs: `permissions: contents: read`, plus the writes a job uses"
        )
        yield ctx.finding(path, everything.at, message, f"write-all:{owner}")


def _unneeded(ctx: CheckContext, path: str, workflow: Workflow) -> Iterator[Finding]:
    needs: dict[int, frozenset[str] | None] = {}

    def needed(job: Job) -> frozenset[str] | None:  # worked out only for jobs that can write
        if id(job) not in needs:
            needs[id(job)] = token_use.scopes_needed(ctx, path, workflow, job)
        return needs[id(job)]

    for job in workflow.jobs:
        if job.permissions is not None and job.permissions.everything is None:
            for scope, _ in job.permissions.written():
                found = needed(job)
                if found is not None and scope.value not in found:
                    yield _job_scope_finding(ctx, path, job, scope)
    block = workflow.permissions
    if block is None or block.everything is not None:
        return
    inheriting = [job for job in workflow.jobs if job.permissions is None]
    for scope, _ in block.written():
        idle = [j for j in inheriting if (n := needed(j)) is not None and scope.value not in n]
        using = [j for j in inheriting if j not in idle]
        if idle:
            yield _workflow_scope_finding(ctx, path, scope, idle=idle, using=using)


def _job_scope_finding(ctx: CheckContext, path: str, job: Job, scope: Scalar) -> Finding:
    message = (
        f"{job.label()} gives its token `{display(scope.value)}: write`, but none of its steps "
        f"uses it: a compromised step or dependency could {_impact(scope.value)}. Remove it, "
        f"or make it `{display(scope.value)}: read` if the job reads it"
    )
    return ctx.finding(
        path, scope.at, message, f"unneeded:{job.id.value}:{scope.value}", severity=Severity.WARNING
    )


def _workflow_scope_finding(
    ctx: CheckContext, path: str, scope: Scalar, *, idle: list[Job], using: list[Job]
) -> Finding:
    names = ", ".join(f"`{display(job.id.value)}`" for job in idle[:5])
    names += " ..." if len(idle) > 5 else ""
    plural = "jobs" if len(idle) > 1 else "job"
    verb = "do" if len(idle) > 1 else "does"
    users = ", ".join(f"`{display(job.id.value)}`" for job in using[:5])
    users += " ..." if len(using) > 5 else ""
    if len(using) > 1:
        fix = f"move it into the `permissions:` of each job that may use it ({users})"
    elif using:
        fix = f"move it into the `permissions:` of the job that may use it, {users}"
    else:
        fix = "remove it (no job uses it)"
    message = (
        f"the workflow gives every job `{display(scope.value)}: write`, but {plural} {names} "
        f"{verb} nothing with it: a compromised step or dependency there could "
        f"{_impact(scope.value)}; {fix}"
    )
    return ctx.finding(
        path, scope.at, message, f"unneeded:workflow:{scope.value}", severity=Severity.WARNING
    )
