"""Scan a local checkout: the one pipeline behind `repo-harden scan` and the hooks."""

from __future__ import annotations

import datetime
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from repo_harden.core.errors import UsageError
from repo_harden.core.model import Rule
from repo_harden.core.snapshot import RepoSettings
from repo_harden.engine.catalogue import Catalogue, catalogue
from repo_harden.engine.config import Config, find_config, load_config
from repo_harden.engine.judge import judge, selected_checks
from repo_harden.engine.overrides import Overrides, apply_overrides, check_selectors
from repo_harden.engine.policy import Outcome, relative_config_path
from repo_harden.engine.scope import Exclusion
from repo_harden.frontend.options import require_file
from repo_harden.sources.local import LocalRepo, find_root

if TYPE_CHECKING:
    from repo_harden.core.declare import Check
    from repo_harden.frontend.online import OnlineOptions
    from repo_harden.frontend.scan_cache import ScanMemory


@dataclass(frozen=True)
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


@dataclass
class ScanResult:
    root: Path
    config: Config
    outcome: Outcome
    crashes: list[str]
    files_checked: int
    rules: dict[str, Rule]
    repo: LocalRepo | None = None  # the checkout as it was read
    cache_problem: str | None = None  # why the cache could not be used, to tell the user


def scan_paths(paths: Sequence[Path], options: ScanOptions) -> ScanResult:
    """Scan the checkout that holds `paths`; report only findings under them."""
    paths = list(paths) or [Path.cwd()]
    for path in paths:
        if not path.exists() and not path.is_symlink():
            raise UsageError(f"{path}: no such file or folder")
    root = find_root(paths[0].resolve())
    targets = None if [p.resolve() for p in paths] == [root] else paths  # the whole checkout
    return scan_checkout(root, targets, options)


def scan_checkout(root: Path, targets: Sequence[Path] | None, options: ScanOptions) -> ScanResult:
    found = catalogue(options.only)
    config = _effective_config(root, options.overrides, found)
    if options.every_finding:
        config = replace(config, max_findings_per_file=0)
    repo = LocalRepo(root)
    wanted = _target_files(repo, targets) if targets is not None else None
    checks = selected_checks(found, config, options.only)
    repo.settings = options.settings
    if options.online is not None:
        from repo_harden.frontend.online import online_settings

        reading = [check.rule.code for check in checks if check.needs_settings]
        repo.settings = online_settings(repo.root, options.online, reading)
    today = options.today or datetime.date.today()
    config_path = relative_config_path(config.source, repo.root)
    memory = _memory(options, repo, config, checks, wanted)
    outcome, crashes = judge(
        repo,
        checks,
        found=found,
        config=config,
        config_path=config_path,
        today=today,
        wanted=wanted,
        memory=memory,
    )
    if wanted is not None:
        keep = set(wanted)
        keep.add("")  # repository-level findings concern every file
        outcome.reported = [r for r in outcome.reported if r.finding.path in keep]
    files = len(wanted) if wanted is not None else len(repo.paths())
    problem = memory.problem if memory is not None else None
    return ScanResult(repo.root, config, outcome, crashes, files, dict(found.rules), repo, problem)


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


@dataclass(frozen=True)
class ListedFile:
    """A file of the checkout, the rules that read it, and why it is excluded, if it is."""

    path: str
    rules: tuple[str, ...]
    excluded: Exclusion | None


@dataclass
class FileListing:
    root: Path
    config: Config
    files: list[ListedFile]  # the files some selected rule reads (or would, if not excluded)
    unread: int  # the files no selected rule reads


def list_files(paths: Sequence[Path], options: ScanOptions) -> FileListing:
    """What `scan` with the same options reads: each file some rule reads, with those rules,
    and each file a rule would read but an exclude keeps out, with the reason."""
    from repo_harden.core.globs import PathMatcher
    from repo_harden.engine.scope import Scope

    paths = list(paths) or [Path.cwd()]
    for path in paths:
        if not path.exists() and not path.is_symlink():
            raise UsageError(f"{path}: no such file or folder")
    root = find_root(paths[0].resolve())
    found = catalogue(options.only)
    config = _effective_config(root, options.overrides, found)
    repo = LocalRepo(root)
    whole = [p.resolve() for p in paths] == [root]
    wanted = repo.paths() if whole else _target_files(repo, paths)
    checks = selected_checks(found, config, options.only)
    scope = Scope(config, known=frozenset(repo.paths()))
    matchers = {check.patterns: PathMatcher(check.patterns) for check in checks}
    listed, unread = [], 0
    for file in wanted:
        rules = tuple(
            sorted(check.rule.code for check in checks if matchers[check.patterns].matches(file))
        )
        if rules:
            listed.append(ListedFile(file, rules, scope.why_excluded(file)))
        else:
            unread += 1
    return FileListing(repo.root, config, listed, unread)


def _effective_config(root: Path, overrides: Overrides, found: Catalogue) -> Config:
    require_file(overrides.config_file, "config file")
    if overrides.config_file is not None:
        config = load_config(overrides.config_file, found.checks, found.codes)
    else:
        config = load_config(find_config(root), found.checks, found.codes, root=root)
    check_selectors(overrides, found.codes)
    return apply_overrides(config, overrides)


def _target_files(repo: LocalRepo, targets: Sequence[Path]) -> list[str]:
    """Repo-relative files under the given paths: a file itself, or a folder's files."""
    wanted: list[str] = []
    for target in targets:
        absolute = Path(os.path.normpath(target.absolute()))  # `../x` is outside, not a link
        try:
            relative = absolute.relative_to(repo.root)
        except ValueError:
            try:
                relative = absolute.resolve().relative_to(repo.root)
            except ValueError:
                raise UsageError(
                    f"{target}: outside the repository (the checkout at {repo.root})"
                ) from None
        posix = relative.as_posix()
        if absolute.is_dir():
            prefix = "" if posix == "." else f"{posix}/"
            wanted.extend(p for p in repo.paths() if p.startswith(prefix))
        else:
            wanted.append(posix)
    return list(dict.fromkeys(wanted))
