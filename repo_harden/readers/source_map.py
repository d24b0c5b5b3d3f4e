"""Where each character of a derived text came from in its file.

A `run:` block is a YAML scalar, a Dockerfile `RUN` is joined from continued
lines, a Makefile recipe has its variables expanded: the text a parser sees is
not the file's text. A `SourceMap` keeps that text with anchors back into the
file, so a finding inside it points at the right line and column.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.model import Position
from repo_harden.core.record import record

_TOKEN = lazy_compile(r"\S+")


@record
class Anchor:
    """Text offset `offset` is at file `line`, `column`; the next characters follow it."""

    offset: int
    line: int
    column: int


class SourceMap:
    """A derived text and the anchors that place it in its file."""

    def __init__(self, text: str, anchors: Sequence[Anchor]) -> None:
        self.text = text
        self._anchors = tuple(anchors) or (Anchor(0, 1, 1),)
        self._offsets = [anchor.offset for anchor in self._anchors]

    def position(self, offset: int) -> Position:
        """The file position of the character at `offset` in the text."""
        anchor = self._anchors[max(bisect_right(self._offsets, offset) - 1, 0)]
        return Position(anchor.line, anchor.column + max(offset - anchor.offset, 0))

    def sub(self, start: int, end: int | None = None) -> SourceMap:
        """The map of `text[start:end]`."""
        end = len(self.text) if end is None else end
        first = self.position(start)
        anchors = [Anchor(0, first.line, first.column)]
        # the anchors inside, found by bisection: a script cut into many parts (each `sh -c`
        # of a long script) must not cost the whole map each time
        inside = self._anchors[bisect_right(self._offsets, start) : bisect_left(self._offsets, end)]
        anchors += [Anchor(a.offset - start, a.line, a.column) for a in inside]
        return SourceMap(self.text[start:end], anchors)

    @classmethod
    def joined(cls, parts: Sequence[SourceMap]) -> SourceMap:
        """Texts placed one after another, each keeping the anchors of its own place (the
        quoted parts of one shell word, `'a '"$b"' c'`, without their quotes)."""
        anchors: list[Anchor] = []
        offset = 0
        for part in parts:
            anchors += [Anchor(a.offset + offset, a.line, a.column) for a in part._anchors]
            offset += len(part.text)
        return cls("".join(part.text for part in parts), anchors)

    def with_text(self, text: str) -> SourceMap:
        """The same anchors over a text of the same length (some characters blanked out)."""
        return SourceMap(text, self._anchors)

    @classmethod
    def verbatim(cls, text: str, line: int = 1, column: int = 1) -> SourceMap:
        """Text copied from the file as it is, starting at `line`, `column`."""
        anchors = [Anchor(0, line, column)]
        offset = 0
        for number, row in enumerate(text.split("\n")[:-1], 1):
            offset += len(row) + 1
            anchors.append(Anchor(offset, line + number, 1))
        return cls(text, anchors)

    @classmethod
    def aligned(
        cls, text: str, file_text: str, start: Position, lines: FileLines | None = None
    ) -> SourceMap:
        """Text that differs from the file's only in whitespace, quoting or indentation (a YAML
        scalar's value): each run of non-blank characters is found in the file in order, from
        `start`. A run that cannot be found (an escape sequence) keeps the last anchor."""
        lines = lines or FileLines(file_text)
        cursor = lines.offset(start)
        if file_text.startswith("|", cursor):
            block = cls._literal_block(text, file_text, start, lines)
            if block is not None:
                return block
        anchors = []
        for match in _TOKEN.finditer(text):
            found = file_text.find(match.group(), cursor)
            if found < 0:
                continue
            at = lines.position(found)
            anchors.append(Anchor(match.start(), at.line, at.column))
            cursor = found + len(match.group())
        return cls(text, anchors or [Anchor(0, start.line, start.column)])

    @classmethod
    def _literal_block(
        cls, text: str, file_text: str, start: Position, lines: FileLines
    ) -> SourceMap | None:
        """A `|` block scalar: each line of the value ends a line of the file, from the line
        after the `|`. None if one does not (then the tokens are aligned one by one)."""
        anchors = []
        offset = 0
        for number, row in enumerate(text.split("\n"), start.line + 1):
            raw = lines.line(file_text, number)
            if raw is None or not raw.endswith(row):
                return None
            if row:
                anchors.append(Anchor(offset, number, len(raw) - len(row) + 1))
            offset += len(row) + 1
        return cls(text, anchors or [Anchor(0, start.line + 1, 1)])


class SourceBuilder:
    """Builds a text piece by piece, each piece from a known place in the file."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._anchors: list[Anchor] = []
        self._length = 0

    def add(self, piece: str, line: int, column: int) -> None:
        """Append `piece` (one line or part of one), which starts in the file at line, column."""
        if piece:
            self._anchors.append(Anchor(self._length, line, column))
            self._parts.append(piece)
            self._length += len(piece)

    def add_newline(self) -> None:
        self._parts.append("\n")
        self._length += 1

    @property
    def length(self) -> int:
        return self._length

    def build(self) -> SourceMap:
        return SourceMap("".join(self._parts), self._anchors)


class FileLines:
    """Offsets and positions in one file's text."""

    def __init__(self, text: str) -> None:
        self._starts = [0]
        self._starts += [match.end() for match in re.finditer("\n", text)]

    def offset(self, at: Position) -> int:
        index = min(max(at.line - 1, 0), len(self._starts) - 1)
        return self._starts[index] + at.column - 1

    def line(self, text: str, number: int) -> str | None:
        """Line `number` of `text` (the file these offsets are of), without its end."""
        if not 1 <= number <= len(self._starts):
            return None
        end = self._starts[number] - 1 if number < len(self._starts) else len(text)
        return text[self._starts[number - 1] : end].removesuffix("\r")

    def position(self, offset: int) -> Position:
        index = bisect_right(self._starts, offset) - 1
        return Position(index + 1, offset - self._starts[index] + 1)
