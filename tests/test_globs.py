"""Path globs shared by check patterns, excludes and waivers."""

from __future__ import annotations

import pytest

from repo_harden.core.globs import PathMatcher

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


def _by_regex_only(pattern: str, path: str) -> bool:
    """What the matcher answered before literal patterns were looked up: the glob's regex
    on the path and on each of its folders."""
    import re

    from repo_harden.core.globs import _glob_regex

    regex = re.compile(_glob_regex(pattern))
    parts = path.split("/")
    return any(regex.fullmatch("/".join(parts[:i])) for i in range(1, len(parts) + 1))


LITERALS = ["package.json", "Dockerfile", "/vendor/", "docs/", ".github/workflows", "a/b.txt", "b"]
PATHS = [
    "package.json", "web/package.json", "package.json.bak", "xpackage.json", "Dockerfile",
    "Dockerfile.dev", "vendor/x", "src/vendor/x", "docs", "docs/a/b.md", "src/docs/a",
    ".github/workflows/ci.yml", ".github/workflowsx/ci.yml", "a/b.txt", "a/b.txt/c", "x/a/b.txt",
    "b", "a/b", "b/c", "ab",
]  # fmt: skip


@pytest.mark.parametrize("pattern", LITERALS)
def test_literal_patterns_match_as_their_globs_do(pattern: str) -> None:
    matcher = PathMatcher([pattern, "*.never-matches"])  # a literal beside a real glob
    for path in PATHS:
        assert matcher.matches(path) == _by_regex_only(pattern, path), (pattern, path)
