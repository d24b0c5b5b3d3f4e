"""Help at the terminal's width, without importing shutil: a scan and a hook never load it
(with bz2, lzma and fnmatch behind it, it cost about 3 ms of every start-up), and `--help`
still wraps where argparse's own formatter would."""

from __future__ import annotations

from pathlib import Path

import pytest

from repo_harden.frontend.help_format import terminal_columns
from tests.conftest import make_repo, modules_after

WORKFLOW = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n"


@pytest.mark.parametrize(
    "statement",
    [
        "from repo_harden.cli import main; main(['scan', '--format', 'json', '--no-cache'])",
        "from repo_harden.cli import main; main(['scan', '--format', 'text', '--no-cache'])",
        "from repo_harden.hooks.all_checks import main; main(['.github/workflows/ci.yml'])",
    ],
)
def test_a_scan_and_a_hook_never_import_shutil(tmp_path: Path, statement: str) -> None:
    repo = make_repo(tmp_path / "repo", {".github/workflows/ci.yml": WORKFLOW})
    _, modules = modules_after(repo, statement)
    assert "repo_harden.engine.run" in modules  # it did run the checks
    assert "shutil" not in modules


@pytest.mark.parametrize("columns", ["50", "120"])
def test_help_wraps_as_argparse_own_formatters_do(
    columns: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import argparse

    from repo_harden.frontend.help_format import plain_help, raw_description_help

    monkeypatch.setenv("COLUMNS", columns)
    pairs = [
        (plain_help, argparse.HelpFormatter),
        (raw_description_help, argparse.RawDescriptionHelpFormatter),
    ]
    for ours, theirs in pairs:
        shown = []
        for formatter in (ours, theirs):
            parser = argparse.ArgumentParser(
                prog="repo-harden scan",
                description="A description long enough to wrap.\n" * 3,
                formatter_class=formatter,
            )
            parser.add_argument("--format", choices=["text", "json", "sarif", "github"])
            parser.add_argument("--cache-dir", metavar="DIR", help="where the cache is " * 6)
            parser.add_argument("paths", nargs="*", help="files or folders to scan")
            shown.append(parser.format_help())
        assert shown[0] == shown[1]


@pytest.mark.parametrize("value", ["", "0", "-3", "wide"])
def test_a_columns_value_that_is_not_a_width_falls_back_as_shutil_does(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    monkeypatch.setenv("COLUMNS", value)
    assert terminal_columns() == shutil.get_terminal_size().columns
