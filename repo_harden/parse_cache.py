"""Parsed files, shared by every check of one run: each file is read and parsed once.

A file that cannot be read or parsed is remembered as a problem; the engine
reports each one once, as RH000.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from repo_harden.codeowners import CodeownersFile, read_codeowners
from repo_harden.model import Position, RepoSnapshot
from repo_harden.workflows import (
    ActionMetadata,
    NotAWorkflowError,
    Workflow,
    read_action,
    read_workflow,
)
from repo_harden.yaml_reader import Node, YamlError, compose, position

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

    def codeowners(self, path: str) -> CodeownersFile | None:
        """A CODEOWNERS file, parsed once for OWN001-OWN003; None when absent or unreadable."""
        return self._cached("codeowners", path, lambda p: read_codeowners(p, self.text(p)))

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

    def _shape(self, path: str, read: Callable[[Node | None], T]) -> T | None:
        root = self.yaml(path)
        if root is None:
            return None
        try:
            return read(root)
        except NotAWorkflowError as error:
            self.problems.setdefault(path, FileProblem(str(error), position(root)))
            return None
