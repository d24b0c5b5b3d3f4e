"""`repo-harden audit`: every repository of an organization or user, through the API."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TextIO

from repo_harden.commands import EXIT_CODES_HELP
from repo_harden.commands.scan import add_insecure_http_option, add_osv_url_option
from repo_harden.core.errors import UsageError
from repo_harden.core.escape import shown
from repo_harden.core.extras import ONLINE, PIP_AUDIT, PYGITHUB, require
from repo_harden.frontend.help_format import raw_description_help
from repo_harden.frontend.options import (
    add_access_options,
    add_pace_options,
    add_rule_options,
    add_target_options,
    check_concurrency,
    jobs_value,
    overrides_from,
    usable_cores,
)
from repo_harden.reporters import AUDIT_FORMATS, Report

if TYPE_CHECKING:
    import datetime

    from repo_harden.audit.runner import Audit, AuditOptions, AuditResult
    from repo_harden.audit.transport import Credentials, Stats
    from repo_harden.audit.workers import WorkerPool
    from repo_harden.commands import Subcommands
    from repo_harden.core.advisory import AdvisorySource
    from repo_harden.core.model import Rule, Severity
    from repo_harden.engine.records import RepositoryStatus, Trend

_EPILOG = f"""\
{EXIT_CODES_HELP}  3  some repositories could not be audited (the others are still reported)

examples:
  GITHUB_TOKEN=... repo-harden audit --org acme
  repo-harden audit --org acme --format json -o acme.json --shard 1/4
  repo-harden audit --org acme --jobs auto     # GitHub Enterprise nearby: use every core
  repo-harden audit --repo acme/api --repo acme/web --select BP,OWN
  repo-harden merge shard-*.json --format sarif -o acme.sarif
"""
EXIT_CODES_AUDIT_HELP = _EPILOG.split("examples:", maxsplit=1)[0]


def add_parser(commands: Subcommands) -> None:
    audit = commands.add_parser(
        "audit",
        help="audit every repository of a GitHub organization or user through the API",
        description="Run every check on the default branch of each repository, read through "
        "the GitHub API (no clone), with its live settings. Results are cached by head "
        "commit: a re-audit of an unchanged organization costs little more than the "
        "listing, and an interrupted audit resumes.",
        epilog=_EPILOG,
        formatter_class=raw_description_help,
    )
    # A finished audit has closed its cache, connections, spool and worker processes: it
    # may skip the interpreter's teardown (a tenth of a second, with PyGithub's modules).
    audit.set_defaults(run=run, exits_now=lambda args: True)
    add_target_options(audit, "audit")
    access = add_access_options(audit)
    add_insecure_http_option(access)
    add_osv_url_option(access)
    pace = add_pace_options(audit)
    pace.add_argument(
        "--jobs",
        type=jobs_value,
        default=1,
        metavar="N",
        help="worker processes that read and check the repositories, sharing --concurrency "
        "(default 1; `auto`: one per core). They pay off when GitHub answers fast (an "
        "Enterprise Server nearby) and the checks' CPU is the limit; against github.com an "
        "audit mostly waits for answers",
    )
    audit.add_argument(
        "--format",
        choices=AUDIT_FORMATS,
        default="text",
        help="text (default): findings, then a table per repository and per rule family; "
        "html: a self-contained dashboard to open in a browser (with -o)",
    )
    audit.add_argument(
        "-o", "--output", metavar="FILE", help="write the report to FILE (`-`: standard output)"
    )
    add_rule_options(
        audit,
        config_help="one config for every repository (default: each repository's own)",
        fail_on_default="the --config file's fail-on, or warning",
    )


def run(args: argparse.Namespace) -> int:
    import datetime

    require(ONLINE, "audit", [PYGITHUB, PIP_AUDIT])
    from repo_harden.audit.history import remember
    from repo_harden.audit.runner import Audit
    from repo_harden.audit.store import open_store
    from repo_harden.audit.transport import Governor, Transport
    from repo_harden.frontend.output import (
        check_page_destination,
        deliver,
        exit_code,
        use_color,
    )
    from repo_harden.github.client import DEFAULT_API_URL, checked_api_url

    check_page_destination(args.format, args.output)
    _keep_long_lived_objects()
    options = audit_options(args)
    check_concurrency(args.concurrency)
    jobs = check_jobs(args.jobs, args.concurrency)
    auth = audit_auth(args, os.environ)
    api_url = checked_api_url(args.api_url or DEFAULT_API_URL, allow_http=args.allow_insecure_http)
    governor = Governor(args.concurrency, max_wait=args.max_wait)
    store = open_store(cache_file(args, api_url), note)
    progress = TerminalProgress(sys.stderr) if show_progress(sys.stderr) else None
    try:
        with Transport(auth, api_url, governor=governor) as transport:
            transport.authenticate()
            audit = Audit(
                transport,
                store,
                options,
                concurrency=args.concurrency,
                progress=progress,
                note=note,
                workers=worker_pool(args, options, api_url, jobs),
            )
            # The workers look vulnerabilities up themselves: this process, only with one.
            with _advisories_loading(options.advisories if jobs == 1 else None):
                result = audit.run()
            stats = audit.stats
        trend = remember(store, options, result, datetime.datetime.now(datetime.UTC))
    finally:
        store.close()
        if progress is not None:
            progress.finish()
    report = audit_report(
        result,
        audit.rules,
        color=args.output in (None, "-") and use_color(sys.stdout),
        trend=trend,
        selected=selected_rules(options, audit.rules),
        day=options.today,
    )
    try:
        deliver(report, args.format, args.output, footer=cost_line(stats, result), streamed=True)
        return exit_code(
            report.reported,
            audit_fail_on(options),
            repositories=report.repositories or (),
            crashes=result.crashes,
        )
    finally:
        result.reported.close()


def _keep_long_lived_objects() -> None:
    """The modules and rule tables live as long as the audit: the collector leaves them be,
    and runs rarely (an audit of 10,000 repositories must not keep its garbage cycles)."""
    import gc

    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


@contextlib.contextmanager
def _advisories_loading(advisories: AdvisorySource | None) -> Iterator[None]:
    """pip-audit loading in the background while the audit runs; however the audit ends,
    pip-audit's `pip --version` ends first."""
    from repo_harden.advisories.source import PipAuditSource

    if not isinstance(advisories, PipAuditSource):
        yield
        return
    advisories.load_in_background()
    try:
        yield
    finally:
        advisories.loaded()


def check_jobs(jobs: int, concurrency: int) -> int:
    """The worker processes to start: `auto` (0) is one per core this process may use, as
    many as there are request slots at most; a number above `--concurrency` is an error
    (each worker needs a request slot)."""
    if jobs == 0:
        return max(1, min(usable_cores(), concurrency))
    if jobs > concurrency:
        raise UsageError(
            f"--jobs {jobs}: at most --concurrency ({concurrency}), which the workers share"
        )
    return jobs


def worker_pool(
    args: argparse.Namespace, options: AuditOptions, api_url: str, jobs: int
) -> WorkerPool | None:
    """With `jobs` above 1, the processes that read and check the pages, each with its share
    of `--concurrency` and the options this process parsed (its config and day: a config
    file edited meanwhile changes nothing)."""
    if jobs == 1:
        return None  # without importing multiprocessing
    import functools

    from repo_harden.audit.workers import WorkerPool
    from repo_harden.core.record import replace

    arguments = argparse.Namespace(**{k: v for k, v in vars(args).items() if not callable(v)})
    share = -(-args.concurrency // jobs)
    parsed = replace(options, advisories=None)  # each worker makes its own (a thread, a lock)
    opener = functools.partial(worker_audit, arguments, parsed, api_url, share)
    return WorkerPool(jobs, opener)


@contextlib.contextmanager
def worker_audit(
    args: argparse.Namespace, options: AuditOptions, api_url: str, concurrency: int
) -> Iterator[Audit]:
    """What a worker process of `--jobs` runs the pages with: an audit of its own (the same
    options, cache file and credentials as its parent's) that makes `concurrency` requests
    at once."""
    import threading

    from repo_harden.audit.runner import Audit
    from repo_harden.audit.store import open_store
    from repo_harden.audit.transport import Governor, Transport
    from repo_harden.core.record import replace

    _keep_long_lived_objects()
    options = replace(options, advisories=_advisories(args))
    auth = audit_auth(args, os.environ)
    closing = threading.Event()

    def worker_note(message: str) -> None:
        # A worker told to end (an error elsewhere, Ctrl-C) closes the cache under threads
        # still reading: what they meet then is no news to the person at the terminal.
        if not closing.is_set():
            note(message)

    store = open_store(cache_file(args, api_url), worker_note, shared=True)
    try:
        governor = Governor(concurrency, max_wait=args.max_wait)
        with Transport(auth, api_url, governor=governor) as transport:
            audit = Audit(transport, store, options, concurrency=concurrency, note=worker_note)
            with _advisories_loading(options.advisories):
                yield audit
    finally:
        closing.set()
        store.close()


def note(message: str) -> None:
    """A line for the person running the command (a cache it could not use, say)."""
    print(f"repo-harden: {shown(message)}", file=sys.stderr)


def audit_options(args: argparse.Namespace) -> AuditOptions:
    from repo_harden.audit.listing import parse_shard
    from repo_harden.audit.runner import AuditOptions
    from repo_harden.engine.catalogue import catalogue
    from repo_harden.engine.config import load_config
    from repo_harden.engine.overrides import check_selectors
    from repo_harden.frontend.online import checked_repository
    from repo_harden.frontend.options import require_file

    if not (args.org or args.user or args.repo):
        raise UsageError("audit: name what to audit with --org, --user or --repo")
    found = catalogue(())
    overrides = overrides_from(args)
    check_selectors(overrides, found.codes)
    config, text = None, ""
    if args.config is not None:
        require_file(args.config, "config file")
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
        overrides=overrides,
        advisories=_advisories(args),
    )


def audit_fail_on(options: AuditOptions) -> Severity | None:
    """`--fail-on`, else the `--config` file's `fail-on`, else warning: the organization's
    threshold (each repository's own config chooses its findings, not the audit's exit)."""
    from repo_harden.engine.config import Config
    from repo_harden.engine.overrides import apply_overrides

    return apply_overrides(options.config or Config(), options.overrides).fail_on


def _advisories(args: argparse.Namespace) -> AdvisorySource:
    """LCK006's source of known vulnerabilities: `--osv-url`, `REPO_HARDEN_OSV_URL` or OSV's
    own API. pip-audit is imported only when a locked Python dependency is looked up."""
    from repo_harden.advisories.osv_url import osv_url_setting
    from repo_harden.advisories.source import pip_audit_source

    return pip_audit_source(osv_url_setting(args.osv_url, os.environ))


def audit_auth(args: argparse.Namespace, environ: Mapping[str, str]) -> Credentials:
    """A GitHub App installation (`--app-id`, `--app-key`, `--installation-id`), or the
    token in GITHUB_TOKEN or GH_TOKEN."""
    from repo_harden.github.client import REDACTOR, require_token
    from repo_harden.github.connection import TokenAuth

    app = (args.app_id, args.app_key, args.installation_id)
    if any(part is not None for part in app):
        if any(part is None for part in app):
            raise UsageError("a GitHub App needs --app-id, --app-key and --installation-id")
        try:
            key = Path(args.app_key).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise UsageError(f"--app-key {args.app_key}: cannot read it ({error})") from None
        REDACTOR.add(key.strip())
        from repo_harden.github.app_auth import installation_auth

        return installation_auth(args.app_id, key, args.installation_id)
    token = require_token(environ, "audit")
    REDACTOR.add(token)
    return TokenAuth(token)


def cache_file(args: argparse.Namespace, api_url: str) -> Path | None:
    """`--cache-dir` (default: the user's cache folder), one file per GitHub host."""
    from repo_harden.audit.store import cache_file as shared_cache_file

    if args.no_cache:
        return None
    return shared_cache_file(args.cache_dir, api_url, os.environ)


def audit_report(
    result: AuditResult,
    rules: Mapping[str, Rule],
    color: bool,
    *,
    trend: Trend | None = None,
    selected: tuple[str, ...] | None = None,
    day: datetime.date | None = None,
) -> Report:
    return Report(
        reported=result.reported,
        rules=dict(rules),
        files_checked=result.files_checked,
        suppressed_inline=result.suppressed_inline,
        waived=result.waived,
        not_shown=result.not_shown,
        repositories=result.repositories,
        color=color,
        exemptions=result.exemptions,
        trend=trend,
        selected_rules=selected,
        day=day,
    )


def selected_rules(options: AuditOptions, rules: Mapping[str, Rule]) -> tuple[str, ...]:
    """The rules the audit asks for (`--config`, `--select`, `--ignore`); a repository's own
    config may turn some of them off for itself."""
    from repo_harden.engine.config import Config
    from repo_harden.engine.overrides import apply_overrides
    from repo_harden.engine.run import RuleSelection

    selection = RuleSelection.from_config(
        apply_overrides(options.config or Config(), options.overrides)
    )
    return tuple(code for code in rules if selection.enabled(code))


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


class Tally(Protocol):
    """What a progress line counts: the repositories done, and those that failed."""

    @property
    def repositories(self) -> Sequence[RepositoryStatus]: ...

    @property
    def failed(self) -> Sequence[RepositoryStatus]: ...


class TerminalProgress:
    """One line on stderr, redrawn: repositories done, requests made, rate limit left."""

    def __init__(self, stream: TextIO, label: str = "audit") -> None:
        self._stream = stream
        self._label = label
        self._started = time.monotonic()
        self._drawn = False

    def update(self, result: Tally, stats: Stats, rate_left: int | None) -> None:
        done = len(result.repositories)
        failed = len(result.failed)
        left = f", rate limit left {rate_left}" if rate_left is not None else ""
        elapsed = time.monotonic() - self._started
        line = (
            f"{self._label}: {done} repositories done ({failed} failed), "
            f"{stats.rate_limited} requests{left}, {elapsed:.0f} s"
        )
        self._stream.write(f"\r\x1b[K{line}")
        self._stream.flush()
        self._drawn = True

    def finish(self) -> None:
        if self._drawn:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
