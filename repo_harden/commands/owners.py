"""`repo-harden owners PATH ...`: who owns each path, and which CODEOWNERS line decides,
in the manner of `git check-ignore -v`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from repo_harden.core.errors import ExitCode, UsageError
from repo_harden.core.escape import shown
from repo_harden.readers.codeowners import (
    CodeownersFile,
    Ownership,
    ownership,
    parse_codeowners,
    present_locations,
)
from repo_harden.sources.local import LocalRepo, find_root

if TYPE_CHECKING:
    from repo_harden.commands import Subcommands


def add_parser(commands: Subcommands) -> None:
    owners = commands.add_parser(
        "owners",
        help="who owns each path under GitHub's CODEOWNERS rules, and which line decides",
        description="For each PATH (which need not exist yet), print the CODEOWNERS line that "
        "decides its owners, like `git check-ignore -v`: SOURCE:LINE:PATTERN, the owners, "
        "the path (SOURCE:: when no line matches). A folder stands for the files in it; "
        "one with no files yet (`src/`) for a new file in it. Exit 0 when every path has "
        "an owner, 1 otherwise.",
    )
    owners.set_defaults(run=run)
    owners.add_argument(
        "paths", nargs="+", metavar="PATH", help="files or folders, relative to this folder"
    )
    owners.add_argument(
        "--format",
        choices=["text", "json"],
        default="text",
        help="text (default): one line per path; json: with the reason, for scripts",
    )


def run(args: argparse.Namespace) -> int:
    repo = LocalRepo(find_root(Path.cwd()))
    codeowners = load_codeowners(repo)
    paths = [path for given in args.paths for path in repo_paths(repo, given)]
    results = [ownership(codeowners, path) for path in paths]
    if args.format == "json":
        sys.stdout.write(json.dumps(json_report(codeowners, results), indent=2) + "\n")
    else:
        sys.stdout.writelines(text_line(result) + "\n" for result in results)
    return ExitCode.OK if all(result.owned for result in results) else ExitCode.FINDINGS


def load_codeowners(repo: LocalRepo) -> CodeownersFile | None:
    """The file GitHub reads, parsed; what would surprise the reader goes to stderr."""
    present = present_locations(repo)
    if not present:
        _note("no CODEOWNERS file in .github/, the root or docs/, so nothing has an owner")
        return None
    text = repo.read_text(present[0])
    if text is None:
        raise UsageError(f"{present[0]} was not read: {repo.unreadable_reason(present[0])}")
    codeowners = parse_codeowners(present[0], text)
    if not codeowners.loaded:
        _note(f"{codeowners.path} is over 3 MB: GitHub does not load it, so nothing has an owner")
    elif codeowners.problems:
        from repo_harden.reporters.text import counted

        lines = len({problem.line for problem in codeowners.problems})
        _note(
            f"GitHub skips {counted(lines, 'line')} of {codeowners.path}; "
            "`repo-harden scan --select OWN003` lists them"
        )
    return codeowners


def _note(message: str) -> None:
    print(f"repo-harden: {shown(message)}", file=sys.stderr)


def repo_paths(repo: LocalRepo, given: str) -> list[str]:
    """The repo-relative path of a PATH given on the command line (relative to the current
    folder, and free not to exist); a folder (one that exists, or a PATH that ends in `/`)
    stands for the files in it, and with none, for itself: `src/`, as a new file in it."""
    absolute = Path(os.path.normpath(Path.cwd() / given))
    if not absolute.is_relative_to(repo.root):
        raise UsageError(f"{given}: not inside the checkout at {repo.root}")
    relative = absolute.relative_to(repo.root).as_posix()
    if not (absolute.is_dir() or given.endswith(("/", os.sep))):
        return [relative]
    prefix = "" if relative == "." else f"{relative}/"
    inside = [path for path in repo.paths() if path.startswith(prefix)]
    return inside or [prefix or "./"]


NO_CODEOWNERS = "(no CODEOWNERS)"


def text_line(result: Ownership) -> str:
    """`SOURCE:LINE:PATTERN<TAB>OWNERS<TAB>PATH`; `SOURCE::` when no line matches, and
    `(no CODEOWNERS)::` when there is no file. Unlike `git check-ignore -v -n`, never `::`
    first: in a GitHub Actions log, a line starting with `::` is a workflow command."""
    rule = result.rule
    source = result.source or NO_CODEOWNERS
    where = f"{source}:{rule.line}:{shown(rule.pattern)}" if rule else f"{source}::"
    owners = shown(" ".join(result.owners)) or "(no owner)"
    return f"{where}\t{owners}\t{shown(result.path)}"


def json_report(codeowners: CodeownersFile | None, results: Sequence[Ownership]) -> object:
    return {
        "codeowners": codeowners.path if codeowners else None,
        "paths": [
            {
                "path": result.path,
                "owned": result.owned,
                "owners": list(result.owners),
                "source": result.source,
                "line": result.rule.line if result.rule else None,
                "pattern": result.rule.pattern if result.rule else None,
                "reason": result.reason(),
            }
            for result in results
        ],
    }
