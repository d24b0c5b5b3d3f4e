"""The incident queries, parsed once from the command line and matched against items:

- `--uses NAME[@REF]`: actions, reusable workflows and pre-commit hook repositories.
  A plain `owner/repo` matches the repository and every action or workflow in it; a
  glob (`tj-actions/*`) matches the whole name. `@REF` matches the ref as written or the
  commit it names (`*@<sha>`: any action at that commit).
- `--image NAME[:TAG][@DIGEST]`: images, Docker Hub names compared as Docker reads them
  (`node` is `docker.io/library/node`); the tag may be a glob (`node:18*`); `@sha256:...`
  alone matches the digest.
- `--package PURL`: locked packages, by package URL with an exact version, or a range:
  PEP 440 for `pypi` (`pkg:pypi/requests<2.32`), node-semver for `npm` and other semver
  registries (`pkg:npm/left-pad@>=1.3.0 <1.3.2`).
- `--url GLOB`: downloads.

An item matches when any query matches it. A query that cannot be read is a `ValueError`
with the reason, for the command line to report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fnmatch import fnmatchcase

from repo_harden.core.record import field, record
from repo_harden.inventory.model import (
    ACTION,
    DOWNLOAD,
    IMAGE,
    PACKAGE,
    PRE_COMMIT_HOOK,
    REUSABLE_WORKFLOW,
    Item,
)
from repo_harden.inventory.purl import (
    github_repository,
    normal_name,
    parse_package_query,
    split_registry,
)

_GLOB = frozenset("*?[")
_OPERATORS = tuple("<>=!~^")
SEMVER_TYPES = frozenset({"npm", "cargo", "golang", "composer", "gem", "hex", "pub", "nuget"})


@record
class Matcher:
    """One query: the kinds it asks about, how it reads, and its test."""

    text: str
    kinds: tuple[str, ...]
    test: Callable[[Item], bool] = field(compare=False)

    def __call__(self, item: Item) -> bool:
        return item.kind in self.kinds and self.test(item)


@record
class Query:
    matchers: tuple[Matcher, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.matchers)

    def matches(self, item: Item) -> bool:
        return any(matcher(item) for matcher in self.matchers)

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(kind for matcher in self.matchers for kind in matcher.kinds)

    def describe(self) -> list[str]:
        return [matcher.text for matcher in self.matchers]


def build_query(
    uses: Sequence[str] = (),
    image: Sequence[str] = (),
    package: Sequence[str] = (),
    url: Sequence[str] = (),
) -> Query:
    """The query of the command line's `--uses`, `--image`, `--package` and `--url`."""
    matchers = [uses_matcher(text) for text in uses]
    matchers += [image_matcher(text) for text in image]
    matchers += [package_matcher(text) for text in package]
    matchers += [url_matcher(text) for text in url]
    return Query(tuple(matchers))


# --uses --------------------------------------------------------------------------------


def uses_matcher(text: str) -> Matcher:
    name, at, ref = text.strip().partition("@")
    name = name.strip().strip("/").lower()
    if not name or (at and not ref):
        raise ValueError(f"--uses {text!r}: expected OWNER/REPO[/PATH][@REF], or *@SHA")
    wanted_ref = ref.lower() if at else None

    def test(item: Item) -> bool:
        return _uses_name(name, _item_repository_name(item)) and _uses_ref(wanted_ref, item)

    return Matcher(f"--uses {text}", (ACTION, REUSABLE_WORKFLOW, PRE_COMMIT_HOOK), test)


def _item_repository_name(item: Item) -> str:
    if item.kind == PRE_COMMIT_HOOK:
        return (github_repository(item.name) or item.name).lower()
    return item.name.lower()


def _uses_name(pattern: str, name: str) -> bool:
    if _GLOB.intersection(pattern):
        return fnmatchcase(name, pattern)
    return name == pattern or name.startswith(f"{pattern}/")


def _uses_ref(wanted: str | None, item: Item) -> bool:
    if wanted is None:
        return True
    written = (item.ref or "").lower()
    if _GLOB.intersection(wanted):
        return fnmatchcase(written, wanted) or fnmatchcase(item.sha or "", wanted)
    return wanted in (written, item.sha)


# --image -------------------------------------------------------------------------------


def image_matcher(text: str) -> Matcher:
    from repo_harden.inventory.images import split_image

    written = text.strip()
    name, tag, digest = ("", None, written[1:]) if written.startswith("@") else split_image(written)
    if not name and not digest:
        raise ValueError(f"--image {text!r}: expected NAME[:TAG][@DIGEST], or @sha256:DIGEST")
    wanted = _image_name(name) if name and not _GLOB.intersection(name) else name

    def test(item: Item) -> bool:
        if digest and (item.digest or "").lower() != digest.lower():
            return False
        if not name:
            return True
        have = _image_name(item.name)
        found = fnmatchcase(have, wanted) or fnmatchcase(item.name, name)
        return found and (tag is None or fnmatchcase(item.ref or "latest", tag))

    return Matcher(f"--image {text}", (IMAGE,), test)


def _image_name(name: str) -> str:
    registry, path = split_registry(name)
    return f"{registry}/{path}"


# --package -----------------------------------------------------------------------------


def package_matcher(text: str) -> Matcher:
    try:
        purl_type, name, constraint = parse_package_query(text.strip())
    except ValueError as error:
        raise ValueError(f"--package {text!r}: {error}") from None
    wanted = normal_name(purl_type, name)
    allows = version_test(purl_type, constraint, text)

    def test(item: Item) -> bool:
        if item.ecosystem != purl_type or item.version is None:
            return False
        have = normal_name(purl_type, item.name)
        named = fnmatchcase(have, wanted) if _GLOB.intersection(wanted) else have == wanted
        return named and allows(item.version)

    return Matcher(f"--package {text}", (PACKAGE,), test)


def version_test(purl_type: str, constraint: str, text: str) -> Callable[[str], bool]:
    """Whether a locked version is one the query names: any (no constraint), the exact
    version, or one in the range."""
    if not constraint or constraint == "*":
        return lambda version: True
    if purl_type == "pypi":
        return _pep440_test(constraint, text)
    ranged = constraint.startswith(_OPERATORS) or " " in constraint or "||" in constraint
    if not ranged:
        return lambda version: _same_version(version, constraint)
    if purl_type not in SEMVER_TYPES:
        raise ValueError(
            f"--package {text!r}: version ranges are read for pypi (PEP 440) and for "
            f"semver registries ({', '.join(sorted(SEMVER_TYPES))}); give an exact version"
        )
    from repo_harden.ecosystems.node_semver import parse_range, satisfies

    if parse_range(constraint) is None:
        raise ValueError(f"--package {text!r}: {constraint!r} is not a semver range")
    return lambda version: satisfies(version, constraint) is True


def _same_version(version: str, wanted: str) -> bool:
    from repo_harden.ecosystems.node_semver import parse_version

    if version == wanted:
        return True
    left, right = parse_version(version), parse_version(wanted)
    return left is not None and left == right


def _pep440_test(constraint: str, text: str) -> Callable[[str], bool]:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    written = constraint if constraint.startswith(_OPERATORS) else f"=={constraint}"
    try:
        specifiers = SpecifierSet(written.replace(" ", ","))
    except InvalidSpecifier:
        message = f"--package {text!r}: {constraint!r} is not a PEP 440 version or range"
        raise ValueError(message) from None

    def allows(version: str) -> bool:
        try:
            return specifiers.contains(Version(version), prereleases=True)
        except InvalidVersion:
            return version == constraint

    return allows


# --url ---------------------------------------------------------------------------------


def url_matcher(text: str) -> Matcher:
    pattern = text.strip()
    if not pattern:
        raise ValueError("--url: expected a URL or a glob such as 'https://get.example.com/*'")

    def test(item: Item) -> bool:
        return fnmatchcase(item.name, pattern) or fnmatchcase(item.name.lower(), pattern.lower())

    return Matcher(f"--url {text}", (DOWNLOAD,), test)
