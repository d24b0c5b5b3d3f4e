"""`repo-harden fix`: pin actions, reusable workflows, images and pre-commit hooks in place."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from repo_harden.commands.scan import add_insecure_http_option
from repo_harden.core.errors import ExitCode, UsageError
from repo_harden.core.escape import shown
from repo_harden.core.extras import ONLINE, PYGITHUB, URLLIB3, pip_command, require
from repo_harden.frontend.help_format import raw_description_help
from repo_harden.frontend.options import DEFAULT_CONFIG_HELP, csv_codes

if TYPE_CHECKING:
    from repo_harden.commands import Subcommands
    from repo_harden.frontend.fix import FixResult

_EPILOG = """\
exit codes:
  0  nothing to fix, or everything was fixed
  1  something would change (--dry-run), or some references could not be fixed
  2  usage or configuration error

examples:
  GH_TOKEN=$(gh auth token) repo-harden fix     pin everything in the checkout
  repo-harden fix --dry-run                     show the diff, change nothing (CI: exit 1)
  repo-harden fix .github/workflows/ci.yml --select PIN001
  repo-harden fix --offline                     only what the cache already knows
  repo-harden fix --registry-url docker.io=https://mirror.example
"""


def add_parser(commands: Subcommands) -> None:
    fix = commands.add_parser(
        "fix",
        help="pin actions, images and pre-commit hooks to commit SHAs and digests, in place",
        description="Rewrite what PIN001, PIN002 and PIN005 find, in place: actions and "
        "reusable workflows to the full commit SHA with the version as a comment "
        "(`@<sha> # v4.2.2`), images to `name:tag@sha256:<digest>`, pre-commit revs to "
        "`<sha>  # frozen: v1.2.3`. Online (with a GitHub token) it also re-comments pins "
        "whose comment names another version (PIN003) and lists impostor commits (PIN004). "
        "Only the reference text and its comment change. Waived and ignored findings are "
        "left alone; references that cannot be resolved are listed with the reason.",
        epilog=_EPILOG,
        formatter_class=raw_description_help,
    )
    fix.set_defaults(run=run)
    fix.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH", help="default: the current folder"
    )
    fix.add_argument(
        "--dry-run",
        action="store_true",
        help="write nothing: print the unified diff, and exit 1 if something would change",
    )
    fix.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text (default): a line per reference and a summary; json: every reference with "
        "its status, and the files changed",
    )
    lookup = fix.add_argument_group(
        "lookups", "GitHub (token in GITHUB_TOKEN or GH_TOKEN) and container registries"
    )
    lookup.add_argument(
        "--offline", action="store_true", help="ask nothing: fix only from the cache"
    )
    lookup.add_argument(
        "--api-url",
        metavar="URL",
        help="the GitHub API (default https://api.github.com; GitHub Enterprise Server: "
        "https://HOST/api/v3)",
    )
    lookup.add_argument(
        "--registry-url",
        action="append",
        default=[],
        metavar="HOST=URL",
        help="send a registry's requests to URL, e.g. docker.io=https://mirror.example "
        "(repeatable)",
    )
    lookup.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help="the cache shared with `audit` (default $XDG_CACHE_HOME/repo-harden, or "
        "~/.cache/repo-harden without XDG_CACHE_HOME)",
    )
    lookup.add_argument("--no-cache", action="store_true", help="keep nothing between runs")
    add_insecure_http_option(lookup)
    rules = fix.add_argument_group("rules")
    rules.add_argument("--config", type=Path, metavar="FILE", help=DEFAULT_CONFIG_HELP)
    rules.add_argument(
        "--select",
        type=csv_codes,
        action="extend",
        default=[],
        metavar="CODES",
        help="fix only these rules (codes or prefixes, comma-separated): PIN001 actions and "
        "reusable workflows, PIN002 images, PIN005 pre-commit revs; with a token also PIN003 "
        "(re-comment a pin whose comment names another version) and PIN004 (impostor "
        "commits, listed, never fixed)",
    )
    rules.add_argument(
        "--ignore",
        type=csv_codes,
        action="extend",
        default=[],
        metavar="CODES",
        help="leave these rules' findings as they are (codes or prefixes, comma-separated)",
    )
    rules.add_argument(
        "--exclude", action="append", default=[], metavar="GLOB", help="skip paths (repeatable)"
    )


def run(args: argparse.Namespace) -> int:
    from repo_harden.audit.store import Store, cache_file
    from repo_harden.commands.audit import show_progress
    from repo_harden.engine.overrides import Overrides
    from repo_harden.frontend.fix import FixOptions, fix_paths, open_sources
    from repo_harden.github.client import (
        DEFAULT_API_URL,
        REDACTOR,
        checked_api_url,
        token_from_env,
    )
    from repo_harden.registries.digests import parse_registry_urls

    _check_fix_selection(args.select, sys.stderr)
    if not args.offline:
        how = f"{pip_command(ONLINE)} (or `repo-harden fix --offline`: from the cache alone)"
        require(ONLINE, "fix", [PYGITHUB, URLLIB3], install=how)
    registry_urls = parse_registry_urls(args.registry_url, allow_http=args.allow_insecure_http)
    token = token_from_env(os.environ)
    if token is not None:
        REDACTOR.add(token)
    api_url = checked_api_url(args.api_url or DEFAULT_API_URL, allow_http=args.allow_insecure_http)
    path = None if args.no_cache else cache_file(args.cache_dir, api_url, os.environ)
    store = Store(path)
    opened = open_sources(
        token=token,
        api_url=api_url,
        cache=store,
        offline_reason="not in the cache (--offline)" if args.offline else None,
        registry_urls=registry_urls,
        environ=os.environ,
    )
    overrides = Overrides(
        config_file=args.config,
        select=tuple(args.select),
        ignore=tuple(args.ignore),
        exclude=tuple(args.exclude),
    )
    announce = _announcer(sys.stderr) if show_progress(sys.stderr) else None
    try:
        result = fix_paths(
            args.paths, opened.sources, FixOptions(overrides, args.dry_run, announce)
        )
    finally:
        if announce is not None:
            sys.stderr.write("\r\x1b[K")
        opened.close()
        store.close()
    result.outage = opened.git_refs.outage
    for note in result.notes:  # a named path left alone says why, as `scan` says it
        print(f"repo-harden: warning: {shown(note)}", file=sys.stderr)
    github, registries = opened.requests
    if args.format == "json":
        sys.stdout.write(json_report(result, args.dry_run, github, registries))
    else:
        text_report(result, args.dry_run, sys.stdout, sys.stderr)
        if github or registries:
            from repo_harden.reporters.text import counted

            asked = [counted(github, "GitHub request"), counted(registries, "registry request")]
            print(f"Looked up: {', '.join(asked)}.", file=sys.stderr)
    return exit_code(result, dry_run=args.dry_run)


FIX_RULES = "PIN001, PIN002, PIN003 and PIN005 (and lists PIN004)"


def _check_fix_selection(select: list[str], err: TextIO) -> None:
    """`--select` naming no rule `fix` handles is a usage error: `fix` reports no other rule,
    so running would say "Nothing to fix." about rules it never looked at. Codes it does
    not handle beside some it does get a note (as `ruff --fix` leaves what has no fix)."""
    from repo_harden.checks import CHECK_MODULES
    from repo_harden.frontend.fix import FIXED_RULES, VERIFYING_RULES

    handled = FIXED_RULES + VERIFYING_RULES
    known = [code for codes in CHECK_MODULES.values() for code in codes]

    def matches(selector: str, codes: Sequence[str]) -> bool:
        return selector == "ALL" or any(code.startswith(selector) for code in codes)

    # a selector that names no rule at all is left to the check every command makes
    chosen = [selector for selector in dict.fromkeys(select) if matches(selector, known)]
    left = [selector for selector in chosen if not matches(selector, handled)]
    if not left:
        return
    if len(left) == len(chosen):
        raise UsageError(
            f"--select {','.join(left)}: `repo-harden fix` fixes only {FIX_RULES}; "
            "`repo-harden scan` reports the other rules"
        )
    print(
        f"note: `repo-harden fix` fixes only {FIX_RULES}; {', '.join(left)}: see "
        "`repo-harden scan`",
        file=err,
    )


def _announcer(stream: TextIO) -> Callable[[str], None]:
    def announce(text: str) -> None:
        stream.write(f"\rrepo-harden: {text}")
        stream.flush()

    return announce


def exit_code(result: FixResult, *, dry_run: bool) -> int:
    from repo_harden.frontend.output import exit_code as crash_exit_code

    if result.crashes:
        return crash_exit_code((), None, crashes=result.crashes)
    if result.not_fixed or (dry_run and result.changes):
        return ExitCode.FINDINGS
    return ExitCode.OK


def text_report(result: FixResult, dry_run: bool, out: TextIO, err: TextIO) -> None:
    """The diff on standard output for a dry run; then a line per reference and a summary
    (on standard error for a dry run, so that the diff can be piped to `git apply`)."""
    from repo_harden.frontend.fix import report_lines

    if dry_run:
        for change in result.changes:
            out.write(change.diff)
    for line in report_lines(result, dry_run):
        print(line, file=out if not dry_run else err)


def json_report(result: FixResult, dry_run: bool, github: int, registries: int) -> str:
    from repo_harden import __version__
    from repo_harden.fixes.plan import Planned
    from repo_harden.frontend.fix import place

    references = []
    for item in sorted([*result.fixed, *result.not_fixed], key=place):
        path, line, column = place(item)
        planned = isinstance(item, Planned)
        new = item.new if isinstance(item, Planned) else None
        status = ("would-fix" if dry_run else "fixed") if new is not None else "not-fixed"
        references.append(
            {
                "rule": item.reference.rule if isinstance(item, Planned) else item.rule,
                "path": path,
                "line": line or None,
                "column": column or None,
                "old": item.reference.text if isinstance(item, Planned) else item.text,
                "new": new,
                "status": status,
                "reason": item.reason,
                "note": item.note if planned and isinstance(item, Planned) else None,
            }
        )
    document = {
        "tool": "repo-harden",
        "version": __version__,
        "dry_run": dry_run,
        "references": references,
        "files": [
            {"path": change.path, "diff": change.diff if dry_run else None}
            for change in result.changes
        ],
        "requests": {"github": github, "registries": registries},
    }
    return json.dumps(document, indent=2) + "\n"
