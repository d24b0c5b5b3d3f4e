"""Inline ignores: `# repo-harden: ignore[PIN001,PIN002] reason`, on the line or the line above."""

from __future__ import annotations

import re
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

_IGNORE = re.compile(r"#\s*repo-harden\s*:\s*ignore\[(?P<codes>[^\]]*)\](?P<reason>[^#\n]*)")


@dataclass(frozen=True)
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
