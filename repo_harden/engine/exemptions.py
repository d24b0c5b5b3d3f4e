"""Every exception to the policy in one repository: the config's waivers and the inline
ignores in the files the checks read, as `Exemption` records for reports."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet

from repo_harden.core.globs import PathMatcher
from repo_harden.engine.config import Waiver
from repo_harden.engine.records import INLINE, WAIVER, Exemption
from repo_harden.engine.suppressions import find_suppressions


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
) -> list[Exemption]:
    """Inline ignores in the files `read` matches (those the checks read): they have no owner
    or expiry of their own, which is why a dashboard shows them."""
    found = []
    for path in paths:
        if not read.matches(path):
            continue
        for ignore in find_suppressions(read_text(path) or "", codes):
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
