"""A repository as the checks see it: its files (`RepoSnapshot`), and what only the network
knows about it (`RepoSettings`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from repo_harden.core.record import field, record

if TYPE_CHECKING:
    from repo_harden.core.actions_settings import ActionsSettings
    from repo_harden.core.advisory import AdvisorySource
    from repo_harden.core.branch_policy import BranchPolicy
    from repo_harden.core.pins import GitRefSource

MAX_FILE_BYTES = 10 * 1024 * 1024  # a larger file is not read (RH000); nor is a larger config


@record
class ReportedError:
    """An error GitHub itself reports for a CODEOWNERS file (GraphQL
    `Repository.codeowners.errors`: unknown owners, owners without write access...).

    The seam for the online source: it fills these, and OWN003 reports each one
    through `reported_error_findings` in `repo_harden.checks.ownership`.
    """

    path: str
    line: int
    column: int
    kind: str
    message: str
    source: str
    suggestion: str | None = None


@record
class RepoSettings:
    """What only the network knows, read online. `branch_protection` is the live
    protection of the default branch (None: not read); `actions` the repository's GitHub
    Actions settings (None: not read); `advisories` looks up known vulnerabilities (None:
    offline, LCK006 finds nothing); `git_refs` looks up the refs and commits that pins
    name (None: offline, PIN003 and PIN004 find nothing)."""

    default_branch: str | None = None
    branch_protection: BranchPolicy | None = None
    codeowners_errors: tuple[ReportedError, ...] | None = None  # None: not read
    actions: ActionsSettings | None = None
    # A service, not a fact about the repository: left out of repr and comparisons, so
    # that settings read twice still compare (and print) the same.
    advisories: AdvisorySource | None = field(default=None, repr=False, compare=False)
    git_refs: GitRefSource | None = field(default=None, repr=False, compare=False)


class RepoSnapshot(Protocol):
    """A read-only view of one repository, local or remote."""

    @property
    def name(self) -> str: ...

    @property
    def settings(self) -> RepoSettings | None: ...

    def paths(self) -> Sequence[str]:
        """Repo-relative POSIX paths of every file."""
        ...

    def read_text(self, path: str) -> str | None:
        """The file's text; None when absent, binary, not UTF-8, too large or unsafe."""
        ...

    def unreadable_reason(self, path: str) -> str | None:
        """Why `read_text` returned None for a file that exists; None if it is absent."""
        ...
