"""Bad input never crashes a scan.

A file a check must read but cannot use is reported once as RH000, with the
file and the reason (and the line and column when the parser knows them), or
it is quietly skipped when there is nothing in it to check. Either way the
rest of the repository is still checked, and there is never a traceback.

A bad configuration or command line is different: the user must fix it before
anything can be checked, so it ends the run with exit code 2 and one line on
stderr.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from repo_harden.sources.local import MAX_FILE_BYTES
from tests.conftest import CliResult, git, make_repo, workflow

Cli = Callable[..., CliResult]

WORKFLOWS = ".github/workflows"
GOOD_PATH = f"{WORKFLOWS}/good.yml"
# The valid neighbour of every bad file: its PIN001 proves the rest of the repo was checked.
GOOD = workflow("      - uses: actions/checkout@v4\n")
GOOD_AT = (6, 15)


@dataclass(frozen=True)
class BadFile:
    """A bad file, and what the scan must say about it.

    `reason` is a regex the RH000 message must match, or None when the file must
    produce no finding at all; `at` is the (line, column) of the RH000, or None
    when the problem has no position (the file could not be read at all).
    """

    id: str
    path: str
    content: bytes
    reason: str | None
    at: tuple[int, int] | None = None


BAD_FILES = [
    BadFile(
        "invalid-yaml",
        f"{WORKFLOWS}/broken.yml",
        # `name: a: b`: the second colon (line 4, column 12) is where YAML gives up.
        b"on: push\njobs:\n  build:\n    name: a: b\n    runs-on: ubuntu-latest\n",
        r"^invalid YAML: .*mapping values are not allowed",
        (4, 12),
    ),
    BadFile(
        "starter-template-placeholders",
        f"{WORKFLOWS}/template.yml",
        # `{{ command }}` is a flow mapping; the `--flag` after it (column 28) is not YAML.
        b"on: push\n"
        b"jobs:\n"
        b"  build:\n"
        b"    runs-on: {{ os }}\n"
        b"    steps:\n"
        b"      - run: {{ command }} --flag\n",
        r"^invalid YAML: ",
        (6, 28),
    ),
    BadFile(
        # `key: {{ value }}` alone is valid YAML (a flow mapping whose key is a mapping):
        # a composer reads it, and a placeholder is no `uses:`, so there is nothing to report.
        "template-placeholder-as-mapping",
        f"{WORKFLOWS}/template-key.yml",
        b"on: push\njobs:\n  build:\n    key: {{ value }}\n",
        None,
    ),
    BadFile(
        "binary",
        f"{WORKFLOWS}/binary.yml",
        b"on: push\n\x00\x01\x02\x03jobs:\x00\n" + bytes(range(256)),
        r"^not checked: it is a binary file$",
    ),
    BadFile(
        "invalid-utf8",
        f"{WORKFLOWS}/latin1.yml",
        # 0xE9 (Latin-1 "é") at byte 18 is not UTF-8.
        b"on: push\nname: caf\xe9\njobs: {}\n",
        r"^not checked: it is not valid UTF-8 \(byte 18\)$",
    ),
    BadFile(
        # The binary sniff reads the first 8 KiB only: a later NUL is the YAML reader's catch.
        "nul-after-the-first-8-kib",
        f"{WORKFLOWS}/late-nul.yml",
        b"on: push\n" + b"# padding\n" * 1000 + b"name: \x00\n",
        r"^invalid YAML: unacceptable character U\+0000: control characters are not allowed$",
        (1002, 7),
    ),
    BadFile(
        # The column counts characters, not the UTF-8 bytes libyaml counts.
        "control-character",
        f"{WORKFLOWS}/bell.yml",
        "on: push\nname: café\x07\n".encode(),
        r"^invalid YAML: unacceptable character U\+0007: control characters are not allowed$",
        (2, 11),
    ),
    BadFile(
        # 100,000 levels would overflow the C stack of the composer (a segfault). libyaml's
        # scanner reads ahead through flow collections and stops at its own limit, the
        # 1,000th `[`, before the parser's events reach the 501st collection.
        "deeply-nested-flow",
        f"{WORKFLOWS}/deep-flow.yml",
        b"on: push\njobs: " + b"[" * 100_000 + b"]" * 100_000 + b"\n",
        r"^invalid YAML: collections nested more than 500 levels deep$",
        (2, 1006),
    ),
    BadFile(
        "deeply-nested-block",
        f"{WORKFLOWS}/deep-block.yml",
        b"on: push\njobs:\n" + b"- " * 100_000 + b"x\n",
        r"^invalid YAML: collections nested more than 500 levels deep$",
        (3, 999),
    ),
    BadFile(
        # tomllib recurses once a level: 100,000 `[` would be a RecursionError in a check
        "deeply-nested-toml-array",
        "pyproject.toml",
        b'[project]\nname = "x"\ndependencies = ' + b"[" * 100_000 + b"]" * 100_000 + b"\n",
        r"^invalid TOML: nested too deeply$",
    ),
    BadFile(
        "deeply-nested-toml-tables",
        "Cargo.toml",
        b'[package]\nname = "x"\n[dependencies]\nx = ' + b"{a = " * 5_000 + b"1" + b"}" * 5_000,
        r"^invalid TOML: nested too deeply$",
    ),
    BadFile("empty", f"{WORKFLOWS}/empty.yml", b"", None),
    BadFile("comments-only", f"{WORKFLOWS}/comments.yml", b"# nothing here yet\n", None),
    BadFile(
        "top-level-list",
        f"{WORKFLOWS}/list.yml",
        b"- uses: actions/setup-node@v4\n- on: push\n",
        r"not a workflow",
        (1, 1),
    ),
    BadFile(
        "top-level-scalar",
        f"{WORKFLOWS}/scalar.yml",
        b"just some text\n",
        r"not a workflow",
        (1, 1),
    ),
    BadFile(
        "invalid-action-yml",
        ".github/actions/setup/action.yml",
        # The flow sequence opened on line 3 is never closed: the parser fails at the end.
        b"runs:\n  using: composite\n  steps: [\n    {uses: actions/setup-node@v4}\n",
        r"^invalid YAML: .*flow",
        (5, 1),
    ),
    BadFile(
        "action-yml-top-level-list",
        ".github/actions/setup/action.yml",
        b"- runs\n",
        r"not action metadata",
        (1, 1),
    ),
]


def findings_in(result: CliResult, path: str) -> list[dict[str, Any]]:
    findings: list[dict[str, Any]] = result.json()["findings"]
    return [f for f in findings if f["path"] == path]


def assert_good_still_checked(result: CliResult) -> None:
    """The good file has its PIN001 (once) and no RH000; other families may add their own."""
    good = [f for f in findings_in(result, GOOD_PATH) if f["rule"].startswith(("PIN", "RH"))]
    assert [(f["rule"], f["line"], f["column"]) for f in good] == [("PIN001", *GOOD_AT)]


def assert_clean_run(result: CliResult) -> None:
    """Exit 1 because of the good file's PIN001, and nothing at all on stderr."""
    assert result.err == "", result.err
    assert result.code == 1


def assert_rh000(result: CliResult, path: str, reason: str, at: tuple[int, int] | None) -> None:
    found = findings_in(result, path)
    assert [f["rule"] for f in found] == ["RH000"], found
    (finding,) = found
    assert finding["name"] == "unparseable-file"
    assert finding["severity"] == "error"
    assert re.search(reason, finding["message"]), finding["message"]
    assert (finding["line"], finding["column"]) == (at if at else (None, None))


@pytest.mark.parametrize("bad", BAD_FILES, ids=lambda bad: bad.id)
def test_bad_file_is_rh000_or_nothing_and_the_rest_is_checked(
    tmp_path: Path, cli: Cli, bad: BadFile
) -> None:
    repo = make_repo(tmp_path / "repo", {GOOD_PATH: GOOD, bad.path: bad.content})
    result = cli("scan", "--format", "json", cwd=repo)
    assert_clean_run(result)
    assert_good_still_checked(result)
    if bad.reason is None:
        assert findings_in(result, bad.path) == []
    else:
        assert_rh000(result, bad.path, bad.reason, bad.at)


@pytest.mark.parametrize("bad", [b for b in BAD_FILES if b.reason], ids=lambda bad: bad.id)
def test_rh000_text_line_names_the_file_and_the_reason(
    tmp_path: Path, cli: Cli, bad: BadFile
) -> None:
    repo = make_repo(tmp_path / "repo", {GOOD_PATH: GOOD, bad.path: bad.content})
    result = cli("scan", cwd=repo)
    assert_clean_run(result)
    (line,) = [line for line in result.out.splitlines() if " RH000 " in line]
    where = bad.path + (f":{bad.at[0]}:{bad.at[1]}" if bad.at else "")
    assert line.startswith(f"{where}: RH000 ")
    assert bad.reason is not None
    assert re.search(bad.reason, line.split(" RH000 ", 1)[1])


def alias_bomb() -> str:
    """A "billion laughs" workflow: 9 levels of 10 aliases, 10**9 leaves if it were expanded.

    The levels live under `jobs:` (as jobs), and the last one is used again under a
    job's `env:` and `strategy.matrix`, at the top-level `env:` and under an `x-` key.
    The first level is a list of one anchored step and 9 aliases of it.
    """
    step = "{uses: actions/setup-node@v4}"
    lines = [
        "on: push",
        "jobs:",
        "  build:",
        "    runs-on: ubuntu-latest",
        "    steps: &lol1 [&step " + step + ", " + ", ".join(["*step"] * 9) + "]",
    ]
    lines += [
        f"  lol{level}: &lol{level} [" + ", ".join([f"*lol{level - 1}"] * 10) + "]"
        for level in range(2, 10)
    ]
    lines += [
        "  deploy:",
        "    runs-on: ubuntu-latest",
        "    env: *lol9",
        "    strategy: {matrix: {laugh: *lol9}}",
        "    steps: *lol1",
        "x-laughs: *lol9",
        "permissions: {contents: read}",
        "env: *lol9",
    ]
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_not_expanded(tmp_path: Path, cli: Cli) -> None:
    bomb = f"{WORKFLOWS}/bomb.yml"
    repo = make_repo(tmp_path / "repo", {GOOD_PATH: GOOD, bomb: alias_bomb()})
    result = cli("scan", "--format", "json", cwd=repo)
    assert_clean_run(result)
    assert_good_still_checked(result)
    # Valid YAML: no RH000. The one anchored step is one place, reported once, however
    # many aliases (and jobs) share it: column 32 is its `uses:` value on line 5.
    found = findings_in(result, bomb)
    assert [(f["rule"], f["line"], f["column"]) for f in found] == [("PIN001", 5, 32)]


def test_file_over_the_size_limit_is_not_read(tmp_path: Path, cli: Cli) -> None:
    repo = make_repo(tmp_path / "repo", {GOOD_PATH: GOOD})
    huge = repo / WORKFLOWS / "huge.yml"
    # 50 MB of `uses:` lines (so it would be a valid workflow with findings if it were read),
    # left untracked: the scan lists untracked files that git does not ignore.
    line = b"      - uses: actions/setup-node@v4\n"
    with huge.open("wb") as out:
        out.write(b"on: push\njobs:\n  build:\n    steps:\n")
        block = line * (1024 * 1024 // len(line))
        while out.tell() < 50 * 1000 * 1000:
            out.write(block)
    assert huge.stat().st_size > 50 * 1000 * 1000 > MAX_FILE_BYTES

    result = cli("scan", "--format", "json", cwd=repo)
    assert_clean_run(result)
    assert_good_still_checked(result)
    assert_rh000(
        result,
        f"{WORKFLOWS}/huge.yml",
        r"^not checked: it is too large "
        r"\(4\d\.\d MiB; the limit is 10 MiB\)$",
        None,
    )


def test_sparse_file_over_the_size_limit_is_not_read(tmp_path: Path, cli: Cli) -> None:
    repo = make_repo(tmp_path / "repo", {GOOD_PATH: GOOD})
    huge = repo / WORKFLOWS / "sparse.yml"
    with huge.open("wb") as out:
        out.truncate(50 * 1024 * 1024)
    result = cli("scan", "--format", "json", cwd=repo)
    assert_clean_run(result)
    assert_good_still_checked(result)
    assert_rh000(result, f"{WORKFLOWS}/sparse.yml", r"too large \(50\.0 MiB; the limit", None)


def test_symlink_out_of_the_repository_is_not_followed(tmp_path: Path, cli: Cli) -> None:
    outside = tmp_path / "outside.yml"
    outside.write_text(workflow("      - uses: evil/exfiltrate@v1\n"), encoding="utf-8")
    repo = make_repo(tmp_path / "repo", {GOOD_PATH: GOOD})
    evil = repo / WORKFLOWS / "evil.yml"
    evil.symlink_to(outside)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a link out")

    result = cli("scan", "--format", "json", cwd=repo)
    assert_clean_run(result)
    assert_good_still_checked(result)
    assert_rh000(
        result,
        f"{WORKFLOWS}/evil.yml",
        r"^not checked: "
        r"it is a symbolic link that points outside the repository$",
        None,
    )
    # Its target was never read: the unpinned action in it appears nowhere.
    assert "evil/exfiltrate" not in result.out


def test_symlink_inside_the_repository_is_checked(tmp_path: Path, cli: Cli) -> None:
    """The contrast to the case above: a link that stays inside is an ordinary file."""
    repo = make_repo(
        tmp_path / "repo",
        {"ci/shared.yml": workflow("      - uses: acme/inside@v1\n")},
    )
    (repo / WORKFLOWS).mkdir(parents=True)
    (repo / WORKFLOWS / "linked.yml").symlink_to(Path("..", "..", "ci", "shared.yml"))
    result = cli("scan", "--format", "json", cwd=repo)
    found = findings_in(result, f"{WORKFLOWS}/linked.yml")
    assert [(f["rule"], f["line"]) for f in found] == [("PIN001", 6)]
    assert "acme/inside@v1" in found[0]["message"]


def test_symlink_loop_is_rh000(tmp_path: Path, cli: Cli) -> None:
    repo = make_repo(tmp_path / "repo", {GOOD_PATH: GOOD})
    (repo / WORKFLOWS / "loop.yml").symlink_to("loop.yml")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "a link to itself")
    result = cli("scan", "--format", "json", cwd=repo)
    assert_clean_run(result)
    assert_good_still_checked(result)
    assert_rh000(
        result,
        f"{WORKFLOWS}/loop.yml",
        # Python 3.11 and 3.12 say "loop" in resolve(); 3.13 fails the stat() with ELOOP.
        r"^not checked: it (is a symbolic link that loops"
        r"|could not be read \(Too many levels of symbolic links\))$",
        None,
    )


def test_fifo_is_not_read(tmp_path: Path) -> None:
    """Opening a FIFO for reading blocks until a writer comes: it must not even be opened.
    Git lists no FIFO, so it is named on the command line; a real process, with a timeout."""
    repo = make_repo(tmp_path / "repo", {GOOD_PATH: GOOD})
    fifo = f"{WORKFLOWS}/fifo.yml"
    os.mkfifo(repo / fifo)
    result = subprocess.run(
        [sys.executable, "-m", "repo_harden", "scan", "--format", "json", GOOD_PATH, fifo],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.stderr == ""
    assert result.returncode == 1
    cli_result = CliResult(result.returncode, result.stdout, result.stderr)
    assert_good_still_checked(cli_result)
    assert_rh000(
        cli_result,
        fifo,
        r"^not checked: it is not a regular file$",
        None,
    )


@dataclass(frozen=True)
class UsageCase:
    """A configuration or command line that stops the run: exit 2, one line on stderr."""

    id: str
    files: dict[str, str]
    args: tuple[str, ...]
    message: str  # a regex the error line must match after `repo-harden: error: `


USAGE_ERRORS = [
    UsageCase(
        "invalid-toml",
        {".repo-harden.toml": 'select = ["PIN"\nignore = []\n'},
        (),
        r"\.repo-harden\.toml: not valid TOML: .*line 2",
    ),
    UsageCase(
        "deeply-nested-config",
        {".repo-harden.toml": "select = " + "[" * 100_000 + "]" * 100_000 + "\n"},
        (),
        r"\.repo-harden\.toml: not valid TOML: nested too deeply$",
    ),
    UsageCase(
        "unknown-config-key",
        {".repo-harden.toml": 'selekt = ["PIN"]\n'},
        (),
        r"\.repo-harden\.toml: unknown setting 'selekt'; known settings are ",
    ),
    UsageCase(
        "unknown-key-in-pyproject",
        {"pyproject.toml": '[project]\nname = "x"\n\n[tool.repo-harden]\nfail_on = "error"\n'},
        (),
        r"pyproject\.toml: unknown setting 'fail_on'",
    ),
    UsageCase(
        "unknown-severity",
        {".repo-harden.toml": '[severity]\nPIN001 = "fatal"\n'},
        (),
        r"severity\.PIN001: expected error, warning, note or never, not 'fatal'",
    ),
    UsageCase(
        "select-unknown-rule",
        {},
        ("--select", "NOPE"),
        r"'NOPE' matches no rule",
    ),
    UsageCase(
        "path-does-not-exist",
        {},
        ("no/such/folder",),
        r"no/such/folder: no such file or folder",
    ),
    UsageCase(
        "config-file-does-not-exist",
        {},
        ("--config", "missing.toml"),
        r"missing\.toml: no such config file",
    ),
]


@pytest.mark.parametrize("case", USAGE_ERRORS, ids=lambda case: case.id)
def test_usage_and_config_errors_exit_2_with_one_line(
    tmp_path: Path, cli: Cli, case: UsageCase
) -> None:
    repo = make_repo(tmp_path / "repo", {GOOD_PATH: GOOD, **case.files})
    result = cli("scan", "--format", "json", *case.args, cwd=repo)
    assert result.code == 2
    assert result.out == ""
    assert "Traceback" not in result.err
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("repo-harden: error: ")
    assert re.search(case.message, lines[0]), lines[0]


def test_usage_error_through_the_real_entry_point(tmp_path: Path) -> None:
    """The same contract from `python -m repo_harden`, in a real process."""
    repo = make_repo(tmp_path / "repo", {".repo-harden.toml": "select = [\n"})
    result = subprocess.run(
        [sys.executable, "-m", "repo_harden", "scan"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("repo-harden: error: ")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_a_script_whose_inline_metadata_nests_too_deeply_has_no_dependencies() -> None:
    """A `# /// script` block is TOML too: one nested past the parser's recursion is read
    as what the runner would make of it (no dependencies), not a crash."""
    from repo_harden.readers.inline_metadata import script_dependencies

    deep = "# dependencies = " + "[" * 100_000 + "]" * 100_000
    assert script_dependencies(f"# /// script\n{deep}\n# ///\nprint(1)\n") == ()
    shallow = '# dependencies = ["requests==2.32.3"]'
    assert script_dependencies(f"# /// script\n{shallow}\n# ///\n") == ("requests==2.32.3",)
