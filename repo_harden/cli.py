"""The `repo-harden` command line: one subcommand per module of `repo_harden.commands`, each
declaring its own parser and importing what it runs only when it runs."""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from collections.abc import Sequence

from repo_harden import __version__
from repo_harden.core.errors import ExitCode, FatalError
from repo_harden.core.escape import shown
from repo_harden.frontend.help_format import HelpParser, raw_description_help
from repo_harden.frontend.streams import open_closed_streams

_DESCRIPTION = """\
Find the weak links in a software supply chain: actions and images not pinned
to a digest, unpinned tool downloads, manifests without lockfiles, workflow
files nobody must review, default branches anyone can force-push.
"""
_VERSION = f"repo-harden {__version__}"
# The modules of `repo_harden.commands`, in the order `--help` lists them. Only the command
# being run is imported (each one's module-level imports cost start-up time).
_COMMANDS = ("scan", "fix", "rules", "waivers", "waive", "owners", "audit", "merge", "inventory")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; Ctrl-C at any point from here on is one line and exit code 130
    (also while the command's modules are imported and its parser is built)."""
    open_closed_streams()
    try:
        return _run(argv)
    except KeyboardInterrupt:
        return interrupted()


def interrupted() -> int:
    print("repo-harden: interrupted", file=sys.stderr)
    return ExitCode.INTERRUPTED


def _run(argv: Sequence[str] | None) -> int:
    # Importing a command makes many objects that live to the end: collecting while it
    # imports only costs time (a command that wants no collection at all turns it off).
    arguments = sys.argv[1:] if argv is None else argv
    if list(arguments) == ["--version"]:  # without every command's parser: under half the time
        print(_VERSION)
        return ExitCode.OK
    gc.disable()
    try:
        parser = build_parser(_named_command(arguments))
        args = parser.parse_args(argv)
    finally:
        gc.enable()
    if args.command is None:
        parser.print_help()
        return ExitCode.USAGE
    try:
        code: int = args.run(args)
    except FatalError as error:
        print(f"repo-harden: error: {shown(str(error))}", file=sys.stderr)
        return ExitCode.USAGE
    except ModuleNotFoundError as error:
        # A package of an extra that a path did not check for first: still one line.
        from repo_harden.core.extras import missing_module_message

        message = missing_module_message(error.name)
        if message is None:
            raise
        print(f"repo-harden: error: {message}", file=sys.stderr)
        return ExitCode.USAGE
    except BrokenPipeError:
        from repo_harden.frontend.output import silence_stdout

        return silence_stdout()
    if argv is None and args.exits_now(args):
        from repo_harden.frontend.output import exit_now

        exit_now(code)  # a console script that holds nothing open: no interpreter teardown
    return code


def _named_command(argv: Sequence[str]) -> str | None:
    """The command the arguments name (the first one not an option), if it is one of ours."""
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    return first if first in _COMMANDS else None


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of `only` (what the rest of the line is parsed with
    is the same; `--help` and a mistyped command name list them all)."""
    parser = HelpParser(
        prog="repo-harden",
        description=_DESCRIPTION,
        formatter_class=raw_description_help,
    )
    parser.add_argument("--version", action="version", version=_VERSION)
    parser.set_defaults(exits_now=lambda args: False)  # a command may say it holds nothing open
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in (only,) if only else _COMMANDS:
        importlib.import_module(f"repo_harden.commands.{name}").add_parser(commands)
    return parser
