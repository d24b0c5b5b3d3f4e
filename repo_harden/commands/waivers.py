"""`repo-harden waivers`: every exception in one list, with owner, reason and expiry: the
config's waivers, repo-harden's inline ignores, and the ignore comments of other tools
(zizmor's) that repo-harden honours as its own."""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import TYPE_CHECKING

from repo_harden.core.escape import shown
from repo_harden.core.globs import PathMatcher
from repo_harden.core.record import record
from repo_harden.engine.catalogue import catalogue
from repo_harden.engine.config import Config, Waiver, find_config, load_config
from repo_harden.engine.policy import relative_config_path
from repo_harden.engine.scope import Scope
from repo_harden.engine.suppressions import ForeignIgnore, find_foreign_ignores, find_suppressions
from repo_harden.sources.local import LocalRepo, find_root

if TYPE_CHECKING:
    from repo_harden.commands import Subcommands


@record
class InlineIgnore:
    path: str
    line: int
    codes: tuple[str, ...]
    reason: str
    problems: tuple[str, ...]


def add_parser(commands: Subcommands) -> None:
    waivers = commands.add_parser(
        "waivers",
        help="list every exception: waivers with owner and expiry, and inline ignores",
        description="List the waivers of the config file with their owner, reason and expiry "
        "(expired and invalid ones marked), every inline `# repo-harden: ignore[...]`, and "
        "the other tools' ignore comments repo-harden honours (zizmor's `# zizmor: "
        "ignore[unpinned-uses]` stands for PIN001; `foreign-ignores = []` in the config "
        "refuses them).",
    )
    waivers.set_defaults(run=run)
    waivers.add_argument(
        "path",
        nargs="?",
        type=Path,
        default=None,
        metavar="PATH",
        help="the checkout (default: the current folder)",
    )
    waivers.add_argument("--config", type=Path, metavar="FILE", help="config file to read")
    waivers.add_argument(
        "--format",
        choices=["text", "json"],
        default="text",
        help="text (default): a table; json: every field, for dashboards",
    )


def run(args: argparse.Namespace) -> int:
    root = find_root((args.path or Path.cwd()).resolve())
    found = catalogue()
    config_file = args.config or find_config(root)
    config = load_config(config_file, found.checks, found.codes, root=None if args.config else root)
    repo = LocalRepo(root)
    patterns = [p for c in found.checks.values() for p in c.patterns]
    inline = list(inline_ignores(repo, found.codes, patterns, config))
    foreign = foreign_ignores(repo, patterns, config)
    where = relative_config_path(config.source, repo.root) or "(no config file)"
    listing = Exceptions(
        where, config.waivers, inline, foreign, bool(config.foreign_ignores), datetime.date.today()
    )
    sys.stdout.write(_json(listing) if args.format == "json" else _text(listing))
    return 0


@record
class Exceptions:
    """Every exception of a checkout: the config's waivers (from `where`), inline ignores,
    and other tools' ignore comments (`honoured` unless the config refuses them)."""

    where: str
    waivers: tuple[Waiver, ...]
    inline: list[InlineIgnore]
    foreign: list[tuple[str, ForeignIgnore]]
    honoured: bool
    today: datetime.date


def _read_files(repo: LocalRepo, patterns: list[str], config: Config) -> list[str]:
    """The files a scan with this config reads (see `engine.scope`)."""
    read = PathMatcher(patterns)
    scope = Scope(config, known=frozenset(repo.paths()))
    return [path for path in repo.paths() if read.matches(path) and not scope.excludes(path)]


def inline_ignores(
    repo: LocalRepo, codes: AbstractSet[str], patterns: list[str], config: Config | None = None
) -> list[InlineIgnore]:
    """Inline ignores in every file a check reads."""
    ignores = []
    for path in _read_files(repo, patterns, config or Config()):
        for s in find_suppressions(repo.read_text(path) or "", codes):
            ignores.append(InlineIgnore(path, s.line, s.codes, s.reason, s.problems))
    return ignores


def foreign_ignores(
    repo: LocalRepo, patterns: list[str], config: Config
) -> list[tuple[str, ForeignIgnore]]:
    """Other tools' ignore comments in the files a check reads, honoured or not (a config
    with `foreign-ignores = []` refuses them: they are listed so that it shows)."""
    found = []
    for path in _read_files(repo, patterns, config):
        for ignore in find_foreign_ignores(path, repo.read_text(path) or "", {"zizmor"}):
            found.append((path, ignore))
    return found


def waiver_status(waiver: Waiver, today: datetime.date) -> str:
    if waiver.problems:
        return "invalid: " + "; ".join(waiver.problems)
    assert waiver.expires is not None
    days = (waiver.expires - today).days
    from repo_harden.reporters.text import counted

    if days < 0:
        return f"EXPIRED {counted(-days, 'day')} ago"
    return f"expires in {counted(days, 'day')}"


def _text(listing: Exceptions) -> str:
    waivers, inline, today = listing.waivers, listing.inline, listing.today
    where = shown(listing.where)
    lines = [f"Waivers in {where}: {len(waivers)}"]
    for waiver in waivers:
        at = f"{where}:{waiver.line}" if waiver.line else where
        lines.append(f"  {at}  {shown(waiver.rule) or '?'}  {shown(waiver.path) or '?'}")
        lines.append(
            f"      owner {shown(waiver.owner) or '?'}, until {waiver.expires or '?'} "
            f"({shown(waiver_status(waiver, today))})"
        )
        lines.append(f"      reason: {shown(waiver.reason) or '?'}")
        if waiver.compensating_control:
            lines.append(f"      compensating control: {shown(waiver.compensating_control)}")
    lines.append(f"Inline ignores: {len(inline)}")
    for ignore in inline:
        status = f"  [invalid: {'; '.join(ignore.problems)}]" if ignore.problems else ""
        codes = ",".join(ignore.codes)
        lines.append(
            f"  {shown(ignore.path)}:{ignore.line}  {shown(codes)}  {shown(ignore.reason + status)}"
        )
    state = (
        "honoured as repo-harden's"
        if listing.honoured
        else "refused by `foreign-ignores = []`: they suppress nothing"
    )
    lines.append(f"Foreign ignores (zizmor comments, {state}): {len(listing.foreign)}")
    for path, comment in listing.foreign:
        rules = ",".join(comment.codes) or "no repo-harden rule"
        lines.append(f"  {shown(path)}:{comment.line}  {rules}  {shown(comment.text)}")
    return "\n".join(lines) + "\n"


def _json(listing: Exceptions) -> str:
    where, waivers, inline, today = listing.where, listing.waivers, listing.inline, listing.today
    document = {
        "config": where,
        "waivers": [
            {
                "rule": w.rule,
                "path": w.path,
                "owner": w.owner,
                "reason": w.reason,
                "compensating_control": w.compensating_control or None,
                "expires": w.expires.isoformat() if w.expires else None,
                "line": w.line,
                "status": "invalid"
                if w.problems
                else ("expired" if w.expired(today) else "active"),
                "problems": list(w.problems),
            }
            for w in waivers
        ],
        "inline": [
            {
                "path": i.path,
                "line": i.line,
                "rules": list(i.codes),
                "reason": i.reason,
                "problems": list(i.problems),
            }
            for i in inline
        ],
        "foreign": [
            {
                "path": path,
                "line": comment.line,
                "tool": comment.tool,
                "ids": list(comment.ids),
                "rules": list(comment.codes),
                "honoured": listing.honoured and bool(comment.codes),
            }
            for path, comment in listing.foreign
        ],
    }
    return json.dumps(document, indent=2) + "\n"
