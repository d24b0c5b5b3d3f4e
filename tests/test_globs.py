"""Path globs shared by check patterns, excludes and waivers."""

from __future__ import annotations

import random
import re

import pytest

from repo_harden.core.globs import PathMatcher, PatternGroups
from repo_harden.readers.codeowners import parse_codeowners

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
    return _old_path_match(pattern, path)


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


# The regex translations the automaton replaced, kept as oracles: the automaton must answer
# as they did, only without their exponential backtracking.
def _old_path_regex(pattern: str) -> str:
    anchored = "/" in pattern.rstrip("/")
    out: list[str] = []
    text = pattern.strip("/")
    i = 0
    while i < len(text):
        if text.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif text.startswith("**", i):
            out.append(".*")
            i += 2
        elif text[i] == "*":
            out.append("[^/]*")
            i += 1
        elif text[i] == "?":
            out.append("[^/]")
            i += 1
        elif text[i] == "[" and (end := text.find("]", i + 2)) != -1:
            body = text[i + 1 : end]
            negated = body.startswith("!")
            body = re.escape(body[1:] if negated else body).replace(r"\-", "-")
            out.append(f"[{'^' if negated else ''}{body}]")
            i = end + 1
        else:
            out.append(re.escape(text[i]))
            i += 1
    regex = "".join(out)
    return regex if anchored else f"(?:.*/)?{regex}"


def _old_path_match(pattern: str, path: str) -> bool:
    regex = re.compile(_old_path_regex(pattern))
    parts = path.split("/")
    return any(regex.fullmatch("/".join(parts[:i])) for i in range(1, len(parts) + 1))


def _old_codeowners_regex(pattern: str) -> str:
    directory = pattern.endswith("/")
    anchored = "/" in pattern.rstrip("/")
    segments = pattern.strip("/").split("/")
    parts = [] if anchored else ["(?:.*/)?"]
    last = len(segments) - 1
    for index, segment in enumerate(segments):
        if segment == "**":
            parts.append(".*" if index == last else "(?:.*/)?")
            continue
        out: list[str] = []
        k = 0
        while k < len(segment):
            char = segment[k]
            if char == "\\" and k + 1 < len(segment):
                k += 1
                out.append(re.escape(segment[k]))
            elif char == "*":
                if not out or out[-1] != "[^/]*":
                    out.append("[^/]*")
            elif char == "?":
                out.append("[^/]")
            else:
                out.append(re.escape(char))
            k += 1
        parts.append("".join(out))
        if index < last:
            parts.append("/")
    if directory:
        parts.append("/.*")
    elif segments[-1] not in ("*", "**"):
        parts.append("(?:/.*)?")
    return "".join(parts)


def _old_workspace_regex(pattern: str) -> str:
    out = []
    for index, part in enumerate(re.split(r"(\*\*/?|\*|\?)", pattern)):
        if index % 2 == 0:
            out.append(re.escape(part))
        elif part.startswith("**"):
            out.append("(?:.*/)?" if part.endswith("/") else ".*")
        else:
            out.append("[^/]*" if part == "*" else "[^/]")
    return "".join(out)


OLD_TABLE_PATTERNS = sorted(
    {p for p, _, _ in CASES} | set(LITERALS) | {"**", "a/**", "**/b", "a/**/b", "*.py", "a*b*c"}
)


@pytest.mark.parametrize("pattern", OLD_TABLE_PATTERNS)
def test_path_globs_answer_as_the_old_regexes_did(pattern: str) -> None:
    paths = PATHS + [path for _, path, _ in CASES]
    matcher = PathMatcher([pattern])
    for path in paths:
        assert matcher.matches(path) == _old_path_match(pattern, path), (pattern, path)


def _random_text(rng: random.Random, alphabet: str, longest: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, longest)))


def test_every_glob_dialect_agrees_with_its_old_regex_on_random_inputs() -> None:
    """Seeded, so that a failure is reproducible: 3,000 patterns, each on 20 paths."""
    from repo_harden.core.globs import single
    from repo_harden.ecosystems.tree import _workspace_glob
    from repo_harden.readers.codeowners import pattern_glob

    rng = random.Random(14)
    for _ in range(1000):
        pattern = _random_text(rng, "ab/*?", 7)
        paths = [_random_text(rng, "ab/", 8).strip("/") or "a" for _ in range(20)]
        bracketed = pattern.replace("?", "[ab]", 1) if rng.random() < 0.3 else pattern
        path_matcher = PathMatcher([bracketed])
        owners = single(pattern_glob(pattern))
        owners_regex = re.compile(_old_codeowners_regex(pattern))
        workspace = single(_workspace_glob(pattern))
        workspace_regex = re.compile(_old_workspace_regex(pattern))
        for path in paths:
            assert path_matcher.matches(path) == _old_path_match(bracketed, path), (bracketed, path)
            assert owners.matches_any(path) == bool(owners_regex.fullmatch(path)), (pattern, path)
            workspace_says = workspace.matches_any(path)
            assert workspace_says == bool(workspace_regex.fullmatch(path)), (pattern, path)


def test_a_reversed_range_is_a_glob_error() -> None:
    from repo_harden.core.globs import GlobError, glob_problem

    with pytest.raises(GlobError, match="reversed"):
        PathMatcher(["[z-a]"])
    assert glob_problem("[z-a]") is not None
    assert glob_problem("src/**/*.py") is None


HOSTILE_GLOBS = [
    ("**/" * 16 + "zzz", "/".join(["a"] * 200) + "/zz"),
    ("*a" * 24 + "*b", "a" * 400),
    ("**" + "a**" * 12 + "b", "a/" * 200),
]


@pytest.mark.parametrize(("pattern", "path"), HOSTILE_GLOBS)
def test_a_hostile_glob_costs_at_most_one_step_per_character(
    pattern: str, path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counted, not timed: each character of the path is one automaton step at most (the
    regexes these globs used to become took minutes on the same input)."""
    from repo_harden.core import globs

    steps = 0
    step = globs.GlobSet._step

    def counted(self: globs.GlobSet, states: frozenset[tuple[int, int]], char: str) -> object:
        nonlocal steps
        steps += 1
        return step(self, states, char)

    monkeypatch.setattr(globs.GlobSet, "_step", counted)
    assert PathMatcher([pattern]).matches(path) is False
    assert steps <= len(path)
    owners = parse_codeowners("CODEOWNERS", f"{pattern} @acme/owners\n")
    assert owners.deciding_rule(path) is None


def test_past_its_table_size_a_matcher_goes_on_without_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from repo_harden.core import globs

    monkeypatch.setattr(globs, "MAX_DFA_STATES", 3)
    matcher = PathMatcher(["**/a*b*c/**"])
    assert matcher.matches("x/y/aXbYc/z")
    assert not matcher.matches("x/y/aXbY/z")


def test_pattern_groups_choose_what_each_matcher_would() -> None:
    """The engine matches each path once against every check's patterns together: it must
    pick, for each check, exactly the files that check's own PathMatcher picks."""
    from repo_harden.engine.catalogue import catalogue

    groups = [check.patterns for check in catalogue(()).checks.values()]
    groups += [("*.md", "docs"), ("/src/a.py", "b/**/c"), ()]
    names = [
        "Dockerfile",
        "dockerfile.dev",
        "package.json",
        "action.yml",
        "a.py",
        "ci.yml",
        "requirements-dev.txt",
        "CODEOWNERS",
        "x.sh",
        "README.md",
        "c",
        "settings.yml",
    ]
    folders = [
        "",
        ".github/",
        ".github/workflows/",
        "docs/",
        "src/",
        "b/x/y/",
        "scripts/",
        "tools/bin/",
        "node_modules/p/",
        ".github/actions/setup/",
    ]
    paths = [folder + name for folder in folders for name in names]
    chosen = PatternGroups(groups).select(paths)
    for group in groups:
        matcher = PathMatcher(group)
        assert chosen[group] == [path for path in paths if matcher.matches(path)], group
