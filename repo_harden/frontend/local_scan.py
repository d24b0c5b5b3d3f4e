"""Scan a local checkout: the one pipeline behind `repo-harden scan` and the hooks."""

from __future__ import annotations

import datetime
import os
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from repo_harden.core.errors import UsageError
from repo_harden.core.model import Rule
from repo_harden.core.record import field, record, replace
from repo_harden.core.snapshot import RepoSettings
from repo_harden.engine.catalogue import Catalogue, catalogue
from repo_harden.engine.config import Config, find_config, load_config
from repo_harden.engine.judge import judged, selected_checks
from repo_harden.engine.overrides import Overrides, apply_overrides, check_selectors
from repo_harden.engine.policy import Outcome, relative_config_path
from repo_harden.engine.scope import Exclusion
from repo_harden.frontend.options import require_file
from repo_harden.sources.local import LocalRepo, git_toplevel, root_outside_git

if TYPE_CHECKING:
    from repo_harden.core.declare import Check
    from repo_harden.engine.parts import Spread
    from repo_harden.frontend.online import OnlineOptions
    from repo_harden.frontend.scan_cache import ScanMemory


@record
class ScanOptions:
    """How to scan: the command line's overrides of the config, a hook's rule families
    (`only`), the date waivers expire against, and `--online` (or, from `repo-harden fix`,
    the `settings` to check with)."""

    overrides: Overrides = field(default_factory=Overrides)
    only: tuple[str, ...] = ()
    today: datetime.date | None = None
    online: OnlineOptions | None = None  # --online: live settings, known vulnerabilities
    settings: RepoSettings | None = None
    every_finding: bool = False  # no max-findings-per-file: `fix` fixes them all
    cache: Path | None = None  # the cache folder (`scan`): an unchanged checkout is not re-run
    jobs: int = 1  # processes the files are dealt out to (`scan --jobs`)


@record(frozen=False)
class ScanResult:
    root: Path
    config: Config
    outcome: Outcome
    crashes: list[str]
    files_checked: int  # files some selected rule read; a repository-level finding is none
    rules: Mapping[str, Rule]  # every rule; listing them all imports every rule module
    repo: LocalRepo | None = None  # the checkout as it was read
    cache_problem: str | None = None  # why the cache could not be used, to tell the user
    checked: tuple[str, ...] = ()  # the files some rule read (what `files_checked` counts)
    notes: list[str] = field(default_factory=list)  # named paths not checked, and why


def scan_paths(paths: Sequence[Path], options: ScanOptions) -> ScanResult:
    """Scan the checkout that holds `paths`; report only findings under them. Each named
    path that was not checked gets a note, and why (excluded, or no rule reads it)."""
    paths = list(paths) or [Path.cwd()]
    root = checkout_of(paths)
    targets = None if [p.resolve() for p in paths] == [root] else paths  # the whole checkout
    result = scan_checkout(root, targets, options)
    if targets is not None and result.repo is not None:
        named = _named_paths(result.repo, targets)
        result.notes = _not_checked(result.repo, result.config, named, set(result.checked))
    return result


def checkout_of(paths: Sequence[Path]) -> Path:
    """The checkout a scan of `paths` reads: the git checkout of the first; outside git, the
    project it belongs to (`root_outside_git`), unless the scan is run from inside a git
    checkout, which is then the only one the paths may name (as `owners` and `waive`)."""
    for path in paths:
        if not path.exists() and not path.is_symlink():
            raise UsageError(f"{path}: no such file or folder")
    first = paths[0].resolve()
    top = git_toplevel(first)
    if top is not None:
        return top
    here = git_toplevel(Path.cwd())
    if here is None:
        return root_outside_git(first)
    if first.is_relative_to(here):  # inside `.git/`, where git says "no work tree"
        return here
    raise UsageError(
        f"{paths[0]}: not inside the checkout at {here} (nor in any git checkout); "
        "to scan it, run repo-harden from its own folder"
    )


def scan_checkout(root: Path, targets: Sequence[Path] | None, options: ScanOptions) -> ScanResult:
    found = catalogue(options.only)
    config = _effective_config(root, options.overrides, found)
    if options.every_finding:
        config = replace(config, max_findings_per_file=0)
    repo = LocalRepo(root)
    wanted = _target_files(repo, targets) if targets is not None else None
    online = options.online is not None or options.settings is not None
    runnable = found.runnable(
        wanted if wanted is not None else repo.paths(), whole=wanted is None, settings=online
    )
    checks = selected_checks(found, config, options.only, runnable)
    repo.settings = options.settings
    if options.online is not None:
        from repo_harden.frontend.online import online_settings

        reading = [check.rule.code for check in checks if check.needs_settings]
        repo.settings = online_settings(repo.root, options.online, reading)
    today = options.today or datetime.date.today()
    config_path = relative_config_path(config.source, repo.root)
    memory = _memory(options, repo, config, checks, wanted)
    outcome, run = judged(
        repo,
        checks,
        found=found,
        config=config,
        config_path=config_path,
        today=today,
        wanted=wanted,
        memory=memory,
        spread=_spread(options.jobs) if not online else None,
    )
    if wanted is not None:
        keep = set(wanted)
        keep.add("")  # repository-level findings concern every file
        outcome.reported = [r for r in outcome.reported if r.finding.path in keep]
    problem = memory.problem if memory is not None else None
    return ScanResult(
        repo.root,
        config,
        outcome,
        run.crashes,
        len(run.checked),
        found.rules,
        repo,
        problem,
        checked=run.checked,
    )


def _spread(jobs: int) -> Spread | None:
    """Processes forked to check the files; not online, where the live settings are read
    through connections and threads that a fork must not copy."""
    if jobs <= 1:
        return None
    from repo_harden.frontend.forked import ForkedParts

    return ForkedParts(jobs)


def _memory(
    options: ScanOptions,
    repo: LocalRepo,
    config: Config,
    checks: Sequence[Check],
    wanted: Sequence[str] | None,
) -> ScanMemory | None:
    """The scan cache's entry for this run; none online (live settings change unseen)."""
    if options.cache is None or repo.settings is not None:
        return None
    from repo_harden.frontend.scan_cache import scan_memory

    return scan_memory(options.cache, root=repo.root, config=config, checks=checks, wanted=wanted)


@record
class ListedFile:
    """A file of the checkout, the rules that read it, and why it is excluded, if it is."""

    path: str
    rules: tuple[str, ...]
    excluded: Exclusion | None


@record(frozen=False)
class FileListing:
    root: Path
    config: Config
    files: list[ListedFile]  # the files some selected rule reads (or would, if not excluded)
    unread: int  # the files no selected rule reads


def list_files(paths: Sequence[Path], options: ScanOptions) -> FileListing:
    """What `scan` with the same options reads: each file some rule reads, with those rules,
    and each file a rule would read but an exclude keeps out, with the reason. The rules'
    files are chosen as the scan chooses them (`files_read`)."""
    from repo_harden.engine.run import files_read
    from repo_harden.engine.scope import Scope

    paths = list(paths) or [Path.cwd()]
    root = checkout_of(paths)
    found = catalogue(options.only)
    config = _effective_config(root, options.overrides, found)
    repo = LocalRepo(root)
    whole = [p.resolve() for p in paths] == [root]
    wanted = repo.paths() if whole else _target_files(repo, paths)
    # as the scan chooses them, but with the online rules (offline, they are given their
    # files and find nothing) listed as before
    runnable = found.runnable(wanted, whole=whole, settings=True)
    checks = selected_checks(found, config, options.only, runnable)
    scope = Scope(config, known=frozenset(repo.paths()))
    files_for = files_read(repo, checks, wanted)
    rules: dict[str, list[str]] = {}
    for check in checks:
        for file in files_for[check.patterns]:
            rules.setdefault(file, []).append(check.rule.code)
    listed = [
        ListedFile(file, tuple(sorted(rules[file])), scope.why_excluded(file))
        for file in wanted
        if file in rules
    ]
    return FileListing(repo.root, config, listed, len(wanted) - len(listed))


def _effective_config(root: Path, overrides: Overrides, found: Catalogue) -> Config:
    require_file(overrides.config_file, "config file")
    if overrides.config_file is not None:
        config = load_config(overrides.config_file, found.checks, found.codes)
    else:
        config = load_config(find_config(root), found.checks, found.codes, root=root)
    check_selectors(overrides, found.codes)
    return apply_overrides(config, overrides)


@record
class _Named:
    given: Path  # as the user wrote it
    relative: str  # repo-relative POSIX path; "" for the top
    folder: bool


def _named_paths(repo: LocalRepo, targets: Sequence[Path]) -> list[_Named]:
    named = []
    for target in targets:
        absolute = Path(os.path.normpath(target.absolute()))  # `../x` is outside, not a link
        try:
            relative = absolute.relative_to(repo.root)
        except ValueError:
            try:
                relative = absolute.resolve().relative_to(repo.root)
            except ValueError:
                raise UsageError(f"{target}: not inside the checkout at {repo.root}") from None
        posix = relative.as_posix()
        named.append(_Named(target, "" if posix == "." else posix, absolute.is_dir()))
    return named


def _target_files(repo: LocalRepo, targets: Sequence[Path]) -> list[str]:
    """Repo-relative files under the given paths: a file itself, or a folder's files."""
    wanted: list[str] = []
    for named in _named_paths(repo, targets):
        if named.folder:
            prefix = f"{named.relative}/" if named.relative else ""
            wanted.extend(p for p in repo.paths() if p.startswith(prefix))
        else:
            wanted.append(named.relative)
    return list(dict.fromkeys(wanted))


def _not_checked(
    repo: LocalRepo, config: Config, named: Sequence[_Named], checked: Collection[str]
) -> list[str]:
    """A line for each named file no rule read, and each named folder an exclude covers,
    saying why: a summary's count alone would let `scan node_modules/x.sh` pass for clean."""
    from repo_harden.engine.scope import Scope

    scope = Scope(config, known=frozenset(repo.paths()))
    notes = []
    for path in named:
        if path.folder:
            # a folder is excluded when a file directly in it would be
            why = scope.why_excluded(f"{path.relative}/-") if path.relative else None
            if why is not None:
                notes.append(f"{path.given}: not checked: {why.describe()}")
        elif path.relative not in checked:
            why = scope.why_excluded(path.relative)
            reason = why.describe() if why is not None else "no selected rule reads it"
            notes.append(f"{path.given}: not checked: {reason}")
    return notes
