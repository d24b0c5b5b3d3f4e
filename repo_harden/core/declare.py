"""Declaring rules: the code, name and severity in a decorator, the docs in the docstring;
and what a check receives (`CheckContext`) and returns (findings)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence

from repo_harden.core.branch_requirements import BranchRequirements
from repo_harden.core.model import Finding, Position, Rule, Severity, fingerprint
from repo_harden.core.parsed import ParsedFiles
from repo_harden.core.record import field, record
from repo_harden.core.snapshot import RepoSnapshot


class CheckContext:
    """What a check sees: the snapshot, its options, the files it may report on."""

    def __init__(
        self,
        rule: Rule,
        snapshot: RepoSnapshot,
        files: Sequence[str],
        options: Mapping[str, object],
        parsed: ParsedFiles,
        *,
        branch_requirements: BranchRequirements | None = None,
        shell_inputs: Mapping[str, tuple[str, ...]] | None = None,
        enabled: Collection[str] | None = None,
    ) -> None:
        self.rule = rule
        self.snapshot = snapshot
        self.files = files
        self.options = options
        self.parsed = parsed
        self.branch_requirements = branch_requirements  # the config's [branch-protection]
        # the config's `shell-inputs`: actions that run some inputs as shell scripts
        self.shell_inputs: Mapping[str, tuple[str, ...]] = shell_inputs or {}
        self._enabled = frozenset(enabled) if enabled is not None else None

    def runs(self, code: str) -> bool:
        """Whether rule `code` runs in this scan too (unknown: assumed to), so that a question
        two rules share is reported by one of them."""
        return self._enabled is None or code in self._enabled

    def finding(
        self,
        path: str,
        at: Position | None,
        message: str,
        subject: str,
        *,
        severity: Severity | None = None,
    ) -> Finding:
        """A finding of this check's rule; `subject` is the offending text, for the fingerprint.
        `severity` lowers the rule's for this finding (a higher one is ignored)."""
        return Finding(
            rule=self.rule.code,
            path=path,
            line=at.line if at else None,
            column=at.column if at else None,
            message=message,
            fingerprint=fingerprint(self.rule.code, path, subject),
            severity=severity if severity is not None and severity != self.rule.severity else None,
        )

    def string_list_option(self, key: str) -> tuple[str, ...]:
        """An option that must be a list of strings (validated when the config is loaded)."""
        value = self.options.get(key, ())
        if isinstance(value, list | tuple):
            return tuple(str(item) for item in value)
        return ()


CheckFunction = Callable[[CheckContext], Iterator[Finding]]


@record
class OptionSpec:
    """A per-rule option a check accepts in the config, with its help text; `validate`
    says what is wrong with a value of the right `kind` (None when nothing is), so a bad
    entry is a config error, not a crash."""

    key: str
    help: str
    kind: type = list
    globs: bool = False  # a list of path globs: checked when the config is read
    validate: Callable[[object], str | None] | None = None


@record
class Check:
    """One rule and the function that finds it.

    `patterns` are the globs of repository paths the check reads: the engine hands
    it only those files, and the GitHub source fetches only those. A check with
    `repository_level` runs on a whole scan even when no file matches (it may report
    that one is missing, with `path` ""); in a hook, only when a committed file matches.
    A check `per_file` reports on the files it is given, and what it finds in one depends
    on that file (and what it reads through the snapshot), never on which other files it
    was given with it: a scan may hand its files out in parts, to other processes.
    """

    rule: Rule
    run: CheckFunction
    patterns: tuple[str, ...]
    needs_settings: bool = False
    repository_level: bool = False
    options: tuple[OptionSpec, ...] = field(default=())
    per_file: bool = False

    def declared(self) -> Declared:
        """What this check declares about when it can find anything (see `Declared`)."""
        return Declared(
            self.rule.code,
            self.patterns,
            online=self.rule.online,
            needs_settings=self.needs_settings,
            repository_level=self.repository_level,
        )


@record
class Declared:
    """What a check declares about the files and settings it needs, restated in
    `repo_harden.checks.declarations` so that a scan can tell, without importing a rule
    module, whether any of its checks can find something in this run."""

    code: str
    patterns: tuple[str, ...]
    online: bool = False
    needs_settings: bool = False
    repository_level: bool = False

    def can_find(self, *, has_files: bool, whole: bool, settings: bool) -> bool:
        """Whether the check can report anything when some path matches its patterns
        (`has_files`), in a scan of the whole checkout (`whole`), with live settings or not."""
        if self.online and not settings:
            return False  # an online rule asks the network through the settings: none offline
        if has_files:
            return True
        # run with no file only on a whole scan; then, one that judges live settings when
        # there is no file to judge has nothing to judge without them
        return self.repository_level and whole and (settings or not self.needs_settings)


DOC_HEADINGS = ("## What it does", "## Why is this bad?", "## Example", "## Fix")


def rule_from_docstring(
    code: str, name: str, severity: Severity, function: Callable[..., object], *, online: bool
) -> Rule:
    doc = clean_docstring(function.__doc__ or "")
    summary = doc.splitlines()[0].rstrip(".") if doc else name
    return Rule(code, name, severity, summary, doc, online)


def clean_docstring(text: str) -> str:
    """Like `inspect.cleandoc`, without importing `inspect` on the hook's start-up path."""
    lines = text.expandtabs().strip().splitlines()
    if not lines:
        return ""
    rest = lines[1:]
    indents = [len(line) - len(line.lstrip()) for line in rest if line.strip()]
    margin = min(indents, default=0)
    return "\n".join([lines[0].strip(), *(line[margin:].rstrip() for line in rest)])


def check(
    code: str,
    name: str,
    severity: Severity,
    patterns: tuple[str, ...],
    *,
    online: bool = False,
    needs_settings: bool = False,
    repository_level: bool = False,
    options: tuple[OptionSpec, ...] = (),
    per_file: bool = False,
) -> Callable[[CheckFunction], Check]:
    """Turn a documented function into a `Check` of the catalogue."""
    if per_file and repository_level:
        raise ValueError(f"{code}: a repository-level check cannot be split by file")

    def declare(function: CheckFunction) -> Check:
        rule = rule_from_docstring(code, name, severity, function, online=online)
        return Check(rule, function, patterns, needs_settings, repository_level, options, per_file)

    return declare


def engine_rule(code: str, name: str, severity: Severity) -> Callable[[Callable[[], None]], Rule]:
    """A rule the engine itself reports (parse errors, waivers); the function only carries docs."""

    def declare(function: Callable[[], None]) -> Rule:
        return rule_from_docstring(code, name, severity, function, online=False)

    return declare
