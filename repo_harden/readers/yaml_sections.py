"""Big YAML lockfiles (yarn.lock, pnpm-lock.yaml), composed a section at a time: only the
top-level sections or entries that are compared, never the thousands of others. Positions
stay those of the whole file."""

from __future__ import annotations

import re
from collections.abc import Mapping

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.model import Position
from repo_harden.readers.documents import DocumentError
from repo_harden.readers.yaml import Node, YamlError, compose, fields, mapping_items

_TOP_LEVEL = lazy_compile(r"^([A-Za-z_'\"][^:\n]*):", re.MULTILINE)


def top_level_sections(text: str) -> dict[str, tuple[int, int]]:
    """The text span of each top-level key of a block-style YAML document."""
    starts = [(m.group(1).strip("'\""), m.start()) for m in _TOP_LEVEL.finditer(text)]
    spans = {}
    for index, (name, start) in enumerate(starts):
        end = starts[index + 1][1] if index + 1 < len(starts) else len(text)
        spans[name] = (start, end)
    return spans


def compose_section(sections: Mapping[str, tuple[int, int]], name: str, text: str) -> Node | None:
    """The value of the top-level key `name`, composed from its span alone."""
    if name not in sections:
        return None
    start, end = sections[name]
    return fields(compose_slice(text[start:end], text, start)).get(name)


def compose_block(block: str, text: str, start: int) -> Node | None:
    """The value of the one mapping entry `block` holds (it starts at `start` in `text`)."""
    document = compose_slice(block, text, start)
    items = mapping_items(document)
    return items[0][1] if items else None


def compose_slice(block: str, text: str, start: int) -> Node | None:
    """Compose a slice of a document; errors are reported at their line in the whole."""
    try:
        return compose(block)
    except YamlError as error:
        offset_line = text.count("\n", 0, start)
        at = error.position
        where = Position(at.line + offset_line, at.column) if at else None
        raise DocumentError(f"invalid YAML: {error.message}", where) from None
