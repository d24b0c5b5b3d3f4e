"""`repo-harden waivers`: every exception in one list, with owner, reason and expiry."""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from repo_harden.core.escape import shown
from repo_harden.core.globs import PathMatcher
from repo_harden.engine.catalogue import catalogue
from repo_harden.engine.config import Waiver, find_config, load_config
from repo_harden.engine.policy import relative_config_path
from repo_harden.engine.suppressions import find_suppressions
from repo_harden.sources.local import LocalRepo, find_root

if TYPE_CHECKING:
    from repo_harden.commands import Subcommands


@dataclass(frozen=True)
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
        "(expired and invalid ones marked), and every inline `# repo-harden: ignore[...]`.",
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
    waivers.add_argument("--format", choices=["text", "json"], default="text")


def run(args: argparse.Namespace) -> int:
    root = find_root((args.path or Path.cwd()).resolve())
    found = catalogue()
    config_file = args.config or find_config(root)
    config = load_config(config_file, found.checks, found.codes, root=None if args.config else root)
    repo = LocalRepo(root)
    inline = list(
        inline_ignores(repo, found.codes, [p for c in found.checks.values() for p in c.patterns])
    )
    today = datetime.date.today()
    where = relative_config_path(config.source, repo.root) or "(no config file)"
    if args.format == "json":
        sys.stdout.write(_json(where, config.waivers, inline, today))
    else:
        sys.stdout.write(_text(where, config.waivers, inline, today))
    return 0


def inline_ignores(
    repo: LocalRepo, codes: AbstractSet[str], patterns: list[str]
) -> list[InlineIgnore]:
    """Inline ignores in every file a check reads."""
    read = PathMatcher(patterns)
    ignores = []
    for path in repo.paths():
        text = repo.read_text(path) if read.matches(path) else None
        for s in find_suppressions(text or "", codes):
            ignores.append(InlineIgnore(path, s.line, s.codes, s.reason, s.problems))
    return ignores


def waiver_status(waiver: Waiver, today: datetime.date) -> str:
    if waiver.problems:
        return "invalid: " + "; ".join(waiver.problems)
    assert waiver.expires is not None
    days = (waiver.expires - today).days
    if days < 0:
        return f"EXPIRED {-days} days ago"
    return f"expires in {days} day{'s' if days != 1 else ''}"


def _text(
    where: str, waivers: tuple[Waiver, ...], inline: list[InlineIgnore], today: datetime.date
) -> str:
    where = shown(where)
    lines = [f"Waivers in {where}: {len(waivers)}"]
    for waiver in waivers:
        at = f"{where}:{waiver.line}" if waiver.line else where
        lines.append(f"  {at}  {shown(waiver.rule) or '?'}  {shown(waiver.path) or '?'}")
        lines.append(
            f"      owner {shown(waiver.owner) or '?'}, until {waiver.expires or '?'} "
            f"({shown(waiver_status(waiver, today))})"
        )
        lines.append(f"      reason: {shown(waiver.reason) or '?'}")
    lines.append(f"Inline ignores: {len(inline)}")
    for ignore in inline:
        status = f"  [invalid: {'; '.join(ignore.problems)}]" if ignore.problems else ""
        codes = ",".join(ignore.codes)
        lines.append(
            f"  {shown(ignore.path)}:{ignore.line}  {shown(codes)}  {shown(ignore.reason + status)}"
        )
    return "\n".join(lines) + "\n"


def _json(
    where: str, waivers: tuple[Waiver, ...], inline: list[InlineIgnore], today: datetime.date
) -> str:
    document = {
        "config": where,
        "waivers": [
            {
                "rule": w.rule,
                "path": w.path,
                "owner": w.owner,
                "reason": w.reason,
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
    }
    return json.dumps(document, indent=2) + "\n"
