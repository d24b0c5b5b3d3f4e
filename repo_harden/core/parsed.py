"""Parsed files, shared by every check of one run: each file is read and parsed once.

A file that cannot be read or parsed is remembered as a problem; the engine
reports each one once, as RH000.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from repo_harden.core.lazy import lazy_import
from repo_harden.core.model import Position, RepoSnapshot
from repo_harden.readers.workflows import (
    ActionMetadata,
    NotAWorkflowError,
    Workflow,
    read_action,
    read_workflow,
)
from repo_harden.readers.yaml import Node, YamlError, compose, position

if TYPE_CHECKING:
    from repo_harden.readers import codeowners as codeowners_parser
    from repo_harden.readers import documents
else:
    codeowners_parser = lazy_import("repo_harden.readers.codeowners")
    documents = lazy_import("repo_harden.readers.documents")

if TYPE_CHECKING:
    from repo_harden.readers.requirements import RequirementsFile

T = TypeVar("T")


@dataclass(frozen=True)
class FileProblem:
    """Why a file a check needed could not be used."""

    message: str
    at: Position | None


class ParseCache:
    def __init__(self, snapshot: RepoSnapshot) -> None:
        self.snapshot = snapshot
        self.problems: dict[str, FileProblem] = {}
        self._memo: dict[tuple[str, str], object] = {}

    def text(self, path: str) -> str | None:
        """The file's text, or None; an unreadable file is recorded as a problem."""
        text = self.snapshot.read_text(path)
        if text is None:
            reason = self.snapshot.unreadable_reason(path)
            if reason is not None:
                self.problems.setdefault(path, FileProblem(f"not checked: {reason}", None))
        return text

    def yaml(self, path: str) -> Node | None:
        return self._cached("yaml", path, self._compose)

    def workflow(self, path: str) -> Workflow | None:
        return self._cached("workflow", path, lambda p: self._shape(p, read_workflow))

    def action(self, path: str) -> ActionMetadata | None:
        return self._cached("action", path, lambda p: self._shape(p, read_action))

    def codeowners(self, path: str) -> codeowners_parser.CodeownersFile | None:
        """A CODEOWNERS file, parsed once for OWN001-OWN003; None when absent or unreadable."""
        return self._cached(
            "codeowners", path, lambda p: codeowners_parser.read_codeowners(p, self.text(p))
        )

    def json(self, path: str) -> documents.JsonDocument | None:
        """A JSON manifest or lockfile; invalid JSON is a problem (RH000)."""
        return self._cached("json", path, lambda p: self._document(p, documents.read_json))

    def toml(self, path: str) -> documents.TomlDocument | None:
        """A TOML manifest, lockfile or config; invalid TOML is a problem (RH000)."""
        return self._cached("toml", path, lambda p: self._document(p, documents.read_toml))

    def requirements(self, path: str) -> RequirementsFile | None:
        """A pip requirements or constraints file; its first bad line is a problem (RH000)."""
        return self._cached("requirements", path, self._requirements)

    def shaped(self, kind: str, path: str, read: Callable[[str], T | None]) -> T | None:
        """What `read(path)` makes of a file, once per run (`kind` names the reading); a
        `DocumentError` it raises (a lockfile of the wrong shape) is a problem (RH000)."""
        return self._cached(kind, path, lambda p: self._guarded(p, read))

    def _cached(self, kind: str, path: str, parse: Callable[[str], T | None]) -> T | None:
        key = (kind, path)
        if key not in self._memo:
            self._memo[key] = parse(path)
        return self._memo[key]  # type: ignore[return-value]

    def _compose(self, path: str) -> Node | None:
        text = self.text(path)
        if text is None:
            return None
        try:
            return compose(text)
        except YamlError as error:
            self.problems.setdefault(
                path, FileProblem(f"invalid YAML: {error.message}", error.position)
            )
            return None

    def _document(self, path: str, parse: Callable[[str], T]) -> T | None:
        text = self.text(path)
        return None if text is None else self._guarded(path, lambda _: parse(text))

    def _guarded(self, path: str, read: Callable[[str], T | None]) -> T | None:
        try:
            return read(path)
        except documents.DocumentError as error:
            self.problems.setdefault(path, FileProblem(error.message, error.position))
            return None

    def _requirements(self, path: str) -> RequirementsFile | None:
        from repo_harden.readers.requirements import read_requirements

        text = self.text(path)
        if text is None:
            return None
        parsed = read_requirements(path, text)
        if parsed.errors:
            first = parsed.errors[0]
            self.problems.setdefault(path, FileProblem(first.message, first.at))
        return parsed

    def _shape(self, path: str, read: Callable[[Node | None], T]) -> T | None:
        root = self.yaml(path)
        if root is None:
            return None
        try:
            return read(root)
        except NotAWorkflowError as error:
            self.problems.setdefault(path, FileProblem(str(error), position(root)))
            return None
