"""Run the selected checks over a snapshot and collect their findings.

A check that crashes is a bug in repo-harden, not in the user's files: the
run goes on, and the crash is kept for the front end to report.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from functools import cached_property, lru_cache
from typing import Protocol

from repo_harden.core.declare import Check, CheckContext
from repo_harden.core.globs import PatternGroups
from repo_harden.core.model import Finding, fingerprint
from repo_harden.core.parsed import ParsedFiles
from repo_harden.core.record import field, record, replace
from repo_harden.core.snapshot import RepoSettings, RepoSnapshot
from repo_harden.engine.config import Config
from repo_harden.engine.engine_rules import UNPARSEABLE
from repo_harden.engine.parts import Chunk, PartRun, Spread, merged, split_of
from repo_harden.engine.scope import Scope
from repo_harden.readers.file_kinds import reads_file


class RuleSelection:
    """`select` and `ignore` by code or prefix; the most specific wins, ties go to ignore.
    RH000 (a file the selected rules could not read) is on unless an ignore names it.
    Each code is decided once (`from_config` shares a selection between equal configs: an
    audit asks it for every rule of every repository)."""

    def __init__(self, select: Sequence[str], ignore: Sequence[str]) -> None:
        self.select = tuple(select)
        self.ignore = tuple(ignore)
        self._decided: dict[str, bool] = {}

    def enabled(self, code: str) -> bool:
        decided = self._decided.get(code)
        if decided is None:
            decided = self._decided[code] = self._enabled(code)
        return decided

    def _enabled(self, code: str) -> bool:
        selected = _longest_match(code, self.select)
        ignored = _longest_match(code, self.ignore)
        if code == UNPARSEABLE.code and ignored <= 0:
            # A file the selected rules could not read is never passed in silence (as ruff
            # reports syntax errors whatever is selected): only an ignore that names RH000
            # (or RH) hides it.
            return True
        return selected > ignored

    @classmethod
    def from_config(cls, config: Config) -> RuleSelection:
        select, ignore = tuple(config.select), tuple(config.ignore)
        if len(select) + len(ignore) > SHARED_SELECTORS:
            return cls(select, ignore)  # a repository's long list is not kept past its audit
        return _selection(select, ignore)


# Selections shared between configs (`from_config`): at most this many, of this many
# selectors at most, so that the repositories of an audit cannot make them hold memory.
SHARED_SELECTIONS = 64
SHARED_SELECTORS = 64


@lru_cache(maxsize=SHARED_SELECTIONS)
def _selection(select: tuple[str, ...], ignore: tuple[str, ...]) -> RuleSelection:
    return RuleSelection(select, ignore)


def _longest_match(code: str, selectors: Sequence[str]) -> int:
    lengths = [0 if s == "ALL" else len(s) for s in selectors if s == "ALL" or code.startswith(s)]
    return max(lengths, default=-1)


@record(frozen=False)
class CheckRun:
    """The raw outcome of running checks: findings before any policy, and crashes; and what
    the run read (`read`: the files whose text it asked for; `listed`: whether it asked for
    the list of paths), all that its findings can depend on besides the config."""

    findings: list[Finding] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)
    read: tuple[str, ...] = ()
    listed: bool = False
    checked: tuple[str, ...] = ()  # the files some check was given: what a summary counts


class CheckRunMemory(Protocol):
    """Findings kept from an earlier run of the same checks with the same config (a cache:
    the front end stores it). `recall` returns that run when every file it read, and the
    list of paths if it read it, are still the same in `snapshot`; else None."""

    def recall(self, snapshot: RepoSnapshot) -> CheckRun | None: ...

    def remember(self, snapshot: RepoSnapshot, run: CheckRun) -> None: ...


class _SnapshotView:
    """A snapshot seen through another: everything passed on unless a subclass says."""

    def __init__(self, inner: RepoSnapshot) -> None:
        self._inner = inner

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def settings(self) -> RepoSettings | None:
        return self._inner.settings

    def paths(self) -> Sequence[str]:
        return self._inner.paths()

    def read_text(self, path: str) -> str | None:
        return self._inner.read_text(path)

    def unreadable_reason(self, path: str) -> str | None:
        return self._inner.unreadable_reason(path)


class RecordingSnapshot(_SnapshotView):
    """A snapshot that notes what is read through it: the files and the listing."""

    def __init__(self, inner: RepoSnapshot) -> None:
        super().__init__(inner)
        self.read: dict[str, None] = {}  # an ordered set
        self.listed = False

    def paths(self) -> Sequence[str]:
        self.listed = True
        return self._inner.paths()

    def read_text(self, path: str) -> str | None:
        self.read[path] = None
        return self._inner.read_text(path)


def run_checks(
    snapshot: RepoSnapshot,
    checks: Sequence[Check],
    config: Config,
    targets: Collection[str] | None = None,
    spread: Spread | None = None,
) -> CheckRun:
    """Run `checks` on the files they read; with `targets`, only on those files. What is
    read at all is `engine.scope`'s one rule. With `spread`, the files of the `per_file`
    checks are dealt out in parts, each run where `spread` puts it: the findings are the
    same as in one part."""
    recording = RecordingSnapshot(snapshot)
    snapshot = recording
    scope = scope_of(snapshot, config, listed=targets is None)
    if scope:
        snapshot = ExcludingSnapshot(snapshot, scope.excludes)
    parsed = ParsedFiles(snapshot)
    listed = targets if targets is not None else snapshot.paths()
    candidates = [path for path in listed if not scope.excludes(path)]
    files_for = files_read(snapshot, checks, candidates)
    runner = _Runner(recording, snapshot, checks, parsed, config, files_for, targets is None)
    split = split_of(checks, files_for, spread) if spread is not None else None
    run = CheckRun()
    if spread is None or split is None:
        outcome = runner.run(None, first=True)
    else:
        chunks = split.chunks
        done = spread.map(
            lambda index: runner.run(chunks[index], index == 0).plain(),
            len(chunks),
            split.processes,
        )
        outcome = merged(parsed, [PartRun.from_plain(part) for part in done])
        recording.read.update(dict.fromkeys(outcome.read))
        recording.listed |= outcome.listed
    run.findings = outcome.findings
    run.crashes = outcome.crashes
    run.findings.extend(_unparseable(parsed))
    run.findings = _distinct(run.findings)
    run.checked = tuple(sorted({path for files in files_for.values() for path in files}))
    run.read = tuple(recording.read)
    run.listed = recording.listed
    return run


@record
class _Runner:
    """Runs the checks, all or part of them (see `run`), sharing one cache of parsed files."""

    recording: RecordingSnapshot
    snapshot: RepoSnapshot  # the recording, through the excludes
    checks: Sequence[Check]
    parsed: ParsedFiles
    config: Config
    files_for: dict[tuple[str, ...], list[str]]
    whole: bool  # a whole scan, not a hook's files

    @cached_property
    def enabled(self) -> frozenset[str]:
        return frozenset(check.rule.code for check in self.checks)

    def run(self, chunk: Chunk | None, first: bool) -> PartRun:
        """The `per_file` checks on the files of `chunk` (all of theirs when None), and,
        with the `first` chunk, every other check on all of its files. What the process
        read and could not parse for the first time meanwhile comes with the findings."""
        read_before, problems_before = len(self.recording.read), len(self.parsed.problems)
        findings: list[Finding] = []
        crashes: list[str] = []
        for check in self.checks:
            if chunk is not None and check.per_file:
                files = chunk[check.patterns]
            elif first:
                files = self.files_for[check.patterns]
            else:
                continue
            # A repository-level check runs on a whole scan even with no file (to say one is
            # missing); in a hook, only when a committed file is one it reads.
            if not files and (not self.whole or not check.repository_level):
                continue
            try:
                findings.extend(check.run(self._context(check, files)))
            except Exception:
                import traceback

                crashes.append(f"{check.rule.code} crashed:\n{traceback.format_exc()}")
        read = tuple(self.recording.read)[read_before:]
        problems = dict(list(self.parsed.problems.items())[problems_before:])
        return PartRun(findings, crashes, problems, read, self.recording.listed)

    def _context(self, check: Check, files: list[str]) -> CheckContext:
        return CheckContext(
            check.rule,
            self.snapshot,
            files,
            self.config.rule_options.get(check.rule.code, {}),
            self.parsed,
            branch_requirements=self.config.branch_protection,
            shell_inputs=self.config.shell_inputs,
            enabled=self.enabled,
        )


def files_read(
    snapshot: RepoSnapshot, checks: Sequence[Check], candidates: Sequence[str]
) -> dict[tuple[str, ...], list[str]]:
    """The files each check's patterns stand for among `candidates` (what a scan reads and
    `scan --list-files` shows), by the checks' `patterns`."""
    # Checks of a family share patterns; each path is matched once against all of them.
    groups = _pattern_groups(tuple(check.patterns for check in checks))

    def read(path: str, matched: Sequence[str]) -> bool:
        return reads_file(matched, path, lambda: snapshot.read_text(path))

    return groups.select(candidates, keep=read)


@lru_cache(maxsize=16)
def _pattern_groups(groups: tuple[tuple[str, ...], ...]) -> PatternGroups:
    """The checks' patterns compiled once per process: an audit judges thousands of
    repositories with the same checks (the matcher is safe to share between threads)."""
    return PatternGroups(groups)


def scope_of(snapshot: RepoSnapshot, config: Config, *, listed: bool) -> Scope:
    """The paths a run reads. A whole scan lists the files anyway, so virtualenvs are found
    in the listing; a hook asks for each folder's `pyvenv.cfg` instead of listing them all."""
    if listed:
        return Scope(config, known=frozenset(snapshot.paths()))
    return Scope(config, exists=lambda path: snapshot.read_text(path) is not None)


class ExcludingSnapshot(_SnapshotView):
    """A snapshot without the excluded paths, so that checks which look at the whole tree
    (coverage by CODEOWNERS, lockfile beside manifest) never see them either."""

    def __init__(self, inner: RepoSnapshot, excluded: Callable[[str], bool]) -> None:
        super().__init__(inner)
        self._excluded = excluded
        self._paths: list[str] | None = None

    def paths(self) -> Sequence[str]:
        if self._paths is None:
            self._paths = [p for p in self._inner.paths() if not self._excluded(p)]
        return self._paths

    def read_text(self, path: str) -> str | None:
        return None if self._excluded(path) else self._inner.read_text(path)


def _unparseable(parsed: ParsedFiles) -> list[Finding]:
    found = []
    for path, problem in sorted(parsed.problems.items()):
        line = problem.at.line if problem.at else None
        column = problem.at.column if problem.at else None
        found.append(
            Finding(
                UNPARSEABLE.code,
                path,
                line,
                column,
                problem.message,
                fingerprint(UNPARSEABLE.code, path, problem.message),
            )
        )
    return found


def _distinct(findings: list[Finding]) -> list[Finding]:
    """Drop findings reported twice at one place (YAML aliases share nodes); make each
    fingerprint unique by numbering repeats of the same problem in the same file."""
    # Aliases repeat a node, and its message; two problems at one place stay two.
    unique = list({(f.rule, f.path, f.line, f.column, f.message): f for f in findings}.values())
    unique.sort(key=sort_key)
    seen: dict[str, int] = {}
    result = []
    for finding in unique:
        count = seen.get(finding.fingerprint, 0)
        seen[finding.fingerprint] = count + 1
        repeat = fingerprint(finding.fingerprint, "", str(count))
        result.append(replace(finding, fingerprint=repeat) if count else finding)
    return result


def sort_key(finding: Finding) -> tuple[str, int, int, str]:
    return (finding.path, finding.line or 0, finding.column or 0, finding.rule)
