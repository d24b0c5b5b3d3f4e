"""JSON as `json.dumps(document, indent=2)` writes it, given out piece by piece: the one long
list of a report (its findings) is encoded an item at a time, as its items come, so neither
the list nor the whole text is ever in memory (an org audit's report is tens of MB)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from json.encoder import encode_basestring_ascii as _text  # the C encoder of a string
from typing import Any

INDENT = 2


def slot() -> str:
    """A value to put in a document where the streamed list goes: no text of a repository
    can hold it (a new random one each time)."""
    return f"repo-harden-slot-{os.urandom(16).hex()}"


def indented_json(document: Any, where: str, items: Iterable[Any]) -> Iterator[str]:
    """The pieces of `json.dumps(document, indent=2)`, where the value `where` (a `slot()`)
    stands for the list of `items`. An item nested in an indented list is written as on its
    own, each line shifted right: JSON text never holds a line break inside a string."""
    text = json.dumps(document, indent=INDENT)
    marker = json.dumps(where)
    at = text.index(marker)
    line = text[text.rfind("\n", 0, at) + 1 : at]
    depth = len(line) - len(line.lstrip(" "))
    yield text[:at]
    inner = "\n" + " " * (depth + INDENT)
    opened = False
    for item in items:
        encoded = indented(item).replace("\n", inner)
        yield ("," if opened else "[") + inner + encoded
        opened = True
    yield ("\n" + " " * depth + "]") if opened else "[]"
    yield text[at + len(marker) :]


_FLAT_VALUES = (str, int, bool, type(None))


def indented(value: Any) -> str:
    """`json.dumps(value, indent=2)`. A flat object of text, integers, booleans and nulls
    (a finding) is written here, each value by the C encoder: the indenting encoder runs in
    Python, and was a tenth of a JSON scan's own work."""
    if (
        type(value) is not dict
        or not value
        or not all(type(key) is str for key in value)
        or not all(type(item) in _FLAT_VALUES for item in value.values())
    ):
        return json.dumps(value, indent=INDENT)
    pad = " " * INDENT
    lines = ",\n".join(f"{pad}{_text(key)}: {_flat(item)}" for key, item in value.items())
    return "{\n" + lines + "\n}"


def _flat(value: str | int | bool | None) -> str:
    if isinstance(value, str):
        return _text(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return int.__repr__(value)
