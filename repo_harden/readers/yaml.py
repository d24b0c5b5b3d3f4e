"""The one YAML reader: PyYAML's C composer (libyaml), with a position on every node.

It composes nodes and never constructs Python objects, so aliases stay shared
nodes and an alias bomb costs no more than its text. Callers walk the nodes
through the small typed helpers below and turn them into dataclasses.
"""

from __future__ import annotations

from typing import Protocol

from yaml._yaml import CParser  # libyaml, the C extension
from yaml.error import MarkedYAMLError, YAMLError
from yaml.events import CollectionEndEvent, CollectionStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

from repo_harden.core.model import Position
from repo_harden.core.parsed import ParsedFiles, ParseError, Reading
from repo_harden.core.record import record

__all__ = [
    "YAML",
    "Node",
    "Scalar",
    "YamlError",
    "compose",
    "fields",
    "mapping_get",
    "mapping_items",
    "scalar",
]


class YamlError(ParseError):
    """The text is not YAML; `position` is where the parser gave up, when it knows."""


@record
class Scalar:
    """A scalar's text and where it starts."""

    value: str
    at: Position


class _UntypedLoader(CParser):
    """The C composer without implicit tag resolution: every scalar stays text, which is
    all the checks read, and resolving tags in Python was a third of the parse time. Only
    the parser: a loader's constructor and resolver, which a composer never calls once
    `resolve` is ours, took a tenth of the parse time to set up for each file. (PyYAML's
    composer makes its nodes in half the time ruamel.yaml's did: 10 against 20 ms for the
    175 starter workflows.)"""

    def resolve(self, kind: type[Node], value: object, implicit: object) -> str:
        return _DEFAULT_TAGS[kind]

    def descend_resolver(self, current_node: object, current_index: object) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass


_DEFAULT_TAGS = {
    ScalarNode: "tag:yaml.org,2002:str",
    SequenceNode: "tag:yaml.org,2002:seq",
    MappingNode: "tag:yaml.org,2002:map",
}


# The C composer recurses once per level of nesting: about 30,000 levels of `[` overflow
# the C stack of the main thread (a segfault, not an exception), and far fewer do on a
# thread's smaller stack. No real workflow nests more than a few dozen levels.
MAX_DEPTH = 500
# Every collection starts at one of these characters, so the text cannot nest deeper than
# it holds them: most files are cleared by counting, without a second parse.
_COLLECTION_STARTS = "[{-?:"


def compose(text: str) -> Node | None:
    """Compose one YAML document; None for an empty one."""
    if sum(map(text.count, _COLLECTION_STARTS)) > MAX_DEPTH:
        _check_depth(text)
    try:
        loader = _UntypedLoader(text)
    except UnicodeError as error:  # a lone surrogate, from a source that decodes leniently
        raise YamlError(f"not valid Unicode text: {error}", None) from None
    try:
        node: Node | None = loader.get_single_node()
    except MarkedYAMLError as error:
        raise YamlError(_describe(error), _mark_position(error)) from None
    except ReaderError as error:
        raise YamlError(_describe_reader(error), _offset_position(text, error.position)) from None
    except (YAMLError, ValueError) as error:
        raise YamlError(str(error).strip() or type(error).__name__, None) from None
    finally:
        loader.dispose()
    return node


def _read_yaml(parsed: ParsedFiles, path: str) -> Node | None:
    text = parsed.text(path)
    if text is None:
        return None
    try:
        return compose(text)
    except YamlError as error:
        raise ParseError(f"invalid YAML: {error.message}", error.position) from None


YAML = Reading("yaml", _read_yaml)
"""Any YAML file, composed into nodes with positions."""


def _check_depth(text: str) -> None:
    """Raise YamlError where collections nest deeper than MAX_DEPTH. Reads parser events only:
    libyaml keeps its own stack, and the pass stops at the first level too deep."""
    loader = _UntypedLoader(text)
    depth = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise _too_deep(event.start_mark)
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    except MarkedYAMLError as error:
        if error.problem == _LIBYAML_TOO_DEEP:
            # libyaml's scanner reads ahead through flow collections, and stops at its own
            # limit (1,000 levels) before the events get this deep
            raise _too_deep(error.problem_mark) from None
        return  # a syntax error comes first: composing reports it, no deeper than here
    except (YAMLError, ValueError):
        return
    finally:
        loader.dispose()


_LIBYAML_TOO_DEEP = "exceeded maximum nesting depth"


class _Mark(Protocol):
    """Where libyaml is in the text (0-based), whichever of PyYAML's two kinds of mark."""

    line: int
    column: int


def _too_deep(mark: _Mark | None) -> YamlError:
    message = f"collections nested more than {MAX_DEPTH} levels deep"
    return YamlError(message, Position(mark.line + 1, mark.column + 1) if mark else None)


def _describe(error: MarkedYAMLError) -> str:
    parts = [error.context, error.problem]
    return ", ".join(part for part in parts if part) or "invalid YAML"


def _describe_reader(error: ReaderError) -> str:
    """One line, without the `in "<unicode string>", position N` that str() appends."""
    character = error.character
    code = ord(character) if isinstance(character, bytes | str) else int(character)
    return f"unacceptable character U+{code:04X}: {error.reason}"


def _offset_position(text: str, offset: object) -> Position | None:
    """The line and column of a reader error, which libyaml gives as a UTF-8 byte offset."""
    if not isinstance(offset, int):
        return None
    before = text.encode("utf-8", "surrogatepass")[:offset].decode("utf-8", "ignore")
    line_start = before.rfind("\n") + 1
    return Position(before.count("\n") + 1, len(before) - line_start + 1)


def _mark_position(error: MarkedYAMLError) -> Position | None:
    mark = error.problem_mark or error.context_mark
    return Position(mark.line + 1, mark.column + 1) if mark is not None else None


def comment_starts(text: str) -> set[tuple[int, int]] | None:
    """The (line, column), 1-based, of each line's YAML comment: the first `#` at the
    start of a line or after a blank, and not inside a scalar (a quoted string, a block
    scalar's text). None when the text is not YAML. Every node is visited once, aliases
    included, so the cost is linear in the text."""
    try:
        root = compose(text)
    except YamlError:
        return None
    inside: list[tuple[tuple[int, int], tuple[int, int]]] = []
    pending, seen = [root] if root is not None else [], set()
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, ScalarNode):
            start, end = node.start_mark, node.end_mark
            first = (start.line + 1, 0) if node.style in ("|", ">") else (start.line, start.column)
            inside.append((first, (end.line, end.column)))
        elif isinstance(node, MappingNode):
            pending.extend(part for pair in node.value for part in pair)
        elif isinstance(node, SequenceNode):
            pending.extend(node.value)
    inside.sort()
    found = set()
    for number, line in enumerate(text.splitlines()):
        column = line.find("#")
        while column >= 0:
            blank_before = column == 0 or line[column - 1] in " \t"
            if blank_before and not _within(inside, (number, column)):
                found.add((number + 1, column + 1))
                break  # the rest of the line is the comment
            column = line.find("#", column + 1)
    return found


def _within(spans: list[tuple[tuple[int, int], tuple[int, int]]], at: tuple[int, int]) -> bool:
    """Scalars never overlap: only the last one that starts at or before `at` can hold it."""
    from bisect import bisect_right

    index = bisect_right(spans, (at, (1 << 62, 0)))
    return index > 0 and spans[index - 1][0] <= at < spans[index - 1][1]


def position(node: Node) -> Position:
    mark = node.start_mark
    return Position(mark.line + 1, mark.column + 1)


def scalar(node: Node | None) -> Scalar | None:
    """The node as a scalar, or None if it is absent or a collection."""
    if isinstance(node, ScalarNode) and isinstance(node.value, str):
        return Scalar(node.value, position(node))
    return None


def mapping_items(node: Node | None) -> list[tuple[Scalar, Node]]:
    """The scalar-keyed entries of a mapping; [] for anything else."""
    if not isinstance(node, MappingNode):
        return []
    items = []
    for key_node, value_node in node.value:
        key = scalar(key_node)
        if key is not None:
            items.append((key, value_node))
    return items


def mapping_get(node: Node | None, key: str) -> Node | None:
    """The value under `key` (the last one wins), or None. For many keys, use `fields`."""
    return fields(node).get(key)


def fields(node: Node | None) -> dict[str, Node]:
    """A mapping's values by key text, read in one pass (the last duplicate wins)."""
    if not isinstance(node, MappingNode):
        return {}
    return {
        key.value: value
        for key, value in node.value
        if isinstance(key, ScalarNode) and isinstance(key.value, str)
    }


def sequence_items(node: Node | None) -> list[Node]:
    return list(node.value) if isinstance(node, SequenceNode) else []


def is_mapping(node: Node | None) -> bool:
    return isinstance(node, MappingNode)
