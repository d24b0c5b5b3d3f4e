"""Edits applied to a file's text, and the unified diff they make."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from repo_harden.fixes.plan import Edit


class OverlappingEdits(ValueError):
    """Two edits of one file touch the same characters."""


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """`text` with every edit made; the same edit twice counts once (an aliased node)."""
    ordered = sorted(set(edits), key=lambda edit: (edit.start, edit.end))
    parts = []
    cursor = 0
    for edit in ordered:
        if edit.start < cursor:
            raise OverlappingEdits(f"edits overlap at offset {edit.start}")
        parts.append(text[cursor : edit.start])
        parts.append(edit.replacement)
        cursor = edit.end
    parts.append(text[cursor:])
    return "".join(parts)


def unified_diff(path: str, before: str, after: str) -> str:
    """A `diff -u` of one file, with `a/` and `b/` paths as git shows them."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/{path}",
        tofile=f"b/{path}",
    )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )
