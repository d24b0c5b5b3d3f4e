"""JSON and TOML documents: parsed by the standard library, located in their text lazily.

The standard parsers are fast (a 5 MB `package-lock.json` in tens of milliseconds) but
give no positions. Findings need a line, so a key is looked up in the text only when a
finding needs it, by a scan that stops as soon as it is found.

Values stay `object` here; readers narrow them with the typed accessors at the bottom
and turn them into dataclasses, so no `Any` leaves a parser.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.model import Position
from repo_harden.core.parsed import ParsedFiles, ParseError, Reading
from repo_harden.core.record import field, record


class DocumentError(ParseError):
    """A file is not what its name says: bad syntax, or the wrong shape."""


def position_at(text: str, offset: int) -> Position:
    """The 1-based line and column of a character offset."""
    line_start = text.rfind("\n", 0, offset) + 1
    return Position(text.count("\n", 0, offset) + 1, offset - line_start + 1)


def line_position(text: str, needle: str, start: int = 0) -> Position | None:
    """Where `needle` first occurs at or after `start`, or None."""
    offset = text.find(needle, start)
    return position_at(text, offset) if offset >= 0 else None


# JSON ---------------------------------------------------------------------------------

_JSON_TOKEN = lazy_compile(r'"((?:[^"\\]|\\.)*)"(\s*:)?|[{\[]|[}\]]')


@record
class JsonDocument:
    text: str
    root: object = field(repr=False)

    def locate(self, *keys: str) -> Position | None:
        """Where the key at the end of the path `keys` is written, or None."""
        return locate_json_key(self.text, keys)


def read_json(text: str) -> JsonDocument:
    try:
        return JsonDocument(text, json.loads(text))
    except json.JSONDecodeError as error:
        at = Position(error.lineno, error.colno)
        raise DocumentError(f"invalid JSON: {error.msg}", at) from None
    except RecursionError:
        raise DocumentError("invalid JSON: nested too deeply") from None


def locate_json_key(text: str, keys: Sequence[str]) -> Position | None:
    """Scan tokens, tracking depth, for keys[0] in the root object, keys[1] in its value..."""
    if not keys:
        return None
    depth = found = 0
    for match in _JSON_TOKEN.finditer(text):
        first = text[match.start()]
        if first in "{[":
            depth += 1
        elif first in "}]":
            depth -= 1
            if depth <= found and (found or depth < 0):
                return None
        elif match.group(2) and depth == found + 1 and _json_string(match.group(1)) == keys[found]:
            found += 1
            if found == len(keys):
                return position_at(text, match.start())
    return None


def json_member_keys(text: str, key: str) -> dict[str, Position]:
    """Where each key of the object at the top-level `key` is written, in one scan (a
    lockfile's thousands of `packages` located at the cost of one)."""
    depth, inside = 0, False
    found: dict[str, Position] = {}
    for match in _JSON_TOKEN.finditer(text):
        first = text[match.start()]
        if first in "{[":
            depth += 1
        elif first in "}]":
            depth -= 1
            if inside and depth < 2:
                return found
        elif match.group(2) and depth == 1 and not inside:
            inside = _json_string(match.group(1)) == key
        elif match.group(2) and depth == 2 and inside:
            found.setdefault(_json_string(match.group(1)), position_at(text, match.start()))
    return found


def _json_string(raw: str) -> str:
    if "\\" not in raw:
        return raw
    try:
        value = json.loads(f'"{raw}"')
    except json.JSONDecodeError:
        return raw
    return value if isinstance(value, str) else raw


# TOML ---------------------------------------------------------------------------------

_TOML_HEADER = lazy_compile(r"^\s*\[\[?\s*([^\[\]]+?)\s*\]\]?\s*(?:#.*)?$")
_TOML_KEY = lazy_compile(
    r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+))*)\s*="""
)
_TOML_KEY_PART = lazy_compile(r""""([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+)""")


@record
class TomlDocument:
    text: str
    root: Mapping[str, object] = field(repr=False)

    def locate(self, key_path: Sequence[str], value: str | None = None) -> Position | None:
        """Where the key at `key_path` is assigned (in its table or as a dotted key), or
        with `value`, the line of that string inside the key's (multi-line) array.
        Falls back to the key, then to the table header."""
        return locate_toml_key(self.text, tuple(key_path), value)


def load_toml(text: str) -> dict[str, Any]:
    """`tomllib.loads`, where nesting too deep for the parser's recursion (a hostile file
    of 100,000 `[`) is the same `TOMLDecodeError` as any other invalid TOML."""
    import tomllib

    try:
        return tomllib.loads(text)
    except RecursionError:
        raise tomllib.TOMLDecodeError("nested too deeply") from None


def read_toml(text: str) -> TomlDocument:
    import tomllib

    try:
        return TomlDocument(text, load_toml(text))
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        found = re.search(r"\(at line (\d+), column (\d+)\)", message)
        at = Position(int(found.group(1)), int(found.group(2))) if found else None
        detail = re.sub(r"\s*\(at (?:line \d+, column \d+|end of document)\)", "", message)
        raise DocumentError(f"invalid TOML: {detail}", at) from None


def toml_key_parts(dotted: str) -> tuple[str, ...]:
    return tuple(a or b or c for a, b, c in _TOML_KEY_PART.findall(dotted))


def locate_toml_key(text: str, key_path: tuple[str, ...], value: str | None) -> Position | None:
    table: tuple[str, ...] = ()
    header_at: Position | None = None
    offset = 0
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        start, offset = offset, offset + len(line)
        header = _TOML_HEADER.match(line)
        if header:
            table = toml_key_parts(header.group(1))
            if table == key_path:
                header_at = Position(number, line.index("[") + 1)
            continue
        key = _TOML_KEY.match(line)
        if key is None or table + toml_key_parts(key.group(1)) != key_path:
            continue
        at = Position(number, len(line) - len(line.lstrip()) + 1)
        if value is None:
            return at
        return _string_after(text, start, value) or at
    return header_at


def _string_after(text: str, start: int, value: str) -> Position | None:
    for quoted in (json.dumps(value), f"'{value}'"):
        found = text.find(quoted, start)
        if found >= 0:
            return position_at(text, found)
    return None


# Typed access to parsed values ------------------------------------------------------


def table(value: object, *keys: str) -> Mapping[str, object]:
    """The mapping at `keys` under `value`; {} when anything on the way is not a mapping."""
    current = value
    for key in keys:
        current = current.get(key) if isinstance(current, Mapping) else None
    return current if isinstance(current, Mapping) else {}


def string(value: object) -> str | None:
    return value if isinstance(value, str) else None


def strings(value: object) -> tuple[str, ...]:
    """The strings of a list; () for anything else."""
    if not isinstance(value, list):
        return ()
    return tuple(item for item in value if isinstance(item, str))


def tables(value: object) -> list[Mapping[str, object]]:
    """The mappings of a list (TOML's arrays of tables); [] for anything else."""
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def string_map(value: object) -> dict[str, str]:
    """The string values of a mapping, by key; non-string values are left out."""
    if not isinstance(value, Mapping):
        return {}
    return {str(key): item for key, item in value.items() if isinstance(item, str)}


def _json_of(parsed: ParsedFiles, path: str) -> JsonDocument | None:
    text = parsed.text(path)
    return read_json(text) if text is not None else None


def _toml_of(parsed: ParsedFiles, path: str) -> TomlDocument | None:
    text = parsed.text(path)
    return read_toml(text) if text is not None else None


JSON = Reading("json", _json_of)
"""A JSON manifest or lockfile; invalid JSON is RH000."""
TOML = Reading("toml", _toml_of)
"""A TOML manifest, lockfile or config; invalid TOML is RH000."""
