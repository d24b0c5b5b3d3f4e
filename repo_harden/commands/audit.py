"""`repo-harden audit`: every repository of an organization or user, through the API."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from repo_harden.audit.runner import Audit, AuditOptions, AuditResult, Progress
from repo_harden.cli import EXIT_FINDINGS, EXIT_OK, use_color
from repo_harden.core.errors import UsageError
from repo_harden.core.model import AdvisorySource, Rule, Severity
from repo_harden.engine.config import parse_fail_on
from repo_harden.reporters import Report, renderer
from repo_harden.reporters.text import summary

if TYPE_CHECKING:
    from github.Auth import Auth

    from repo_harden.audit.transport import Stats

EXIT_INCOMPLETE = 3
MAX_CONCURRENCY = 100


def run_audit(args: argparse.Namespace) -> int:
    import gc

    gc.disable()
    from repo_harden.audit.store import Store
    from repo_harden.audit.transport import Governor, Transport
    from repo_harden.frontend.output import write_atomically
    from repo_harden.github.client import DEFAULT_API_URL

    options = audit_options(args)
    if not 1 <= args.concurrency <= MAX_CONCURRENCY:
        raise UsageError(f"--concurrency: between 1 and {MAX_CONCURRENCY}")
    auth = audit_auth(args, os.environ)
    api_url = args.api_url or DEFAULT_API_URL
    governor = Governor(args.concurrency, max_wait=args.max_wait)
    store = Store(cache_file(args, api_url))
    progress = TerminalProgress(sys.stderr) if show_progress(sys.stderr) else None
    try:
        with Transport(auth, api_url, governor=governor) as transport:
            transport.authenticate()
            audit = Audit(
                transport, store, options, concurrency=args.concurrency, progress=progress
            )
            result = audit.run()
            stats = transport.stats
    finally:
        store.close()
        if progress is not None:
            progress.finish()
    report = audit_report(result, audit.rules, color=args.output is None and use_color(sys.stdout))
    rendered = renderer(args.format)(report)
    footer = cost_line(stats, result)
    if args.output is not None:
        write_atomically(args.output, rendered)
        print(f"{summary(report)}\n{footer}\nWrote the {args.format} report to {args.output}.")
    else:
        sys.stdout.write(rendered)
        print(footer, file=sys.stderr)
    for crash in result.crashes:
        print(f"repo-harden: internal error, please report it: {crash}", file=sys.stderr)
    return audit_exit_code(report, fail_on_of(args))


def audit_options(args: argparse.Namespace) -> AuditOptions:
    from repo_harden.audit.listing import parse_shard
    from repo_harden.engine.config import check_selector, load_config
    from repo_harden.engine.registry import catalogue
    from repo_harden.frontend.online import checked_repository

    if not (args.org or args.user or args.repo):
        raise UsageError("audit: name what to audit with --org, --user or --repo")
    found = catalogue(())
    for selector in (*args.select, *args.ignore):
        check_selector(selector, found.codes, "command line")
    config, text = None, ""
    if args.config is not None:
        if not args.config.is_file():
            raise UsageError(f"{args.config}: no such config file")
        config = load_config(args.config, found.checks, found.codes)
        text = args.config.read_text(encoding="utf-8")
    return AuditOptions(
        organizations=tuple(args.org),
        users=tuple(args.user),
        repositories=tuple(checked_repository(name) for name in args.repo),
        include_archived=args.include_archived,
        include_forks=args.include_forks,
        shard=parse_shard(args.shard) if args.shard else None,
        config=config,
        config_text=text,
        select=tuple(args.select),
        ignore=tuple(args.ignore),
        exclude=tuple(args.exclude),
        advisories=_advisories(args),
    )


def _advisories(args: argparse.Namespace) -> AdvisorySource:
    """LCK006's source of known vulnerabilities: `--osv-url`, `REPO_HARDEN_OSV_URL` or OSV's
    own API. pip-audit is imported only when a locked Python dependency is looked up."""
    from repo_harden.advisories.source import osv_url_setting, pip_audit_source

    return pip_audit_source(osv_url_setting(args.osv_url, os.environ))


def audit_auth(args: argparse.Namespace, environ: Mapping[str, str]) -> Auth:
    """A GitHub App installation (`--app-id`, `--app-key`, `--installation-id`), or the
    token in GITHUB_TOKEN or GH_TOKEN."""
    from github import Auth

    from repo_harden.github.client import REDACTOR, require_token

    app = (args.app_id, args.app_key, args.installation_id)
    if any(part is not None for part in app):
        if any(part is None for part in app):
            raise UsageError("a GitHub App needs --app-id, --app-key and --installation-id")
        try:
            key = Path(args.app_key).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise UsageError(f"--app-key {args.app_key}: cannot read it ({error})") from None
        REDACTOR.add(key.strip())
        return Auth.AppAuth(args.app_id, key).get_installation_auth(args.installation_id)
    token = require_token(environ, "audit")
    REDACTOR.add(token)
    return Auth.Token(token)


def cache_file(args: argparse.Namespace, api_url: str) -> Path | None:
    """`--cache-dir` (default: the user's cache folder), one file per GitHub host."""
    from urllib.parse import urlsplit

    if args.no_cache:
        return None
    folder = args.cache_dir
    if folder is None:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        folder = Path(base) / "repo-harden"
    host = urlsplit(api_url).netloc.replace(":", "_") or "github"
    return Path(folder) / f"audit-{host}.sqlite3"


def audit_report(result: AuditResult, rules: Mapping[str, Rule], color: bool) -> Report:
    return Report(
        reported=result.reported,
        rules=dict(rules),
        files_checked=result.files_checked,
        suppressed_inline=result.suppressed_inline,
        waived=result.waived,
        repositories=result.repositories,
        color=color,
    )


def fail_on_of(args: argparse.Namespace) -> Severity | None:
    return parse_fail_on(args.fail_on or "warning", "--fail-on")


def audit_exit_code(report: Report, fail_on: Severity | None) -> int:
    """3 when a repository could not be audited (the rest is still reported); else 1 for
    findings at or above --fail-on."""
    if any(repo.status == "failed" for repo in report.repositories or ()):
        return EXIT_INCOMPLETE
    if fail_on is None:
        return EXIT_OK
    failing = any(item.severity.rank >= fail_on.rank for item in report.reported)
    return EXIT_FINDINGS if failing else EXIT_OK


def cost_line(stats: Stats, result: AuditResult) -> str:
    counts = stats.counts
    return (
        f"GitHub API: {stats.rate_limited} rate-limited requests ({counts['graphql']} GraphQL "
        f"costing {stats.graphql_points} points, {counts['rest']} REST), "
        f"{counts['not_modified']} free 304 answers; "
        f"{result.reused} repositories unchanged since the cached audit."
    )


def show_progress(stream: TextIO) -> bool:
    """A progress line on a terminal; nothing in CI or when stderr is a file."""
    return stream.isatty() and not os.environ.get("CI") and os.environ.get("TERM") != "dumb"


class TerminalProgress(Progress):
    """One line on stderr, redrawn: repositories done, requests made, rate limit left."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._started = time.monotonic()
        self._drawn = False

    def update(self, result: AuditResult, stats: Stats, rate_left: int | None) -> None:
        done = len(result.repositories)
        failed = len(result.failed)
        left = f", rate limit left {rate_left}" if rate_left is not None else ""
        elapsed = time.monotonic() - self._started
        line = (
            f"audit: {done} repositories done ({failed} failed), "
            f"{stats.rate_limited} requests{left}, {elapsed:.0f} s"
        )
        self._stream.write(f"\r\x1b[K{line}")
        self._stream.flush()
        self._drawn = True

    def finish(self) -> None:
        if self._drawn:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
