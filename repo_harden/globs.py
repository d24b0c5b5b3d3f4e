"""Path globs, written once for check patterns, excludes and waivers.

`*` and `?` stay inside one path segment, `**` crosses segments. A pattern
without a slash matches a file or folder name at any depth; one with a slash
is anchored at the repository root. A pattern that matches a folder matches
everything below it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache


class PathMatcher:
    """Matches repo-relative POSIX paths against a set of globs."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(patterns)
        regexes = [_glob_regex(pattern) for pattern in self.patterns]
        self._regex = re.compile("|".join(f"(?:{r})" for r in regexes)) if regexes else None

    def __bool__(self) -> bool:
        return self._regex is not None

    def matches(self, path: str) -> bool:
        if self._regex is None:
            return False
        if self._regex.fullmatch(path):
            return True
        parts = path.split("/")
        return any(self._regex.fullmatch("/".join(parts[:i])) for i in range(1, len(parts)))


@lru_cache(maxsize=512)
def _glob_regex(pattern: str) -> str:
    anchored = "/" in pattern.rstrip("/")
    pattern = pattern.strip("/")
    regex = _translate(pattern)
    return regex if anchored else f"(?:.*/)?{regex}"


def _translate(pattern: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        else:
            i = _translate_one(pattern, i, out)
    return "".join(out)


def _translate_one(pattern: str, i: int, out: list[str]) -> int:
    char = pattern[i]
    if char == "*":
        out.append("[^/]*")
    elif char == "?":
        out.append("[^/]")
    elif char == "[" and (end := pattern.find("]", i + 2)) != -1:
        body = pattern[i + 1 : end]
        negated = body.startswith("!")
        body = re.escape(body[1:] if negated else body).replace(r"\-", "-")
        out.append(f"[{'^' if negated else ''}{body}]")
        return end + 1
    else:
        out.append(re.escape(char))
    return i + 1
