"""JSON as `json.dumps(document, indent=2)` writes it, given out piece by piece: the one long
list of a report (its findings) is encoded an item at a time, as its items come, so neither
the list nor the whole text is ever in memory (an org audit's report is tens of MB)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
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
        encoded = json.dumps(item, indent=INDENT).replace("\n", inner)
        yield ("," if opened else "[") + inner + encoded
        opened = True
    yield ("\n" + " " * depth + "]") if opened else "[]"
    yield text[at + len(marker) :]
