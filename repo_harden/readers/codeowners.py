"""CODEOWNERS with GitHub's own semantics: which file GitHub reads, which lines it uses,
and which line decides who owns a path.

Written here because the PyPI `codeowners` matcher differs from GitHub on `[ ]`,
`\\#` and `!`, and reports no errors. The rules, from GitHub's documentation:

- GitHub reads the first of `.github/CODEOWNERS`, `CODEOWNERS`, `docs/CODEOWNERS`;
  a file over 3 MB is not loaded.
- Patterns follow gitignore, except that `!` negation, `[ ]` ranges and `\\#`
  escapes do not work; a line GitHub cannot use is skipped.
- The last matching line wins; a line with a pattern and no owners un-owns what
  it matches. `docs/*` owns the files directly in `docs/`, `docs/` everything
  below it. Paths are case-sensitive.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import lru_cache

from repo_harden.core.globs import (
    ANY,
    LITERAL,
    ONE,
    SEGMENTS,
    STAR,
    Glob,
    GlobSet,
    Mode,
    Token,
    single,
)
from repo_harden.core.lazy import lazy_compile
from repo_harden.core.parsed import ParsedFiles, Reading
from repo_harden.core.record import field, record
from repo_harden.core.snapshot import RepoSnapshot
from repo_harden.readers.file_kinds import CODEOWNERS_LOCATIONS as LOCATIONS

MAX_BYTES = 3 * 1024 * 1024

_TOKEN = lazy_compile(r"(?:\\.|\S)+")
# Enterprise managed users add `_shortcode` to their name.
_USER = r"@[A-Za-z0-9][A-Za-z0-9_-]*"
_OWNER = lazy_compile(
    rf"{_USER}|{_USER}/[A-Za-z0-9_][A-Za-z0-9_.-]*|[^@\s]+@[^@\s]+\.[^@\s.]+",
)


@record
class OwnershipLine:
    """A line GitHub uses: a pattern and its owners (no owners: it un-owns what it matches)."""

    line: int
    column: int
    pattern: str
    owners: tuple[str, ...]
    glob: Glob = field(compare=False, repr=False)

    def matches(self, path: str) -> bool:
        return single(self.glob).matches_any(path)


@record
class Problem:
    """Something GitHub rejects or ignores, at its 1-based line and column when it has one.
    `subject` is the offending text, for the finding's fingerprint."""

    line: int | None
    column: int | None
    message: str
    subject: str


@record
class CodeownersFile:
    """A parsed CODEOWNERS: the lines GitHub uses, in order, and what it skips."""

    path: str
    rules: tuple[OwnershipLine, ...]
    problems: tuple[Problem, ...]
    size: int
    loaded: bool = True
    _globs: list[GlobSet] = field(default_factory=list, compare=False, repr=False)

    def deciding_rule(self, path: str) -> OwnershipLine | None:
        """The last line that matches `path`, or None when no line does: every line is
        matched in one pass over the path (a file may have thousands of lines)."""
        if not self._globs:
            self._globs.append(GlobSet([rule.glob for rule in self.rules]))
        matched = self._globs[0].matched(path)
        return self.rules[max(matched)] if matched else None


@record
class Ownership:
    """Who owns a path, and why: the file GitHub reads and the line that decides."""

    path: str
    source: str | None
    rule: OwnershipLine | None

    @property
    def owners(self) -> tuple[str, ...]:
        return self.rule.owners if self.rule else ()

    @property
    def owned(self) -> bool:
        return bool(self.owners)

    def reason(self) -> str:
        """Why the path has these owners, in words, naming the deciding line."""
        if self.source is None:
            return "there is no CODEOWNERS file in `.github/`, the root or `docs/`"
        if self.rule is None:
            return f"no line of {self.source} matches it"
        where = f"{self.source}:{self.rule.line} `{self.rule.pattern}`"
        if not self.rule.owners:
            return f"the last matching line, {where}, names no owners, so it un-owns it"
        return f"the last matching line is {where}"


def present_locations(snapshot: RepoSnapshot) -> tuple[str, ...]:
    """The CODEOWNERS files that exist, in the order GitHub looks for them. Probed by
    reading, so a hook lists no files; an unreadable file exists all the same."""
    return tuple(
        location
        for location in LOCATIONS
        if snapshot.read_text(location) is not None
        or snapshot.unreadable_reason(location) is not None
    )


# A name no CODEOWNERS pattern can spell (no path holds a NUL): only wildcards match it.
_ANY_NEW_FILE = "\x00"


def ownership(codeowners: CodeownersFile | None, path: str) -> Ownership:
    """Who owns `path`. A path ending in `/` is a folder with no files (yet): it is owned as
    a new file in it would be, whose name no line of the file spells out."""
    if codeowners is None:
        return Ownership(path, None, None)
    probe = f"{path.removeprefix('./')}{_ANY_NEW_FILE}" if path.endswith("/") else path
    return Ownership(path, codeowners.path, codeowners.deciding_rule(probe))


def read_codeowners(path: str, text: str | None) -> CodeownersFile | None:
    return parse_codeowners(path, text) if text is not None else None


def parse_codeowners(path: str, text: str) -> CodeownersFile:
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        return CodeownersFile(path, (), (_too_large(path, size),), size, loaded=False)
    rules: list[OwnershipLine] = []
    problems: list[Problem] = []
    for number, line in enumerate(text.split("\n"), 1):
        rule, found = parse_line(number, line.removesuffix("\r"))
        problems += found
        if rule is not None:
            rules.append(rule)
    return CodeownersFile(path, tuple(rules), tuple(problems), size)


def _too_large(path: str, size: int) -> Problem:
    return Problem(
        None,
        None,
        f"{path} is {size / 1048576:.1f} MiB; GitHub does not load a CODEOWNERS file over "
        "3 MB, so none of its lines counts and nothing has an owner. Shorten it with "
        "wider patterns (a folder instead of its files)",
        "over 3 MB",
    )


def parse_line(number: int, line: str) -> tuple[OwnershipLine | None, list[Problem]]:
    """A line's rule, or None for a comment, a blank line or a line GitHub skips."""
    tokens = list(_tokens(line))
    if not tokens:
        return None, []
    (pattern, column), owners = tokens[0], tokens[1:]
    problems = list(pattern_problems(number, pattern, column))
    problems += [p for owner in owners if (p := owner_problem(number, *owner)) is not None]
    if problems:
        return None, problems
    names = tuple(name for name, _ in owners)
    return OwnershipLine(number, column, pattern, names, pattern_glob(pattern)), []


def _tokens(line: str) -> Iterator[tuple[str, int]]:
    """Whitespace-separated words with their 1-based column, up to a `#` comment."""
    for match in _TOKEN.finditer(line):
        if match.group().startswith("#"):
            return
        yield match.group(), match.start() + 1


def pattern_problems(number: int, pattern: str, column: int) -> Iterator[Problem]:
    if pattern.startswith("!"):
        yield Problem(
            number,
            column,
            f"`{pattern}`: GitHub does not support `!` to negate a pattern, so this line "
            "excludes nothing; to take paths out of an owner's reach, add a later line "
            "for them with other owners, or with none",
            pattern,
        )
    if pattern.startswith("\\#"):
        yield Problem(
            number,
            column,
            f"`{pattern}`: GitHub does not support escaping a leading `#` with `\\`, so "
            f"this line does not match `{pattern[1:]}`; match it with a wildcard instead, "
            f"such as `?{pattern[2:]}`",
            pattern,
        )
    bracket = pattern.find("[")
    if bracket != -1:
        yield Problem(
            number,
            column + bracket,
            f"`{pattern}`: GitHub does not support `[ ]` character ranges (nor GitLab "
            "`[Section]` headers), so this line matches nothing it was meant to; "
            "write one line per alternative",
            pattern,
        )
    if _OWNER.fullmatch(pattern) and pattern.startswith("@"):
        yield Problem(
            number,
            column,
            f"`{pattern}` is an owner where a pattern should be, so it owns nothing; "
            f"to make it the default owner write `* {pattern}`",
            pattern,
        )


def owner_problem(number: int, owner: str, column: int) -> Problem | None:
    if _OWNER.fullmatch(owner):
        return None
    hint = "write `@user`, `@org/team` or an email address"
    if owner.endswith(",") or owner.startswith(","):
        hint = "separate owners with spaces, not commas"
    elif not owner.startswith("@") and "@" not in owner:
        hint = f"a user or team starts with `@`: `@{owner}`"
    return Problem(
        number,
        column,
        f"`{owner}` is not an owner GitHub understands, so GitHub skips this line; {hint}",
        owner,
    )


@lru_cache(maxsize=4096)
def pattern_glob(pattern: str) -> Glob:
    """The glob of a CODEOWNERS pattern, matched against a repo-relative path.

    gitignore rules: a slash at the start or in the middle anchors the pattern at
    the root, otherwise it matches at any depth; a trailing slash matches only a
    folder; a match on a folder covers everything below it. GitHub's exception: a
    last segment of just `*` (`docs/*`) matches the files directly in the folder.
    """
    directory = pattern.endswith("/")
    anchored = "/" in pattern.rstrip("/")
    segments = pattern.strip("/").split("/")
    tokens: list[Token] = [] if anchored else [Token(SEGMENTS)]
    last = len(segments) - 1
    for index, segment in enumerate(segments):
        if segment == "**":
            tokens.append(Token(ANY if index == last else SEGMENTS))
            continue
        tokens += _segment_tokens(segment)
        if index < last:
            tokens.append(Token(LITERAL, "/"))
    mode: Mode = "full-or-folder"
    if directory:
        mode = "folder"
    elif segments[-1] in ("*", "**"):
        mode = "full"
    return Glob(tuple(tokens), mode)


def _segment_tokens(segment: str) -> list[Token]:
    out: list[Token] = []
    index = 0
    while index < len(segment):
        char = segment[index]
        if char == "\\" and index + 1 < len(segment):
            index += 1
            out.append(Token(LITERAL, segment[index]))
        elif char == "*":
            if not out or out[-1].kind != STAR:
                out.append(Token(STAR))
        elif char == "?":
            out.append(Token(ONE))
        else:
            out.append(Token(LITERAL, char))
        index += 1
    return out


def shadowed(present: Sequence[str]) -> tuple[str, ...]:
    """The CODEOWNERS files GitHub never reads, because it reads `present[0]`."""
    return tuple(present[1:])


def _codeowners_of(parsed: ParsedFiles, path: str) -> CodeownersFile | None:
    return read_codeowners(path, parsed.text(path))


CODEOWNERS = Reading("codeowners", _codeowners_of)
"""A CODEOWNERS file, parsed once for OWN001-OWN003."""
