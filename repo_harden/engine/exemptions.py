"""Every exception to the policy in one repository: the config's waivers and the inline
ignores in the files the checks read (repo-harden's own, and the other tools' comments
the config honours), as `Exemption` records for reports."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet

from repo_harden.core.globs import PathMatcher
from repo_harden.engine.config import Waiver
from repo_harden.engine.records import INLINE, WAIVER, Exemption
from repo_harden.engine.suppressions import find_foreign_ignores, find_suppressions


def waiver_exemptions(waivers: Iterable[Waiver], config_path: str) -> list[Exemption]:
    return [
        Exemption(
            WAIVER,
            (waiver.rule,) if waiver.rule else (),
            waiver.path,
            waiver.line,
            waiver.owner,
            waiver.reason,
            waiver.expires,
            config=config_path,
            problems=waiver.problems,
        )
        for waiver in waivers
    ]


def inline_exemptions(
    paths: Iterable[str],
    read_text: Callable[[str], str | None],
    codes: AbstractSet[str],
    read: PathMatcher,
    foreign_tools: AbstractSet[str] = frozenset(),
) -> list[Exemption]:
    """Inline ignores in the files `read` matches (those the checks read): they have no owner
    or expiry of their own, which is why a dashboard shows them. The other tools' comments
    that stand for repo-harden rules (`foreign_tools`, as the config honours them) are
    inline ignores too; their reason is the comment itself."""
    found = []
    for path in paths:
        if not read.matches(path):
            continue
        text = read_text(path) or ""
        for foreign in find_foreign_ignores(path, text, foreign_tools):
            if foreign.codes:
                found.append(
                    Exemption(INLINE, foreign.codes, path, foreign.line, "", foreign.text, None)
                )
        for ignore in find_suppressions(text, codes):
            found.append(
                Exemption(
                    INLINE,
                    ignore.codes,
                    path,
                    ignore.line,
                    "",
                    ignore.reason,
                    None,
                    problems=ignore.problems,
                )
            )
    return found
