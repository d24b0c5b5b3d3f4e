"""`repo-harden scan`: scan a checkout and report."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from repo_harden.commands import EXIT_CODES_HELP
from repo_harden.core.errors import UsageError
from repo_harden.core.escape import shown
from repo_harden.core.extras import ONLINE, PIP_AUDIT, PYGITHUB, require
from repo_harden.core.record import replace
from repo_harden.frontend.forked import SMALLEST_PART
from repo_harden.frontend.help_format import raw_description_help
from repo_harden.frontend.options import add_rule_options, jobs_value, overrides_from, usable_cores
from repo_harden.reporters import SCAN_FORMATS

if TYPE_CHECKING:
    from collections.abc import Sequence

    from repo_harden.commands import Subcommands
    from repo_harden.engine.scope import Exclusion
    from repo_harden.frontend.local_scan import FileListing, ScanOptions, ScanResult
    from repo_harden.frontend.online import OnlineOptions
    from repo_harden.reporters import Report

_EPILOG = f"""\
{EXIT_CODES_HELP}
what is read:
  every file git tracks, plus untracked files it does not ignore (every file outside
  git), except vendored and generated trees (node_modules/, vendor/, third_party/,
  virtualenvs...; `default-excludes = false` reads them), test fixtures when the config
  says `exclude-fixtures = true` (testdata/, fixtures/...), and `exclude` globs; these
  apply to a PATH you name too, as in the hooks (a warning says which one kept it out).
  `repo-harden scan --list-files` shows each file, the rules that read it, and what
  is excluded and why.

examples:
  repo-harden scan                          scan the current folder (the checkout, from its top)
  repo-harden scan --format sarif -o rh.sarif
  repo-harden scan .github/workflows/ci.yml --select PIN
  repo-harden scan --list-files             what is read, by which rules
  GITHUB_TOKEN=... repo-harden scan --online   live protection, drift and Actions settings too
  repo-harden scan --online --select LCK006    known vulnerabilities of locked Python packages
"""


def add_parser(commands: Subcommands) -> None:
    scan = commands.add_parser(
        "scan",
        help="scan a checkout, or files in it",
        description="Scan a checkout: the files git tracks plus untracked ones it does not\n"
        "ignore (every file, outside git). Without PATH, the current folder, as ruff checks it:\n"
        "from a subfolder, findings in that folder only (the rest of the checkout is read for\n"
        "context). With PATHs, findings in those files and folders; a PATH that is excluded,\n"
        "or that no selected rule reads, is named on stderr and not counted as checked.",
        epilog=_EPILOG,
        formatter_class=raw_description_help,
    )
    # Offline, a finished scan holds no connection or cache open: it may skip the teardown.
    scan.set_defaults(run=run, exits_now=lambda args: not args.online)
    scan.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="default: the current folder (at the top of a checkout, all of it)",
    )
    scan.add_argument(
        "--format",
        choices=SCAN_FORMATS,
        default="text",
        help="text (default), json, sarif (GitHub code scanning) or github (annotations)",
    )
    scan.add_argument(
        "-o", "--output", metavar="FILE", help="write the report to FILE (`-`: standard output)"
    )
    scan.add_argument(
        "--baseline",
        type=Path,
        metavar="FILE",
        help="report and fail only on findings that are not in this baseline",
    )
    scan.add_argument(
        "--write-baseline",
        metavar="FILE",
        help="record today's findings in FILE (to adopt repo-harden on an old repository)",
    )
    scan.add_argument(
        "--list-files",
        action="store_true",
        help="scan nothing: list the files the scan would read, with the rules that read "
        "each, and the files excluded (vendored, generated, fixtures, `exclude`) with why "
        "(text or json)",
    )
    scan.add_argument(
        "--jobs",
        type=jobs_value,
        default=0,
        metavar="N",
        help="processes that check the files (default auto: one per core, up to "
        f"{MOST_JOBS}; 1: this process alone). Each takes {SMALLEST_PART} workflows or "
        "scripts at least: a small checkout is checked in one. Not with --online",
    )
    _add_cache_options(scan)
    _add_online_options(scan)
    add_rule_options(scan)


def _add_cache_options(scan: argparse.ArgumentParser) -> None:
    cache = scan.add_argument_group(
        "cache",
        "an offline scan keeps its findings, and the next one reuses them while no file its\n"
        "rules read, the list of files, the config nor repo-harden changed",
    )
    cache.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help="where (default $XDG_CACHE_HOME/repo-harden or ~/.cache/repo-harden, the folder "
        "`audit` and `fix` use; never the scanned checkout)",
    )
    cache.add_argument(
        "--no-cache", action="store_true", help="neither read nor write the cache: run every rule"
    )


def _add_online_options(scan: argparse.ArgumentParser) -> None:
    online = scan.add_argument_group(
        "online", "what only the network knows: GitHub's live settings, OSV's advisories"
    )
    online.add_argument(
        "--online",
        action="store_true",
        help="also read the live settings (branch protection, BP rules and drift; CODEOWNERS "
        "errors, OWN003; Actions settings, WF101-WF104 and WF001's real default token) from "
        "GitHub, with the token in GITHUB_TOKEN or GH_TOKEN, and look up the known "
        "vulnerabilities of locked Python dependencies (LCK006, needs no token)",
    )
    online.add_argument(
        "--repo",
        metavar="OWNER/NAME",
        help="the GitHub repository (default: the `origin` remote's)",
    )
    online.add_argument(
        "--api-url",
        metavar="URL",
        help="the API (default https://api.github.com; GitHub Enterprise Server: "
        "https://HOST/api/v3)",
    )
    add_insecure_http_option(online)
    add_osv_url_option(online)


def add_insecure_http_option(group: argparse._ArgumentGroup) -> None:
    """`--allow-insecure-http`: a plain-http `--api-url` beyond loopback (scan and audit)."""
    group.add_argument(
        "--allow-insecure-http",
        action="store_true",
        help="accept an http:// --api-url for a host other than this machine (the token then "
        "crosses the network unencrypted)",
    )


def add_osv_url_option(group: argparse._ArgumentGroup) -> None:
    """`--osv-url`, where LCK006 looks up known vulnerabilities (scan and audit)."""
    group.add_argument(
        "--osv-url",
        metavar="URL",
        help="the OSV API that LCK006 asks, by its base URL, e.g. a mirror's "
        "(default: $REPO_HARDEN_OSV_URL, else https://api.osv.dev)",
    )


def scan_options(args: argparse.Namespace) -> ScanOptions:
    from repo_harden.frontend.local_scan import ScanOptions

    return ScanOptions(
        overrides=overrides_from(args),
        online=online_options(args),
        cache=cache_folder(args),
        jobs=scan_jobs(getattr(args, "jobs", 1)),
    )


# `--jobs auto` starts no more processes than this: past it, a scan waits on the disk and
# on the repository-wide checks, which one process runs, more than on the cores.
MOST_JOBS = 8


def scan_jobs(jobs: int) -> int:
    """The processes a scan may check files in: `auto` (0) is one per core, up to MOST_JOBS."""
    return jobs or min(usable_cores(), MOST_JOBS)


def cache_folder(args: argparse.Namespace) -> Path | None:
    """The scan cache's folder; None with --no-cache."""
    if args.no_cache:
        return None
    from repo_harden.frontend.scan_cache import default_cache_folder

    folder: Path | None = args.cache_dir or default_cache_folder(os.environ)
    return folder


def online_options(args: argparse.Namespace) -> OnlineOptions | None:
    """`--online`, `--repo`, `--api-url` and `--osv-url`; the token, and the OSV URL when no
    option gives it, come from the environment. A token is required only once the rules
    that read live settings are known to run (see `repo_harden.frontend.online`)."""
    if not getattr(args, "online", False):
        if getattr(args, "repo", None) or getattr(args, "api_url", None):
            raise UsageError("--repo and --api-url need --online")
        if getattr(args, "osv_url", None):
            raise UsageError("--osv-url needs --online")
        return None
    require(ONLINE, "scan --online", [PYGITHUB, PIP_AUDIT])
    from repo_harden.advisories.osv_url import osv_url_setting
    from repo_harden.frontend.online import OnlineOptions, checked_repository
    from repo_harden.github.client import checked_api_url, token_from_env

    repository = checked_repository(args.repo) if args.repo else None
    if args.api_url:
        checked_api_url(args.api_url, allow_http=args.allow_insecure_http)
    osv_url = osv_url_setting(args.osv_url, os.environ)
    return OnlineOptions(token_from_env(os.environ), repository, args.api_url, osv_url)


def build_report(result: ScanResult, color: bool) -> Report:
    from repo_harden.reporters import Report

    return Report(
        reported=result.outcome.reported,
        rules=result.rules,
        files_checked=result.files_checked,
        suppressed_inline=result.outcome.suppressed_inline,
        suppressed_foreign=result.outcome.suppressed_foreign,
        waived=result.outcome.waived,
        not_shown=result.outcome.not_shown,
        color=color,
    )


def run(args: argparse.Namespace) -> int:
    if args.list_files:
        return _list_files(args)
    import gc

    gc.disable()  # a scan allocates many long-lived YAML nodes; collecting them only costs time
    from repo_harden.frontend.local_scan import scan_paths
    from repo_harden.frontend.output import deliver, exit_code, use_color, write_atomically

    known = None
    if args.baseline:
        from repo_harden.engine.baseline import load_baseline

        known = load_baseline(args.baseline)
    result = scan_paths(args.paths, scan_options(args))
    if result.cache_problem is not None:
        print(f"repo-harden: warning: {shown(result.cache_problem)}", file=sys.stderr)
    for note in result.notes:
        print(f"repo-harden: warning: {shown(note)}", file=sys.stderr)
    if args.write_baseline is not None:
        from repo_harden.engine.baseline import baseline_document

        write_atomically(args.write_baseline, baseline_document(result.outcome.reported))
        count = len(result.outcome.reported)
        plural = "s" if count != 1 else ""
        print(f"Wrote {count} finding{plural} to the baseline {args.write_baseline}.")
        return exit_code((), None, crashes=result.crashes)
    to_terminal = args.output in (None, "-") and args.format == "text"
    report = build_report(result, color=to_terminal and use_color(sys.stdout))
    if known is not None:
        from repo_harden.engine.baseline import split_by_baseline

        new, accepted = split_by_baseline(report.reported, known)
        report = replace(report, reported=new, baselined=len(accepted))
    deliver(report, args.format, args.output)
    return exit_code(report.reported, result.config.fail_on, crashes=result.crashes)


def _list_files(args: argparse.Namespace) -> int:
    from repo_harden.frontend.local_scan import list_files
    from repo_harden.frontend.output import write_atomically

    if args.format not in ("text", "json"):
        raise UsageError("--list-files writes text or json, not " + args.format)
    for option in ("baseline", "write_baseline"):
        if getattr(args, option) is not None:
            raise UsageError(f"--list-files scans nothing: --{option.replace('_', '-')} has no use")
    if args.online:
        raise UsageError("--list-files scans nothing: --online has no use")
    listing = list_files(args.paths, scan_options(args))
    text = _listing_json(listing) if args.format == "json" else _listing_text(listing)
    if args.output is not None:
        write_atomically(args.output, text)
    else:
        sys.stdout.write(text)
    return 0


def _listing_text(listing: FileListing) -> str:
    read = [f for f in listing.files if f.excluded is None]
    excluded = [f for f in listing.files if f.excluded is not None]
    width = min(max((len(f.path) for f in read), default=0), 60)
    lines = [f"Read ({_files(len(read))}):"]
    lines += [f"  {f.path:<{width}}  {rule_ranges(f.rules)}" for f in read]
    groups: dict[str, list[str]] = {}
    for f in excluded:
        assert f.excluded is not None
        groups.setdefault(f.excluded.describe(), []).append(f.path)
    lines.append(f"Excluded ({_files(len(excluded))} a rule would read):")
    for reason, paths in groups.items():
        shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
        lines.append(f"  {reason}: {len(paths)} ({shown})")
    lines.append(f"Not read by any selected rule: {_files(listing.unread)}.")
    return "\n".join(lines) + "\n"


def _files(count: int) -> str:
    from repo_harden.reporters.text import counted

    return counted(count, "file")


def _listing_json(listing: FileListing) -> str:
    import json

    document = {
        "root": str(listing.root),
        "files": [
            {
                "path": f.path,
                "rules": list(f.rules),
                "excluded": None if f.excluded is None else _exclusion_record(f.excluded),
            }
            for f in listing.files
        ],
        "unread": listing.unread,
    }
    return json.dumps(document, indent=2) + "\n"


def _exclusion_record(exclusion: Exclusion) -> dict[str, str]:
    return {"kind": exclusion.kind, "by": exclusion.by, "reason": exclusion.describe()}


def rule_ranges(codes: Sequence[str]) -> str:
    """`DL001 DL002 DL003 PIN001 PIN002` as `DL001-DL003 PIN001 PIN002`."""
    parts: list[str] = []
    run: list[str] = []

    def close() -> None:
        parts.extend([f"{run[0]}-{run[-1]}"] if len(run) > 2 else run)
        run.clear()

    for code in sorted(codes):
        if run and _follows(run[-1], code):
            run.append(code)
        else:
            close()
            run.append(code)
    close()
    return " ".join(parts)


def _follows(previous: str, code: str) -> bool:
    head, number = previous.rstrip("0123456789"), previous[len(previous.rstrip("0123456789")) :]
    other = code.rstrip("0123456789")
    rest = code[len(other) :]
    return head == other and number.isdigit() and rest.isdigit() and int(rest) == int(number) + 1
