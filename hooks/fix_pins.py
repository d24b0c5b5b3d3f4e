"""pre-commit hook `fix-pins` (opt-in): pin the references in the files being committed, from
the cache (and online when the config's `[fix] online = true` allows it), and fail the
commit when a file changed, as pre-commit's fixers do, so that the fix is looked at and
added. A reference it could not pin fails the commit too, with the reason."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from repo_harden.core.errors import ExitCode, FatalError
from repo_harden.core.extras import ONLINE, PYGITHUB, URLLIB3, require
from repo_harden.frontend.hook import interrupted
from repo_harden.frontend.options import add_rule_options, overrides_from

# The hook environment has only the base install: online, it needs the `online` extra there.
WITH_EXTRA = (
    "give the hook `additional_dependencies: ['repo-harden[online]']` in .pre-commit-config.yaml"
)
OFFLINE = (
    "not in the cache (the fix-pins hook asks nothing: run `repo-harden fix` once, or allow "
    "it with `[fix] online = true` in the config)"
)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:
        return interrupted()


def _main(argv: Sequence[str] | None) -> int:
    parser = argparse.ArgumentParser(
        prog="repo-harden hook fix-pins",
        description="pre-commit hook `fix-pins`: pin the references in the files given; "
        "exit 1 when a file changed or a reference could not be pinned.",
    )
    parser.add_argument("filenames", nargs="*", type=Path, help="files (pre-commit passes them)")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help="default $XDG_CACHE_HOME/repo-harden, or ~/.cache/repo-harden",
    )
    parser.add_argument("--api-url", metavar="URL", help="the GitHub API, when online")
    parser.add_argument(
        "--registry-url", action="append", default=[], metavar="HOST=URL", help="repeatable"
    )
    add_rule_options(parser)
    args = parser.parse_args(argv)
    try:
        return _fix(args) if args.filenames else ExitCode.OK
    except FatalError as error:
        print(f"repo-harden: error: {error}", file=sys.stderr)
        return ExitCode.USAGE


def _fix(args: argparse.Namespace) -> int:
    from repo_harden.audit.store import Store, cache_file
    from repo_harden.frontend.fix import (
        FixOptions,
        config_allows_online,
        fix_paths,
        open_sources,
        report_lines,
    )
    from repo_harden.github.client import (
        DEFAULT_API_URL,
        REDACTOR,
        checked_api_url,
        token_from_env,
    )
    from repo_harden.registries.digests import parse_registry_urls
    from repo_harden.sources.local import find_root

    overrides = overrides_from(args)
    online = config_allows_online(find_root(Path.cwd()), overrides)
    if online:
        what = "the fix-pins hook with `[fix] online = true`"
        require(ONLINE, what, [PYGITHUB, URLLIB3], install=WITH_EXTRA)
    token = token_from_env(os.environ) if online else None
    if token is not None:
        REDACTOR.add(token)
    api_url = checked_api_url(args.api_url or DEFAULT_API_URL, allow_http=False)
    store = Store(cache_file(args.cache_dir, api_url, os.environ))
    opened = open_sources(
        token=token,
        api_url=api_url,
        cache=store,
        offline_reason=None if online else OFFLINE,
        registry_urls=parse_registry_urls(args.registry_url, allow_http=False),
        environ=os.environ,
    )
    try:
        result = fix_paths(args.filenames, opened.sources, FixOptions(overrides))
    finally:
        opened.close()
        store.close()
    if not result.fixed and not result.not_fixed:
        return ExitCode.OK
    for line in report_lines(result, dry_run=False):
        print(line)
    if result.changes:
        print("Files were modified by this hook: review the pins and add them to the commit.")
    return ExitCode.FINDINGS
