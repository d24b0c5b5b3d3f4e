"""npm's semver ranges (node-semver), enough to tell whether a locked version satisfies
the range in `package.json`: `npm ci` accepts a lockfile exactly when it does.

Ranges: `||` alternatives of space-separated comparators; `1.2.3 - 2.3`;
`^`, `~`, `<`, `<=`, `>`, `>=`, `=`; x-ranges (`1.x`, `1.2.*`, `*`, ``). A
prerelease version satisfies a set only when one of its comparators names a
prerelease of the same `major.minor.patch`, as in node-semver.

What npm reads as no range at all (a bare operator, `1.x.3`, a number past 2**53 - 1)
is None here too; tests/test_version_ranges.py holds the cases npm itself decided.

Hand-written on purpose: the PyPI port `node-semver` agrees on those cases but costs
three times as much per range and 11 ms more at a hook's start (measured for issue 13).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.record import record

_PART = r"(?:0|[1-9]\d*|[xX*])"
_PARTIAL = lazy_compile(
    rf"^v?=?\s*({_PART})(?:\.({_PART})(?:\.({_PART})"
    r"(?:-?([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]+)?)?)?$"
)
_COMPARATOR = lazy_compile(r"^(<=|>=|<|>|=|\^|~>?|)\s*(.*)$")
_HYPHEN = lazy_compile(r"^\s*(\S+)\s+-\s+(\S+)\s*$")
_MAX_SAFE_INTEGER = 2**53 - 1  # JavaScript's: node-semver refuses larger numbers
_LONG_NUMBER = lazy_compile(r"\d{16}")  # only a number this long can reach 2**53 - 1

Prerelease = tuple[int | str, ...]
VersionKey = tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]


@record
class Version:
    major: int
    minor: int
    patch: int
    prerelease: Prerelease = ()

    def key(self) -> VersionKey:
        # A release sorts after its prereleases; numeric identifiers before alphanumeric.
        pre = tuple((0, p) if isinstance(p, int) else (1, p) for p in self.prerelease)
        return (self.major, self.minor, self.patch, 0 if self.prerelease else 1, pre)


@record
class _Comparator:
    operator: str
    version: Version

    def test(self, version: Version) -> bool:
        return _COMPARE[self.operator](version.key(), self.version.key())


_COMPARE: dict[str, Callable[[VersionKey, VersionKey], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "=": operator.eq,
}


def parse_version(text: str) -> Version | None:
    match = _PARTIAL.match(text.strip())
    if not match or any(part is None or not part.isdigit() for part in match.groups()[:3]):
        return None
    major, minor, patch = (int(part) for part in match.groups()[:3])
    if max(major, minor, patch) > _MAX_SAFE_INTEGER:
        return None
    return Version(major, minor, patch, _prerelease(match.group(4)))


def satisfies(version_text: str, range_text: str) -> bool | None:
    """Whether the version satisfies the range; None when either is not semver (a tag,
    a URL, a git or file spec)."""
    version = parse_version(version_text)
    alternatives = parse_range(range_text)
    if version is None or alternatives is None:
        return None
    return any(_set_allows(comparators, version) for comparators in alternatives)


def parse_range(text: str) -> list[list[_Comparator]] | None:
    alternatives = []
    long_numbers = _LONG_NUMBER.search(text) is not None
    for alternative in text.split("||"):
        comparators = _parse_set(alternative.strip())
        if comparators is None or (long_numbers and not all(_safe(c) for c in comparators)):
            return None
        alternatives.append(comparators)
    return alternatives


def _safe(comparator: _Comparator) -> bool:
    """npm refuses a bound past 2**53 - 1 (`^9007199254740991` ends at 2**53)."""
    version = comparator.version
    return max(version.major, version.minor, version.patch) <= _MAX_SAFE_INTEGER


def _parse_set(text: str) -> list[_Comparator] | None:
    hyphen = _HYPHEN.match(text)
    if hyphen:
        low, high = _partial(hyphen.group(1)), _partial(hyphen.group(2))
        if low is None or high is None:
            return None
        return [*_at_least(low), *_at_most(high)]
    text = re.sub(r"(<=|>=|<|>|=|\^|~>?)\s+", r"\1", text)
    comparators: list[_Comparator] = []
    for word in text.split():
        parsed = _parse_comparator(word)
        if parsed is None:
            return None
        comparators += parsed
    return comparators


Partial = tuple[int | None, int | None, int | None, Prerelease]


def _partial(text: str) -> Partial | None:
    match = _PARTIAL.match(text)
    if not match:
        return None
    major, minor, patch = (
        None if p is None or not p.isdigit() else int(p) for p in match.groups()[:3]
    )
    # After a wildcard only wildcards: npm reads `1.x.3` as a dist-tag, not a range.
    if (major is None and minor is not None) or (minor is None and patch is not None):
        return None
    return major, minor, patch, _prerelease(match.group(4))


def _parse_comparator(word: str) -> list[_Comparator] | None:
    match = _COMPARATOR.match(word)
    if match is None:
        return None
    operator, rest = match.groups()
    partial = _partial(rest) if rest else None  # a bare `>=` or `^` is no range to npm
    if partial is None:
        return None
    if operator == "^":
        return _caret(partial)
    if operator.startswith("~"):
        return _tilde(partial)
    if operator in ("", "="):
        return _x_range(partial)
    return _primitive(operator, partial)


def _version(partial: Partial) -> Version:
    major, minor, patch, pre = partial
    return Version(major or 0, minor or 0, patch or 0, pre)


def _below(major: int, minor: int, patch: int) -> _Comparator:
    return _Comparator("<", Version(major, minor, patch, (0,)))


def _at_least(partial: Partial) -> list[_Comparator]:
    return [] if partial[0] is None else [_Comparator(">=", _version(partial))]


def _at_most(partial: Partial) -> list[_Comparator]:
    major, minor, patch, _ = partial
    if major is None:
        return []
    if minor is None:
        return [_below(major + 1, 0, 0)]
    if patch is None:
        return [_below(major, minor + 1, 0)]
    return [_Comparator("<=", _version(partial))]


def _x_range(partial: Partial) -> list[_Comparator]:
    major, minor, patch, _ = partial
    if major is None:
        return []
    if minor is None:
        return [_Comparator(">=", _version(partial)), _below(major + 1, 0, 0)]
    if patch is None:
        return [_Comparator(">=", _version(partial)), _below(major, minor + 1, 0)]
    return [_Comparator("=", _version(partial))]


def _tilde(partial: Partial) -> list[_Comparator]:
    major, minor, _, _ = partial
    if major is None:
        return []
    if minor is None:
        return [_Comparator(">=", _version(partial)), _below(major + 1, 0, 0)]
    return [_Comparator(">=", _version(partial)), _below(major, minor + 1, 0)]


def _caret(partial: Partial) -> list[_Comparator]:
    major, minor, patch, _ = partial
    if major is None:
        return []
    low = _Comparator(">=", _version(partial))
    if major > 0 or minor is None:
        return [low, _below(major + 1, 0, 0)]
    if minor > 0 or patch is None:
        return [low, _below(0, minor + 1, 0)]
    return [low, _below(0, 0, patch + 1)]


def _primitive(operator: str, partial: Partial) -> list[_Comparator]:
    major, minor, patch, _ = partial
    if major is None:
        # `<*` and `>*` allow nothing; `<=*` and `>=*` allow everything.
        return [_Comparator("<", Version(0, 0, 0, (0,)))] if operator in "<>" else []
    if patch is not None and minor is not None:
        return [_Comparator(operator, _version(partial))]
    if operator == ">":
        bumped = (major + 1, 0, 0) if minor is None else (major, minor + 1, 0)
        return [_Comparator(">=", Version(*bumped))]
    if operator == "<=":
        return _at_most(partial)
    if operator == "<":
        return [_below(major, minor or 0, 0)]
    return [_Comparator(">=", _version(partial))]


def _set_allows(comparators: list[_Comparator], version: Version) -> bool:
    if not all(comparator.test(version) for comparator in comparators):
        return False
    if not version.prerelease:
        return True
    triple = (version.major, version.minor, version.patch)
    return any(
        c.version.prerelease and (c.version.major, c.version.minor, c.version.patch) == triple
        for c in comparators
        if c.version.prerelease != (0,) or c.operator != "<"
    )


def _prerelease(text: str | None) -> Prerelease:
    if not text:
        return ()
    return tuple(int(part) if part.isdigit() else part for part in text.split("."))
