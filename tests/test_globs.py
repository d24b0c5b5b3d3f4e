"""Path globs shared by check patterns, excludes and waivers."""

from __future__ import annotations

import pytest

from repo_harden.globs import PathMatcher

CASES = [
    ("*.yml", "a.yml", True),
    ("*.yml", "deep/down/a.yml", True),
    ("*.yml", "a.yaml", False),
    (".github/workflows/*.yml", ".github/workflows/ci.yml", True),
    (".github/workflows/*.yml", ".github/workflows/sub/ci.yml", False),
    (".github/workflows/*.yml", "x/.github/workflows/ci.yml", False),
    ("**/action.yml", "action.yml", True),
    ("**/action.yml", "a/b/action.yml", True),
    ("tests/**", "tests/a/b.py", True),
    ("tests/**", "src/tests/a.py", False),
    ("vendor", "vendor/x/y.yml", True),
    ("vendor", "src/vendor/y.yml", True),
    ("/vendor/", "src/vendor/y.yml", False),
    ("docs/", "docs/a/b.md", True),
    ("a?c.txt", "abc.txt", True),
    ("a?c.txt", "a/c.txt", False),
    ("[ab].txt", "b.txt", True),
    ("[!ab].txt", "b.txt", False),
    ("file.txt", "File.txt", False),
]


@pytest.mark.parametrize(("pattern", "path", "expected"), CASES)
def test_glob(pattern: str, path: str, expected: bool) -> None:
    assert PathMatcher([pattern]).matches(path) is expected


def test_empty_matcher_matches_nothing() -> None:
    assert not PathMatcher([])
    assert not PathMatcher([]).matches("a")
