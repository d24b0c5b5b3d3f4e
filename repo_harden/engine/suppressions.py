"""Inline ignores: `# repo-harden: ignore[PIN001,PIN002] reason`, on the line or the line above."""

from __future__ import annotations

import re
from collections.abc import Iterator
from collections.abc import Set as AbstractSet

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.record import record

_IGNORE = lazy_compile(r"#\s*repo-harden\s*:\s*ignore\[(?P<codes>[^\]]*)\](?P<reason>[^#\n]*)")


@record
class Suppression:
    """One inline ignore comment. `problems` lists what makes it invalid."""

    line: int
    column: int
    codes: tuple[str, ...]
    reason: str
    problems: tuple[str, ...]

    def covers(self, rule: str, line: int) -> bool:
        return not self.problems and rule in self.codes and line in (self.line, self.line + 1)


def find_suppressions(text: str, known_codes: AbstractSet[str]) -> Iterator[Suppression]:
    """Every ignore comment of a file; a cheap substring test skips files that have none."""
    if "repo-harden" not in text:
        return
    for number, line in enumerate(text.splitlines(), 1):
        match = _IGNORE.search(line)
        if match is not None:
            yield _suppression(number, match, known_codes)


def _suppression(line: int, match: re.Match[str], known_codes: AbstractSet[str]) -> Suppression:
    codes = tuple(code.strip().upper() for code in match["codes"].split(",") if code.strip())
    reason = match["reason"].strip()
    problems = []
    if not codes:
        problems.append("names no rule")
    problems += [f"names unknown rule `{code}`" for code in codes if code not in known_codes]
    if not reason:
        problems.append("gives no reason after the bracket")
    return Suppression(line, match.start() + 1, codes, reason, tuple(problems))


# Other tools' ignore comments that stand for repo-harden rules, by tool and by the tool's
# own rule name. zizmor's audits that match ours; its `template-injection`,
# `dangerous-triggers` and `excessive-permissions` are to be mapped to the WF rules when
# they exist (a line here each).
FOREIGN_RULES: dict[str, dict[str, tuple[str, ...]]] = {
    "zizmor": {
        "unpinned-uses": ("PIN001",),
        "unpinned-images": ("PIN002",),
        "impostor-commit": ("PIN004",),
        "ref-confusion": ("PIN004",),
        "excessive-permissions": ("WF001",),
        "dangerous-triggers": ("WF002",),
        "template-injection": ("WF003",),
        "use-trusted-publishing": ("WF005",),
    },
}
# zizmor 1.33 honours a YAML comment that holds exactly this (after a note, too), on a line
# of the finding, with its audits separated by commas; trailing text (a reason) is allowed.
_ZIZMOR_IGNORE = lazy_compile(r"# zizmor: ignore\[(?P<ids>[A-Za-z0-9_, -]*)\]")


@record
class ForeignIgnore:
    """Another tool's ignore comment: its `ids` (the tool's rule names) and the repo-harden
    rules they stand for (`codes`, empty when none matches)."""

    tool: str
    line: int
    column: int
    ids: tuple[str, ...]
    codes: tuple[str, ...]
    text: str

    def covers(self, rule: str, line: int) -> bool:
        return rule in self.codes and line == self.line


def find_foreign_ignores(path: str, text: str, tools: AbstractSet[str]) -> list[ForeignIgnore]:
    """zizmor's `# zizmor: ignore[...]` comments in a workflow or action file, where zizmor
    reads them: real YAML comments (not text inside a `run:` script or a quoted string)."""
    if "zizmor" not in tools or "zizmor: ignore[" not in text:
        return []
    from repo_harden.readers.workflows import is_action_path, is_workflow_path

    if not (is_workflow_path(path) or is_action_path(path)):
        return []
    from repo_harden.readers.yaml import comment_starts

    comments = comment_starts(text)
    if comments is None:
        return []  # not YAML: the file is RH000, and zizmor reads no comment in it either
    starts = dict(comments)
    found = []
    table = FOREIGN_RULES["zizmor"]
    for number, line in enumerate(text.splitlines(), 1):
        start = starts.get(number)
        match = _ZIZMOR_IGNORE.search(line, start - 1) if start is not None else None
        if match is None:
            continue
        ids = tuple(part.strip() for part in match["ids"].split(",") if part.strip())
        codes = tuple(dict.fromkeys(code for name in ids for code in table.get(name, ())))
        found.append(ForeignIgnore("zizmor", number, match.start() + 1, ids, codes, match.group()))
    return found
