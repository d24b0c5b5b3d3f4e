"""Where a value is written in its file, and the comment that ends its line.

The readers give each value its position and its text as parsed; a pin comment
(`# v4.2.2`) and an edit in place need more: where the value's characters start and end
in the file (after an anchor, a tag or an opening quote) and the `#` comment after it on
the same line. `written_at` finds them, and says None when the file does not hold the
value as plain characters there (an escape sequence, a folded scalar): such a value can
be read, but not edited in place.
"""

from __future__ import annotations

import re

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.model import Position
from repo_harden.core.pins import is_version_like
from repo_harden.core.record import record
from repo_harden.readers.source_map import FileLines

# A node's properties before its value: `&anchor` and `!tag`, each followed by blanks.
_PROPERTIES = lazy_compile(r"(?:[&!][^\s,\[\]{}]*[ \t]+)*")
# Comment forms that name a version: `# v4.2.2` (Dependabot, pinact), `# frozen: v1.2.3`
# (pre-commit), `# tag=v4.2.2` and `# renovate: tag=v4.2.2` (Renovate), `# ratchet:o/r@v4`.
_VERSION_PREFIX = lazy_compile(
    r"^\s*(?:renovate:\s*)?(?:frozen:\s*|tag\s*[=:]\s*|ratchet:[^@\s]+@|pin\s+@?)?",
    re.IGNORECASE,
)
# Where an unquoted token ends: blanks, a flow indicator, a shell operator, a quote.
_TOKEN_END = lazy_compile(r"[\s,\]}\"';|&<>()]")


@record
class Written:
    """A value's characters in the file text: `text[start:end]`, inside `quote` if quoted.
    `comment` is the start of the `#` comment after it on its line (None: no comment);
    `line_end` is where its line ends (before `\\r\\n` or `\\n`)."""

    start: int
    end: int
    quote: str
    comment: int | None
    line_end: int


def written_at(
    text: str, at: Position, value: str, *, lines: FileLines | None = None
) -> Written | None:
    """Where `value` is written at `at` (a node's or a word's start), or None when the text
    there is not `value` as plain characters."""
    lines = lines or FileLines(text)
    offset = lines.offset(at)
    if not 0 <= offset <= len(text):
        return None
    properties = _PROPERTIES.match(text, offset)
    if properties is not None:
        offset = properties.end()
    quote = text[offset] if offset < len(text) and text[offset] in "\"'" else ""
    start = offset + len(quote)
    end = start + len(value)
    if text[start:end] != value or "\n" in value:
        return None
    if quote and text[end : end + 1] != quote:
        return None
    line_end = _line_end(text, end)
    after = end + len(quote)
    return Written(start, end, quote, _comment_start(text, after, line_end), line_end)


def token_at(text: str, at: Position, *, lines: FileLines | None = None) -> str:
    """The unquoted token that starts at `at` (after an anchor, a tag or a quote)."""
    lines = lines or FileLines(text)
    offset = lines.offset(at)
    properties = _PROPERTIES.match(text, offset)
    if properties is not None:
        offset = properties.end()
    if offset < len(text) and text[offset] in "\"'":
        closing = text.find(text[offset], offset + 1, _line_end(text, offset))
        return text[offset + 1 : closing] if closing > 0 else ""
    found = _TOKEN_END.search(text, offset)
    return text[offset : found.start() if found else len(text)]


def comment_text(text: str, written: Written) -> str:
    """The words of the line's comment, without the `#`; "" when there is none."""
    if written.comment is None:
        return ""
    return text[written.comment + 1 : written.line_end].strip()


def _line_end(text: str, offset: int) -> int:
    end = text.find("\n", offset)
    end = len(text) if end < 0 else end
    return end - 1 if end > 0 and text[end - 1] == "\r" else end


def _comment_start(text: str, offset: int, line_end: int) -> int | None:
    """The `#` that starts a comment between `offset` and the end of the line: one after a
    blank, outside quotes (a flow collection may hold more values after ours)."""
    quote = ""
    for index in range(offset, line_end):
        character = text[index]
        if quote:
            if character == quote:
                quote = ""
        elif character in "\"'":
            quote = character
        elif character == "#" and index > 0 and text[index - 1] in " \t":
            return index
    return None


def comment_version_span(comment: str) -> tuple[int, int] | None:
    """Where in a comment's words (after the `#`) the version it names is, or None when its
    first word (after `frozen:`, `tag=`...) is no version."""
    prefix = _VERSION_PREFIX.match(comment)
    start = prefix.end() if prefix is not None else 0
    word = re.match(r"\S+", comment[start:])
    if word is None or not is_version_like(word.group()):
        return None
    return start, start + word.end()


def comment_version(comment: str) -> str | None:
    """The version a pin's comment names: `v4.2.2` of `v4.2.2`, `frozen: v4.2.2`,
    `tag=v4.2.2`; None when it names none."""
    span = comment_version_span(comment)
    return comment[span[0] : span[1]] if span is not None else None
