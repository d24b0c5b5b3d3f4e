"""Readers into `ProtectionSource`, written once for the API's JSON and the settings file's
YAML (both walked as a `Tree`): classic protection, rulesets, the effective rules of a
branch, and whether a ruleset's `conditions.ref_name` targets a branch."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from repo_harden.core.branch_policy import BypassActor, Origin, ProtectionSource, Setting
from repo_harden.core.globs import ANY, ONE, STAR, Glob, Token, literal_tokens, single
from repo_harden.core.model import Position
from repo_harden.core.record import record
from repo_harden.readers.settings_tree import Tree, child_at

# An absent `required_approving_review_count` in classic protection is GitHub's default.
CLASSIC_DEFAULT_APPROVALS = 1


def _flag(
    tree: Tree | None, key: str, origin: Origin, *, strict_when: bool = True
) -> Setting[bool]:
    """A boolean key; `strict_when` False for keys that allow something (`allow_deletions`)."""
    child = tree.get(key) if tree is not None else None
    value = child.flag() if child is not None else None
    at = child_at(tree, key)
    if value is None:
        return Setting(not strict_when, f"no `{key}`", origin.at_position(at))
    return Setting(value == strict_when, f"`{key}: {str(value).lower()}`", origin.at_position(at))


def read_classic(tree: Tree, origin: Origin) -> ProtectionSource:
    """Classic protection, as `GET .../branches/{branch}/protection` returns it or as a
    settings file's `protection:` declares it (the `PUT` shape: plain booleans)."""
    reviews = tree.get("required_pull_request_reviews")
    if reviews is not None and not reviews.is_mapping():
        reviews = None
    return ProtectionSource(
        origin=origin,
        pull_request=_classic_reviews_required(tree, reviews, origin),
        approvals=_classic_approvals(tree, reviews, origin),
        code_owner_review=_review_flag(tree, reviews, "require_code_owner_reviews", origin),
        dismiss_stale_reviews=_review_flag(tree, reviews, "dismiss_stale_reviews", origin),
        last_push_approval=_review_flag(tree, reviews, "require_last_push_approval", origin),
        blocks_force_pushes=_flag(tree, "allow_force_pushes", origin, strict_when=False),
        blocks_deletion=_flag(tree, "allow_deletions", origin, strict_when=False),
        status_checks=_classic_status_checks(tree, origin),
        signed_commits=_flag(tree, "required_signatures", origin),
        enforce_admins=_flag(tree, "enforce_admins", origin),
        bypass_actors=_classic_bypass(reviews, origin),
    )


def _classic_reviews_required(tree: Tree, reviews: Tree | None, origin: Origin) -> Setting[bool]:
    if reviews is None:
        at = child_at(tree, "required_pull_request_reviews")
        return Setting(False, "no `required_pull_request_reviews`", origin.at_position(at))
    return Setting(True, "`required_pull_request_reviews`", origin.at_position(reviews.at))


def _classic_approvals(tree: Tree, reviews: Tree | None, origin: Origin) -> Setting[int]:
    if reviews is None:
        at = child_at(tree, "required_pull_request_reviews")
        return Setting(0, "no `required_pull_request_reviews`", origin.at_position(at))
    count = reviews.get("required_approving_review_count")
    number = count.number() if count is not None else None
    where = origin.at_position(child_at(reviews, "required_approving_review_count"))
    if number is None:
        text = (
            f"no `required_approving_review_count` (GitHub's default: {CLASSIC_DEFAULT_APPROVALS})"
        )
        return Setting(CLASSIC_DEFAULT_APPROVALS, text, where)
    return Setting(number, f"`required_approving_review_count: {number}`", where)


def _review_flag(tree: Tree, reviews: Tree | None, key: str, origin: Origin) -> Setting[bool]:
    if reviews is None:
        at = child_at(tree, "required_pull_request_reviews")
        return Setting(False, "no `required_pull_request_reviews`", origin.at_position(at))
    return _flag(reviews, key, origin)


def _classic_status_checks(tree: Tree, origin: Origin) -> Setting[tuple[str, ...]]:
    checks = tree.get("required_status_checks")
    if checks is None or not checks.is_mapping():
        at = child_at(tree, "required_status_checks")
        return Setting((), "no `required_status_checks`", origin.at_position(at))
    names = [item.text() for item in _items(checks, "contexts")]
    names += [_context(item) for item in _items(checks, "checks")]
    found = tuple(dict.fromkeys(name for name in names if name))
    return Setting(
        found, _checks_text("`required_status_checks`", found), origin.at_position(checks.at)
    )


def _context(item: Tree) -> str | None:
    context = item.get("context")
    return context.text() if context is not None else item.text()


def _checks_text(what: str, names: tuple[str, ...]) -> str:
    listed = ", ".join(f"`{name}`" for name in names) or "none"
    return f"{what} ({listed})"


def _items(tree: Tree | None, key: str) -> list[Tree]:
    child = tree.get(key) if tree is not None else None
    return child.items() if child is not None else []


def _classic_bypass(reviews: Tree | None, origin: Origin) -> tuple[BypassActor, ...]:
    """Classic protection's `bypass_pull_request_allowances`: users, teams and apps that may
    merge without the required reviews (logins and slugs, or the API's objects)."""
    allowances = reviews.get("bypass_pull_request_allowances") if reviews is not None else None
    actors = []
    for kind, actor_type, key in (
        ("users", "User", "login"),
        ("teams", "Team", "slug"),
        ("apps", "Integration", "slug"),
    ):
        for item in _items(allowances, kind):
            named = item.get(key)
            name = named.text() if named is not None else item.text()
            if name:
                at = origin.at_position(item.at)
                actors.append(BypassActor(actor_type, None, name, "pull_request", at))
    return tuple(actors)


@record
class RulesetHeader:
    """A ruleset's name, mode, target, conditions and bypass list (None when hidden)."""

    name: str
    enforcement: str
    target: str
    conditions: Tree | None
    bypass_actors: tuple[BypassActor, ...] | None
    origin: Origin


def read_ruleset_header(tree: Tree, *, path: str | None, fallback_name: str) -> RulesetHeader:
    """A ruleset (`GET .../rulesets/{id}`, or an entry of a settings file's `rulesets:`).
    The API hides `bypass_actors` from a token that cannot edit the ruleset; a settings
    file that names none declares none."""
    name_node = tree.get("name")
    name = (name_node.text() if name_node is not None else None) or fallback_name
    origin = Origin("ruleset", name, path, tree.at)
    enforcement = _text(tree, "enforcement") or "active"
    target = _text(tree, "target") or "branch"
    listed = tree.get("bypass_actors")
    bypass: tuple[BypassActor, ...] | None
    if listed is None:
        bypass = () if path is not None else None
    else:
        bypass = tuple(_ruleset_actor(item, origin) for item in listed.items())
    return RulesetHeader(name, enforcement, target, tree.get("conditions"), bypass, origin)


def _text(tree: Tree, key: str) -> str | None:
    child = tree.get(key)
    return child.text() if child is not None else None


def _ruleset_actor(item: Tree, origin: Origin) -> BypassActor:
    actor_type = _text(item, "actor_type") or "unknown"
    return BypassActor(
        actor_type=actor_type,
        actor_id=_text(item, "actor_id"),
        name=None,
        bypass_mode=_text(item, "bypass_mode") or "always",
        origin=origin.at_position(item.at),
    )


def read_ruleset_rules(
    header: RulesetHeader, rules: Sequence[Tree], rules_at: Position | None
) -> ProtectionSource:
    """The branch settings of a ruleset's rules (`{type, parameters}` each)."""
    origin = header.origin
    by_type: dict[str, Tree] = {}
    for rule in rules:
        kind = _text(rule, "type")
        if kind is not None:
            by_type.setdefault(kind, rule)
    pull_request = by_type.get("pull_request")
    params = pull_request.get("parameters") if pull_request is not None else None
    absent = origin.at_position(rules_at)

    def rule_present(kind: str) -> Setting[bool]:
        rule = by_type.get(kind)
        if rule is None:
            return Setting(False, f"no `{kind}` rule", absent)
        return Setting(True, f"a `{kind}` rule", origin.at_position(rule.at))

    def pr_flag(key: str) -> Setting[bool]:
        if pull_request is None:
            return Setting(False, "no `pull_request` rule", absent)
        setting = _flag(params, key, origin.at_position(pull_request.at))
        return Setting(setting.value, f"`pull_request` rule with {setting.text}", setting.origin)

    return ProtectionSource(
        origin=origin,
        pull_request=rule_present("pull_request"),
        approvals=_ruleset_approvals(pull_request, params, origin, absent),
        code_owner_review=pr_flag("require_code_owner_review"),
        dismiss_stale_reviews=pr_flag("dismiss_stale_reviews_on_push"),
        last_push_approval=pr_flag("require_last_push_approval"),
        blocks_force_pushes=rule_present("non_fast_forward"),
        blocks_deletion=rule_present("deletion"),
        status_checks=_ruleset_status_checks(by_type.get("required_status_checks"), absent),
        signed_commits=rule_present("required_signatures"),
        bypass_actors=header.bypass_actors,
        enforcement=header.enforcement,
    )


def _ruleset_approvals(
    rule: Tree | None, params: Tree | None, origin: Origin, absent: Origin
) -> Setting[int]:
    if rule is None:
        return Setting(0, "no `pull_request` rule", absent)
    count = params.get("required_approving_review_count") if params is not None else None
    number = (count.number() if count is not None else None) or 0
    at = origin.at_position(child_at(params, "required_approving_review_count") or rule.at)
    return Setting(
        number, f"`pull_request` rule with `required_approving_review_count: {number}`", at
    )


def _ruleset_status_checks(rule: Tree | None, absent: Origin) -> Setting[tuple[str, ...]]:
    if rule is None:
        return Setting((), "no `required_status_checks` rule", absent)
    params = rule.get("parameters")
    names = tuple(
        dict.fromkeys(n for n in map(_context, _items(params, "required_status_checks")) if n)
    )
    text = _checks_text("a `required_status_checks` rule", names)
    return Setting(names, text, absent.at_position(rule.at))


def targets_branch(conditions: Tree | None, branch: str, *, is_default: bool) -> bool:
    """Whether `conditions.ref_name` includes the branch and does not exclude it.
    `~DEFAULT_BRANCH` and `~ALL` are GitHub's; `*` stays within a `/` segment, `**` does not."""
    ref_name = conditions.get("ref_name") if conditions is not None else None
    include = [item.text() or "" for item in _items(ref_name, "include")]
    exclude = [item.text() or "" for item in _items(ref_name, "exclude")]
    return any(_ref_matches(p, branch, is_default) for p in include) and not any(
        _ref_matches(p, branch, is_default) for p in exclude
    )


def _ref_matches(pattern: str, branch: str, is_default: bool) -> bool:
    if pattern == "~ALL":
        return True
    if pattern == "~DEFAULT_BRANCH":
        return is_default
    ref = f"refs/heads/{branch}" if pattern.startswith("refs/") else branch
    return single(_branch_glob(pattern)).matches_any(ref)


@lru_cache(maxsize=256)
def _branch_glob(pattern: str) -> Glob:
    """fnmatch as GitHub applies it to ref names: `**` crosses `/`, `*` and `?` do not."""
    tokens: list[Token] = []
    for part in re.split(r"(\*\*|\*|\?)", pattern):
        kind = {"**": ANY, "*": STAR, "?": ONE}.get(part)
        tokens += [Token(kind)] if kind else literal_tokens(part)
    return Glob(tuple(tokens))
