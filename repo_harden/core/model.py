"""The values every layer shares: rules, their severities, findings and positions."""

from __future__ import annotations

import enum

from repo_harden.core.digests import sha256_hex
from repo_harden.core.record import record


class Severity(enum.Enum):
    """How bad a finding is; ordered so that ERROR > WARNING > NOTE."""

    NOTE = "note"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.NOTE: 1, Severity.WARNING: 2, Severity.ERROR: 3}


@record
class Rule:
    """A rule of the catalogue. Its documentation is the docstring it was declared with."""

    code: str
    name: str
    severity: Severity
    summary: str
    doc: str
    online: bool = False


@record(slots=True)
class Finding:
    """One problem at one place. `path` is "" for repository-level findings. `severity`
    lowers the rule's for this finding alone (a missing `permissions:` block is a note
    where the repository's default token is read-only); None: the rule's."""

    rule: str
    path: str
    line: int | None
    column: int | None
    message: str
    fingerprint: str
    severity: Severity | None = None


def rule_family(code: str) -> str:
    """A rule's family is its code's letters: `PIN` for PIN001."""
    return code.rstrip("0123456789")


def fingerprint(rule: str, path: str, subject: str) -> str:
    """A fingerprint that survives moved lines: it hashes what is wrong, not where."""
    # surrogateescape: a file name that is not UTF-8 still has a stable fingerprint
    text = f"{rule}\0{path}\0{subject}"
    return sha256_hex(text.encode("utf-8", "surrogateescape"))[:32]


@record
class Position:
    """A 1-based line and column."""

    line: int
    column: int
