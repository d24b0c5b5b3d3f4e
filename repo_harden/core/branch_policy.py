"""Branch protection, normalized: one `BranchPolicy` for a branch, whatever it came from.

Classic protection, each ruleset and the declared `.github/settings.yml` are each read
into a `ProtectionSource` (see `repo_harden.readers.protection`). A `BranchPolicy`
combines the sources that cover the branch the way GitHub does, the strictest wins, and
keeps for every setting the source that decides it, so that a message can say where a
value came from. What could not be read is a `ProtectionUnknown`, with the permission
that was missing: never the same as "unprotected".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Generic, Literal, TypeVar

from repo_harden.core.model import Position
from repo_harden.core.record import record

T = TypeVar("T", bool, int, tuple[str, ...])

CLASSIC = "classic"
RULESET = "ruleset"

Scope = Literal["protection", "bypass-actors"]

# The ids GitHub gives the built-in repository roles in ruleset bypass lists.
REPOSITORY_ROLES = {"1": "read", "2": "maintain", "3": "triage", "4": "write", "5": "admin"}


@record
class Origin:
    """Where a setting came from: classic protection or a ruleset (by name), live or declared
    in a settings file (`path`, with the position of the setting)."""

    kind: Literal["classic", "ruleset"]
    ruleset: str | None = None
    path: str | None = None
    at: Position | None = None

    def describe(self) -> str:
        """The source by name; a declared one's file is where its findings are."""
        return "classic branch protection" if self.kind == CLASSIC else f"ruleset `{self.ruleset}`"

    def at_position(self, at: Position | None) -> Origin:
        return Origin(self.kind, self.ruleset, self.path, at or self.at)


@record
class Setting(Generic[T]):
    """One setting of one source: its value, the way the source writes it (`text`), and
    where it is."""

    value: T
    text: str
    origin: Origin

    def describe(self) -> str:
        return f"{self.text} in {self.origin.describe()}"


@record
class BypassActor:
    """Who may bypass a ruleset (or, in classic protection, its pull-request rule).

    `actor_type` is GitHub's: OrganizationAdmin, RepositoryRole, Team, Integration,
    DeployKey, User. `actor_id` is the id a ruleset gives, `name` the login or slug
    classic protection gives."""

    actor_type: str
    actor_id: str | None
    name: str | None
    bypass_mode: str
    origin: Origin

    def label(self) -> str:
        ident = self.name or self.actor_id
        if self.actor_type == "RepositoryRole" and self.actor_id in REPOSITORY_ROLES:
            return f"RepositoryRole {self.actor_id} ({REPOSITORY_ROLES[self.actor_id]})"
        return f"{self.actor_type} {ident}" if ident else self.actor_type

    def allowed_by(self, entries: Iterable[str]) -> bool:
        """Whether an allowlist entry (`OrganizationAdmin`, `Team:234`, `RepositoryRole:admin`,
        `User:octocat`) names this actor."""
        names = {self.actor_id, self.name, REPOSITORY_ROLES.get(self.actor_id or "")} - {None}
        for entry in entries:
            kind, _, ident = entry.partition(":")
            if kind.strip().lower() != self.actor_type.lower():
                continue
            if not ident.strip() or ident.strip().lower() in {n.lower() for n in names if n}:
                return True
        return False


@record
class ProtectionSource:
    """What one source says about the branch. Booleans are True when strict."""

    origin: Origin
    pull_request: Setting[bool]
    approvals: Setting[int]
    code_owner_review: Setting[bool]
    dismiss_stale_reviews: Setting[bool]
    last_push_approval: Setting[bool]
    blocks_force_pushes: Setting[bool]
    blocks_deletion: Setting[bool]
    status_checks: Setting[tuple[str, ...]]
    signed_commits: Setting[bool]
    enforce_admins: Setting[bool] | None = None  # classic protection only
    bypass_actors: tuple[BypassActor, ...] | None = ()  # None: could not be read
    enforcement: str = "active"  # a ruleset's: active, evaluate or disabled

    @property
    def active(self) -> bool:
        return self.enforcement == "active"


@record
class ProtectionUnknown:
    """Something that could not be read, and the permission the token lacks.

    `scope` "protection" means the branch's protection as a whole cannot be judged;
    "bypass-actors" that only a ruleset's bypass list is hidden."""

    what: str
    reason: str
    permission: str
    scope: Scope = "protection"

    def describe(self) -> str:
        return f"{self.what} could not be read ({self.reason}): it needs {self.permission}"


@record
class Combined(Generic[T]):
    """A setting of the whole policy: the strictest value, and the settings that decide it
    (the strictest source; every source when none is strict)."""

    value: T
    deciding: tuple[Setting[T], ...]

    def describe(self) -> str:
        if not self.deciding:
            return "no classic protection or active ruleset sets it"
        return "; ".join(setting.describe() for setting in self.deciding)

    @property
    def at(self) -> Position | None:
        return self.deciding[0].origin.at if self.deciding else None


@record
class BranchPolicy:
    """The protection of one branch. `sources` are classic protection and the active
    rulesets that cover it; `inactive` the rulesets that target it in evaluate or disabled
    mode, which protect nothing; `unknown` what could not be read."""

    branch: str
    sources: tuple[ProtectionSource, ...] = ()
    inactive: tuple[ProtectionSource, ...] = ()
    unknown: tuple[ProtectionUnknown, ...] = ()

    @property
    def judgeable(self) -> bool:
        """Whether protection can be judged: nothing that could add protection is unknown."""
        return not any(gap.scope == "protection" for gap in self.unknown)

    @property
    def protected(self) -> bool:
        return bool(self.sources)

    @property
    def classic(self) -> ProtectionSource | None:
        return next((s for s in self.sources if s.origin.kind == CLASSIC), None)

    @property
    def pull_request(self) -> Combined[bool]:
        return _strictest(self.sources, lambda s: s.pull_request, False)

    @property
    def approvals(self) -> Combined[int]:
        return _strictest(self.sources, lambda s: s.approvals, 0)

    @property
    def code_owner_review(self) -> Combined[bool]:
        return _strictest(self.sources, lambda s: s.code_owner_review, False)

    @property
    def dismiss_stale_reviews(self) -> Combined[bool]:
        return _strictest(self.sources, lambda s: s.dismiss_stale_reviews, False)

    @property
    def last_push_approval(self) -> Combined[bool]:
        return _strictest(self.sources, lambda s: s.last_push_approval, False)

    @property
    def blocks_force_pushes(self) -> Combined[bool]:
        return _strictest(self.sources, lambda s: s.blocks_force_pushes, False)

    @property
    def blocks_deletion(self) -> Combined[bool]:
        return _strictest(self.sources, lambda s: s.blocks_deletion, False)

    @property
    def signed_commits(self) -> Combined[bool]:
        return _strictest(self.sources, lambda s: s.signed_commits, False)

    @property
    def status_checks(self) -> Combined[tuple[str, ...]]:
        """Every required check of every source: GitHub requires them all."""
        settings = tuple(s.status_checks for s in self.sources)
        names = tuple(dict.fromkeys(name for s in settings for name in s.value))
        deciding = tuple(s for s in settings if s.value) or settings
        return Combined(names, deciding)

    @property
    def bypass_actors(self) -> tuple[BypassActor, ...]:
        return tuple(a for s in self.sources for a in s.bypass_actors or ())


def _strictest(
    sources: Iterable[ProtectionSource], pick: Callable[[ProtectionSource], Setting[T]], weakest: T
) -> Combined[T]:
    settings = tuple(pick(source) for source in sources)
    if not settings:
        return Combined(weakest, ())
    best = max(settings, key=lambda setting: setting.value)
    return Combined(best.value, (best,) if best.value else settings)


# Drift: what a settings file declares against what GitHub has, setting by setting.

_Value = bool | int | tuple[str, ...]
_Pick = Callable[[BranchPolicy], "Combined[bool] | Combined[int] | Combined[tuple[str, ...]]"]

COMPARED_SETTINGS: tuple[tuple[str, _Pick], ...] = (
    ("require a pull request", lambda p: p.pull_request),
    ("required approvals", lambda p: p.approvals),
    ("require code-owner review", lambda p: p.code_owner_review),
    ("dismiss stale approvals", lambda p: p.dismiss_stale_reviews),
    ("require approval of the last push", lambda p: p.last_push_approval),
    ("block force pushes", lambda p: p.blocks_force_pushes),
    ("block deletion", lambda p: p.blocks_deletion),
    ("required status checks", lambda p: p.status_checks),
    ("require signed commits", lambda p: p.signed_commits),
)


@record
class Difference:
    """One setting whose live value is not the declared one."""

    setting: str
    declared: str
    live: str
    declared_where: str
    live_where: str
    at: Position | None


def render(value: _Value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, int):
        return str(value)
    return ", ".join(f"`{name}`" for name in value) or "none"


def _same(declared: _Value, live: _Value) -> bool:
    if isinstance(declared, tuple) and isinstance(live, tuple):
        return set(declared) == set(live)
    return declared == live


def differences(declared: BranchPolicy, live: BranchPolicy) -> list[Difference]:
    """Every setting, the admin exemption and the bypass list that differ, plus rulesets the
    file declares that are not live (or not in the same mode)."""
    found = []
    for label, pick in COMPARED_SETTINGS:
        want, have = pick(declared), pick(live)
        if not _same(want.value, have.value):
            found.append(
                Difference(
                    label,
                    render(want.value),
                    render(have.value),
                    want.describe(),
                    have.describe(),
                    want.at,
                )
            )
    found.extend(_admin_difference(declared, live))
    found.extend(_bypass_differences(declared, live))
    found.extend(_ruleset_differences(declared, live))
    return found


def _admin_difference(declared: BranchPolicy, live: BranchPolicy) -> list[Difference]:
    want = declared.classic.enforce_admins if declared.classic else None
    have = live.classic.enforce_admins if live.classic else None
    if want is None or have is None or want.value == have.value:
        return []
    label = "enforce on admins"
    return [
        Difference(
            label,
            render(want.value),
            render(have.value),
            want.describe(),
            have.describe(),
            want.origin.at,
        )
    ]


def _actor_key(actor: BypassActor) -> tuple[str, str, str]:
    return (actor.actor_type, actor.actor_id or actor.name or "", actor.bypass_mode)


def _bypass_differences(declared: BranchPolicy, live: BranchPolicy) -> list[Difference]:
    if any(source.bypass_actors is None for source in live.sources):
        return []  # a hidden bypass list is BP012's, not drift
    want = {_actor_key(a): a for a in declared.bypass_actors}
    have = {_actor_key(a): a for a in live.bypass_actors}
    found = []
    for key in want.keys() - have.keys():
        actor = want[key]
        found.append(
            Difference(
                f"bypass actor {actor.label()}",
                f"may bypass ({actor.bypass_mode})",
                "absent",
                actor.origin.describe(),
                "no live classic protection or active ruleset lists it",
                actor.origin.at,
            )
        )
    for key in have.keys() - want.keys():
        actor = have[key]
        found.append(
            Difference(
                f"bypass actor {actor.label()}",
                "absent",
                f"may bypass ({actor.bypass_mode})",
                "the settings file does not list it",
                actor.origin.describe(),
                None,
            )
        )
    return sorted(found, key=lambda d: d.setting)


def _ruleset_differences(declared: BranchPolicy, live: BranchPolicy) -> list[Difference]:
    if live.unknown:
        return []  # a ruleset whose details were hidden has no name to compare
    live_modes = {
        s.origin.ruleset: s.enforcement for s in (*live.sources, *live.inactive) if s.origin.ruleset
    }
    found = []
    for source in (*declared.sources, *declared.inactive):
        name = source.origin.ruleset
        if (
            source.origin.kind != RULESET
            or name is None
            or live_modes.get(name) == source.enforcement
        ):
            continue
        mode = live_modes.get(name)
        found.append(
            Difference(
                f"ruleset `{name}`",
                source.enforcement,
                mode or "absent",
                source.origin.describe(),
                f"live ruleset `{name}`"
                if mode
                else "no live ruleset of that name targets the branch",
                source.origin.at,
            )
        )
    return found
