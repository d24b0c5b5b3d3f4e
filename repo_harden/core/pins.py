"""What a pin names and what it resolves to: refs and commits of GitHub repositories (actions,
reusable workflows, pre-commit hook repositories) and tags of container images; and the
protocols of the sources that look them up.

Checks do no I/O: PIN003 and PIN004 get a `GitRefSource` through the snapshot's settings
(`scan --online`, the audit), and `repo-harden fix` asks the same source, and a
`DigestSource` for images; the inventory resolves the refs of the actions it follows
through it too. A lookup that fails is an `Unresolved` with a one-line reason,
for that one reference: the others are still answered.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Protocol

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.record import record

FULL_SHA = lazy_compile(r"[0-9a-f]{40}")
SHORT_SHA = lazy_compile(r"[0-9a-fA-F]{7,39}")
IMAGE_DIGEST = lazy_compile(r"sha256:[0-9a-f]{64}")
# A version as tags name them: v4, v4.2, v4.2.2, 1.2.3-rc.1, v2.0.0+build
_VERSION = lazy_compile(r"^[vV]?(\d+(?:\.\d+)*)([-+][0-9A-Za-z.+-]*)?$")


@record
class RefName:
    """A tag, branch or abbreviated commit of a GitHub repository (`owner/name`), as a
    `uses:` or a pre-commit `rev:` names it. Repository names are case-insensitive."""

    repository: str
    ref: str

    @property
    def key(self) -> str:
        return f"{self.repository.lower()}@{self.ref}"


@record
class ResolvedRef:
    """What a ref name points at in a repository. `tag` and `branch` are the commits of
    `refs/tags/<ref>` (annotated tags peeled) and `refs/heads/<ref>`, None where there is no
    such ref; `commit` is the full SHA a hexadecimal ref abbreviates. `tags` are the tags
    whose names start with the ref, with their commits, as far as they were listed."""

    tag: str | None
    branch: str | None
    commit: str | None = None
    tags: tuple[tuple[str, str], ...] = ()

    @property
    def ambiguous(self) -> bool:
        """A branch and a tag of the same name: which one runs is not what a reader sees."""
        return self.tag is not None and self.branch is not None

    def target(self) -> str | None:
        """The commit the ref names: its tag's, its branch's or the commit it abbreviates."""
        return self.tag or self.branch or self.commit


@record
class CommitName:
    """A full commit SHA, as named under a repository."""

    repository: str
    sha: str

    @property
    def key(self) -> str:
        return f"{self.repository.lower()}@{self.sha}"


@record
class CommitFacts:
    """What a repository says of a commit served under its name. `exists`: GitHub knows it
    (a fork's commit too: that is the trick). `reachable`: some branch or tag of the
    repository contains it (None: not decided, `checked` says how far it looked). `tags`:
    the tags that point at it."""

    exists: bool
    reachable: bool | None
    tags: tuple[str, ...] = ()
    checked: str = ""


@record
class ImageTag:
    """A container image by tag: `registry` (docker.io for Docker Hub), `repository`
    (`library/node`), `tag` (`latest` when none is written)."""

    registry: str
    repository: str
    tag: str

    @property
    def key(self) -> str:
        return f"{self.registry}/{self.repository}:{self.tag}"


@record
class Unresolved:
    """Why a reference could not be looked up, in one line (never holding a token).
    `transient`: a later run may get an answer (the network, GitHub's 5xx or rate limit);
    otherwise running again does not help, and `reason` says what would."""

    reason: str
    transient: bool = False


class GitRefSource(Protocol):
    """Refs and commits of GitHub repositories. Each method takes everything a caller wants
    at once, so that a source can batch the questions and ask each distinct one once."""

    hosts: frozenset[str]
    """The git hosts whose repositories it can look up (`github.com`, an Enterprise host)."""

    def refs(self, names: Collection[RefName]) -> Mapping[RefName, ResolvedRef | Unresolved]:
        """What each ref name points at."""
        ...

    def tag_commits(self, names: Collection[RefName]) -> Mapping[RefName, str | Unresolved | None]:
        """The commit of each tag (`RefName.ref` a tag name); None where there is no such tag.
        Cheaper than `refs` where the tag was seen in an earlier listing."""
        ...

    def commits(
        self, commits: Collection[CommitName]
    ) -> Mapping[CommitName, CommitFacts | Unresolved]:
        """Whether each commit is in its repository, and the tags at it."""
        ...


class DigestSource(Protocol):
    """Container registries: the digest each image tag points at now."""

    def digests(self, images: Collection[ImageTag]) -> Mapping[ImageTag, str | Unresolved]:
        """`sha256:<hex>` of each tag's manifest (of its index, for a multi-platform image)."""
        ...


class FactCache(Protocol):
    """Where looked-up facts are kept between runs (the audit's SQLite store)."""

    def fact(self, kind: str, key: str, max_age: float | None) -> str | None:
        """The value stored under (`kind`, `key`) if it is at most `max_age` seconds old
        (None: whatever its age); None when there is none."""
        ...

    def put_fact(self, kind: str, key: str, value: str) -> None: ...


def is_full_sha(ref: str) -> bool:
    return FULL_SHA.fullmatch(ref) is not None


def version_parts(name: str) -> tuple[int, ...] | None:
    """The numbers of a version-like tag name (`v4.2.2` -> (4, 2, 2)); None for other names."""
    found = _VERSION.match(name)
    if found is None:
        return None
    return tuple(int(part) for part in found.group(1).split("."))


def is_version_like(name: str) -> bool:
    return version_parts(name) is not None


def most_specific_tag(tags: Collection[str], ref: str = "") -> str | None:
    """The most specific version tag among `tags` (those that start with `ref`, when some do):
    `v4.2.2` rather than `v4.2` or `v4`; a release rather than a pre-release of it."""
    candidates = [tag for tag in tags if tag.startswith(ref)] if ref else list(tags)
    versions = [tag for tag in candidates if is_version_like(tag)]
    if not versions:
        return None

    def specificity(tag: str) -> tuple[int, bool, tuple[int, ...], int]:
        parts = version_parts(tag) or ()
        found = _VERSION.match(tag)
        release = found is not None and not found.group(2)
        return (len(parts), release, parts, -len(tag))

    return max(sorted(versions), key=specificity)


_REGISTRY_HOST = lazy_compile(r"^(?:localhost|[^/]*[.:][^/]*)$")
_IMAGE = lazy_compile(
    r"^(?P<name>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?$"
)


def parse_image(text: str) -> ImageTag | None:
    """An image reference as Docker reads it (`node:20`, `ghcr.io/o/app:1.0`,
    `docker://alpine`), without a digest; None for anything else (a variable, a digest)."""
    text = text.strip().removeprefix("docker://")
    if not text or "@" in text:
        return None
    first, slash, rest = text.partition("/")
    if slash and _REGISTRY_HOST.match(first):
        registry, remainder = first.lower(), rest
    else:
        registry, remainder = "docker.io", text
    if registry in ("index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"):
        registry = "docker.io"
    found = _IMAGE.match(remainder)
    if found is None:
        return None
    repository = found.group("name")
    if registry == "docker.io" and "/" not in repository:
        repository = f"library/{repository}"
    return ImageTag(registry, repository, found.group("tag") or "latest")
