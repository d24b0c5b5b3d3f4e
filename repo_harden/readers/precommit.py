"""`.pre-commit-config.yaml`: the hook repositories it names, each with its `repo:` and `rev:`
as positioned scalars."""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import urlsplit

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.parsed import ParsedFiles, ParseError, Reading
from repo_harden.core.record import record
from repo_harden.readers.yaml import (
    YAML,
    Node,
    Scalar,
    fields,
    is_mapping,
    mapping_get,
    position,
    scalar,
    sequence_items,
)

PRE_COMMIT_PATTERNS = ("/.pre-commit-config.yaml",)  # pre-commit reads the one at the root
# Not repositories: hooks defined in the config itself, and pre-commit's own checks.
LOCAL_REPOSITORIES = frozenset({"local", "meta"})
_SCP_LIKE = lazy_compile(r"^[^@/\s]+@(?P<host>[^:/\s]+):(?P<path>[^\s]+)$")
_NAME = lazy_compile(r"^[A-Za-z0-9_.-]+$")


@record
class HookRepository:
    """One entry of `repos:`: its `repo:` URL and its `rev:` (None when it has none)."""

    url: Scalar
    rev: Scalar | None

    @property
    def is_local(self) -> bool:
        return self.url.value.strip() in LOCAL_REPOSITORIES


@record
class PreCommitConfig:
    repositories: tuple[HookRepository, ...]


def read_pre_commit_config(root: Node | None) -> PreCommitConfig:
    if root is not None and not is_mapping(root):
        message = "the top level is not a mapping, so this is not a pre-commit config"
        raise ParseError(message, position(root))
    found = []
    for node in sequence_items(mapping_get(root, "repos")):
        entry = fields(node)
        url = scalar(entry.get("repo"))
        if url is not None:
            found.append(HookRepository(url, scalar(entry.get("rev"))))
    return PreCommitConfig(tuple(found))


def _config_of(parsed: ParsedFiles, path: str) -> PreCommitConfig | None:
    root = parsed.read(YAML, path)
    return read_pre_commit_config(root) if root is not None else None


PRE_COMMIT_CONFIG = Reading("pre-commit-config", _config_of)
"""A pre-commit configuration (`.pre-commit-config.yaml`)."""


def repository_of_url(url: str, hosts: Collection[str]) -> str | None:
    """`owner/name` of a git URL on one of `hosts` (https, ssh or `git@host:owner/name`), or
    None for another host or a URL that names no repository."""
    url = url.strip()
    scp = _SCP_LIKE.match(url) if "://" not in url else None
    if scp is not None:
        host, path = scp.group("host"), scp.group("path")
    else:
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http", "ssh", "git"):
            return None
        host, path = parts.hostname or "", parts.path
    if host.lower() not in {h.lower() for h in hosts}:
        return None
    names = [part for part in path.strip("/").split("/") if part]
    if len(names) != 2:
        return None
    owner, name = names[0], names[1].removesuffix(".git")
    return f"{owner}/{name}" if _NAME.match(owner) and _NAME.match(name) else None
