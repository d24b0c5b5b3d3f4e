"""npm ranges and Poetry constraints judged as npm and Poetry judge them.

The answers in tests/fixtures/ranges/ were recorded from npm (Arborist over node-semver)
and from poetry-core, for the edge cases of each syntax and every pair the LCK002 tables
use; their README says how to record them again. Where our answer differs on purpose,
the case is listed below with the reason, and the test fails once it no longer differs.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from repo_harden.ecosystems.cargo import cargo_requirement_allows
from repo_harden.ecosystems.npm import npm_accepts
from repo_harden.ecosystems.poetry import poetry_constraint_allows
from tests.conftest import TESTS

RANGES = TESTS / "fixtures" / "ranges"


def _table(name: str) -> dict[str, Any]:
    table: dict[str, Any] = json.loads((RANGES / name).read_text(encoding="utf-8"))
    return table


NPM = _table("npm.json")
POETRY = _table("poetry.json")


def _letters(answers: list[bool | None]) -> str:
    return "".join("-" if answer is None else "T" if answer else "F" for answer in answers)


def _differences(versions: list[str], theirs: str, ours: str) -> list[tuple[str, str, str]]:
    """(version, their letter, our letter) wherever the two differ, for the failure message."""
    return [(v, t, o) for v, t, o in zip(versions, theirs, ours, strict=True) if t != o]


# Malformed specs npm's loose parser still reads, dropping what it cannot parse
# (`^1.2.3 foo` is `^1.2.3` to npm) or taking leading zeros. We read no range in them,
# so LCK002 compares the spec with the one package-lock.json recorded instead.
NPM_LOOSE_ONLY = {
    "- 1.2.3",
    "1.2.3 - ",
    "1.2.3 -2.3.4",
    "1.2.3 - 2 - 3",
    "1.2.3 - 2.3.4 >=2",
    "1.2.3 <",
    "1.2.3 | 2.3.4",
    "^1.2.3 - 2",
    "^1.2.3 foo",
    "01.2.3",
    "1.02.3",
}


@pytest.mark.parametrize("range_text", list(NPM["ranges"]))
def test_npm_range_is_judged_as_npm_judges_it(range_text: str) -> None:
    versions: list[str] = NPM["versions"]
    npm: str = NPM["ranges"][range_text]
    ours = _letters([npm_accepts(version, range_text) for version in versions])
    if range_text in NPM_LOOSE_ONLY:
        assert ours == "-" * len(versions), _differences(versions, npm, ours)
        assert npm != ours, "npm now agrees: take the range out of NPM_LOOSE_ONLY"
    else:
        assert ours == npm, _differences(versions, npm, ours)


def test_the_npm_table_keeps_each_syntax() -> None:
    """A guard against a table trimmed by accident: one range of each kind stays in it."""
    kinds = {"", "*", "x", "1.2.x", "^0.0.3", "^0.2.3", "~1.2", "1.2.3 - 2.3", "1.2.x || 2.x"}
    kinds |= {">=1.2.3-0", "^1.2.3-beta.2", "<=1.2.3-beta", "latest", "github:o/x", ">="}
    assert kinds <= set(NPM["ranges"])
    assert any("-" in version for version in NPM["versions"]), "prereleases are the hard part"


@pytest.mark.parametrize(
    ("version", "range_text", "expected"),
    [
        ("2.0.0-rc.1", "*", True),  # Arborist takes `*` before node-semver sees it
        ("2.0.0-rc.1", "", True),
        (None, "*", True),
        ("2.0.0-rc.1", "x", False),  # only `*` itself: `x` goes through node-semver
        ("latest", "^1.0.0", None),  # no version: LCK002 compares the specs instead
        ("01.2.3", "^1.0.0", None),  # leading zeros, which no registry serves
        ("1.2.3", "github:o/x#v2", None),
        ("1.2.3", "1.x.3", None),  # a dist-tag to npm
        ("1.2.3", ">=", None),
        ("9007199254740992.0.0", "*", True),
        ("9007199254740992.0.0", ">=1", None),  # past JavaScript's integers
    ],
)
def test_npm_accepts_outside_the_table(
    version: str | None, range_text: str, expected: bool | None
) -> None:
    assert npm_accepts(version, range_text) is expected


# Constraints where we answer otherwise than poetry-core, each for its reason.
POETRY_UNREAD_BY_US = {
    # packaging refuses a local version in `>=`; Poetry takes it. We name no drift.
    "^1.2.3+local",
    # poetry-core reads the old `<>` as `==` (it once meant `!=`); we leave it unread.
    "<>1.2.3",
}
# PEP 440's arbitrary equality: packaging reads it, Poetry refuses it (so it never locks).
POETRY_REFUSED_BY_POETRY = {"===1.2.3"}


@pytest.mark.parametrize("constraint", list(POETRY["constraints"]))
def test_poetry_constraint_is_judged_as_poetry_judges_it(constraint: str) -> None:
    versions: list[str] = POETRY["versions"]
    poetry: str = POETRY["constraints"][constraint]
    ours = _letters([poetry_constraint_allows(constraint, version) for version in versions])
    if constraint in POETRY_UNREAD_BY_US:
        assert ours == "-" * len(versions) != poetry
    elif constraint in POETRY_REFUSED_BY_POETRY:
        assert poetry == "-" * len(versions) and "-" not in ours
    else:
        assert ours == poetry, _differences(versions, poetry, ours)


@pytest.mark.parametrize(
    ("requirement", "version", "expected"),
    [
        # Cargo's caret by default (the Cargo book, "Specifying dependencies")
        ("1.2.3", "1.9.0", True),
        ("1.2.3", "2.0.0", False),
        ("0.2.3", "0.2.9", True),
        ("0.2.3", "0.3.0", False),
        ("0.0.3", "0.0.4", False),
        ("0", "0.9.9", True),
        ("~1.2", "1.2.9", True),
        ("~1.2", "1.3.0", False),
        ("=1.2.3", "1.2.4", False),
        (">=1.2, <1.5", "1.4.9", True),
        (">=1.2, <1.5", "1.5.0", False),
        ("1.*", "1.7.0", True),
        ("*", "3.0.0", True),
        ("1.2.3", "1.3.0-alpha.1", False),  # a prerelease only when the requirement names one
        ("1.x.3", "1.2.3", None),
    ],
)
def test_cargo_requirement(requirement: str, version: str, expected: bool | None) -> None:
    assert cargo_requirement_allows(requirement, version) is expected
