"""The repository's paths, indexed by folder, as the ecosystems look for a manifest's
lockfile; and the workspace globs of npm, pnpm, uv and Cargo."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property, lru_cache

from repo_harden.core.globs import ANY, ONE, SEGMENTS, STAR, Glob, GlobSet, Token, literal_tokens


class Tree:
    """Every path of the repository, indexed by folder, for finding a manifest's lockfile."""

    def __init__(self, paths: Sequence[str]) -> None:
        self.paths = paths

    @cached_property
    def _files(self) -> frozenset[str]:
        return frozenset(self.paths)

    @cached_property
    def _by_name(self) -> dict[str, list[str]]:
        names: dict[str, list[str]] = {}
        for path in self.paths:
            names.setdefault(path.rpartition("/")[2], []).append(path)
        return names

    @cached_property
    def _by_folder(self) -> dict[str, list[str]]:
        folders: dict[str, list[str]] = {}
        for path in self.paths:
            folder, _, name = path.rpartition("/")
            folders.setdefault(folder, []).append(name)
        return folders

    def has(self, path: str) -> bool:
        return path in self._files

    def names_in(self, folder: str) -> list[str]:
        """The file names directly in a folder ("" is the root)."""
        return self._by_folder.get(folder, [])

    def manifests_matching(
        self, root: str, manifest: str, members: Iterable[str], exclude: Iterable[str]
    ) -> list[str]:
        """The `manifest` files of the workspace at `root` whose folders match `members` and
        not `exclude` (the root's own manifest, and node_modules, are never members). The
        globs are compiled once, and only the files named `manifest` are looked at."""
        included, excluded = workspace_globs(tuple(members)), workspace_globs(tuple(exclude))
        found = []
        for path in self._by_name.get(manifest, ()):
            member = relative(folder_of(path), root)
            if member in (None, ".") or "node_modules/" in path:
                continue
            if included.member(member) and not excluded.member(member):
                found.append(path)
        return found

    def first_present(self, folder: str, names: Iterable[str]) -> str | None:
        """The path of the first of `names` that exists in `folder`."""
        for name in names:
            path = join(folder, name)
            if path in self._files:
                return path
        return None


def join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


def folder_of(path: str) -> str:
    return path.rpartition("/")[0]


def ancestors(folder: str) -> Iterator[str]:
    """The folders above `folder`, nearest first, ending with the root ""."""
    while folder:
        folder = folder_of(folder)
        yield folder


def relative(folder: str, base: str) -> str | None:
    """`folder` relative to `base` ("." for the same folder), or None if it is not inside."""
    if folder == base:
        return "."
    if not base:
        return folder
    return folder[len(base) + 1 :] if folder.startswith(base + "/") else None


class WorkspaceGlobs:
    """A workspace's member globs (`packages/*`, `apps/**`, `./libs/a`, `!**/test`), compiled
    together once: a folder is a member when the last glob that matches it is not a `!`
    negation (pnpm, npm)."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.patterns = patterns
        self._negated = [pattern.startswith("!") for pattern in patterns]
        globs = [_workspace_glob(_cleaned(pattern.lstrip("!"))) for pattern in patterns]
        self._globs = GlobSet(globs) if globs else None

    def member(self, folder: str) -> bool:
        if self._globs is None:
            return False
        matched = self._globs.matched(folder)
        return bool(matched) and not self._negated[max(matched)]


@lru_cache(maxsize=256)
def workspace_globs(patterns: tuple[str, ...]) -> WorkspaceGlobs:
    """The compiled globs of one workspace, shared by every question about it."""
    return WorkspaceGlobs(patterns)


def _cleaned(pattern: str) -> str:
    return posixpath.normpath(pattern.strip().rstrip("/"))


@lru_cache(maxsize=256)
def _workspace_glob(pattern: str) -> Glob:
    tokens: list[Token] = []
    for index, part in enumerate(re.split(r"(\*\*/?|\*|\?)", pattern)):
        if index % 2 == 0:
            tokens += literal_tokens(part)
        elif part.startswith("**"):
            tokens.append(Token(SEGMENTS if part.endswith("/") else ANY))
        else:
            tokens.append(Token(STAR if part == "*" else ONE))
    return Glob(tuple(tokens))


def workspace_member(patterns: Iterable[str], folder: str) -> bool:
    """Whether `folder` matches the globs, `!`-negations last-wins (pnpm, npm)."""
    return workspace_globs(tuple(patterns)).member(folder)
