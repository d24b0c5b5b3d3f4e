"""Path globs, written once for check patterns, excludes, waivers, CODEOWNERS, workspace
globs and branch patterns, and matched in time linear in the path's length.

`*` and `?` stay inside one path segment, `**` crosses segments. A pattern
without a slash matches a file or folder name at any depth; one with a slash
is anchored at the repository root. A pattern that matches a folder matches
everything below it.

Globs come from scanned repositories (CODEOWNERS, config, settings files), so they are
hostile input: a regex with chained `[^/]*` or `(?:.*/)?` backtracks exponentially on
`**/**/…/zzz` or `*a*a*…*b`. Each glob is compiled into a small automaton instead, and
matched through a lazily built deterministic one: each character of a path costs one
table look-up, whatever the patterns are.
"""

from __future__ import annotations

import re
from _thread import allocate_lock  # `threading` costs a hook 1 ms to import
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Literal

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.record import record

# Token kinds, each the counterpart of one regex piece of the former translation.
LITERAL = "literal"  # one given character
ONE = "one"  # `?`: [^/]
CLASS = "class"  # `[abc]`, `[!a-z]`
STAR = "star"  # `*`: [^/]*
ANY = "any"  # a trailing `**`: .*
SEGMENTS = "segments"  # `**/`: (?:.*/)?, zero or more whole segments

Mode = Literal["full", "full-or-folder", "folder"]
"""What counts as a match: the whole path; the whole path or one of its folders (a
pattern that matches a folder covers what is below it); only one of its folders."""

MAX_DFA_STATES = 4096  # past this many states, a path's rest is matched without the table


class GlobError(ValueError):
    """A glob that cannot be compiled, such as a reversed character range `[z-a]`."""


@record
class Token:
    kind: str
    char: str = ""
    ranges: tuple[tuple[str, str], ...] = ()
    negated: bool = False

    def takes(self, char: str) -> bool:
        """Whether this token consumes `char` (for the kinds that consume one character)."""
        if self.kind == LITERAL:
            return char == self.char
        if self.kind == CLASS:
            inside = any(low <= char <= high for low, high in self.ranges)
            return inside != self.negated
        if self.kind == ANY:
            return True
        return char != "/"  # ONE, STAR


@record
class Glob:
    """One compiled glob: its tokens and what counts as a match."""

    tokens: tuple[Token, ...]
    mode: Mode = "full"


class GlobSet:
    """Several globs matched together in one pass over a path.

    The automaton's states are (glob, position) pairs; position `i` waits for token `i`,
    and `-i - 1` is the middle of a segment inside a `**/` at token `i`. Sets of them are
    the states of a deterministic automaton, built only as paths need them.
    """

    def __init__(self, globs: Sequence[Glob]) -> None:
        self.globs = tuple(globs)
        self._lock = allocate_lock()  # audit threads may share a matcher
        self._ids: dict[frozenset[tuple[int, int]], int] = {}
        self._sets: list[frozenset[tuple[int, int]]] = []
        self._rows: list[dict[str, int]] = []
        self._full: list[frozenset[int]] = []  # globs matched if the path ends here
        self._folder: list[frozenset[int]] = []  # globs matched if a `/` follows
        start = self._closure((index, 0) for index in range(len(self.globs)))
        self._start = self._add_state(start)

    def matched(self, path: str) -> set[int]:
        """The indexes of the globs that match `path`."""
        return self._walk(path, first=False)

    def matches_any(self, path: str) -> bool:
        return bool(self._walk(path, first=True))

    def _walk(self, path: str, *, first: bool) -> set[int]:
        found: set[int] = set()
        state = self._start
        for position, char in enumerate(path):
            if char == "/" and position and self._folder[state]:
                found |= self._folder[state]
                if first:
                    return found
            following = self._rows[state].get(char)
            if following is None:
                following = self._learn(state, char)
                if following is None:  # the table is full: the rest without it
                    return self._walk_sets(self._sets[state], path, position, found, first)
            state = following
            if not self._sets[state]:
                return found
        return found | self._full[state]

    def _walk_sets(
        self,
        nfa: frozenset[tuple[int, int]],
        path: str,
        start: int,
        found: set[int],
        first: bool,
    ) -> set[int]:
        for position in range(start, len(path)):
            char = path[position]
            if char == "/" and position and (hits := self._ends(nfa, "full")):
                found |= hits
                if first:
                    return found
            nfa = self._closure(self._step(nfa, char))
            if not nfa:
                return found
        return found | self._ends(nfa, "folder")

    def _learn(self, state: int, char: str) -> int | None:
        with self._lock:
            known = self._rows[state].get(char)
            if known is not None:
                return known
            nfa = self._closure(self._step(self._sets[state], char))
            following = self._ids.get(nfa)
            if following is None:
                if len(self._sets) >= MAX_DFA_STATES:
                    return None
                following = self._add_state(nfa)
            self._rows[state][char] = following
            return following

    def _add_state(self, nfa: frozenset[tuple[int, int]]) -> int:
        number = len(self._sets)
        self._sets.append(nfa)
        self._rows.append({})
        self._full.append(self._ends(nfa, "folder"))
        self._folder.append(self._ends(nfa, "full"))
        self._ids[nfa] = number
        return number

    def _ends(self, nfa: frozenset[tuple[int, int]], unless: Mode) -> frozenset[int]:
        """The globs that end in `nfa`, but for those whose mode is `unless`."""
        return frozenset(
            glob
            for glob, position in nfa
            if position == len(self.globs[glob].tokens) and self.globs[glob].mode != unless
        )

    def _closure(self, states: Iterable[tuple[int, int]]) -> frozenset[tuple[int, int]]:
        done: set[tuple[int, int]] = set()
        todo = list(states)
        while todo:
            item = todo.pop()
            if item in done:
                continue
            done.add(item)
            glob, position = item
            tokens = self.globs[glob].tokens
            if 0 <= position < len(tokens) and tokens[position].kind in (STAR, ANY, SEGMENTS):
                todo.append((glob, position + 1))
        return frozenset(done)

    def _step(self, states: frozenset[tuple[int, int]], char: str) -> set[tuple[int, int]]:
        following: set[tuple[int, int]] = set()
        for glob, position in states:
            tokens = self.globs[glob].tokens
            if position < 0:  # inside a segment of `**/`
                following.add((glob, -position - 1 if char == "/" else position))
                continue
            if position == len(tokens):
                continue
            token = tokens[position]
            if token.kind == SEGMENTS:
                following.add((glob, position if char == "/" else -position - 1))
            elif token.kind in (STAR, ANY):
                if token.takes(char):
                    following.add((glob, position))
            elif token.takes(char):
                following.add((glob, position + 1))
        return following


class PathMatcher:
    """Matches repo-relative POSIX paths against a set of globs (raises `GlobError`)."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(patterns)
        # Most patterns are plain names (`package.json`) or paths: they are looked up, and
        # only real globs go through the automaton.
        literal = [p for p in self.patterns if not _WILDCARD.search(p)]
        self._names = frozenset(p.strip("/") for p in literal if "/" not in p.rstrip("/"))
        self._paths = tuple(p.strip("/") for p in literal if "/" in p.rstrip("/"))
        globs = [path_glob(p) for p in self.patterns if _WILDCARD.search(p)]
        self._globs = GlobSet(globs) if globs else None

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def matches(self, path: str) -> bool:
        if self._names and not self._names.isdisjoint(path.split("/")):
            return True
        if any(path == anchored or path.startswith(f"{anchored}/") for anchored in self._paths):
            return True
        return self._globs is not None and self._globs.matches_any(path)


KeepMatched = Callable[[str, Sequence[str]], bool]
"""Whether a path joins a group, told the path and the group's patterns that match it."""


class PatternGroups:
    """Several pattern lists (the checks' `patterns`) matched together: each path is looked
    up and walked once for all of them, however many lists there are."""

    def __init__(self, groups: Iterable[tuple[str, ...]]) -> None:
        self.groups = tuple(dict.fromkeys(groups))
        patterns = list(dict.fromkeys(pattern for group in self.groups for pattern in group))
        self._patterns = patterns
        number = {pattern: index for index, pattern in enumerate(patterns)}
        self._members = [frozenset(number[pattern] for pattern in group) for group in self.groups]
        self._names: dict[str, set[int]] = {}
        self._anchored: list[tuple[str, int]] = []
        glob_patterns: list[int] = []
        for index, pattern in enumerate(patterns):
            if _WILDCARD.search(pattern):
                glob_patterns.append(index)
            elif "/" in pattern.rstrip("/"):
                self._anchored.append((pattern.strip("/"), index))
            else:
                self._names.setdefault(pattern.strip("/"), set()).add(index)
        self._glob_pattern = glob_patterns
        globs = [path_glob(patterns[index]) for index in glob_patterns]
        self._globs = GlobSet(globs) if globs else None

    def select(
        self, paths: Iterable[str], keep: KeepMatched | None = None
    ) -> dict[tuple[str, ...], list[str]]:
        """Each group's matching paths, in the order given (as `PathMatcher.matches` picks).
        With `keep`, a path joins a group only if `keep(path, matched)` says so, where
        `matched` are the group's patterns that match the path (each path is still walked
        once: `keep` is told the patterns instead of matching them again)."""
        chosen: dict[tuple[str, ...], list[str]] = {group: [] for group in self.groups}
        for path in paths:
            matched = self.matched(path)
            if not matched:
                continue
            for group, members in zip(self.groups, self._members, strict=True):
                hits = members & matched
                if hits and (keep is None or keep(path, [self._patterns[i] for i in sorted(hits)])):
                    chosen[group].append(path)
        return chosen

    def matched(self, path: str) -> set[int]:
        """The indexes (in first-seen order of all the groups' patterns) that match `path`."""
        found: set[int] = set()
        if self._names:
            for segment in path.split("/"):
                hits = self._names.get(segment)
                if hits:
                    found |= hits
        for anchored, index in self._anchored:
            if path == anchored or path.startswith(f"{anchored}/"):
                found.add(index)
        if self._globs is not None:
            found.update(self._glob_pattern[glob] for glob in self._globs.matched(path))
        return found


@lru_cache(maxsize=4096)
def single(glob: Glob) -> GlobSet:
    """A matcher for one glob, shared by whoever asks for it."""
    return GlobSet([glob])


def glob_problem(pattern: str) -> str | None:
    """Why `pattern` is not a glob PathMatcher can use, or None when it is."""
    try:
        path_glob(pattern)
    except GlobError as error:
        return str(error)
    return None


_WILDCARD = lazy_compile(r"[*?\[]")


@lru_cache(maxsize=512)
def path_glob(pattern: str) -> Glob:
    """The glob of check patterns, `exclude` and waiver paths."""
    anchored = "/" in pattern.rstrip("/")
    tokens = _translate(pattern.strip("/"), pattern)
    prefix = () if anchored else (Token(SEGMENTS),)
    return Glob((*prefix, *tokens), "full-or-folder")


def _translate(pattern: str, shown: str) -> tuple[Token, ...]:
    out: list[Token] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append(Token(SEGMENTS))
            i += 3
        elif pattern.startswith("**", i):
            out.append(Token(ANY))
            i += 2
        else:
            i = _translate_one(pattern, i, out, shown)
    return tuple(out)


def _translate_one(pattern: str, i: int, out: list[Token], shown: str) -> int:
    char = pattern[i]
    if char == "*":
        out.append(Token(STAR))
    elif char == "?":
        out.append(Token(ONE))
    elif char == "[" and (end := pattern.find("]", i + 2)) != -1:
        body = pattern[i + 1 : end]
        negated = body.startswith("!")
        out.append(
            Token(CLASS, ranges=_ranges(body[1:] if negated else body, shown), negated=negated)
        )
        return end + 1
    else:
        out.append(Token(LITERAL, char))
    return i + 1


def _ranges(body: str, shown: str) -> tuple[tuple[str, str], ...]:
    """A class's characters and `a-z` ranges, read as a regex class reads them."""
    if not body:
        raise GlobError(f"{shown!r}: an empty character class `[!]`")
    ranges: list[tuple[str, str]] = []
    i = 0
    while i < len(body):
        if i + 2 < len(body) and body[i + 1] == "-":
            low, high = body[i], body[i + 2]
            if low > high:
                raise GlobError(f"{shown!r}: the character range `{low}-{high}` is reversed")
            ranges.append((low, high))
            i += 3
        else:
            ranges.append((body[i], body[i]))
            i += 1
    return tuple(ranges)


def literal_tokens(text: str) -> tuple[Token, ...]:
    return tuple(Token(LITERAL, char) for char in text)


def glob_regex(glob: Glob) -> str:
    """The regex (for `fullmatch`) the glob stands for; tests compare the two."""
    parts = [_token_regex(token) for token in glob.tokens]
    tail = {"full": "", "full-or-folder": "(?:/.*)?", "folder": "/.*"}[glob.mode]
    return "".join(parts) + tail


def _token_regex(token: Token) -> str:
    if token.kind == LITERAL:
        return re.escape(token.char)
    if token.kind == CLASS:
        body = "".join(
            re.escape(low) if low == high else f"{re.escape(low)}-{re.escape(high)}"
            for low, high in token.ranges
        )
        return f"[{'^' if token.negated else ''}{body}]"
    return {ONE: "[^/]", STAR: "[^/]*", ANY: "(?s:.*)", SEGMENTS: "(?s:.*/)?"}[token.kind]
