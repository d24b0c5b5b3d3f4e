"""What every pre-commit hook does: the files pre-commit passed, checked in the context of
the whole checkout, reported as text, turned into an exit code."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence
from pathlib import Path

from repo_harden.core.errors import ExitCode, FatalError
from repo_harden.core.escape import shown
from repo_harden.frontend.help_format import HelpParser
from repo_harden.frontend.streams import open_closed_streams


def run_hook(hook_id: str, only: tuple[str, ...], argv: Sequence[str] | None) -> int:
    """Run a hook. Called as a console script (argv None), the process exits right here.
    Ctrl-C, from the first import on, is one line and exit code 130."""
    open_closed_streams()
    try:
        code = _run_hook(hook_id, only, argv)
    except KeyboardInterrupt:
        code = interrupted()
    if argv is None:
        from repo_harden.frontend.output import exit_now

        exit_now(code)
    return code


def interrupted() -> int:
    """Ctrl-C: one line, and the exit code a shell gives SIGINT."""
    print("repo-harden: interrupted", file=sys.stderr)
    return ExitCode.INTERRUPTED


def _run_hook(hook_id: str, only: tuple[str, ...], argv: Sequence[str] | None) -> int:
    if argv is None:
        gc.disable()  # a hook lives for a fraction of a second: collecting only costs time
    # Imported once collection is off: they make many objects that live to the end.
    from repo_harden.frontend.options import add_rule_options
    from repo_harden.frontend.output import silence_stdout

    parser = HelpParser(
        prog=f"repo-harden hook {hook_id}",
        description=f"pre-commit hook `{hook_id}`: check the files given, exit 1 on findings.",
    )
    parser.add_argument(
        "filenames", nargs="*", type=Path, help="files to check (pre-commit passes them)"
    )
    add_rule_options(parser)
    args = parser.parse_args(argv)
    try:
        code = _check(args, only)
    except FatalError as error:
        print(f"repo-harden: error: {shown(str(error))}", file=sys.stderr)
        code = ExitCode.USAGE
    except BrokenPipeError:
        code = silence_stdout()
    return code


def _check(args: argparse.Namespace, only: tuple[str, ...]) -> int:
    from repo_harden.frontend.local_scan import ScanOptions, scan_checkout
    from repo_harden.frontend.options import overrides_from
    from repo_harden.frontend.output import exit_code, use_color
    from repo_harden.reporters.text import render_line
    from repo_harden.sources.local import find_root

    if not args.filenames:
        return ExitCode.OK
    root = find_root(Path.cwd())
    options = ScanOptions(overrides=overrides_from(args), only=only)
    result = scan_checkout(root, args.filenames, options)
    color = use_color(sys.stdout)
    for item in result.outcome.reported:
        print(render_line(item, color))
    return exit_code(result.outcome.reported, result.config.fail_on, crashes=result.crashes)
