"""WF101-WF104: the repository's (or organization's) GitHub Actions settings, online.

With `scan --online` and in an audit, the settings arrive in the snapshot's
`RepoSettings.actions`. A repository without workflow files is not judged: nothing it
runs depends on these settings. A setting the token could not read is a note that
names the permission it lacks, never a pass or a failure. Neither the probot settings
app nor safe-settings manages these settings, so `.github/settings.yml` declares
nothing to judge offline.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from repo_harden.core.declare import Check, CheckContext, CheckFunction, check
from repo_harden.core.lazy import lazy_import
from repo_harden.core.model import Finding, Severity
from repo_harden.readers.workflows import is_workflow_path

if TYPE_CHECKING:
    from repo_harden.core import actions_settings as model
    from repo_harden.core.actions_settings import ActionsSettings, Field
else:
    model = lazy_import("repo_harden.core.actions_settings")

_SETTINGS_PAGE = "Settings, Actions, General"


def settings_check(code: str, name: str, severity: Severity) -> Callable[[CheckFunction], Check]:
    """A rule about the Actions settings: online only, about the repository (path "")."""
    return check(code, name, severity, (), online=True, needs_settings=True, repository_level=True)


def _judged(ctx: CheckContext) -> ActionsSettings | None:
    settings = ctx.snapshot.settings
    actions = settings.actions if settings is not None else None
    if actions is None or actions.disabled:
        return None
    if not any(is_workflow_path(path) for path in ctx.snapshot.paths()):
        return None
    return actions


def _gaps(ctx: CheckContext, actions: ActionsSettings, field: Field) -> Iterator[Finding]:
    for gap in actions.gaps(field):
        message = f"not judged: {gap.describe()}"
        yield ctx.finding("", None, message, f"unknown:{field}:{gap.what}", severity=Severity.NOTE)


@settings_check("WF101", "default-token-read-write", Severity.WARNING)
def default_token_read_write(ctx: CheckContext) -> Iterator[Finding]:
    """Workflows get a read and write `GITHUB_TOKEN` by default.

    ## What it does
    With `--online` and in an audit, reads the default permissions of the workflow token
    (the repository's, bound by its organization's). Reports "Read and write
    permissions": every job without a `permissions:` block then gets a token that can
    write to every scope.

    ## Why is this bad?
    The default is what every job gets that does not say otherwise, including those
    written before anyone thought about it, and those added later. With read and write,
    any step of any such job (or a dependency it installs) can push code, create
    releases and publish packages. With the read-only default, a job that needs to write
    says so in its `permissions:`, where reviewers see it.

    ## Example
    The organization was created before February 2023 and never changed the setting:
    "Workflow permissions: Read and write permissions".

    ## Fix
    In the organization's (or the repository's) Settings, Actions, General, Workflow
    permissions, choose "Read repository contents and packages permissions", then give
    the jobs that need more their own `permissions:` (WF001 finds those that have none).
    """
    actions = _judged(ctx)
    if actions is None:
        return
    setting = actions.default_permissions
    if setting is not None and setting.value == "write":
        message = (
            f"workflows of this repository get a read and write `GITHUB_TOKEN` by default "
            f"(set by {setting.source}): every job without `permissions:` can push code, "
            'change releases and publish packages. Choose "Read repository contents and '
            f'packages permissions" in {_SETTINGS_PAGE}, Workflow permissions'
        )
        yield ctx.finding("", None, message, "default-permissions:write")
    yield from _gaps(ctx, actions, "default_permissions")


@settings_check("WF102", "actions-can-approve-pull-requests", Severity.WARNING)
def actions_can_approve_pull_requests(ctx: CheckContext) -> Iterator[Finding]:
    """GitHub Actions may create and approve pull requests.

    ## What it does
    With `--online` and in an audit, reads "Allow GitHub Actions to create and approve
    pull requests" (the repository's, bound by its organization's) and reports it when
    it is on.

    ## Why is this bad?
    A workflow token that can approve pull requests turns any compromised workflow step
    into a second reviewer: it can approve the attacker's pull request, which then meets
    a required review. Branch protection counts on approvals coming from people.

    ## Example
    "Allow GitHub Actions to create and approve pull requests" is checked.

    ## Fix
    Uncheck it in the organization's (or the repository's) Settings, Actions, General,
    Workflow permissions. Bots that open pull requests can use a GitHub App token instead.
    """
    actions = _judged(ctx)
    if actions is None:
        return
    setting = actions.approve_pull_requests
    if setting is not None and setting.value:
        message = (
            f"workflows of this repository may create and approve pull requests (set by "
            f"{setting.source}): a compromised step can approve an attacker's pull request and "
            'meet a required review. Uncheck "Allow GitHub Actions to create and approve pull '
            f'requests" in {_SETTINGS_PAGE}'
        )
        yield ctx.finding("", None, message, "approve-pull-requests")
    yield from _gaps(ctx, actions, "approve_pull_requests")


@settings_check("WF103", "every-action-allowed", Severity.WARNING)
def every_action_allowed(ctx: CheckContext) -> Iterator[Finding]:
    """Workflows may use any action, or actions not pinned to a commit.

    ## What it does
    With `--online` and in an audit, reads which actions the repository's workflows may
    use (bound by its organization's policy) and reports:
    - "Allow all actions and reusable workflows", or an allow-list whose patterns include
      `*`, which lets every action through;
    - SHA pinning not required, where GitHub offers the policy (it reports
      `sha_pinning_required`): without it a workflow may use an action by tag.

    ## Why is this bad?
    Every action a workflow uses runs with the job's token and secrets. With no
    allow-list, any workflow change can bring in code from any repository on GitHub, and
    a tag can be moved to other code after review (the `tj-actions/changed-files`
    compromise). An allow-list and required SHA pinning make the organization decide
    once which code may run, and keep it from changing underneath.

    ## Example
    "Actions permissions: Allow all actions and reusable workflows".

    ## Fix
    In the organization's Settings, Actions, General, Policies: "Allow enterprise, and
    select non-enterprise, actions and reusable workflows", list the actions you use,
    and check "Require actions to be pinned to a full-length commit SHA".
    """
    actions = _judged(ctx)
    if actions is None:
        return
    allowed = actions.allowed_actions
    every = actions.allows_every_pattern
    if allowed is not None and allowed.value == "all":
        message = (
            f"workflows of this repository may use every action and reusable workflow on GitHub "
            f"(set by {allowed.source}): any workflow change can bring in code from any "
            "repository, which runs with the job's token and secrets. Allow only the actions "
            f"you use in {_SETTINGS_PAGE}, Policies"
        )
        yield ctx.finding("", None, message, "allowed-actions:all")
    elif allowed is not None and allowed.value == "selected" and every is not None and every.value:
        message = (
            f"the allow-list of actions ({every.source}) holds a `*` pattern, which lets every "
            "action through; list the actions you use instead"
        )
        yield ctx.finding("", None, message, "allowed-actions:wildcard")
    pinning = actions.sha_pinning_required
    if (
        pinning is not None
        and not pinning.value
        and not (allowed and allowed.value == "local_only")
    ):
        message = (
            f"actions need not be pinned to a commit SHA (set by {pinning.source}): a workflow "
            "may use an action by a tag that its owner, or whoever steals their token, can "
            'move to other code. Check "Require actions to be pinned to a full-length commit '
            f'SHA" in {_SETTINGS_PAGE}, Policies'
        )
        yield ctx.finding("", None, message, "sha-pinning:off")
    yield from _gaps(ctx, actions, "allowed_actions")


@settings_check("WF104", "fork-workflows-run-without-approval", Severity.WARNING)
def fork_workflows_run_without_approval(ctx: CheckContext) -> Iterator[Finding]:
    """Workflows from outside contributors' forks run without a maintainer's approval.

    ## What it does
    With `--online` and in an audit: for a public repository, reads "Approval for running
    fork pull request workflows from contributors" and reports any policy but "Require
    approval for all external contributors" (GitHub's default asks only first-time
    contributors); for a private repository, reports workflows from fork pull requests
    that may run without approval, and says so when they also get a write token or
    secrets.

    ## Why is this bad?
    A pull request from a fork runs the workflows it contains, as its author wrote them.
    Someone who once had a typo fix merged is no longer a first-time contributor: their
    next pull request runs at once, which is how attackers get code onto self-hosted
    runners, mine cryptocurrency on the repository's minutes, or poison what the next
    privileged workflow reads. An approval puts a maintainer between an outsider and
    the runners.

    ## Example
    "Require approval for first-time contributors" (the default).

    ## Fix
    Choose "Require approval for all external contributors" in the organization's (or
    the repository's) Settings, Actions, General; for private repositories, check
    "Require approval for fork pull request workflows".
    """
    actions = _judged(ctx)
    if actions is None:
        return
    policy = actions.fork_approval
    if policy is not None and policy.value != model.ALL_EXTERNAL:
        who = {
            model.NEW_TO_GITHUB: "only from accounts new to GitHub",
            model.FIRST_TIME: "only from first-time contributors",
        }.get(policy.value, f"only under the policy `{policy.value}`")
        message = (
            f"workflows of pull requests from forks wait for approval {who} (set by "
            f"{policy.source}): anyone who once had a pull request merged runs their "
            'workflows at once. Choose "Require approval for all external contributors" in '
            f"{_SETTINGS_PAGE}"
        )
        yield ctx.finding("", None, message, f"fork-approval:{policy.value}")
    forks = actions.private_forks
    if forks is not None and forks.value.run and not forks.value.require_approval:
        extra = [
            label
            for label, on in (
                ("a write token", forks.value.write_tokens),
                ("secrets", forks.value.secrets),
            )
            if on
        ]
        more = f", and they get {' and '.join(extra)}" if extra else ""
        message = (
            f"workflows of pull requests from forks of this private repository run without "
            f'approval (set by {forks.source}){more}. Check "Require approval for fork pull '
            f'request workflows" in {_SETTINGS_PAGE}'
        )
        yield ctx.finding("", None, message, "private-forks:no-approval")
    yield from _gaps(ctx, actions, "forks")
