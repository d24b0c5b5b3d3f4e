"""pre-commit hook repositories: each `repos:` entry of `.pre-commit-config.yaml` with its
`rev:` (`local` and `meta` run nothing fetched), as the shared reader reads them
(`repo_harden.readers.precommit`, which PIN005 reads too)."""

from __future__ import annotations

from repo_harden.core.parsed import ParsedFiles
from repo_harden.inventory.model import FULL_SHA, PRE_COMMIT_HOOK, Item
from repo_harden.readers.precommit import PRE_COMMIT_CONFIG as PRE_COMMIT_READING

PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"


def hooks_of(parsed: ParsedFiles, path: str) -> list[Item]:
    config = parsed.read(PRE_COMMIT_READING, path)
    found = []
    for repository in config.repositories if config is not None else ():
        if repository.is_local:
            continue
        ref = repository.rev.value if repository.rev is not None else None
        sha = ref.lower() if ref is not None and FULL_SHA.fullmatch(ref) else None
        url = repository.url
        found.append(Item(PRE_COMMIT_HOOK, path, url.at.line, url.value, ref, sha=sha))
    return found
