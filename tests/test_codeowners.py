"""The CODEOWNERS parser and matcher against GitHub's documented semantics.

The first table is the example file of GitHub's "About code owners" page
(https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/about-code-owners),
read as a whole: the last matching line wins, so some paths end up with other
owners than the comment above a line suggests (its `**/logs` line, for one,
comes after `/build/logs/`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from repo_harden.core.globs import glob_regex
from repo_harden.core.snapshot import RepoSettings
from repo_harden.readers.codeowners import (
    MAX_BYTES,
    CodeownersFile,
    ownership,
    parse_codeowners,
    pattern_glob,
    present_locations,
    shadowed,
)

GITHUB_EXAMPLE = """\
# This is a comment.
# Each line is a file pattern followed by one or more owners.

# These owners will be the default owners for everything in
# the repo. Unless a later match takes precedence,
# @global-owner1 and @global-owner2 will be requested for
# review when someone opens a pull request.
*       @global-owner1 @global-owner2

# Order is important; the last matching pattern takes the most
# precedence. When someone opens a pull request that only
# modifies JS files, only @js-owner and not the global
# owner(s) will be requested for a review.
*.js    @js-owner #This is an inline comment.

# You can also use email addresses if you prefer. They'll be
# used to look up users just like we do for commit author
# emails.
*.go docs@example.com

# Teams can be specified as code owners as well. Teams should
# be identified in the format @org/team-name. Teams must have
# explicit write access to the repository. In this example,
# the octocats team in the octo-org organization owns all .txt files.
*.txt @octo-org/octocats

# In this example, @doctocat owns any files in the build/logs
# directory at the root of the repository and any of its
# subdirectories.
/build/logs/ @doctocat

# The `docs/*` pattern will match files like
# `docs/getting-started.md` but not further nested files like
# `docs/build-app/troubleshooting.md`.
docs/* docs@example.com

# In this example, @octocat owns any file in an apps directory
# anywhere in your repository.
apps/ @octocat

# In this example, @doctocat owns any file in the `/docs`
# directory in the root of your repository and any of its
# subdirectories.
/docs/ @doctocat

# In this example, any change inside the `/scripts` directory
# will require approval from @doctocat or @octocat.
/scripts/ @doctocat @octocat

# In this example, @octocat owns any file in a `/logs` directory such as
# `/build/logs`, `/scripts/logs`, and `/deeply/nested/logs`. Any changes
# in a `/logs` directory will require approval from @octocat.
**/logs @octocat

# In this example, @octocat owns any file in the `/apps`
# directory in the root of your repository except for the `/apps/github`
# subdirectory, as its owners are left empty. Without an owner, changes
# to `apps/github` can be made with the approval of any user who has
# write access to the repository.
/apps/ @octocat
/apps/github

# In this example, @octocat owns any file in the `/apps`
# directory in the root of your repository except for the `/apps/github`
# subdirectory, as this subdirectory has its own owner @doctocat
/apps/ @octocat
/apps/github @doctocat
"""

GLOBAL = ("@global-owner1", "@global-owner2")

# path -> (deciding pattern, owners)
GITHUB_EXAMPLE_OWNERS = [
    ("README.md", "*", GLOBAL),
    (".github/workflows/ci.yml", "*", GLOBAL),
    ("src/app.js", "*.js", ("@js-owner",)),  # the inline comment is not an owner
    ("main.go", "*.go", ("docs@example.com",)),
    ("cmd/tool/main.go", "*.go", ("docs@example.com",)),
    ("notes.txt", "*.txt", ("@octo-org/octocats",)),
    ("catalog/data.txt", "*.txt", ("@octo-org/octocats",)),  # `**/logs` matches whole names
    ("build/logs/error.log", "**/logs", ("@octocat",)),  # later than `/build/logs/`
    ("build/logs/deep/trace.log", "**/logs", ("@octocat",)),
    ("deeply/nested/logs/x.txt", "**/logs", ("@octocat",)),
    ("scripts/logs/run.txt", "**/logs", ("@octocat",)),
    ("logs", "**/logs", ("@octocat",)),
    ("docs/getting-started.md", "/docs/", ("@doctocat",)),  # `/docs/` comes after `docs/*`
    ("docs/build-app/troubleshooting.md", "/docs/", ("@doctocat",)),
    ("src/docs/readme.md", "*", GLOBAL),  # `docs/*` and `/docs/` are anchored
    ("src/apps/main.rb", "apps/", ("@octocat",)),  # `apps/` matches at any depth
    ("apps/index.html", "/apps/", ("@octocat",)),
    ("apps/app.js", "/apps/", ("@octocat",)),
    ("apps/github/readme.md", "/apps/github", ("@doctocat",)),
    ("scripts/deploy.sh", "/scripts/", ("@doctocat", "@octocat")),
]


@pytest.fixture(scope="module")
def github_example() -> CodeownersFile:
    return parse_codeowners(".github/CODEOWNERS", GITHUB_EXAMPLE)


def test_github_example_parses_without_problems(github_example: CodeownersFile) -> None:
    assert github_example.problems == ()
    assert github_example.loaded
    assert len(github_example.rules) == 14
    first = github_example.rules[0]
    assert (first.line, first.column, first.pattern, first.owners) == (8, 1, "*", GLOBAL)


@pytest.mark.parametrize(("path", "pattern", "owners"), GITHUB_EXAMPLE_OWNERS)
def test_github_example_owners(
    github_example: CodeownersFile, path: str, pattern: str, owners: tuple[str, ...]
) -> None:
    result = ownership(github_example, path)
    assert result.rule is not None
    assert (result.rule.pattern, result.owners) == (pattern, owners)
    assert result.owned


def test_github_example_deciding_lines_are_the_last_matches(
    github_example: CodeownersFile,
) -> None:
    lines = GITHUB_EXAMPLE.split("\n")
    rule = github_example.deciding_rule("apps/github/readme.md")
    assert rule is not None
    assert lines[rule.line - 1] == "/apps/github @doctocat"
    assert rule.line == len(lines) - 1


def test_owner_less_line_un_owns_what_it_matches() -> None:
    # The first half of GitHub's `/apps/github` example, on its own.
    codeowners = parse_codeowners("CODEOWNERS", "/apps/ @octocat\n/apps/github\n")
    unowned = ownership(codeowners, "apps/github/readme.md")
    assert unowned.rule is not None
    assert (unowned.rule.line, unowned.rule.pattern, unowned.owned) == (2, "/apps/github", False)
    assert "names no owners" in unowned.reason()
    assert ownership(codeowners, "apps/other.md").owners == ("@octocat",)


# (pattern, paths it matches, paths it does not)
PATTERNS: list[tuple[str, Sequence[str], Sequence[str]]] = [
    ("*", ["README.md", "a/b/c.txt", ".github/workflows/ci.yml"], []),
    ("*.js", ["a.js", "x/y/z.js"], ["a.jsx", "a.JS", "js"]),
    (
        "/build/logs/",
        ["build/logs/a.log", "build/logs/x/y.log"],
        ["src/build/logs/a", "build/logs"],
    ),
    ("docs/*", ["docs/getting-started.md"], ["docs/build-app/troubleshooting.md", "src/docs/a"]),
    ("docs/", ["docs/a.md", "docs/build-app/troubleshooting.md", "src/docs/a.md"], ["docs"]),
    ("/docs/", ["docs/a.md", "docs/x/y.md"], ["src/docs/a.md"]),
    ("apps/", ["apps/a", "x/y/apps/z"], ["apps", "myapps/x", "apps.txt"]),
    ("apps", ["apps", "apps/a", "x/apps"], ["myapps", "apps.txt"]),
    ("/apps/github", ["apps/github", "apps/github/x/y"], ["apps/githubber", "x/apps/github"]),
    ("/*", ["README.md", ".gitignore"], ["src/a.py"]),
    ("**/logs", ["logs", "logs/a", "a/b/logs/c"], ["catalog", "mylogs/a"]),
    ("**", ["a", "a/b/c"], []),
    ("/a/**", ["a/x", "a/x/y"], ["a", "b/a/x"]),
    ("/a/**/b", ["a/b", "a/x/b", "a/x/y/b/z"], ["a/xb", "b"]),
    ("file?.txt", ["file1.txt", "d/fileA.txt"], ["file10.txt", "file.txt", "file/.txt"]),
    ("/src/*.py", ["src/a.py"], ["src/x/a.py", "a.py"]),
    ("/Docs/", ["Docs/a.md"], ["docs/a.md", "DOCS/a.md"]),  # case-sensitive
    (".github/workflows/*.yml", [".github/workflows/ci.yml"], [".github/workflows/ci.yaml"]),
    ("my\\ dir/", ["my dir/a"], ["my/a", "my\\ dir/a"]),
    ("foo#bar", ["foo#bar"], ["foo"]),
]


@pytest.mark.parametrize(("pattern", "matching", "other"), PATTERNS)
def test_pattern_matching(pattern: str, matching: Sequence[str], other: Sequence[str]) -> None:
    codeowners = parse_codeowners("CODEOWNERS", f"{pattern} @owner\n")
    assert codeowners.problems == ()
    [rule] = codeowners.rules
    assert [path for path in matching if not rule.matches(path)] == []
    assert [path for path in other if rule.matches(path)] == []


def test_pattern_glob_for_a_trailing_star_is_not_recursive() -> None:
    assert glob_regex(pattern_glob("docs/*")) == "docs/[^/]*"
    assert glob_regex(pattern_glob("docs/")) == "(?s:.*/)?docs/.*"


# (CODEOWNERS text, path, expected owners): the last matching line wins.
LAST_MATCH_WINS = [
    ("*.js @a\n/src/ @b\n", "src/x.js", ("@b",)),
    ("/src/ @b\n*.js @a\n", "src/x.js", ("@a",)),
    ("*.js @a\n/src/ @b\n*.js @c\n", "src/x.js", ("@c",)),
    ("* @a\n/src/\n", "src/x.js", ()),
    ("* @a\n/src/\n/src/keep/ @k\n", "src/keep/x.js", ("@k",)),
    ("* @a\n*.md @b # @c is in a comment\n", "x.md", ("@b",)),
    ("* @a\r\n*.md @b\r\n", "x.md", ("@b",)),
    ("  *.md\t@b   @c  \n", "x.md", ("@b", "@c")),
]


@pytest.mark.parametrize(("text", "path", "owners"), LAST_MATCH_WINS)
def test_last_matching_line_wins(text: str, path: str, owners: tuple[str, ...]) -> None:
    assert ownership(parse_codeowners("CODEOWNERS", text), path).owners == owners


def test_no_matching_line_and_no_file() -> None:
    codeowners = parse_codeowners(".github/CODEOWNERS", "/src/ @a\n")
    result = ownership(codeowners, "README.md")
    assert (result.rule, result.owned) == (None, False)
    assert result.reason() == "no line of .github/CODEOWNERS matches it"
    missing = ownership(None, "README.md")
    assert (missing.source, missing.owned) == (None, False)
    assert "no CODEOWNERS file" in missing.reason()


# (line, expected (column, message fragment) per problem). A line with a problem is skipped.
INVALID_LINES = [
    ("!docs/ @a", [(1, "`!` to negate")]),
    ("\\#notes.md @a", [(1, "escaping a leading `#`")]),
    ("/src/[ab]/ @a", [(6, "`[ ]` character ranges")]),
    ("[Section] @a", [(1, "`[ ]` character ranges")]),
    ("*.js js-owner", [(6, "`js-owner` is not an owner")]),
    ("*.js @a, @b", [(6, "not commas")]),
    ("*.js @org/team/extra", [(6, "`@org/team/extra`")]),
    ("*.js @", [(6, "`@` is not an owner")]),
    ("*.js @-bad", [(6, "`@-bad`")]),
    ("*.js user@localhost", [(6, "`user@localhost`")]),
    ("*.js docs@example.com.", [(6, "`docs@example.com.`")]),
    ("@acme/team", [(1, "an owner where a pattern should be")]),
    ("!src/[ab] bad", [(1, "negate"), (6, "ranges"), (11, "`bad`")]),
]


@pytest.mark.parametrize(("line", "expected"), INVALID_LINES)
def test_invalid_lines_are_reported_and_skipped(line: str, expected: list[tuple[int, str]]) -> None:
    codeowners = parse_codeowners("CODEOWNERS", f"* @default\n{line}\n")
    found = [(p.line, p.column, p.message) for p in codeowners.problems]
    assert [(line, column) for line, column, _ in found] == [(2, c) for c, _ in expected]
    for (_, _, message), (_, fragment) in zip(found, expected, strict=True):
        assert fragment in message
    assert [rule.line for rule in codeowners.rules] == [1]


VALID_OWNERS = [
    "@octocat",
    "@octo-org/octocats",
    "@acme/team_name.v2",
    "@octocat_acme",  # an enterprise managed user
    "docs@example.com",
    "first.last+tag@example.co.uk",
]


@pytest.mark.parametrize("owner", VALID_OWNERS)
def test_valid_owners(owner: str) -> None:
    codeowners = parse_codeowners("CODEOWNERS", f"*.md {owner}\n")
    assert codeowners.problems == ()
    assert codeowners.rules[0].owners == (owner,)


def test_comments_and_blank_lines_are_not_rules() -> None:
    codeowners = parse_codeowners("CODEOWNERS", "# * @a\n\n   \n\t# indented\n")
    assert (codeowners.rules, codeowners.problems) == ((), ())


def test_file_over_3_mb_is_not_loaded() -> None:
    line = "/src/ @acme/team\n"
    text = line * (MAX_BYTES // len(line) + 1)
    codeowners = parse_codeowners(".github/CODEOWNERS", text)
    assert not codeowners.loaded
    assert codeowners.rules == ()
    [problem] = codeowners.problems
    assert (problem.line, problem.column) == (None, None)
    assert "over 3 MB" in problem.message
    assert not ownership(codeowners, "src/a.py").owned


def test_file_of_exactly_3_mb_is_loaded() -> None:
    text = "* @a\n" + "#" * (MAX_BYTES - len("* @a\n"))
    codeowners = parse_codeowners("CODEOWNERS", text)
    assert codeowners.size == MAX_BYTES
    assert codeowners.loaded
    assert ownership(codeowners, "x").owned


class FakeSnapshot:
    """Just enough of a RepoSnapshot to find CODEOWNERS files."""

    def __init__(self, files: Mapping[str, str | None]) -> None:
        self.files = files
        self.name = "fake"
        self.settings: RepoSettings | None = None

    def paths(self) -> Sequence[str]:
        return list(self.files)

    def read_text(self, path: str) -> str | None:
        return self.files.get(path)

    def unreadable_reason(self, path: str) -> str | None:
        return "it is a binary file" if path in self.files and self.files[path] is None else None


# (files present, what GitHub reads, what it never reads)
LOCATIONS = [
    ({"CODEOWNERS": "", "docs/CODEOWNERS": "", ".github/CODEOWNERS": ""}, ".github/CODEOWNERS",
     ("CODEOWNERS", "docs/CODEOWNERS")),
    ({"docs/CODEOWNERS": "", "CODEOWNERS": ""}, "CODEOWNERS", ("docs/CODEOWNERS",)),
    ({"docs/CODEOWNERS": ""}, "docs/CODEOWNERS", ()),
    ({".github/CODEOWNERS": None, "CODEOWNERS": ""}, ".github/CODEOWNERS", ("CODEOWNERS",)),
    ({"src/CODEOWNERS": "", ".github/codeowners": ""}, None, ()),
]  # fmt: skip


@pytest.mark.parametrize(("files", "effective", "ignored"), LOCATIONS)
def test_github_reads_the_first_codeowners_it_finds(
    files: Mapping[str, str | None], effective: str | None, ignored: tuple[str, ...]
) -> None:
    present = present_locations(FakeSnapshot(files))
    assert (present[0] if present else None) == effective
    assert shadowed(present) == ignored


# A folder with no files yet (`src/`) is owned as a new file in it would be: by the lines whose
# wildcards or folders take any name there, never by one that spells out a file's name.
FOLDER_OWNERS = [
    ("* @a\n/src/ @b\n", "src/", ("@b",)),
    ("* @a\nsrc/ @b\n", "lib/src/", ("@b",)),
    ("* @a\n/src/* @b\n", "src/", ("@b",)),
    ("* @a\n/src/** @b\n", "src/deep/", ("@b",)),
    ("* @a\n/src/ @b\n*.py @c\n", "src/", ("@b",)),
    ("* @a\n/src/ @b\n/src/new.py @c\n", "src/", ("@b",)),
    ("* @a\n/docs/* @b\n", "docs/deep/", ("@a",)),
    ("/src/ @b\n", "lib/", ()),
    ("* @a\n/src/\n", "src/", ()),
    ("* @a\n", "./", ("@a",)),
]


@pytest.mark.parametrize(("text", "folder", "owners"), FOLDER_OWNERS)
def test_a_folder_with_no_files_is_owned_as_a_new_file_in_it(
    text: str, folder: str, owners: tuple[str, ...]
) -> None:
    result = ownership(parse_codeowners("CODEOWNERS", text), folder)
    assert (result.path, result.owners) == (folder, owners)
