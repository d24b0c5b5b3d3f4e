"""A repository's live settings in an audit, read into the same `RepoSettings` as
`scan --online`, for fewer requests:

- classic protection and CODEOWNERS errors come with the GraphQL listing (the default
  branch's `branchProtectionRule`, turned into the REST shape `read_classic` reads);
- the branch's effective rules come with the listing too (the default branch's
  `Ref.rules`: GitHub applies the organization's and the repository's rulesets and their
  conditions, as REST's `rules/branches/{branch}` does); REST is asked, conditionally (an
  unchanged answer is a free 304), only when the listing cut them short;
- a ruleset's details (its bypass list) are read once per audit, however many
  repositories an organization ruleset applies to;
- an organization's Actions policies are read once per audit, and a repository is asked
  only the Actions settings they leave open, only when the listing shows it has
  workflows and the token can administer it (see `repo_harden.github.actions_settings`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal
from urllib.parse import urlencode

from repo_harden.audit.listing import ListedRepository
from repo_harden.audit.store import Store
from repo_harden.audit.transport import Transport
from repo_harden.core.actions_settings import ActionsSettings
from repo_harden.core.branch_policy import Origin, ProtectionSource, ProtectionUnknown
from repo_harden.core.lazy import lazy_compile
from repo_harden.core.record import replace
from repo_harden.core.snapshot import RepoSettings
from repo_harden.github.actions_settings import (
    ORGANIZATION_POLICIES,
    OrganizationActions,
    read_actions_settings,
    read_organization,
)
from repo_harden.github.client import GitHubError
from repo_harden.github.live_settings import (
    ADMIN_PERMISSION,
    Params,
    PolicyReading,
    read_branch_policy,
    reported_error,
)
from repo_harden.readers.protection import (
    read_classic,
    read_ruleset_header,
    read_ruleset_rules,
    targets_branch,
)
from repo_harden.readers.settings_tree import from_json

_NEXT_LINK = lazy_compile(r'<([^>]+)>;\s*rel="next"')
_RULESET = lazy_compile(r"/rulesets/(\d+)$")
_UNKNOWN = object()
# How much of the Actions settings the rules that may run read: all of them (WF101-WF104),
# only the workflow token's defaults (the workflow rules WF001-WF005), or nothing.
ActionsReading = Literal["all", "token", "none"]


class CachedApi:
    """`ApiReader` for the audit: conditional GETs with the stored ETags, and each ruleset's
    details once per audit."""

    def __init__(self, transport: Transport, store: Store) -> None:
        self._transport = transport
        self._store = store
        self._rulesets: dict[str, object] = {}
        self._organizations: dict[str, OrganizationActions] = {}
        self._asking: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, path: str, params: Params = None) -> object:
        """`GET path`. A ruleset's details, or the refusal to show them (an organization
        ruleset to a token that cannot edit it), are asked once per audit."""
        ruleset = _RULESET.search(path)
        if ruleset is None:
            return self._get(_with_query(path, params))[0]
        ruleset_id = ruleset.group(1)
        with self._lock:
            one_at_a_time = self._asking.setdefault(ruleset_id, threading.Lock())
        with one_at_a_time:  # the repositories of one organization ruleset wait for one answer
            known = self._rulesets.get(ruleset_id, _UNKNOWN)
            if known is _UNKNOWN:
                try:
                    known = self._get(_with_query(path, params))[0]
                except GitHubError as error:
                    if error.status not in (403, 404):
                        raise
                    known = error
                self._rulesets[ruleset_id] = known
        if isinstance(known, GitHubError):
            raise GitHubError(str(known), known.status, known.api_message)
        return known

    def organization(self, login: str) -> OrganizationActions:
        """An organization's Actions policies, read once per audit (the repositories of one
        organization wait for the one answer)."""
        key = login.lower()
        with self._lock:
            one_at_a_time = self._asking.setdefault(f"org:{key}", threading.Lock())
        with one_at_a_time:
            known = self._organizations.get(key)
            if known is None:
                with ThreadPoolExecutor(len(ORGANIZATION_POLICIES), "organization") as pool:
                    known = read_organization(self, login, pool.map)
                self._organizations[key] = known
        return known

    def know_rulesets(self, listed: ListedRepository) -> None:
        """Take the details of the repository's own rulesets from the listing, when GitHub
        showed them whole: their bypass lists need no REST request then."""
        if not listed.can_administer:
            return  # GitHub hides bypass lists from those who cannot edit the ruleset
        for node in _nodes(listed.rulesets):
            details = rest_ruleset(node)
            if details is not None:
                with self._lock:
                    self._rulesets[str(node["databaseId"])] = details

    def forget_rulesets(self, listed: ListedRepository) -> None:
        """Drop the details of the repository's own rulesets once its settings are read: no
        other repository asks for them, and an audit keeps no memory per repository."""
        with self._lock:
            for node in _nodes(listed.rulesets):
                if _own_ruleset(node):
                    self._rulesets.pop(str(node["databaseId"]), None)
                    self._asking.pop(str(node["databaseId"]), None)

    def get_pages(self, path: str, params: Params = None) -> list[object]:
        items: list[object] = []
        url: str | None = _with_query(path, {"per_page": 100, **(params or {})})
        while url is not None:
            data, link = self._get(url)
            if isinstance(data, list):
                items.extend(data)
            found = _NEXT_LINK.search(link)
            url = found.group(1) if found else None
        return items

    def _get(self, url: str) -> tuple[object, str]:
        stored = self._store.etag(url)
        answer = self._transport.rest_get(url, etag=stored[0] if stored else None)
        if answer.status == 304 and stored is not None and stored[1] is not None:
            kept = json.loads(stored[1])
            return kept["data"], kept["link"]
        link = answer.headers.get("link", "")
        etag = answer.headers.get("etag")
        if etag:
            self._store.put_etag(url, etag, json.dumps({"data": answer.data, "link": link}))
        return answer.data, link


def _with_query(path: str, params: Params) -> str:
    return f"{path}?{urlencode(dict(params))}" if params else path


def read_settings(
    api: CachedApi, listed: ListedRepository, *, actions: ActionsReading
) -> RepoSettings:
    """The default branch, its protection and GitHub's CODEOWNERS errors; the Actions
    settings as far as the rules that may run read them (`actions`)."""
    api.know_rulesets(listed)
    try:
        return _read_settings(api, listed, actions=actions)
    finally:
        api.forget_rulesets(listed)


def _read_settings(
    api: CachedApi, listed: ListedRepository, *, actions: ActionsReading
) -> RepoSettings:
    branch = listed.default_branch or ""
    listed_whole = _listed_whole(listed.rulesets)
    policy = read_branch_policy(
        api,
        listed.full_name,
        branch,
        inactive_rulesets=not listed_whole,  # else the listing has told which are inactive
        read_classic_protection=lambda _api, _name, reading: _classic(listed, reading),
        rulesets_known_absent=_no_ruleset_anywhere(listed),
        effective_rules=rest_branch_rules(listed.branch_rules),
    )
    if listed_whole:
        policy = replace(policy, inactive=_inactive_rulesets(listed.rulesets, branch))
    return RepoSettings(
        default_branch=branch,
        branch_protection=policy,
        codeowners_errors=_codeowners_errors(listed.codeowners),
        actions=_actions(api, listed, actions),
    )


def _actions(
    api: CachedApi, listed: ListedRepository, reading: ActionsReading
) -> ActionsSettings | None:
    """The Actions settings of a repository with workflows (WF101-WF104 judge no other),
    asking the repository only what its organization's policies leave open."""
    if reading == "none" or not listed.has_workflows:
        return None
    owner = listed.full_name.split("/", 1)[0]
    organization = api.organization(owner) if listed.organization else None
    return read_actions_settings(
        api,
        listed.full_name,
        private=listed.private,
        organization=organization,
        can_administer=listed.can_administer,
        token_only=reading == "token",
    )


def _no_ruleset_anywhere(listed: ListedRepository) -> bool:
    """The listing asks for the rulesets of the repository and of the levels above it
    (`includeParents: true`, asked explicitly). When it shows an administrator none at all, no
    rule can apply to the branch and its effective rules need no request. Rulesets may be
    hidden from others, so for them the REST answer is still asked."""
    rulesets = listed.rulesets
    return listed.can_administer and isinstance(rulesets, dict) and rulesets.get("totalCount") == 0


def _listed_whole(rulesets: object) -> bool:
    total = rulesets.get("totalCount") if isinstance(rulesets, dict) else None
    return isinstance(total, int) and total <= len(_nodes(rulesets))


def _inactive_rulesets(rulesets: object, branch: str) -> tuple[ProtectionSource, ...]:
    """The rulesets in evaluate or disabled mode that target the branch: they protect
    nothing, but BP001 names them and BP011 compares their modes with a settings file."""
    found = []
    for node in _nodes(rulesets):
        ref_name = (node.get("conditions") or {}).get("refName") or {}
        details = from_json(
            {
                "name": node.get("name"),
                "enforcement": str(node.get("enforcement", "")).lower(),
                "target": str(node.get("target") or "branch").lower(),
                "conditions": {
                    "ref_name": {
                        "include": list(ref_name.get("include") or ()),
                        "exclude": list(ref_name.get("exclude") or ()),
                    }
                },
            }
        )
        header = read_ruleset_header(details, path=None, fallback_name=str(node.get("databaseId")))
        if header.enforcement == "active" or header.target != "branch":
            continue
        if targets_branch(header.conditions, branch, is_default=True):
            found.append(read_ruleset_rules(header, [], None))
    return tuple(found)


def _classic(listed: ListedRepository, reading: PolicyReading) -> None:
    rule = listed.protection_rule
    if rule is not None:
        reading.sources.append(read_classic(from_json(rest_classic(rule)), Origin("classic")))
    elif not listed.can_administer:
        # GitHub shows a branch protection rule only to those who may administer it.
        reading.unknown.append(
            ProtectionUnknown(
                f"classic branch protection of `{reading.branch}`",
                "GitHub shows it only to repository admins",
                ADMIN_PERMISSION,
            )
        )


def _codeowners_errors(codeowners: object) -> tuple[Any, ...]:
    errors = codeowners.get("errors") if isinstance(codeowners, dict) else None
    return tuple(reported_error(e) for e in errors or () if isinstance(e, dict))


def _nodes(connection: object) -> list[Mapping[str, Any]]:
    nodes = connection.get("nodes") if isinstance(connection, dict) else None
    return [node for node in nodes or () if isinstance(node, dict)]


def rest_branch_rules(connection: object) -> list[dict[str, Any]] | None:
    """The default branch's `Ref.rules` in the shape of REST's `rules/branches/{branch}`
    items; None when the listing has not them all (not asked, or more than one page)."""
    total = connection.get("totalCount") if isinstance(connection, dict) else None
    nodes = _nodes(connection)
    if not isinstance(total, int) or total > len(nodes):
        return None
    rules = []
    for node in nodes:
        ruleset = node.get("repositoryRuleset") or {}
        if not isinstance(ruleset.get("databaseId"), int):
            return None  # a rule GitHub does not place in a ruleset: let REST say
        source = ruleset.get("source") or {}
        rule: dict[str, Any] = {
            "type": str(node.get("type") or "").lower(),
            "ruleset_id": ruleset["databaseId"],
            "ruleset_source": source.get("login") or source.get("nameWithOwner"),
        }
        parameters = _rest_parameters(node.get("parameters"))
        if parameters is not None:
            rule["parameters"] = parameters
        rules.append(rule)
    return rules


# GraphQL's `RuleParameters` fields, by REST's names (the ones BP rules read, and their kin).
_PARAMETERS = {
    "dismissStaleReviewsOnPush": "dismiss_stale_reviews_on_push",
    "requireCodeOwnerReview": "require_code_owner_review",
    "requireLastPushApproval": "require_last_push_approval",
    "requiredApprovingReviewCount": "required_approving_review_count",
    "requiredReviewThreadResolution": "required_review_thread_resolution",
    "strictRequiredStatusChecksPolicy": "strict_required_status_checks_policy",
}


def _rest_parameters(parameters: object) -> dict[str, Any] | None:
    if not isinstance(parameters, dict):
        return None
    rest: dict[str, Any] = {
        snake: parameters[camel] for camel, snake in _PARAMETERS.items() if camel in parameters
    }
    checks = parameters.get("requiredStatusChecks")
    if isinstance(checks, list):
        rest["required_status_checks"] = [
            {"context": check.get("context"), "integration_id": check.get("integrationId")}
            for check in checks
            if isinstance(check, dict)
        ]
    return rest


_ACTOR_TYPES = {"App": "Integration", "Team": "Team"}


def _own_ruleset(node: Mapping[str, Any]) -> bool:
    """Whether a listed ruleset is the repository's own (not its organization's)."""
    source = node.get("source") or {}
    return source.get("__typename") == "Repository" and isinstance(node.get("databaseId"), int)


def rest_ruleset(node: Mapping[str, Any]) -> dict[str, Any] | None:
    """A GraphQL `RepositoryRuleset` of the repository itself in the shape of REST's
    `GET .../rulesets/{id}`; None when it is an organization's or its bypass list is cut."""
    actors = node.get("bypassActors")
    if not _own_ruleset(node):
        return None
    if not isinstance(actors, dict) or actors.get("totalCount", 0) > len(_nodes(actors)):
        return None
    return {
        "id": node["databaseId"],
        "name": node.get("name"),
        "enforcement": str(node.get("enforcement", "")).lower(),
        "target": str(node.get("target") or "branch").lower(),
        "source_type": "Repository",
        "bypass_actors": [_rest_actor(actor) for actor in _nodes(actors)],
    }


def _rest_actor(node: Mapping[str, Any]) -> dict[str, Any]:
    actor = node.get("actor") or {}
    if node.get("organizationAdmin"):
        kind, actor_id = "OrganizationAdmin", None
    elif node.get("deployKey"):
        kind, actor_id = "DeployKey", None
    elif node.get("repositoryRoleDatabaseId") is not None:
        kind, actor_id = "RepositoryRole", node["repositoryRoleDatabaseId"]
    else:
        kind = _ACTOR_TYPES.get(str(actor.get("__typename")), "unknown")
        actor_id = actor.get("databaseId")
    mode = str(node.get("bypassMode") or "ALWAYS").lower()
    return {"actor_id": actor_id, "actor_type": kind, "bypass_mode": mode}


def rest_classic(rule: Mapping[str, Any]) -> dict[str, Any]:
    """A GraphQL `BranchProtectionRule` in the shape of REST's `GET .../protection`."""
    shape: dict[str, Any] = {
        "allow_force_pushes": {"enabled": bool(rule.get("allowsForcePushes"))},
        "allow_deletions": {"enabled": bool(rule.get("allowsDeletions"))},
        "enforce_admins": {"enabled": bool(rule.get("isAdminEnforced"))},
        "required_signatures": {"enabled": bool(rule.get("requiresCommitSignatures"))},
        "required_linear_history": {"enabled": bool(rule.get("requiresLinearHistory"))},
        "required_conversation_resolution": {
            "enabled": bool(rule.get("requiresConversationResolution"))
        },
        "block_creations": {"enabled": bool(rule.get("blocksCreations"))},
        "lock_branch": {"enabled": bool(rule.get("lockBranch"))},
    }
    if rule.get("requiresApprovingReviews"):
        shape["required_pull_request_reviews"] = {
            "required_approving_review_count": rule.get("requiredApprovingReviewCount"),
            "dismiss_stale_reviews": bool(rule.get("dismissesStaleReviews")),
            "require_code_owner_reviews": bool(rule.get("requiresCodeOwnerReviews")),
            "require_last_push_approval": bool(rule.get("requireLastPushApproval")),
            "bypass_pull_request_allowances": _allowances(rule.get("bypassPullRequestAllowances")),
        }
    if rule.get("requiresStatusChecks"):
        contexts = [str(c) for c in rule.get("requiredStatusCheckContexts") or ()]
        checks = [c for c in rule.get("requiredStatusChecks") or () if isinstance(c, dict)]
        shape["required_status_checks"] = {
            "strict": bool(rule.get("requiresStrictStatusChecks")),
            "contexts": contexts,
            "checks": [{"context": str(check.get("context"))} for check in checks],
        }
    return shape


def _allowances(connection: object) -> dict[str, list[dict[str, str]]]:
    """Actors of an allowance connection, as REST lists users, teams and apps."""
    found: dict[str, list[dict[str, str]]] = {"users": [], "teams": [], "apps": []}
    for node in _nodes(connection):
        actor = node.get("actor")
        if not isinstance(actor, dict):
            continue
        kind = actor.get("__typename")
        if kind == "User" and actor.get("login"):
            found["users"].append({"login": str(actor["login"])})
        elif kind == "Team" and actor.get("slug"):
            found["teams"].append({"slug": str(actor["slug"])})
        elif kind == "App" and actor.get("slug"):
            found["apps"].append({"slug": str(actor["slug"])})
    return found
