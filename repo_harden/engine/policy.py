"""Turn raw findings into what is reported: inline ignores, waivers, severities, selection."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from pathlib import Path

from repo_harden.core.globs import PathMatcher
from repo_harden.core.model import Finding, Rule, Severity, fingerprint
from repo_harden.core.record import field, record, replace
from repo_harden.engine.config import Config, Waiver
from repo_harden.engine.engine_rules import EXPIRED_WAIVER, INVALID_SUPPRESSION
from repo_harden.engine.run import RuleSelection, sort_key
from repo_harden.engine.scope import Scope
from repo_harden.engine.suppressions import (
    ForeignIgnore,
    Suppression,
    find_foreign_ignores,
    find_suppressions,
)

ReadText = Callable[[str], str | None]


@record(slots=True)
class Reported:
    """A finding as the user sees it: with its rule and the severity the config gives it."""

    finding: Finding
    rule: Rule
    severity: Severity
    repository: str | None = None


@record(frozen=False)
class Outcome:
    reported: list[Reported] = field(default_factory=list)
    suppressed_inline: int = 0  # by repo-harden's comments and by other tools' (foreign)
    suppressed_foreign: int = 0
    waived: int = 0
    not_shown: int = 0  # findings past the config's max-findings-per-file


def cap_per_file(reported: list[Reported], limit: int) -> tuple[list[Reported], int]:
    """At most `limit` findings per file (0: no limit), the most severe kept, so a file full
    of findings costs bounded memory and output and the exit code does not change; the
    number of the others."""
    if limit <= 0:
        return reported, 0
    by_file: dict[tuple[str | None, str], list[Reported]] = {}
    for item in reported:
        by_file.setdefault((item.repository, item.finding.path), []).append(item)
    if all(len(items) <= limit for items in by_file.values()):
        return reported, 0
    kept: set[int] = set()
    for items in by_file.values():
        ranked = sorted(items, key=lambda item: -item.severity.rank)  # stable: by position
        kept.update(id(item) for item in ranked[:limit])
    shown = [item for item in reported if id(item) in kept]
    return shown, len(reported) - len(shown)


def apply_policy(
    findings: Iterable[Finding],
    *,
    config: Config,
    rules: Mapping[str, Rule],
    codes: AbstractSet[str],
    read_text: ReadText,
    config_path: str,
    today: datetime.date,
) -> Outcome:
    """Apply inline ignores, then waivers, then severities and selection. `codes` are all
    the rule codes that exist, loaded or not: an ignore may name a rule a hook does not run."""
    outcome = Outcome()
    inline = _InlineIgnores(read_text, codes, frozenset(config.foreign_ignores))
    kept: list[Finding] = []
    for finding in findings:
        how = inline.suppresses(finding)
        if how:
            outcome.suppressed_inline += 1
            outcome.suppressed_foreign += how == "foreign"
        else:
            kept.append(finding)
    kept = _apply_waivers(kept, config.waivers, today, outcome)
    kept += inline.invalid_findings()
    kept += waiver_findings(config.waivers, config_path, today)
    selection = RuleSelection.from_config(config)
    excluded = Scope(config)
    for finding in sorted(kept, key=sort_key):
        rule = rules[finding.rule]
        if selection.enabled(rule.code) and not (finding.path and excluded.excludes(finding.path)):
            outcome.reported.append(Reported(finding, rule, severity_of(finding, rule, config)))
    outcome.reported, outcome.not_shown = cap_per_file(
        outcome.reported, config.max_findings_per_file
    )
    return outcome


def severity_of(finding: Finding, rule: Rule, config: Config) -> Severity:
    """The config's severity for the rule, or the finding's own when that is lower."""
    severity = config.severity.get(rule.code, rule.severity)
    own = finding.severity
    return own if own is not None and own.rank < severity.rank else severity


class _InlineIgnores:
    """Ignore comments, read only from files that have findings: repo-harden's own, and
    those of the `tools` the config honours (`foreign-ignores`)."""

    def __init__(
        self, read_text: ReadText, codes: AbstractSet[str], tools: AbstractSet[str]
    ) -> None:
        self._read_text = read_text
        self._codes = codes
        self._tools = tools
        self._by_path: dict[str, list[Suppression]] = {}
        self._foreign: dict[str, list[ForeignIgnore]] = {}

    def suppresses(self, finding: Finding) -> str:
        """ "own" or "foreign" when an ignore comment covers the finding, else ""."""
        if not finding.path or finding.line is None:
            return ""
        line = finding.line
        if any(s.covers(finding.rule, line) for s in self._suppressions(finding.path)):
            return "own"
        if self._tools and any(
            f.covers(finding.rule, line) for f in self._foreign_of(finding.path)
        ):
            return "foreign"
        return ""

    def _suppressions(self, path: str) -> list[Suppression]:
        if path not in self._by_path:
            text = self._read_text(path)
            self._by_path[path] = list(find_suppressions(text, self._codes)) if text else []
        return self._by_path[path]

    def _foreign_of(self, path: str) -> list[ForeignIgnore]:
        if path not in self._foreign:
            text = self._read_text(path)
            self._foreign[path] = find_foreign_ignores(path, text, self._tools) if text else []
        return self._foreign[path]

    def invalid_findings(self) -> list[Finding]:
        return [
            Finding(
                INVALID_SUPPRESSION.code,
                path,
                s.line,
                s.column,
                f"inline ignore {'; '.join(s.problems)}, so it suppresses nothing; "
                "write `# repo-harden: ignore[CODE] <reason>`",
                fingerprint(INVALID_SUPPRESSION.code, path, ",".join(s.codes) + s.reason),
            )
            for path, suppressions in self._by_path.items()
            for s in suppressions
            if s.problems
        ]


def _apply_waivers(
    findings: list[Finding], waivers: Iterable[Waiver], today: datetime.date, outcome: Outcome
) -> list[Finding]:
    valid = [(w, PathMatcher([w.path])) for w in waivers if not w.problems]
    kept = []
    for finding in findings:
        matching = [
            w for w, paths in valid if w.rule == finding.rule and paths.matches(finding.path)
        ]
        if any(not w.expired(today) for w in matching):
            outcome.waived += 1
            continue
        if matching:
            expired = max(w.expires for w in matching if w.expires)
            note = f"{finding.message} (its waiver expired on {expired})"
            kept.append(replace(finding, message=note))
        else:
            kept.append(finding)
    return kept


def waiver_findings(
    waivers: Iterable[Waiver], config_path: str, today: datetime.date
) -> list[Finding]:
    """RH002 for each incomplete waiver, RH001 for each expired one, at its line in the config."""
    found = []
    for index, waiver in enumerate(waivers):
        subject = f"{waiver.rule}:{waiver.path}:{index}"
        if waiver.problems:
            message = f"waiver {'; '.join(waiver.problems)}, so it waives nothing"
            rule = INVALID_SUPPRESSION.code
        elif waiver.expired(today):
            message = (
                f"waiver of {waiver.rule} for `{waiver.path}` (owner {waiver.owner}) expired on "
                f"{waiver.expires}; fix the findings or renew it"
            )
            rule = EXPIRED_WAIVER.code
        else:
            continue
        found.append(
            Finding(
                rule, config_path, waiver.line, 1, message, fingerprint(rule, config_path, subject)
            )
        )
    return found


def relative_config_path(config_source: Path | None, root: Path) -> str:
    """The config file as a repo-relative path when it lives in the checkout."""
    if config_source is None:
        return ""
    resolved = config_source.resolve()
    return (
        resolved.relative_to(root).as_posix()
        if resolved.is_relative_to(root)
        else str(config_source)
    )
