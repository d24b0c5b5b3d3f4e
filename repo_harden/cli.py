"""The `repo-harden` command line: one subcommand per module of `repo_harden.commands`, each
declaring its own parser and importing what it runs only when it runs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from repo_harden import __version__
from repo_harden.commands import audit, fix, inventory, merge, owners, rules, scan, waive, waivers
from repo_harden.core.errors import ExitCode, FatalError
from repo_harden.core.escape import shown
from repo_harden.frontend.output import silence_stdout

_DESCRIPTION = """\
Find the weak links in a software supply chain: actions and images not pinned
to a digest, unpinned tool downloads, manifests without lockfiles, workflow
files nobody must review, default branches anyone can force-push.
"""
_COMMANDS = (scan, fix, rules, waivers, waive, owners, audit, merge, inventory)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return ExitCode.USAGE
    try:
        code: int = args.run(args)
    except FatalError as error:
        print(f"repo-harden: error: {shown(str(error))}", file=sys.stderr)
        return ExitCode.USAGE
    except KeyboardInterrupt:
        print("repo-harden: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        return silence_stdout()
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="repo-harden",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"repo-harden {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in _COMMANDS:
        command.add_parser(commands)
    return parser
