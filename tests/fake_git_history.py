"""A repository's git history for the fake GitHub, as pins see it: commits with their
parents, branches, lightweight and annotated tags, and commits pushed to forks.

GitHub keeps a repository and its forks in one network and serves any commit of the
network under any of their names: a fork's commit is in `commits` (so `object(oid:)` and
`compare` find it) but no branch or tag of the repository reaches it. That is an impostor
commit. Commit ids are made from labels, so tests name commits as they like.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field


def commit_id(label: str) -> str:
    """The commit id a history gives `label` (stable: the same label, the same id)."""
    return hashlib.sha1(f"commit {label}".encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class FakeCommit:
    sha: str
    parents: tuple[str, ...]
    date: int  # epoch seconds: later commits are newer


@dataclass(frozen=True)
class FakeTag:
    """A tag: lightweight (the ref points at the commit) or annotated (at a tag object)."""

    name: str
    commit: str
    annotated: bool = False

    @property
    def oid(self) -> str:
        if not self.annotated:
            return self.commit
        body = f"object {self.commit}\ntype commit\ntag {self.name}\n\nrelease {self.name}\n"
        header = f"tag {len(body.encode())}\0".encode()
        return hashlib.sha1(header + body.encode(), usedforsecurity=False).hexdigest()


@dataclass
class FakeHistory:
    commits: dict[str, FakeCommit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, FakeTag] = field(default_factory=dict)

    def commit(self, label: str, *parents: str, sha: str | None = None) -> str:
        """A new commit (`label` names it, or `sha` is its id), child of `parents`; returns
        its id."""
        sha = sha or commit_id(label)
        self.commits[sha] = FakeCommit(sha, tuple(parents), 1_700_000_000 + len(self.commits))
        return sha

    def branch(self, name: str, sha: str) -> None:
        self.branches[name] = sha

    def tag(self, name: str, sha: str, *, annotated: bool = False) -> None:
        self.tags[name] = FakeTag(name, sha, annotated)

    def ancestors(self, sha: str) -> set[str]:
        """`sha` and every commit before it."""
        seen: set[str] = set()
        todo = [sha]
        while todo:
            current = todo.pop()
            if current in seen or current not in self.commits:
                continue
            seen.add(current)
            todo.extend(self.commits[current].parents)
        return seen

    def resolve(self, name: str) -> str | None:
        """A branch, a tag (peeled) or a commit (full or abbreviated, if unique)."""
        if name in self.branches:
            return self.branches[name]
        if name in self.tags:
            return self.tags[name].commit
        matches = [sha for sha in self.commits if sha.startswith(name.lower())] if name else []
        return matches[0] if len(matches) == 1 and len(name) >= 4 else None

    def reachable(self) -> set[str]:
        """Every commit some branch or tag reaches."""
        tips: Iterable[str] = [*self.branches.values(), *(t.commit for t in self.tags.values())]
        found: set[str] = set()
        for tip in tips:
            found |= self.ancestors(tip)
        return found

    def compare(self, base: str, head: str) -> tuple[str, int, int]:
        """GitHub's `status`, `ahead_by` and `behind_by` of `base...head`."""
        if base == head:
            return "identical", 0, 0
        before_base, before_head = self.ancestors(base), self.ancestors(head)
        ahead, behind = len(before_head - before_base), len(before_base - before_head)
        if head in before_base:
            return "behind", 0, behind
        if base in before_head:
            return "ahead", ahead, 0
        return "diverged", ahead, behind
