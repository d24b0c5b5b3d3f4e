"""`repo-harden waive`: write a waiver into the config, keeping its comments and layout."""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from repo_harden.core.errors import UsageError
from repo_harden.frontend.help_format import raw_description_help

if TYPE_CHECKING:
    from repo_harden.commands import Subcommands

_EPILOG = """\
examples:
  repo-harden waive PIN001 .github/workflows/release.yml --owner @acme/security \\
      --reason "the SLSA generator must be referenced by tag" --expires 2027-03-31
  repo-harden waive LCK006 requirements.txt --owner @acme/api --expires 2026-09-30 \\
      --reason "no fixed release yet" --compensating-control "the endpoint is disabled"
"""


def add_parser(commands: Subcommands) -> None:
    waive = commands.add_parser(
        "waive",
        help="add a time-bound waiver to the config",
        description="Add a waiver to .repo-harden.toml (or [tool.repo-harden] of "
        "pyproject.toml, where the config is), keeping the file's comments and layout. "
        "A waiver hides RULE's findings in the files PATH matches (a path or a glob) until "
        "it expires; then they come back, with RH001 about the waiver. A PATH that matches "
        "no file yet is written all the same, with a warning.",
        epilog=_EPILOG,
        formatter_class=raw_description_help,
    )
    waive.set_defaults(run=run)
    waive.add_argument("rule", metavar="RULE", help="the rule code, such as PIN001")
    waive.add_argument("path", metavar="PATH", help="a file, a folder or a glob in the checkout")
    waive.add_argument("--owner", required=True, help="who answers for it: @team or a person")
    waive.add_argument("--reason", required=True, help="why the findings are acceptable")
    waive.add_argument(
        "--expires", required=True, metavar="YYYY-MM-DD", help="when someone must look again"
    )
    waive.add_argument(
        "--compensating-control",
        metavar="TEXT",
        help="what limits the risk meanwhile (the config may require one)",
    )
    waive.add_argument(
        "--config", type=Path, metavar="FILE", help="the config file to write (default: found)"
    )


def run(args: argparse.Namespace) -> int:
    from repo_harden.engine.catalogue import catalogue
    from repo_harden.engine.config import CONFIG_FILE, find_config, load_config, parse_config
    from repo_harden.frontend.output import write_atomically
    from repo_harden.sources.local import find_root

    root = find_root(Path.cwd())
    found = catalogue()
    rule = args.rule.strip().upper()
    if rule not in found.codes:
        raise UsageError(f"waive: no rule {args.rule!r} (see `repo-harden rules`)")
    target = args.config or find_config(root) or root / CONFIG_FILE
    config = load_config(target, found.checks, found.codes) if target.exists() else None
    entry = _entry(args, rule, _waived_path(args.path, root))
    if config is not None and config.require_compensating_control and not args.compensating_control:
        raise UsageError(
            f"waive: {target.name} requires a compensating control for every waiver "
            "(--compensating-control TEXT)"
        )
    before = target.read_text(encoding="utf-8") if target.exists() else ""
    after = with_waiver(before, entry, pyproject=target.name == "pyproject.toml")
    parsed = parse_config(target, after, found.checks, found.codes)
    added = parsed.waivers[-1]
    if added.problems:
        raise UsageError(f"waive: the waiver would be invalid: {'; '.join(added.problems)}")
    write_atomically(target, after)
    line = f" (line {added.line})" if added.line else ""
    print(
        f"Added a waiver of {rule} for `{entry['path']}` to {target}{line}: owner "
        f"{entry['owner']}, until {entry['expires']}."
    )
    if not _matches_a_file(entry["path"], root):
        _warn(
            f"`{entry['path']}` matches no file in the checkout: the waiver waives nothing "
            "until such a file exists (a typo? `repo-harden waivers` lists them)"
        )
    return 0


def _matches_a_file(waived: str, root: Path) -> bool:
    """Whether the waiver's path or glob names a file of the checkout, as the scan matches it.
    A waiver for a file about to be added is legitimate, so one that matches nothing is written
    all the same, with a warning: it can only leave findings reported, never hide one."""
    from repo_harden.core.globs import PathMatcher
    from repo_harden.sources.local import LocalRepo

    if waived == "**":
        return True
    matcher = PathMatcher([waived])
    return any(matcher.matches(path) for path in LocalRepo(root).paths())


def _warn(message: str) -> None:
    from repo_harden.core.escape import shown

    print(f"repo-harden: warning: {shown(message)}", file=sys.stderr)


def _entry(args: argparse.Namespace, rule: str, path: str) -> dict[str, Any]:
    try:
        expires = datetime.date.fromisoformat(args.expires.strip())
    except ValueError:
        raise UsageError(
            f"waive: --expires takes a date such as 2027-03-31, not {args.expires!r}"
        ) from None
    if expires < datetime.date.today():
        raise UsageError(f"waive: --expires {expires} is in the past")
    owner, reason = args.owner.strip(), args.reason.strip()
    if not owner or not reason:
        raise UsageError("waive: --owner and --reason must say something")
    entry: dict[str, Any] = {
        "rule": rule,
        "path": path,
        "owner": owner,
        "reason": reason,
        "expires": expires,
    }
    control = (args.compensating_control or "").strip()
    if control:
        entry["compensating-control"] = control
    for key, value in entry.items():
        if isinstance(value, str) and ("\n" in value or "\r" in value):
            raise UsageError(f"waive: {key} must be one line")
    return entry


def _waived_path(given: str, root: Path) -> str:
    """A path of the checkout as the waiver names it: relative to its root, with `/`; a glob
    is kept as written."""
    if any(character in given for character in "*?["):
        return given.strip()
    candidate = Path(given)
    absolute = candidate if candidate.is_absolute() else Path.cwd() / candidate
    try:
        relative = absolute.resolve().relative_to(root)
    except ValueError:
        raise UsageError(f"waive: {given} is not inside the checkout at {root}") from None
    return relative.as_posix() if relative.as_posix() != "." else "**"


def with_waiver(text: str, entry: dict[str, Any], *, pyproject: bool) -> str:
    """The config's text with one more waiver, everything else as it was."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        document = tomlkit.parse(text)
    except TOMLKitError as error:
        raise UsageError(f"waive: the config is not valid TOML: {error}") from None
    table: Any = document
    if pyproject:
        tool = document.get("tool")
        if tool is None:
            tool = tomlkit.table(is_super_table=True)
            document["tool"] = tool
        ours = tool.get("repo-harden")
        if ours is None:
            ours = tomlkit.table()
            tool["repo-harden"] = ours
        table = ours
    waivers = table.get("waivers")
    if waivers is None:
        waivers = tomlkit.aot()
        table["waivers"] = waivers
    if isinstance(waivers, tomlkit.items.AoT):
        item = tomlkit.table()
        item.update(entry)
        if len(waivers) and not text.endswith("\n\n"):
            item.trivia.indent = "\n"  # a blank line before it, as between the others
        waivers.append(item)
    elif isinstance(waivers, tomlkit.items.Array):
        inline = tomlkit.inline_table()
        inline.update(entry)
        waivers.append(inline)
    else:
        raise UsageError("waive: `waivers` in the config is not a list of tables")
    return tomlkit.dumps(document)
