"""One way to walk branch-protection settings, whether they are YAML nodes from
`.github/settings.yml` (with positions) or JSON from the GitHub API (without).

The settings file mirrors the API's shapes, so each reader in
`repo_harden.readers.protection` is written once, against `Tree`.
"""

from __future__ import annotations

from collections.abc import Mapping

from yaml.nodes import MappingNode

from repo_harden.core.model import Position
from repo_harden.core.record import record
from repo_harden.readers.yaml import Node, fields, position, scalar, sequence_items

_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
_NULL = frozenset({"", "~", "null", "Null", "NULL"})


@record
class Tree:
    """A mapping, a list or a scalar; `at` is where it starts, when it came from a file."""

    value: object
    at: Position | None

    def get(self, key: str) -> Tree | None:
        """The value under `key` of a mapping; None when absent or when this is no mapping."""
        if isinstance(self.value, Mapping):
            child = self.value.get(key)
            return None if child is None else _wrap(child)
        if isinstance(self.value, Node):
            node = fields(self.value).get(key)
            return None if node is None else from_yaml(node)
        return None

    def items(self) -> list[Tree]:
        """The elements of a list; [] for anything else."""
        if isinstance(self.value, list):
            return [_wrap(item) for item in self.value]
        if isinstance(self.value, Node):
            return [from_yaml(node) for node in sequence_items(self.value)]
        return []

    def text(self) -> str | None:
        """A scalar as text (`true`, `2`, `main`); None for null, a mapping or a list."""
        value = self.value
        if isinstance(value, Node):
            found = scalar(value)
            return None if found is None or found.value in _NULL else found.value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float | str):
            return str(value)
        return None

    def is_mapping(self) -> bool:
        return isinstance(self.value, Mapping | MappingNode)

    def flag(self) -> bool | None:
        """A boolean, written `true` or as the API's `{enabled: true}`; None if neither."""
        enabled = self.get("enabled") if self.is_mapping() else self
        text = enabled.text() if enabled is not None else None
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        return None

    def number(self) -> int | None:
        text = self.text()
        return int(text) if text is not None and text.isdecimal() else None


def from_yaml(node: Node) -> Tree:
    return Tree(node, position(node))


def from_json(value: object) -> Tree:
    return _wrap(value)


def _wrap(value: object) -> Tree:
    return Tree(value, None)


def child_flag(tree: Tree | None, key: str) -> bool | None:
    child = tree.get(key) if tree is not None else None
    return child.flag() if child is not None else None


def child_at(tree: Tree | None, key: str) -> Position | None:
    """Where `key` is written, or else where its parent is: the place a finding points at."""
    if tree is None:
        return None
    child = tree.get(key)
    return child.at if child is not None and child.at is not None else tree.at
