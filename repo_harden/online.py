"""`repo-harden scan --online`: which GitHub repository a checkout is, and its live settings.

The repository is `--repo OWNER/NAME`, or the path of the `origin` remote. A remote URL
may hold credentials (`https://x-access-token:...@github.com/...`), so only its path is
kept, and the URL itself is never shown.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from repo_harden.errors import UsageError
from repo_harden.model import RepoSettings

_FULL_NAME = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_SCP_LIKE = re.compile(r"^(?:[^@/]+@)?[^/:]+:(?P<path>[^/].*)$")


@dataclass(frozen=True)
class OnlineOptions:
    """What `--online` needs. The token is kept out of `repr`."""

    token: str = field(repr=False)
    repository: str | None = None
    api_url: str | None = None


def repository_from_remote(url: str) -> str | None:
    """`owner/name` from a remote URL: https, ssh, or scp-like `git@host:owner/name.git`."""
    url = url.strip()
    if "://" in url:
        path = urlsplit(url).path
    else:
        found = _SCP_LIKE.match(url)
        path = found.group("path") if found else ""
    parts = [part for part in path.strip("/").split("/") if part]
    if len(parts) < 2:
        return None
    name = f"{parts[-2]}/{parts[-1].removesuffix('.git')}"
    return name if _FULL_NAME.match(name) else None


def origin_repository(root: Path) -> str | None:
    try:
        result = subprocess.run(
            ["git", "remote", "get-url", "origin"],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return None
    return repository_from_remote(result.stdout) if result.returncode == 0 else None


def checked_repository(value: str) -> str:
    if not _FULL_NAME.match(value):
        raise UsageError(f"--repo: expected OWNER/NAME, not {value!r}")
    return value


def read_online_settings(root: Path, options: OnlineOptions) -> RepoSettings:
    from repo_harden.github_client import DEFAULT_API_URL, GitHubClient
    from repo_harden.live_settings import read_live_settings

    full_name = options.repository or origin_repository(root)
    if full_name is None:
        raise UsageError(
            "--online: cannot tell which GitHub repository this is (no `origin` remote "
            "with an OWNER/NAME path); pass --repo OWNER/NAME"
        )
    with GitHubClient(options.token, options.api_url or DEFAULT_API_URL) as client:
        return read_live_settings(client, full_name)
