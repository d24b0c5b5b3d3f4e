"""What every pre-commit hook does: the files pre-commit passed, checked in the context of
the whole checkout, reported as text, turned into an exit code."""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from repo_harden.cli import EXIT_USAGE, add_common_options, silence_stdout, use_color
from repo_harden.core.errors import FatalError


def run_hook(hook_id: str, only: tuple[str, ...], argv: Sequence[str] | None) -> int:
    """Run a hook. Called as a console script (argv None), the process exits right here."""
    if argv is None:
        gc.disable()  # a hook lives for a fraction of a second: collecting only costs time
    parser = argparse.ArgumentParser(
        prog=f"repo-harden hook {hook_id}",
        description=f"pre-commit hook `{hook_id}`: check the files given, exit 1 on findings.",
    )
    parser.add_argument(
        "filenames", nargs="*", type=Path, help="files to check (pre-commit passes them)"
    )
    add_common_options(parser)
    args = parser.parse_args(argv)
    try:
        code = _check(args, only)
    except FatalError as error:
        print(f"repo-harden: error: {error}", file=sys.stderr)
        code = EXIT_USAGE
    except BrokenPipeError:
        code = silence_stdout()
    if argv is None:
        _exit_now(code)
    return code


def _exit_now(code: int) -> None:
    """Exit without tearing the interpreter down (about a tenth of a hook's run time):
    a hook holds no files or locks, so flushing the output is all the cleanup it needs."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):  # the reader went away (`| head`)
            stream.flush()
    os._exit(code)


def _check(args: argparse.Namespace, only: tuple[str, ...]) -> int:
    from dataclasses import replace

    from repo_harden.commands.scan import (
        build_report,
        exit_code,
        fail_on_of,
        report_crashes,
        scan_options,
    )
    from repo_harden.frontend.local_scan import scan_checkout
    from repo_harden.reporters.text import render_line
    from repo_harden.sources.local import find_root

    if not args.filenames:
        return 0
    root = find_root(Path.cwd())
    result = scan_checkout(root, args.filenames, replace(scan_options(args), only=only))
    report = build_report(result, color=use_color(sys.stdout))
    for item in report.reported:
        print(render_line(item, report.color))
    fail_on = fail_on_of(args, result)
    return report_crashes(result.crashes) or exit_code(report.reported, fail_on)
