"""The core model every layer shares: rules, findings, snapshots and checks."""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from repo_harden.core.branch_policy import BranchPolicy
    from repo_harden.core.branch_requirements import BranchRequirements
    from repo_harden.core.parsed import ParsedFiles
    from repo_harden.readers.codeowners import ReportedError


class Severity(enum.Enum):
    """How bad a finding is; ordered so that ERROR > WARNING > NOTE."""

    NOTE = "note"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.NOTE: 1, Severity.WARNING: 2, Severity.ERROR: 3}


@dataclass(frozen=True)
class Rule:
    """A rule of the catalogue. Its documentation is the docstring it was declared with."""

    code: str
    name: str
    severity: Severity
    summary: str
    doc: str
    online: bool = False


@dataclass(frozen=True)
class Finding:
    """One problem at one place. `path` is "" for repository-level findings."""

    rule: str
    path: str
    line: int | None
    column: int | None
    message: str
    fingerprint: str


def fingerprint(rule: str, path: str, subject: str) -> str:
    """A fingerprint that survives moved lines: it hashes what is wrong, not where."""
    import hashlib  # loads OpenSSL: only when there is a finding

    digest = hashlib.sha256(f"{rule}\0{path}\0{subject}".encode()).hexdigest()
    return digest[:32]


@dataclass(frozen=True)
class PackageVersion:
    """A Python package, by its normalized name, at one exact version."""

    name: str
    version: str


@dataclass(frozen=True)
class Advisory:
    """A known vulnerability: its id, the other ids it is known by, and the versions that
    fix it (ascending; none when no release fixes it)."""

    id: str
    aliases: tuple[str, ...]
    fixed_in: tuple[str, ...]
    summary: str


class AdvisoryError(Exception):
    """The vulnerability source could not answer; the message says why, in one line."""


class AdvisorySource(Protocol):
    """Where the known vulnerabilities of package versions come from (LCK006)."""

    def advisories(
        self, packages: Collection[PackageVersion]
    ) -> Mapping[PackageVersion, tuple[Advisory, ...]]:
        """The advisories that affect each package version, all asked at once so that a
        source can batch them and ask once for each distinct version; a version with none
        maps to (). Raises `AdvisoryError` when the source cannot answer."""
        ...


@dataclass(frozen=True)
class RepoSettings:
    """What only the network knows, read online. `branch_protection` is the live
    protection of the default branch (None: not read); `advisories` looks up known
    vulnerabilities (None: offline, LCK006 finds nothing)."""

    default_branch: str | None = None
    branch_protection: BranchPolicy | None = None
    codeowners_errors: tuple[ReportedError, ...] | None = None  # None: not read
    # A service, not a fact about the repository: left out of repr and comparisons, so
    # that settings read twice still compare (and print) the same.
    advisories: AdvisorySource | None = field(default=None, repr=False, compare=False)


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


@dataclass(frozen=True)
class Position:
    """A 1-based line and column."""

    line: int
    column: int


class CheckContext:
    """What a check sees: the snapshot, its options, the files it may report on."""

    def __init__(
        self,
        rule: Rule,
        snapshot: RepoSnapshot,
        files: Sequence[str],
        options: Mapping[str, object],
        parsed: ParsedFiles,
        *,
        branch_requirements: BranchRequirements | None = None,
    ) -> None:
        self.rule = rule
        self.snapshot = snapshot
        self.files = files
        self.options = options
        self.parsed = parsed
        self.branch_requirements = branch_requirements  # the config's [branch-protection]

    def finding(self, path: str, at: Position | None, message: str, subject: str) -> Finding:
        """A finding of this check's rule; `subject` is the offending text, for the fingerprint."""
        return Finding(
            rule=self.rule.code,
            path=path,
            line=at.line if at else None,
            column=at.column if at else None,
            message=message,
            fingerprint=fingerprint(self.rule.code, path, subject),
        )

    def string_list_option(self, key: str) -> tuple[str, ...]:
        """An option that must be a list of strings (validated when the config is loaded)."""
        value = self.options.get(key, ())
        if isinstance(value, list | tuple):
            return tuple(str(item) for item in value)
        return ()


CheckFunction = Callable[[CheckContext], Iterator[Finding]]


@dataclass(frozen=True)
class OptionSpec:
    """A per-rule option a check accepts in the config, with its help text."""

    key: str
    help: str
    kind: type = list


@dataclass(frozen=True)
class Check:
    """One rule and the function that finds it.

    `patterns` are the globs of repository paths the check reads: the engine hands
    it only those files, and the GitHub source fetches only those. A check with
    `repository_level` runs on a whole scan even when no file matches (it may report
    that one is missing, with `path` ""); in a hook, only when a committed file matches.
    """

    rule: Rule
    run: CheckFunction
    patterns: tuple[str, ...]
    needs_settings: bool = False
    repository_level: bool = False
    options: tuple[OptionSpec, ...] = field(default=())
