"""`repo-harden fix` on the 175 starter workflows (actions/starter-workflows, MIT), against a
fake GitHub and a fake registry that know every reference they use: afterwards `scan`
finds no PIN001 or PIN002, every file composes to the same YAML apart from the
references, and the diff touches only reference text and the comments that name versions.
Each distinct reference is asked once; a second run asks nothing."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.corpus_pins import CORPUS_IMAGES, corpus_references, serve_corpus
from tests.fake_github import FakeGitHub, Token, assert_github_shapes, assert_graphql_valid
from tests.fake_registry import FakeRegistry
from tests.test_corpus import corpus_repo

TOKEN = "ghp_corpus0123456789abcdefghijklmnopqrstu"


@dataclass
class Corpus:
    repo: Path
    github: FakeGitHub
    registry: FakeRegistry
    refs: dict[str, str]  # commit -> the ref it stands for (each ref has its own commit)
    digests: dict[str, str]  # image as written -> digest
    distinct: int  # distinct (repository, ref) references, pinned ones too


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Corpus]:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "no-docker-config"))
    repo = corpus_repo(tmp_path / "corpus")
    with FakeGitHub({TOKEN: Token()}) as github, FakeRegistry() as registry:
        served = serve_corpus(repo / ".github" / "workflows", github, registry)
        yield Corpus(repo, github, registry, served.refs, served.digests, len(served.references))
    assert_github_shapes(github)
    assert_graphql_valid(github)


def _fix(cli: Any, corpus: Corpus, cache: Path) -> Any:
    return cli(
        "fix", "--api-url", corpus.github.url, "--registry-url",
        f"docker.io={corpus.registry.url}", "--cache-dir", str(cache), cwd=corpus.repo,
    )  # fmt: skip


def test_fixing_the_starter_workflows(cli: Any, corpus: Corpus, tmp_path: Path) -> None:
    workflows = corpus.repo / ".github" / "workflows"
    before = {path.name: path.read_text(encoding="utf-8") for path in workflows.iterdir()}
    assert corpus.distinct == 164  # 63 (repository, ref) to pin, 101 pinned already (to verify)

    result = _fix(cli, corpus, tmp_path / "cache")
    assert result.code == 0, [line for line in result.out.splitlines() if "not fixed" in line]
    assert "Fixed 407 references in 166 files." in result.out  # PIN001 403, PIN002 4
    asked = _asked(corpus)
    assert len(asked) == len(set(asked))  # each distinct reference asked once
    pinned = {(repository.lower(), ref) for repository, ref in _pinned_references(corpus)}
    assert {(r, ref) for kind, r, ref in asked if kind == "ref"} >= {
        (repository.lower(), ref)
        for repository, ref in corpus_references(corpus.repo / ".github" / "workflows")
    } - pinned  # every ref to pin was asked about
    assert corpus.registry.count("HEAD") == len(CORPUS_IMAGES) + 1  # the first meets the challenge
    assert corpus.registry.count("GET", "/token") == 1  # one token for every repository

    rescan = cli("scan", "--format", "json", "--select", "PIN001,PIN002", cwd=corpus.repo)
    assert rescan.code == 0, rescan.out
    assert json.loads(rescan.out)["findings"] == []

    for name, old in before.items():
        new = (workflows / name).read_text(encoding="utf-8")
        assert _composed(_unpinned(new, corpus)) == _composed(old), name
        _only_references_and_comments_changed(old, new, corpus, name)

    sent = len(corpus.github.exchanges), len(corpus.registry.requests)
    again = _fix(cli, corpus, tmp_path / "cache")
    assert again.code == 0 and again.out.strip() == "Nothing to fix."
    late = [e.request_body.decode()[:400] for e in corpus.github.exchanges[sent[0] :]]
    assert (len(corpus.github.exchanges), len(corpus.registry.requests)) == sent, late


def _composed(text: str) -> Any:
    """The YAML's node tree (composed, not constructed: some templates have `{{ }}` keys),
    as nested tuples and lists of tags and scalar values."""

    def tree(node: Any) -> Any:
        if isinstance(node.value, str):
            return (node.tag, node.value)
        if isinstance(node.value, list) and node.value and isinstance(node.value[0], tuple):
            return (node.tag, [(tree(key), tree(value)) for key, value in node.value])
        return (node.tag, [tree(item) for item in node.value])

    return tree(yaml.compose(text, Loader=yaml.CSafeLoader))


def _pinned_references(corpus: Corpus) -> list[tuple[str, str]]:
    return [
        (r, ref)
        for r, ref in corpus_references(corpus.repo / ".github" / "workflows")
        if re.fullmatch("[0-9a-f]{40}", ref)
    ]


_ALIAS = re.compile(
    r'[rc]\d+: repository\(owner: "([^"]+)", name: "([^"]+)"\) \{\n  '
    r'(?:tag: ref\(qualifiedName: "refs/tags/([^"]+)"\)|object\(oid: "([0-9a-f]{40})"\))'
)


def _asked(corpus: Corpus) -> list[tuple[str, str, str]]:
    """(kind, repository, ref or commit) of every question the GraphQL queries asked."""
    asked = []
    for exchange in corpus.github.exchanges:
        if exchange.path != "/graphql":
            continue
        query = json.loads(exchange.request_body)["query"]
        for owner, name, ref, commit in _ALIAS.findall(query):
            kind = "ref" if ref else "commit"
            asked.append((kind, f"{owner}/{name}".lower(), ref or commit))
    return asked


def _unpinned(text: str, corpus: Corpus) -> str:
    """The text with every pin turned back into the reference it replaced."""
    text = re.sub(
        r"@(sha256:[0-9a-f]{64})",
        lambda m: "" if m.group(1) in corpus.digests.values() else m.group(),
        text,
    )
    return re.sub(r"@([0-9a-f]{40})", lambda m: "@" + corpus.refs.get(m.group(1), m.group(1)), text)


def _only_references_and_comments_changed(old: str, new: str, corpus: Corpus, name: str) -> None:
    old_lines, new_lines = old.splitlines(), new.splitlines()
    assert len(old_lines) == len(new_lines), name
    for before, after in zip(old_lines, new_lines, strict=True):
        if before == after:
            continue
        value, _, comment = after.partition(" # ")
        assert (
            _unpinned(value, corpus) == before.split(" #")[0].rstrip()
            or _unpinned(value, corpus) == before
        ), (name, before, after)
        if comment:  # the version comment fix wrote, and whatever comment was there before
            version = comment.split(" # ")[0]
            assert re.fullmatch(r"v?\d+(\.\d+)*\.9|[\w./-]+", version), (name, after)
            old_comment = before.partition(" #")[2].strip()
            assert comment.endswith(old_comment), (name, before, after)
