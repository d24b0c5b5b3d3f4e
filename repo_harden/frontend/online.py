"""`repo-harden scan --online`: which GitHub repository a checkout is, its live settings,
and where known vulnerabilities are looked up.

The repository is `--repo OWNER/NAME`, or the path of the `origin` remote. A remote URL
may hold credentials (`https://x-access-token:...@github.com/...`), so only its path is
kept, and the URL itself is never shown. Only the rules that read live settings (BP,
OWN003, WF) or look up what pins name (PIN003, PIN004) need a token: LCK006 asks an
OSV service, which needs none. The Actions settings are read only when a WF rule is
selected.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from repo_harden.core.errors import UsageError
from repo_harden.core.lazy import lazy_compile
from repo_harden.core.pins import GitRefSource
from repo_harden.core.record import field, record, replace
from repo_harden.core.snapshot import RepoSettings

PIN_LOOKUP_RULES = frozenset({"PIN003", "PIN004"})  # they ask for refs, not for settings
_FULL_NAME = lazy_compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_SCP_LIKE = lazy_compile(r"^(?:[^@/]+@)?[^/:]+:(?P<path>[^/].*)$")


@record
class OnlineOptions:
    """What `--online` needs. The token (None: none in the environment) is kept out of
    `repr`; `osv_url` is the OSV API's base URL (None: OSV's own)."""

    token: str | None = field(repr=False)
    repository: str | None = None
    api_url: str | None = None
    osv_url: str | None = None


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


def online_settings(
    root: Path, options: OnlineOptions, reading_settings: Sequence[str]
) -> RepoSettings:
    """What `--online` adds to a scan: the advisory source for LCK006 (pip-audit is loaded
    only if LCK006 looks something up), and the live settings from GitHub when one of the
    selected rules, `reading_settings` (codes), reads them."""
    from repo_harden.advisories.source import pip_audit_source

    settings = RepoSettings()
    if reading_settings:
        require_token(options, reading_settings)
    live = [code for code in reading_settings if code not in PIN_LOOKUP_RULES]
    if live:
        settings = read_online_settings(root, options, live)
    if PIN_LOOKUP_RULES.intersection(reading_settings):
        settings = replace(settings, git_refs=git_ref_source(options))
    return replace(settings, advisories=pip_audit_source(options.osv_url))


def require_token(options: OnlineOptions, reading_settings: Sequence[str]) -> str:
    from repo_harden.github.client import MissingTokenError

    if options.token is None:
        live = [code for code in reading_settings if code not in PIN_LOOKUP_RULES]
        pins = [code for code in reading_settings if code in PIN_LOOKUP_RULES]
        why = [f"{_code_ranges(live)} read live settings from GitHub"] if live else []
        why += [f"{_code_ranges(pins)} look up refs and commits on GitHub"] if pins else []
        raise MissingTokenError(
            "--online needs a GitHub token: set GITHUB_TOKEN or GH_TOKEN; "
            f"{' and '.join(why)} (LCK006 needs no token: `--online --select LCK006`)"
        )
    return options.token


def git_ref_source(options: OnlineOptions) -> GitRefSource:
    """PIN003 and PIN004's lookups, through one client kept open for the whole scan."""
    from repo_harden.github.client import DEFAULT_API_URL, GitHubClient
    from repo_harden.github.git_refs import GitHubRefs, git_hosts

    api_url = options.api_url or DEFAULT_API_URL
    client = GitHubClient(require_token(options, sorted(PIN_LOOKUP_RULES)), api_url)
    return GitHubRefs(client, hosts=git_hosts(api_url))


def read_online_settings(
    root: Path, options: OnlineOptions, reading_settings: Sequence[str]
) -> RepoSettings:
    from repo_harden.github.client import DEFAULT_API_URL, GitHubClient
    from repo_harden.github.live_settings import read_live_settings

    require_token(options, reading_settings)
    assert options.token is not None
    full_name = options.repository or origin_repository(root)
    if full_name is None:
        raise UsageError(
            "--online: cannot tell which GitHub repository this is (no `origin` remote "
            "with an OWNER/NAME path); pass --repo OWNER/NAME"
        )
    actions = any(code.startswith("WF") for code in reading_settings)
    with GitHubClient(options.token, options.api_url or DEFAULT_API_URL) as client:
        return read_live_settings(client, full_name, actions=actions)


def _code_ranges(codes: Sequence[str]) -> str:
    """`BP001-BP012, OWN003`: each run of consecutive codes of one family as a range."""
    runs: list[list[tuple[str, int, str]]] = []
    for code in sorted(codes):
        family = code.rstrip("0123456789")
        number = int(code[len(family) :] or 0)
        if runs and runs[-1][-1][0] == family and runs[-1][-1][1] + 1 == number:
            runs[-1].append((family, number, code))
        else:
            runs.append([(family, number, code)])
    return ", ".join(run[0][2] if len(run) == 1 else f"{run[0][2]}-{run[-1][2]}" for run in runs)
