"""A repository's GitHub Actions settings, read through the API into `ActionsSettings`.

The organization's policies bind its repositories: a read-only default token, workflows
that may not approve pull requests, an allow-list of actions with SHA pinning, fork
pull requests of private repositories that may not run workflows: a repository can
only be stricter. So the organization's settings are read once (`read_organization`),
and a repository is asked only what they leave open (`read_actions_settings`): its
own default token and approvals when the organization allows writes or approvals, its
allowed actions when the organization allows every action or no pinning, and the
approval of fork pull requests (a public repository sets its own). A token that cannot
administer the repository is not asked at all: GitHub shows these settings only to
admins, so each is a gap with the permission it needs.

Requests (each a GET): organization `actions/permissions`, `actions/permissions/
workflow`, `actions/permissions/fork-pr-contributor-approval`,
`actions/permissions/fork-pr-workflows-private-repos` and, for an allow-list,
`actions/permissions/selected-actions`; the same under `/repos/{owner}/{repo}`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Protocol

from repo_harden.core.actions_settings import (
    ActionsSettings,
    ActionsUnknown,
    Field,
    Known,
    PrivateForks,
)
from repo_harden.core.record import field, record, replace
from repo_harden.github.client import GitHubError

REPOSITORY_ADMIN = (
    "admin access to the repository (a fine-grained token or a GitHub App needs the "
    '"Administration" repository permission, read)'
)
ORGANIZATION_OWNER = (
    "an organization owner's token (classic: `admin:org`; a fine-grained token or a GitHub "
    'App needs the "Administration" organization permission, read)'
)
_UNREADABLE = (401, 403, 404)
_REPOSITORY = "the repository"


class ApiReader(Protocol):
    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> object: ...


Each = Callable[[Callable[[str], object], Iterable[str]], Iterable[object]]
# Under /orgs/{login}/actions/permissions: what `read_organization` reads, all at once.
ORGANIZATION_POLICIES = (
    "",
    "/workflow",
    "/fork-pr-contributor-approval",
    "/fork-pr-workflows-private-repos",
)


@record
class OrganizationActions:
    """An organization's Actions policies, as far as they could be read (None: unknown)."""

    source: str  # "the organization `acme`"
    enabled_repositories: str | None = None  # "all", "none" or "selected"
    allowed_actions: str | None = None
    sha_pinning_required: bool | None = None
    allows_every_pattern: bool | None = None
    default_permissions: str | None = None
    approve_pull_requests: bool | None = None
    fork_approval: str | None = None
    private_forks: PrivateForks | None = None

    def settles_token(self) -> bool:
        return self.default_permissions == "read" and self.approve_pull_requests is False

    def settles_allowed(self) -> bool:
        """Repositories can only narrow an allow-list that already pins SHAs (or where
        GitHub offers no pinning policy, `sha_pinning_required` absent)."""
        listed = self.allowed_actions == "local_only" or (
            self.allowed_actions == "selected" and self.allows_every_pattern is False
        )
        return listed and self.sha_pinning_required is not False


def read_organization(api: ApiReader, login: str, each: Each = map) -> OrganizationActions:
    """The organization's policies; a policy the token cannot read is None (the
    repositories are then asked). Its reads (`ORGANIZATION_POLICIES`) go through `each` (a
    pool's `map` asks them at once)."""
    base = f"/orgs/{login}/actions/permissions"
    found = OrganizationActions(f"the organization `{login}`")
    paths = [base + policy for policy in ORGANIZATION_POLICIES]
    permissions, workflow, approval, private = each(partial(_get, api), paths)
    if isinstance(permissions, Mapping):
        allowed = _text(permissions, "allowed_actions")
        found = replace(
            found,
            enabled_repositories=_text(permissions, "enabled_repositories"),
            allowed_actions=allowed,
            sha_pinning_required=_flag(permissions, "sha_pinning_required"),
            allows_every_pattern=_every_pattern(api, f"{base}/selected-actions")
            if allowed == "selected"
            else None,
        )
    if isinstance(workflow, Mapping):
        found = replace(
            found,
            default_permissions=_text(workflow, "default_workflow_permissions"),
            approve_pull_requests=_flag(workflow, "can_approve_pull_request_reviews"),
        )
    if isinstance(approval, Mapping):
        found = replace(found, fork_approval=_text(approval, "approval_policy"))
    if isinstance(private, Mapping):
        found = replace(found, private_forks=_private_forks(private))
    return found


@record(frozen=False)
class _Reading:
    """What one repository's reads have gathered so far."""

    api: ApiReader
    full_name: str
    administer: bool
    settings: ActionsSettings = field(default_factory=ActionsSettings)

    def ask(self, path: str, what: str, fields: tuple[Field, ...]) -> Mapping[str, object] | None:
        """`GET /repos/{full_name}/{path}`; None and a gap for each field when it cannot be read."""
        if not self.administer:
            reason = "GitHub shows it only to repository admins"
            self.gap(fields, what, reason)
            return None
        try:
            data = self.api.get(f"/repos/{self.full_name}/{path}")
        except GitHubError as error:
            if error.status not in _UNREADABLE:
                raise
            message = f" {error.api_message}" if error.api_message else ""
            self.gap(fields, what, f"HTTP {error.status}{message}")
            return None
        return data if isinstance(data, Mapping) else None

    def gap(self, fields: tuple[Field, ...], what: str, reason: str) -> None:
        gaps = tuple(ActionsUnknown(f, what, reason, REPOSITORY_ADMIN) for f in fields)
        self.settings = replace(self.settings, unknown=self.settings.unknown + gaps)


def read_actions_settings(
    api: ApiReader,
    full_name: str,
    *,
    private: bool,
    organization: OrganizationActions | None,
    can_administer: bool = True,
    token_only: bool = False,
) -> ActionsSettings:
    """The repository's Actions settings, asking the repository only what the
    organization's policies leave open; with `token_only`, only the workflow token's
    defaults (what the workflow rules read when WF101-WF104 are off). Raises `GitHubError`
    only for answers other than "cannot read" (401, 403, 404)."""
    org = organization or OrganizationActions("")
    if org.enabled_repositories == "none":
        return ActionsSettings(enabled=Known(False, org.source))
    reading = _Reading(api, full_name, can_administer)
    if token_only:
        _token(reading, org)
        return reading.settings
    _allowed_actions(reading, org)
    if reading.settings.disabled:
        return reading.settings
    _token(reading, org)
    _forks(reading, org, private=private)
    return reading.settings


def _allowed_actions(reading: _Reading, org: OrganizationActions) -> None:
    if org.settles_allowed():
        pinning = org.sha_pinning_required
        reading.settings = replace(
            reading.settings,
            allowed_actions=Known(str(org.allowed_actions), org.source),
            allows_every_pattern=Known(False, org.source),
            sha_pinning_required=Known(pinning, org.source) if pinning is not None else None,
        )
        return
    data = reading.ask("actions/permissions", "the actions this repository may use",
                       ("allowed_actions",))  # fmt: skip
    if data is None:
        return
    allowed = _text(data, "allowed_actions")
    pinning = _flag(data, "sha_pinning_required")
    every = None
    if allowed == "selected":
        found = _every_pattern(
            reading.api, f"/repos/{reading.full_name}/actions/permissions/selected-actions"
        )
        every = Known(found, _REPOSITORY) if found is not None else None
    reading.settings = replace(
        reading.settings,
        enabled=Known(data.get("enabled") is not False, _REPOSITORY),
        allowed_actions=Known(allowed, _REPOSITORY) if allowed else None,
        allows_every_pattern=every,
        sha_pinning_required=Known(pinning, _REPOSITORY) if pinning is not None else None,
    )


def _token(reading: _Reading, org: OrganizationActions) -> None:
    if org.settles_token():
        reading.settings = replace(
            reading.settings,
            default_permissions=Known("read", org.source),
            approve_pull_requests=Known(False, org.source),
        )
        return
    fields: tuple[Field, ...] = ("default_permissions", "approve_pull_requests")
    data = reading.ask("actions/permissions/workflow", "the workflow token's defaults", fields)
    if data is None:
        if (
            org.default_permissions == "read"
        ):  # bound by the organization whatever the repository says
            known = Known("read", org.source)
            unknown = tuple(g for g in reading.settings.unknown if g.field != "default_permissions")
            reading.settings = replace(reading.settings, default_permissions=known, unknown=unknown)
        return
    default = _text(data, "default_workflow_permissions")
    approve = _flag(data, "can_approve_pull_request_reviews")
    reading.settings = replace(
        reading.settings,
        default_permissions=Known(default, _REPOSITORY) if default else None,
        approve_pull_requests=Known(approve, _REPOSITORY) if approve is not None else None,
    )


def _forks(reading: _Reading, org: OrganizationActions, *, private: bool) -> None:
    if private:
        if org.private_forks is not None and not org.private_forks.run:
            reading.settings = replace(
                reading.settings, private_forks=Known(org.private_forks, org.source)
            )
            return
        data = reading.ask("actions/permissions/fork-pr-workflows-private-repos",
                           "the workflow settings for fork pull requests", ("forks",))  # fmt: skip
        if data is not None:
            forks = _private_forks(data)
            reading.settings = replace(reading.settings, private_forks=Known(forks, _REPOSITORY))
        return
    data = reading.ask("actions/permissions/fork-pr-contributor-approval",
                       "the approval policy for fork pull requests", ("forks",))  # fmt: skip
    policy = _text(data, "approval_policy") if data is not None else None
    if policy:
        reading.settings = replace(reading.settings, fork_approval=Known(policy, _REPOSITORY))


def _get(api: ApiReader, path: str) -> object | None:
    """An organization's answer; None when it cannot be read (not an owner, not an
    organization, a server without the endpoint)."""
    try:
        return api.get(path)
    except GitHubError as error:
        if error.status not in _UNREADABLE:
            raise
        return None


def _every_pattern(api: ApiReader, path: str) -> bool | None:
    data = _get(api, path)
    if not isinstance(data, Mapping):
        return None
    patterns = data.get("patterns_allowed")
    return isinstance(patterns, list) and any(
        str(p).strip() in ("*", "*/*", "*@*") for p in patterns
    )


def _private_forks(data: Mapping[str, object]) -> PrivateForks:
    return PrivateForks(
        run=data.get("run_workflows_from_fork_pull_requests") is True,
        require_approval=data.get("require_approval_for_fork_pr_workflows") is not False,
        write_tokens=data.get("send_write_tokens_to_workflows") is True,
        secrets=data.get("send_secrets_and_variables") is True,
    )


def _text(data: Mapping[str, object], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def _flag(data: Mapping[str, object], key: str) -> bool | None:
    value = data.get(key)
    return value if isinstance(value, bool) else None
