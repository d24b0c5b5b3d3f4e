"""pre-commit hook repositories: each `repos:` entry of `.pre-commit-config.yaml` with its
`rev:` (`local` and `meta` run nothing fetched)."""

from __future__ import annotations

from repo_harden.core.parsed import ParsedFiles
from repo_harden.inventory.model import FULL_SHA, PRE_COMMIT_HOOK, Item
from repo_harden.readers.yaml import YAML, fields, is_mapping, position, scalar, sequence_items

PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"


def hooks_of(parsed: ParsedFiles, path: str) -> list[Item]:
    root = parsed.read(YAML, path)
    if root is None:
        return []
    if not is_mapping(root):
        message = "the top level is not a mapping, so this is not a pre-commit config"
        parsed.problem(path, message, position(root))
        return []
    found = []
    for entry in sequence_items(fields(root).get("repos")):
        values = fields(entry)
        repo, rev = scalar(values.get("repo")), scalar(values.get("rev"))
        if repo is None or repo.value in ("local", "meta"):
            continue
        ref = rev.value if rev is not None else None
        sha = ref.lower() if ref is not None and FULL_SHA.fullmatch(ref) else None
        found.append(Item(PRE_COMMIT_HOOK, path, repo.at.line, repo.value, ref, sha=sha))
    return found
