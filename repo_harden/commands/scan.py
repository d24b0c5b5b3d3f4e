"""`repo-harden scan`: scan a checkout and report."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from repo_harden.cli import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, use_color
from repo_harden.core.errors import UsageError
from repo_harden.core.model import Severity
from repo_harden.engine.config import parse_fail_on
from repo_harden.engine.policy import Reported
from repo_harden.frontend.local_scan import ScanOptions, ScanResult, scan_paths
from repo_harden.reporters import Report, renderer
from repo_harden.reporters.text import summary

if TYPE_CHECKING:
    from repo_harden.frontend.online import OnlineOptions


def scan_options(args: argparse.Namespace) -> ScanOptions:
    return ScanOptions(
        config_file=args.config,
        select=tuple(args.select),
        ignore=tuple(args.ignore),
        exclude=tuple(args.exclude),
        online=online_options(args),
    )


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
    from repo_harden.advisories.source import osv_url_setting
    from repo_harden.frontend.online import OnlineOptions, checked_repository
    from repo_harden.github.client import token_from_env

    repository = checked_repository(args.repo) if args.repo else None
    osv_url = osv_url_setting(args.osv_url, os.environ)
    return OnlineOptions(token_from_env(os.environ), repository, args.api_url, osv_url)


def build_report(result: ScanResult, color: bool) -> Report:
    return Report(
        reported=result.outcome.reported,
        rules=result.rules,
        files_checked=result.files_checked,
        suppressed_inline=result.outcome.suppressed_inline,
        waived=result.outcome.waived,
        color=color,
    )


def fail_on_of(args: argparse.Namespace, result: ScanResult) -> Severity | None:
    """`--fail-on` when given, else the config's `fail-on`."""
    return parse_fail_on(args.fail_on, "--fail-on") if args.fail_on else result.config.fail_on


def exit_code(reported: Iterable[Reported], fail_on: Severity | None) -> int:
    if fail_on is None:
        return EXIT_OK
    failing = any(item.severity.rank >= fail_on.rank for item in reported)
    return EXIT_FINDINGS if failing else EXIT_OK


def report_crashes(crashes: list[str]) -> int:
    """Crashes are repo-harden's bugs: show them in full, and fail the run."""
    for crash in crashes:
        print(f"repo-harden: internal error, please report it: {crash}", file=sys.stderr)
    return EXIT_USAGE if crashes else EXIT_OK


def run_scan(args: argparse.Namespace) -> int:
    import gc

    gc.disable()  # a scan allocates many long-lived YAML nodes; collecting them only costs time
    from repo_harden.engine.baseline import baseline_document, load_baseline, split_by_baseline
    from repo_harden.frontend.output import write_atomically

    known = load_baseline(args.baseline) if args.baseline else None
    result = scan_paths(args.paths, scan_options(args))
    if args.write_baseline is not None:
        write_atomically(args.write_baseline, baseline_document(result.outcome.reported))
        count = len(result.outcome.reported)
        plural = "s" if count != 1 else ""
        print(f"Wrote {count} finding{plural} to the baseline {args.write_baseline}.")
        return report_crashes(result.crashes)
    fail_on = fail_on_of(args, result)
    to_terminal = args.output is None and args.format == "text"
    report = build_report(result, color=to_terminal and use_color(sys.stdout))
    if known is not None:
        new, accepted = split_by_baseline(report.reported, known)
        report = replace(report, reported=new, baselined=len(accepted))
    rendered = renderer(args.format)(report)
    if args.output is not None:
        write_atomically(args.output, rendered)
        print(f"{summary(report)}\nWrote the {args.format} report to {args.output}.")
    else:
        sys.stdout.write(rendered)
    return report_crashes(result.crashes) or exit_code(report.reported, fail_on)
