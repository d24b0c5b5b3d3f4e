"""Text from a scanned repository, made safe for where it is printed.

File names, `uses:` values, config keys and waiver reasons are chosen by whoever wrote
the repository. Printed raw, an ESC sequence rewrites the terminal, a newline starts a
line of the attacker's choosing, and a line that starts with `::` is a GitHub workflow
command (`::add-mask::`, `::error::`, `::stop-commands::`) that the runner obeys. Every
text from content goes through one of these functions on its way out:

- `shown`: for a terminal or a CI log, inside a line. Control characters (C0, C1, DEL),
  Unicode line and paragraph separators, bidirectional overrides, and the undecodable
  bytes of a file name are written as `\\xNN` or `\\uNNNN`, visibly.
- `line_start`: the same, for text that begins a line: a `:` that would make the line a
  workflow command (after any blanks, as the runner trims them) is written `\\x3a`.
- `workflow_data`, `workflow_property`: GitHub's own escaping for the message and the
  properties of a workflow command (`%`, CR, LF; and `:`, `,` in properties), after `shown`.
"""

from __future__ import annotations

import re

from repo_harden.core.lazy import lazy_compile

_UNSAFE = lazy_compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_COMMAND_START = lazy_compile(r"^(\s*):")


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (os.fsdecode's surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(text: str) -> str:
    """`text` with every character that could act on a terminal or a log made visible."""
    return _UNSAFE.sub(_escaped, text)


def line_start(text: str) -> str:
    """`shown(text)`, for the start of a line: it can never be read as `::command`."""
    return _COMMAND_START.sub(lambda match: f"{match.group(1)}\\x3a", shown(text), 1)


def workflow_data(text: str) -> str:
    """The message of a GitHub workflow command (`::error file=...::MESSAGE`)."""
    escaped = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return shown(escaped)


def workflow_property(text: str) -> str:
    """A property value of a GitHub workflow command (`file=`, `title=`)."""
    return workflow_data(text).replace(":", "%3A").replace(",", "%2C")
