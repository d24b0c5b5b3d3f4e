"""The `repo-harden` command line."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from repo_harden import __version__
from repo_harden.core.errors import FatalError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

_DESCRIPTION = """\
Find the weak links in a software supply chain: actions and images not pinned
to a digest, unpinned tool downloads, manifests without lockfiles, workflow
files nobody must review, default branches anyone can force-push.
"""

_SCAN_EPILOG = """\
exit codes:
  0  no finding at or above --fail-on
  1  findings at or above --fail-on
  2  usage or configuration error

examples:
  repo-harden scan                          scan the checkout you are in
  repo-harden scan --format sarif -o rh.sarif
  repo-harden scan .github/workflows/ci.yml --select PIN
  GITHUB_TOKEN=... repo-harden scan --online   live branch protection and drift too
  repo-harden scan --online --select LCK006    known vulnerabilities of locked Python packages
"""


def main(argv: Sequence[str] | None = None) -> int:  # noqa: PLR0911 (a return per command)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "scan":
            from repo_harden.commands.scan import run_scan

            return run_scan(args)
        if args.command == "rules":
            from repo_harden.commands.rules import run_rules

            return run_rules(args)
        if args.command == "waivers":
            from repo_harden.commands.waivers import run_waivers

            return run_waivers(args)
        if args.command == "owners":
            from repo_harden.commands.owners import run_owners

            return run_owners(args)
        if args.command == "audit":
            from repo_harden.commands.audit import run_audit

            return run_audit(args)
        if args.command == "merge":
            from repo_harden.commands.merge import run_merge

            return run_merge(args)
    except FatalError as error:
        print(f"repo-harden: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("repo-harden: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return silence_stdout()
    parser.print_help()
    return EXIT_USAGE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="repo-harden",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"repo-harden {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_scan(commands)
    _add_rules(commands)
    _add_waivers(commands)
    _add_owners(commands)
    _add_audit(commands)
    _add_merge(commands)
    return parser


def _csv(value: str) -> list[str]:
    return [part.strip().upper() for part in value.split(",") if part.strip()]


def add_common_options(
    parser: argparse.ArgumentParser,
    config_help: str = "config file (default: .repo-harden.toml, or [tool.repo-harden] in "
    "pyproject.toml)",
    fail_on_default: str = "config fail-on, or warning",
) -> None:
    """Options the scan and audit commands and the hooks share."""
    parser.add_argument("--config", type=Path, metavar="FILE", help=config_help)
    parser.add_argument(
        "--fail-on",
        choices=["error", "warning", "note", "never"],
        help=f"lowest severity that makes the exit code 1 (default: {fail_on_default})",
    )
    parser.add_argument(
        "--select",
        type=_csv,
        action="extend",
        default=[],
        metavar="CODES",
        help="only these rules: codes or prefixes, comma-separated (PIN,DL003); overrides config",
    )
    parser.add_argument(
        "--ignore",
        type=_csv,
        action="extend",
        default=[],
        metavar="CODES",
        help="skip these rules: codes or prefixes, comma-separated; added to the config's",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="skip paths matching GLOB (repeatable; added to the config's exclude)",
    )


def _add_scan(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    scan = commands.add_parser(
        "scan",
        help="scan a checkout, or files in it",
        description="Scan a checkout: the files git tracks plus untracked ones it does not ignore "
        "(every file, outside git). With PATHs, report only on those files and folders.",
        epilog=_SCAN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    scan.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH", help="default: the current folder"
    )
    scan.add_argument(
        "--format",
        choices=["text", "json", "sarif", "github"],
        default="text",
        help="text (default), json, sarif (GitHub code scanning) or github (annotations)",
    )
    scan.add_argument("-o", "--output", type=Path, metavar="FILE", help="write the report to FILE")
    scan.add_argument(
        "--baseline",
        type=Path,
        metavar="FILE",
        help="report and fail only on findings that are not in this baseline",
    )
    scan.add_argument(
        "--write-baseline",
        type=Path,
        metavar="FILE",
        help="record today's findings in FILE (to adopt repo-harden on an old repository)",
    )
    _add_online_options(scan)
    add_common_options(scan)


def _add_online_options(scan: argparse.ArgumentParser) -> None:
    online = scan.add_argument_group(
        "online", "what only the network knows: GitHub's live settings, OSV's advisories"
    )
    online.add_argument(
        "--online",
        action="store_true",
        help="also read the live settings (branch protection, BP rules and drift; CODEOWNERS "
        "errors, OWN003) from GitHub, with the token in GITHUB_TOKEN or GH_TOKEN, and look up "
        "the known vulnerabilities of locked Python dependencies (LCK006, needs no token)",
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
    add_osv_url_option(online)


def add_osv_url_option(group: argparse._ArgumentGroup) -> None:
    """`--osv-url`, where LCK006 looks up known vulnerabilities (scan and audit)."""
    group.add_argument(
        "--osv-url",
        metavar="URL",
        help="the OSV API that LCK006 asks, by its base URL, e.g. a mirror's "
        "(default: $REPO_HARDEN_OSV_URL, else https://api.osv.dev)",
    )


def _add_rules(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rules = commands.add_parser(
        "rules",
        help="list the rules, or explain one",
        description="List every rule with its code, name, severity and summary, "
        "or print the documentation of one rule.",
    )
    rules.add_argument("code", nargs="?", metavar="CODE", help="a rule code (PIN001) or name")
    rules.add_argument(
        "--format",
        choices=["text", "json", "markdown"],
        default="text",
        help="markdown prints the table the README embeds",
    )


def _add_waivers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    waivers = commands.add_parser(
        "waivers",
        help="list every exception: waivers with owner and expiry, and inline ignores",
        description="List the waivers of the config file with their owner, reason and expiry "
        "(expired and invalid ones marked), and every inline `# repo-harden: ignore[...]`.",
    )
    waivers.add_argument(
        "path",
        nargs="?",
        type=Path,
        default=None,
        metavar="PATH",
        help="the checkout (default: the current folder)",
    )
    waivers.add_argument("--config", type=Path, metavar="FILE", help="config file to read")
    waivers.add_argument("--format", choices=["text", "json"], default="text")


def _add_owners(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    owners = commands.add_parser(
        "owners",
        help="who owns each path under GitHub's CODEOWNERS rules, and which line decides",
        description="For each PATH (which need not exist yet), print the CODEOWNERS line that "
        "decides its owners, like `git check-ignore -v`: SOURCE:LINE:PATTERN, the owners, "
        "the path. A folder stands for the files in it. Exit 0 when every path has an "
        "owner, 1 otherwise.",
    )
    owners.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    owners.add_argument("--format", choices=["text", "json"], default="text")


_AUDIT_EPILOG = """\
exit codes:
  0  no finding at or above --fail-on
  1  findings at or above --fail-on
  2  usage or configuration error
  3  some repositories could not be audited (the others are still reported)

examples:
  GITHUB_TOKEN=... repo-harden audit --org acme
  repo-harden audit --org acme --format json -o acme.json --shard 1/4
  repo-harden audit --repo acme/api --repo acme/web --select BP,OWN
  repo-harden merge shard-*.json --format sarif -o acme.sarif
"""


def _add_audit(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = commands.add_parser(
        "audit",
        help="audit every repository of a GitHub organization or user through the API",
        description="Run every check on the default branch of each repository, read through "
        "the GitHub API (no clone), with its live settings. Results are cached by head "
        "commit: a re-audit of an unchanged organization costs little more than the "
        "listing, and an interrupted audit resumes.",
        epilog=_AUDIT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    what = audit.add_argument_group("what to audit")
    what.add_argument(
        "--org", action="append", default=[], metavar="ORG", help="an organization (repeatable)"
    )
    what.add_argument(
        "--user", action="append", default=[], metavar="USER", help="a user's own repositories"
    )
    what.add_argument(
        "--repo", action="append", default=[], metavar="OWNER/NAME", help="one repository"
    )
    what.add_argument("--include-archived", action="store_true", help="audit archived ones too")
    what.add_argument("--include-forks", action="store_true", help="audit forks too")
    what.add_argument(
        "--shard",
        metavar="K/N",
        help="audit only the K-th of N deterministic shares (CI matrix jobs; join with merge)",
    )
    access = audit.add_argument_group(
        "access", "a token in GITHUB_TOKEN or GH_TOKEN, or a GitHub App installation"
    )
    access.add_argument("--app-id", metavar="ID")
    access.add_argument("--app-key", metavar="FILE", help="the app's private key (PEM)")
    access.add_argument("--installation-id", type=int, metavar="ID")
    access.add_argument(
        "--api-url",
        metavar="URL",
        help="default https://api.github.com; GitHub Enterprise Server: https://HOST/api/v3",
    )
    add_osv_url_option(access)
    pace = audit.add_argument_group("pace and cache")
    pace.add_argument(
        "--concurrency",
        type=int,
        default=16,
        metavar="N",
        help="requests in flight at once (default 16, at most 100)",
    )
    pace.add_argument(
        "--max-wait",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="longest time to wait, in all, for rate limits to reset (default 3600: one "
        "reset of GitHub's hourly budget; past it, repositories fail and a re-run resumes)",
    )
    pace.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help="where trees, blobs, ETags and results are kept (default ~/.cache/repo-harden)",
    )
    pace.add_argument("--no-cache", action="store_true", help="keep nothing between runs")
    audit.add_argument(
        "--format",
        choices=["text", "json", "sarif", "html"],
        default="text",
        help="text (default): findings, then a table per repository and per rule family; "
        "html: the same as one page (with -o)",
    )
    audit.add_argument("-o", "--output", type=Path, metavar="FILE", help="write the report to FILE")
    add_common_options(
        audit,
        config_help="one config for every repository (default: each repository's own)",
        fail_on_default="warning",
    )


def _add_merge(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    merge = commands.add_parser(
        "merge",
        help="join the JSON reports of audit shards into one report",
        description="Join JSON reports of `repo-harden audit --shard K/N` (or any audits) "
        "into one report; its exit code is the audit's, for the whole organization.",
        epilog=_AUDIT_EPILOG.split("examples:", maxsplit=1)[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    merge.add_argument("reports", nargs="+", type=Path, metavar="REPORT.json")
    merge.add_argument("--format", choices=["text", "json", "sarif", "html"], default="text")
    merge.add_argument("-o", "--output", type=Path, metavar="FILE", help="write the report to FILE")
    merge.add_argument(
        "--fail-on",
        choices=["error", "warning", "note", "never"],
        help="lowest severity that makes the exit code 1 (default: warning)",
    )


def silence_stdout() -> int:
    """The reader of our output went away (`| head`): stop writing, without a traceback when
    Python flushes stdout at exit (https://docs.python.org/3/library/signal.html#note-on-sigpipe)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return EXIT_FINDINGS


def use_color(stream: object) -> bool:
    """Colour only on a terminal; NO_COLOR and FORCE_COLOR win (https://no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"
