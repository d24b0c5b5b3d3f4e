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
        # Most patterns are plain names (`package.json`) or paths: they are looked up, and
        # only real globs are compiled, since compiling is most of a short run's matching.
        literal = [p for p in self.patterns if not _WILDCARD.search(p)]
        self._names = frozenset(p.strip("/") for p in literal if "/" not in p.rstrip("/"))
        self._paths = tuple(p.strip("/") for p in literal if "/" in p.rstrip("/"))
        regexes = [_glob_regex(p) for p in self.patterns if _WILDCARD.search(p)]
        self._regex = re.compile("|".join(f"(?:{r})" for r in regexes)) if regexes else None

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def matches(self, path: str) -> bool:
        parts = path.split("/")
        if self._names and not self._names.isdisjoint(parts):
            return True
        if any(path == anchored or path.startswith(f"{anchored}/") for anchored in self._paths):
            return True
        if self._regex is None:
            return False
        if self._regex.fullmatch(path):
            return True
        return any(self._regex.fullmatch("/".join(parts[:i])) for i in range(1, len(parts)))


_WILDCARD = re.compile(r"[*?\[]")


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
