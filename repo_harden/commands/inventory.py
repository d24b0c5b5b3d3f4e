"""`repo-harden inventory`: every supply-chain input of a checkout or of every repository of
an organization, and the incident queries ("which of our repositories use X?")."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from repo_harden.commands.scan import add_insecure_http_option
from repo_harden.core.errors import ExitCode, UsageError
from repo_harden.frontend.help_format import raw_description_help
from repo_harden.frontend.options import (
    add_access_options,
    add_pace_options,
    add_target_options,
    check_concurrency,
)

if TYPE_CHECKING:
    from repo_harden.audit.store import Store
    from repo_harden.audit.transport import Transport
    from repo_harden.commands import Subcommands
    from repo_harden.engine.records import RepositoryStatus
    from repo_harden.inventory.model import Inventory, Item
    from repo_harden.inventory.query import Query
    from repo_harden.inventory.runs import WorkflowRun
    from repo_harden.reporters.inventory import InventoryReport

_DESCRIPTION = """\
List every supply-chain input: actions and reusable workflows (and, transitively, what
the composite actions and reusable workflows they call use, read at the ref they are
pinned to), container images, downloaded tools, locked packages (lockfiles, and
requirements pinned with == in pip requirements files) and pre-commit hook
repositories, each with its repository, file and line. With a query, list only the
matches and answer, for each repository, whether it is affected: unknown only when
something that could hold what is asked was not read.

A checkout (PATH) is read from disk; --org, --user and --repo read GitHub as `audit`
does, with the same cache: a second run costs the listing alone.
"""
_EPILOG = """\
exit codes:
  0  nothing matches the query (or no query was given)
  1  something matches
  2  usage or configuration error
  3  some repositories could not be read, or an answer is unknown (the matches
     found are still listed)

examples:
  repo-harden inventory --uses tj-actions/changed-files
  GITHUB_TOKEN=... repo-harden inventory --org acme --uses 'tj-actions/changed-files@v35' \\
      --ran-between 2025-03-14..2025-03-16
  repo-harden inventory --org acme --image 'node:18*' --format csv -o images.csv
  repo-harden inventory --org acme --package 'pkg:npm/left-pad@1.3.0'
  repo-harden inventory --org acme --package 'pkg:pypi/requests<2.32' --format json
  repo-harden inventory --org acme --url 'https://get.example.com/*'
  repo-harden inventory . --format cyclonedx -o sbom.cdx.json
"""


def add_parser(commands: Subcommands) -> None:
    from repo_harden.reporters import INVENTORY_FORMATS

    inventory = commands.add_parser(
        "inventory",
        help="list every supply-chain input, and answer which repositories use one",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=raw_description_help,
    )
    inventory.set_defaults(run=run)
    inventory.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="checkouts to read (default: the one you are in), instead of --org/--user/--repo",
    )
    queries = inventory.add_argument_group(
        "queries", "each repeatable; an item matches when any query matches it"
    )
    queries.add_argument(
        "--uses",
        action="append",
        default=[],
        metavar="NAME[@REF]",
        help="actions, reusable workflows and pre-commit hook repositories: "
        "`owner/repo` (and everything in it), `owner/repo/path`, globs (`tj-actions/*`); "
        "`@REF` the ref as written or its commit (`*@<sha>`)",
    )
    queries.add_argument(
        "--image",
        action="append",
        default=[],
        metavar="NAME[:TAG][@DIGEST]",
        help="container images: `node`, `node:18*`, `ghcr.io/acme/*`, `@sha256:<digest>`",
    )
    queries.add_argument(
        "--package",
        action="append",
        default=[],
        metavar="PURL",
        help="locked packages (lockfiles, `==`-pinned requirements) by package URL, with a "
        "version or a range: "
        "`pkg:npm/left-pad@1.3.0`, `pkg:pypi/requests<2.32` (PEP 440), "
        "`pkg:npm/@scope/name@>=1.0.0 <1.2.0` (node-semver)",
    )
    queries.add_argument(
        "--url",
        action="append",
        default=[],
        metavar="GLOB",
        help="downloaded tools: `https://get.example.com/*`",
    )
    queries.add_argument(
        "--ran-between",
        metavar="FROM..TO",
        help="also list the runs, in that window, of the workflows that match, and the "
        "action commits their logs show downloaded (dates or times: "
        "2025-03-14..2025-03-15T12:00:00Z; needs GitHub: --org/--repo, or --online)",
    )
    queries.add_argument(
        "--max-runs",
        type=int,
        default=100,
        metavar="N",
        help="with --ran-between: the newest N runs of each workflow (default 100)",
    )
    following = inventory.add_argument_group("following actions")
    following.add_argument(
        "--depth",
        type=int,
        default=10,
        metavar="N",
        help="levels of composite actions and reusable workflows to follow (default 10; "
        "0: only what each repository names itself)",
    )
    following.add_argument(
        "--online",
        action="store_true",
        help="for a checkout: read the actions it uses from GitHub (GITHUB_TOKEN or GH_TOKEN); "
        "without it, only what the cache already holds is followed",
    )
    add_target_options(inventory, "read")
    add_insecure_http_option(add_access_options(inventory))
    add_pace_options(inventory)
    inventory.add_argument(
        "--format",
        choices=INVENTORY_FORMATS,
        default="text",
        help="text (default): a table, then the answer per repository; json; csv; "
        "cyclonedx: an SBOM per repository (with -o: a file for one repository, a folder "
        "for several)",
    )
    inventory.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write the inventory to FILE"
    )


def run(args: argparse.Namespace) -> int:
    from repo_harden.inventory.query import build_query
    from repo_harden.inventory.runs import parse_window

    remote = bool(args.org or args.user or args.repo)
    if remote and args.paths:
        raise UsageError("inventory: give checkouts (PATH) or --org/--user/--repo, not both")
    if args.depth < 0 or args.max_runs < 1:
        raise UsageError("--depth: 0 or more; --max-runs: 1 or more")
    check_concurrency(args.concurrency)
    try:
        query = build_query(args.uses, args.image, args.package, args.url)
    except ValueError as error:
        raise UsageError(str(error)) from None
    window = parse_window(args.ran_between) if args.ran_between else None
    if window is not None and not query:
        raise UsageError("--ran-between needs a query (--uses, --image, --package or --url)")
    if window is not None and not remote and not args.online:
        raise UsageError("--ran-between reads GitHub: add --online (or use --org/--repo)")
    _require_packages(args, remote)
    report = _org_report(args, query, window) if remote else _local_report(args, query, window)
    _deliver(report, args.format, args.output)
    return _exit_code(report)


def _require_packages(args: argparse.Namespace, remote: bool) -> None:
    """The extras this run needs, checked before anything is read."""
    from repo_harden.core.extras import CYCLONEDX, ONLINE, PYGITHUB, SBOM, require

    if remote or args.online:
        require(
            ONLINE,
            "inventory --online" if args.online else "inventory --org/--user/--repo",
            [PYGITHUB],
        )
    if args.format == "cyclonedx":
        require(SBOM, "--format cyclonedx", [CYCLONEDX])


# Reading ----------------------------------------------------------------------------------


def _org_report(
    args: argparse.Namespace, query: Query, window: tuple[str, str] | None
) -> InventoryReport:
    from repo_harden.audit.inventory_run import InventoryOptions, OrgInventory
    from repo_harden.audit.listing import parse_shard
    from repo_harden.commands.audit import TerminalProgress, show_progress
    from repo_harden.frontend.online import checked_repository

    options = InventoryOptions(
        organizations=tuple(args.org),
        users=tuple(args.user),
        repositories=tuple(checked_repository(name) for name in args.repo),
        include_archived=args.include_archived,
        include_forks=args.include_forks,
        shard=parse_shard(args.shard) if args.shard else None,
    )
    progress = TerminalProgress(sys.stderr, "inventory") if show_progress(sys.stderr) else None
    with _github(args, online=True) as (transport, store):
        assert transport is not None
        try:
            reading = OrgInventory(
                transport, store, options, concurrency=args.concurrency, progress=progress
            )
            result = reading.run()
        finally:
            if progress is not None:
                progress.finish()
        report = _answer(
            args,
            transport=transport,
            store=store,
            inventories=result.inventories,
            statuses=result.repositories,
            query=query,
        )
        report.crashes = result.crashes
        if window is not None:
            report.runs = _runs(transport, report, window, args.max_runs)
        report.notes.append(_cost_line(transport, result.reused))
    return report


def _local_report(
    args: argparse.Namespace, query: Query, window: tuple[str, str] | None
) -> InventoryReport:
    from repo_harden.engine.records import AUDITED, RepositoryStatus
    from repo_harden.frontend.online import origin_repository
    from repo_harden.inventory.extract import inventory_of
    from repo_harden.sources.local import LocalRepo, find_root

    inventories: dict[str, Inventory] = {}
    statuses: list[RepositoryStatus] = []
    for path in args.paths or [Path()]:
        folder = Path(path)
        if not folder.is_dir():
            raise UsageError(f"{path}: not a folder (give a checkout, or a folder in one)")
        root = find_root(folder)
        name = origin_repository(root) or root.name
        if name in inventories:
            continue
        inventories[name] = inventory_of(LocalRepo(root, name))
        statuses.append(RepositoryStatus(name, AUDITED, None))
    with _github(args, online=args.online) as (transport, store):
        report = _answer(
            args,
            transport=transport,
            store=store,
            inventories=inventories,
            statuses=statuses,
            query=query,
        )
        if window is not None and transport is not None:
            report.runs = _runs(transport, report, window, args.max_runs)
        if transport is not None:
            report.notes.append(_cost_line(transport, 0))
    return report


def _answer(
    args: argparse.Namespace,
    *,
    transport: Transport | None,
    store: Store,
    inventories: dict[str, Inventory],
    statuses: Sequence[RepositoryStatus],
    query: Query,
) -> InventoryReport:
    """Follow the actions of every repository, then make the answer."""
    from repo_harden.audit.remote_files import github_files
    from repo_harden.inventory.transitive import Follower
    from repo_harden.reporters.inventory import InventoryReport

    if args.depth > 0:
        Follower(github_files(transport, store), args.depth).follow(inventories)
    return InventoryReport(inventories, sorted(statuses, key=lambda s: s.name.lower()), query)


@contextmanager
def _github(args: argparse.Namespace, *, online: bool) -> Iterator[tuple[Transport | None, Store]]:
    """The transport (None offline) and the store: the audit's cache; offline, only a
    cache that is already there is read (none is made)."""
    from repo_harden.audit.store import open_store
    from repo_harden.audit.transport import Governor, Transport
    from repo_harden.commands.audit import audit_auth, cache_file, note
    from repo_harden.github.client import DEFAULT_API_URL, checked_api_url

    api_url = checked_api_url(args.api_url or DEFAULT_API_URL, allow_http=args.allow_insecure_http)
    path = cache_file(args, api_url)
    if not online and path is not None and not path.exists():
        path = None
    store = open_store(path, note)
    try:
        if not online:
            yield None, store
            return
        auth = audit_auth(args, os.environ)
        governor = Governor(args.concurrency, max_wait=args.max_wait)
        with Transport(auth, api_url, governor=governor) as transport:
            transport.authenticate()
            yield transport, store
    finally:
        store.close()


def _runs(
    transport: Transport, report: InventoryReport, window: tuple[str, str], max_runs: int
) -> list[WorkflowRun]:
    """The runs of each workflow that holds a match, with what their logs show."""
    from repo_harden.audit.workflow_runs import read_downloads, runs_between
    from repo_harden.github.client import GitHubError
    from repo_harden.inventory.transitive import repository_of
    from repo_harden.readers.workflows import is_workflow_path

    workflows: dict[tuple[str, str], set[str]] = {}
    for name, item in report.items():
        if is_workflow_path(item.path):
            actions = workflows.setdefault((name, item.path), set())
            if repository_of(item):
                actions.add(repository_of(item))
    runs: list[WorkflowRun] = []
    for (repository, workflow), actions in sorted(workflows.items()):
        try:
            found, total = runs_between(transport, repository, workflow, window, max_runs=max_runs)
        except GitHubError as error:
            report.notes.append(f"{repository} {workflow}: its runs could not be read: {error}")
            continue
        if total > len(found):
            report.notes.append(
                f"{repository} {workflow}: {total} runs in the window; the newest {len(found)} "
                "are listed (--max-runs)"
            )
        for workflow_run in found:
            read_downloads(transport, workflow_run, actions)
        runs += found
    return runs


def _cost_line(transport: Transport, reused: int) -> str:
    counts = transport.stats.counts
    return (
        f"GitHub API: {transport.stats.rate_limited} rate-limited requests ({counts['graphql']} "
        f"GraphQL costing {transport.stats.graphql_points} points, {counts['rest']} REST), "
        f"{counts['downloads']} log downloads; {reused} repositories unchanged since the "
        "cached inventory."
    )


# Output -----------------------------------------------------------------------------------


def _deliver(report: InventoryReport, format_name: str, output: Path | None) -> None:
    from repo_harden.frontend.output import write_atomically
    from repo_harden.reporters.inventory import render

    notes, report.notes = report.notes, []
    if format_name == "cyclonedx":
        _deliver_sboms(report, output)
    elif output is None:
        sys.stdout.write(render(report, format_name))
    else:
        write_atomically(output, render(report, format_name))
        print(f"Wrote the {format_name} inventory to {output}.")
    if format_name != "text" or output is not None:
        for note in notes:
            print(note, file=sys.stderr)
    else:
        sys.stdout.write("".join(f"{note}\n" for note in notes))


def _deliver_sboms(report: InventoryReport, output: Path | None) -> None:
    from repo_harden.frontend.output import write_atomically
    from repo_harden.reporters.cyclonedx import render_sbom

    by_repository = _items_by_repository(report)
    if len(by_repository) == 1 or (output is None and len(by_repository) <= 1):
        (name, items), *_ = by_repository.items() or [("", [])]
        text = render_sbom(name, items)
        if output is None:
            sys.stdout.write(text)
        else:
            write_atomically(output, text)
            print(f"Wrote the CycloneDX SBOM of {name} to {output}.")
        return
    if output is None:
        raise UsageError("--format cyclonedx writes one SBOM per repository: give a folder with -o")
    output.mkdir(parents=True, exist_ok=True)
    for name, items in by_repository.items():
        target = output / sbom_file_name(name)
        write_atomically(target, render_sbom(name, items))
    print(f"Wrote {len(by_repository)} CycloneDX SBOMs to {output}.")


def _items_by_repository(report: InventoryReport) -> dict[str, list[Item]]:
    found: dict[str, list[Item]] = {
        status.name: [] for status in report.repositories if status.name in report.inventories
    }
    for name, item in report.items():
        found.setdefault(name, []).append(item)
    return found


def sbom_file_name(repository: str) -> str:
    """A file name made of a repository's name alone: `acme__api.cdx.json`. Names come from
    the listing or a folder; nothing in them may point outside the folder."""
    joined = repository.replace("/", "__")
    safe = "".join(char if char.isalnum() or char in "-_." else "_" for char in joined)
    return f"{safe.lstrip('.') or 'repository'}.cdx.json"


def _exit_code(report: InventoryReport) -> int:
    from repo_harden.frontend.output import exit_code

    code = exit_code((), None, repositories=report.repositories, crashes=report.crashes)
    if code != ExitCode.OK:
        return code
    if report.incomplete:
        return ExitCode.INCOMPLETE
    return ExitCode.FINDINGS if report.matched else ExitCode.OK
