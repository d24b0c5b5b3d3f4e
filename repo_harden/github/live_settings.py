"""Live settings of a repository, read through the API into `RepoSettings`: the default
branch and its `BranchPolicy` (and, through `actions_settings`, its Actions settings).

Requests: classic protection (`GET .../branches/{branch}/protection`, admin only), the
branch's effective rules (`GET .../rules/branches/{branch}`: every active ruleset of the
repository and its organization that applies, readable by anyone who can read the
repository), the details of each of those rulesets (name, bypass actors), and, to
explain an unprotected branch, the rulesets that are not active. A 401, 403 or 404 is
"could not be read", with the permission that was missing; never "unprotected".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol
from urllib.parse import quote

from repo_harden.core.branch_policy import (
    BranchPolicy,
    Origin,
    ProtectionSource,
    ProtectionUnknown,
    Scope,
)
from repo_harden.core.record import field, record
from repo_harden.core.snapshot import ReportedError, RepoSettings
from repo_harden.github.client import GitHubClient, GitHubError
from repo_harden.readers.protection import (
    RulesetHeader,
    read_classic,
    read_ruleset_header,
    read_ruleset_rules,
    targets_branch,
)
from repo_harden.readers.settings_tree import Tree, from_json

ADMIN_PERMISSION = (
    "admin access to the repository (a fine-grained token or a GitHub App needs the "
    '"Administration" repository permission, read)'
)
READ_PERMISSION = "read access to the repository"
RULESET_EDITOR = (
    "a token that can edit the ruleset (repository admin; organization owner for an "
    "organization ruleset)"
)
VALID_TOKEN = "a valid token (GitHub rejected this one)"
_NOT_PROTECTED = "Branch not protected"
_UNREADABLE = (401, 403, 404)

Params = Mapping[str, str | int] | None


class ApiReader(Protocol):
    """What the readers need of a client: `GitHubClient`, or the audit's cached one."""

    def get(self, path: str, params: Params = None) -> object: ...

    def get_pages(self, path: str, params: Params = None) -> list[object]: ...


@record(frozen=False)
class PolicyReading:
    """What one repository's reads have gathered so far."""

    branch: str
    sources: list[ProtectionSource] = field(default_factory=list)
    inactive: list[ProtectionSource] = field(default_factory=list)
    unknown: list[ProtectionUnknown] = field(default_factory=list)

    def gap(self, what: str, error: GitHubError, permission: str, *, bypass: bool = False) -> None:
        needed = VALID_TOKEN if error.status == 401 else permission
        reason = f"HTTP {error.status}" + (f" {error.api_message}" if error.api_message else "")
        scope: Scope = "bypass-actors" if bypass else "protection"
        self.unknown.append(ProtectionUnknown(what, reason, needed, scope))

    def policy(self) -> BranchPolicy:
        return BranchPolicy(
            self.branch, tuple(self.sources), tuple(self.inactive), tuple(self.unknown)
        )


def read_live_settings(
    client: GitHubClient, full_name: str, *, inactive_rulesets: bool = True, actions: bool = True
) -> RepoSettings:
    """The default branch and its protection, and (`actions`) the Actions settings. Raises
    `GitHubError` only when the repository itself cannot be read; a setting that cannot be
    read is part of what is returned."""
    from repo_harden.github.actions_settings import read_actions_settings, read_organization

    repository = client.repository(full_name)
    branch = repository.default_branch
    policy = read_branch_policy(client, full_name, branch, inactive_rulesets=inactive_rulesets)
    errors = read_codeowners_errors(client, full_name, branch)
    actions_settings = None
    if actions:
        owner = full_name.split("/", 1)[0]
        organization = read_organization(client, owner) if repository.organization else None
        actions_settings = read_actions_settings(
            client, full_name, private=repository.private, organization=organization
        )
    return RepoSettings(
        default_branch=branch,
        branch_protection=policy,
        codeowners_errors=errors,
        actions=actions_settings,
    )


def read_codeowners_errors(
    client: ApiReader, full_name: str, branch: str
) -> tuple[ReportedError, ...] | None:
    """What GitHub itself reports about the CODEOWNERS file GitHub uses (unknown users,
    teams without write access...); () when there is no file, None when it cannot be read."""
    try:
        data = client.get(f"/repos/{full_name}/codeowners/errors", {"ref": branch})
    except GitHubError as error:
        return () if error.status == 404 else None
    errors = data.get("errors") if isinstance(data, dict) else None
    return tuple(reported_error(e) for e in errors or () if isinstance(e, dict))


def reported_error(error: dict[str, object]) -> ReportedError:
    suggestion = error.get("suggestion")
    return ReportedError(
        path=str(error.get("path", "")),
        line=int(str(error.get("line", 1))),
        column=int(str(error.get("column", 1))),
        kind=str(error.get("kind", "error")),
        message=str(error.get("message", "")).split("\n", 1)[0],
        source=str(error.get("source", "")),
        suggestion=str(suggestion) if suggestion else None,
    )


ClassicReader = Callable[[ApiReader, str, "PolicyReading"], None]


def read_branch_policy(
    client: ApiReader,
    full_name: str,
    branch: str,
    *,
    inactive_rulesets: bool = True,
    read_classic_protection: ClassicReader | None = None,
    rulesets_known_absent: bool = False,
    effective_rules: Sequence[Mapping[str, object]] | None = None,
) -> BranchPolicy:
    """The branch's policy. The audit reads classic protection from its GraphQL listing
    (`read_classic_protection`), says when that listing showed no ruleset at any level
    (`rulesets_known_absent`: no rule can apply, so nothing is asked), and gives the
    branch's effective rules when the listing holds them whole (`effective_rules`, in
    REST's shape: no request for them); `scan --online` asks the REST API."""
    reading = PolicyReading(branch)
    (read_classic_protection or _read_classic)(client, full_name, reading)
    if rulesets_known_absent:
        return reading.policy()
    if effective_rules is not None:
        _active_rulesets(client, full_name, effective_rules, reading)
    else:
        _read_active_rulesets(client, full_name, reading)
    if inactive_rulesets:
        _read_inactive_rulesets(client, full_name, reading)
    return reading.policy()


def _branch_path(full_name: str, branch: str) -> str:
    return f"/repos/{full_name}/branches/{quote(branch, safe='/')}"


def _read_classic(client: ApiReader, full_name: str, reading: PolicyReading) -> None:
    try:
        data = client.get(f"{_branch_path(full_name, reading.branch)}/protection")
    except GitHubError as error:
        if error.status == 404 and error.api_message == _NOT_PROTECTED:
            return
        if error.status not in _UNREADABLE:
            raise
        reading.gap(f"classic branch protection of `{reading.branch}`", error, ADMIN_PERMISSION)
        return
    reading.sources.append(read_classic(from_json(data), Origin("classic")))


def _read_active_rulesets(client: ApiReader, full_name: str, reading: PolicyReading) -> None:
    path = f"/repos/{full_name}/rules/branches/{quote(reading.branch, safe='/')}"
    try:
        rules = client.get_pages(path)
    except GitHubError as error:
        if error.status == 404:
            return  # a server without rulesets (GitHub Enterprise Server before 3.11)
        if error.status not in _UNREADABLE:
            raise
        reading.gap(f"the rulesets that apply to `{reading.branch}`", error, READ_PERMISSION)
        return
    _active_rulesets(client, full_name, rules, reading)


def _active_rulesets(
    client: ApiReader, full_name: str, rules: Sequence[object], reading: PolicyReading
) -> None:
    """The sources of the branch's effective rules (REST's `rules/branches` items), one per
    ruleset, each with its name and bypass list."""
    by_ruleset: dict[int, list[Tree]] = {}
    sources: dict[int, str] = {}
    for rule in rules:
        if isinstance(rule, Mapping) and isinstance(rule.get("ruleset_id"), int):
            ruleset_id: int = rule["ruleset_id"]
            by_ruleset.setdefault(ruleset_id, []).append(from_json(rule))
            sources[ruleset_id] = str(rule.get("ruleset_source") or full_name)
    for ruleset_id, trees in by_ruleset.items():
        header = _ruleset_header(client, full_name, ruleset_id, sources[ruleset_id], reading)
        reading.sources.append(read_ruleset_rules(header, trees, None))


def _ruleset_header(
    client: ApiReader, full_name: str, ruleset_id: int, source: str, reading: PolicyReading
) -> RulesetHeader:
    """The name and bypass list of an active ruleset; when hidden, a gap in the bypass list."""
    fallback = f"{ruleset_id} of {source}"
    what = f"the bypass actors of ruleset {fallback}"
    try:
        details = client.get(f"/repos/{full_name}/rulesets/{ruleset_id}")
    except GitHubError as error:
        if error.status not in _UNREADABLE:
            raise
        reading.gap(what, error, RULESET_EDITOR, bypass=True)
        return RulesetHeader(fallback, "active", "branch", None, None, Origin("ruleset", fallback))
    header = read_ruleset_header(from_json(details), path=None, fallback_name=fallback)
    if header.bypass_actors is None:
        hidden = f"the bypass actors of ruleset `{header.name}`"
        reading.unknown.append(
            ProtectionUnknown(hidden, "GitHub hid them", RULESET_EDITOR, "bypass-actors")
        )
    return header


def _read_inactive_rulesets(client: ApiReader, full_name: str, reading: PolicyReading) -> None:
    """Rulesets in evaluate or disabled mode that target the branch: they protect nothing,
    but an unprotected branch's finding should name them. Best effort."""
    try:
        listed = client.get_pages(f"/repos/{full_name}/rulesets", {"includes_parents": "true"})
    except GitHubError:
        return
    for summary in listed:
        if not isinstance(summary, Mapping) or summary.get("enforcement") == "active":
            continue
        ruleset_id = summary.get("id")
        try:
            details = from_json(client.get(f"/repos/{full_name}/rulesets/{ruleset_id}"))
        except GitHubError:
            continue
        header = read_ruleset_header(details, path=None, fallback_name=str(ruleset_id))
        if header.target != "branch" or not targets_branch(
            header.conditions, reading.branch, is_default=True
        ):
            continue
        rules = details.get("rules")
        reading.inactive.append(read_ruleset_rules(header, rules.items() if rules else [], None))
