"""A repository's GitHub Actions settings, as far as the token could read them: what its
workflows' token gets by default, whether workflows may approve pull requests, which
actions may run, and whether fork pull requests wait for approval.

Each setting is `Known` (its value and where it was read: the repository's own settings,
or its organization's, which bind every repository below) or absent. What could not be
read is an `ActionsUnknown`, with the permission that was missing: never taken for a
safe or an unsafe value.
"""

from __future__ import annotations

from typing import Generic, Literal, TypeVar

from repo_harden.core.record import record

T = TypeVar("T")

Field = Literal["default_permissions", "approve_pull_requests", "allowed_actions", "forks"]

# GitHub's fork pull request approval policies, from the least strict to the most.
NEW_TO_GITHUB = "first_time_contributors_new_to_github"
FIRST_TIME = "first_time_contributors"
ALL_EXTERNAL = "all_external_contributors"


@record
class Known(Generic[T]):
    """A setting's value, and who set it: `the repository` or `the organization acme`."""

    value: T
    source: str


@record
class PrivateForks:
    """Workflows on pull requests from forks of a private repository."""

    run: bool
    require_approval: bool
    write_tokens: bool
    secrets: bool


@record
class ActionsUnknown:
    """A setting the token could not read, why, and the permission that would read it."""

    field: Field
    what: str
    reason: str
    permission: str

    def describe(self) -> str:
        return f"{self.what} could not be read ({self.reason}): it needs {self.permission}"


@record
class ActionsSettings:
    """`enabled` False: Actions is off for the repository, and nothing else matters.
    `allows_every_pattern`: the allow-list of `selected` actions holds a `*` that lets any
    action through. `sha_pinning_required` is None where GitHub does not offer the policy."""

    enabled: Known[bool] | None = None
    default_permissions: Known[str] | None = None  # "read" or "write"
    approve_pull_requests: Known[bool] | None = None
    allowed_actions: Known[str] | None = None  # "all", "local_only" or "selected"
    allows_every_pattern: Known[bool] | None = None
    sha_pinning_required: Known[bool] | None = None
    fork_approval: Known[str] | None = None  # public repositories: the approval policy
    private_forks: Known[PrivateForks] | None = None  # private repositories
    unknown: tuple[ActionsUnknown, ...] = ()

    @property
    def disabled(self) -> bool:
        return self.enabled is not None and not self.enabled.value

    def gaps(self, field: Field) -> tuple[ActionsUnknown, ...]:
        return tuple(gap for gap in self.unknown if gap.field == field)
