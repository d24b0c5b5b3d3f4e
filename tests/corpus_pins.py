"""Fakes that know every reference the starter-workflow corpus uses: a history in the fake
GitHub for each `owner/repo@ref` (one commit per ref, a version tag, annotated or not, and
a more specific tag at the same commit; a branch for `release/v1`; a tag at each commit
already pinned), and an image in the fake registry for each image PIN002 finds. Shared by
`test_fix_corpus.py` and `benchmarks/bench_fix.py`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tests.fake_github import FakeGitHub
from tests.fake_registry import FakeRegistry

_USES = re.compile(
    r"^\s*-?\s*uses\s*:\s*['\"]?([^\s'\"#]+)['\"]?[ \t]*(?:#\s*(\S+))?", re.MULTILINE
)
_VERSION = re.compile(r"v?\d+(\.\d+)*")
# The images PIN002 finds in the corpus (test_corpus.py counts them): three job and service
# containers, and one `docker run`.
CORPUS_IMAGES = {
    "crystallang/crystal": ("crystallang/crystal", "latest"),
    "erlang:22.0.7": ("library/erlang", "22.0.7"),
    "postgres:11-alpine": ("library/postgres", "11-alpine"),
    "jekyll/builder:latest": ("jekyll/builder", "latest"),
}


@dataclass(frozen=True)
class Served:
    refs: dict[str, str]  # commit -> the ref it stands for (each ref has its own commit)
    digests: dict[str, str]  # image as written -> digest
    references: dict[tuple[str, str], str]  # (owner/name, ref) -> its comment's first word


def corpus_references(workflows: Path) -> dict[tuple[str, str], str]:
    """Every (owner/name, ref) a `uses:` of the corpus names (local and docker ones left
    out), with the first word of its comment ("" for none)."""
    found: dict[tuple[str, str], str] = {}
    for path in sorted(workflows.iterdir()):
        for value, comment in _USES.findall(path.read_text(encoding="utf-8")):
            if value.startswith(("./", "docker://")) or "@" not in value:
                continue
            target, _, ref = value.partition("@")
            found.setdefault(("/".join(target.split("/")[:2]), ref), comment)
    return found


def serve_corpus(workflows: Path, github: FakeGitHub, registry: FakeRegistry) -> Served:
    references = corpus_references(workflows)
    refs: dict[str, str] = {}
    for index, ((repository, ref), comment) in enumerate(sorted(references.items())):
        history = github.add_history(repository)
        if re.fullmatch(r"[0-9a-f]{40}", ref):  # pinned already: a tag of the repository
            history.commit(f"{repository}@{ref}", sha=ref)
            version = comment if _VERSION.fullmatch(comment) else f"v0.{index}"
            history.tag(version, ref, annotated=index % 2 == 0)
            continue
        sha = history.commit(f"{repository}@{ref}")
        refs[sha] = ref
        if _VERSION.fullmatch(ref):
            history.tag(ref, sha, annotated=index % 2 == 0)
            history.tag(f"{ref}.9", sha)  # the more specific tag the comment names
        else:
            history.branch(ref, sha)
    digests = {
        written: registry.add_image(name, tag, platforms=index % 3)
        for index, (written, (name, tag)) in enumerate(CORPUS_IMAGES.items())
    }
    return Served(refs, digests, references)
