"""Ctrl-C is one line, `repo-harden: interrupted`, and exit code 130, whenever it lands: also
while a command's modules are imported and its parser is built, before it runs.

Each child process sends itself a real SIGINT at a known point: when it first imports a
given module (an import hook), so the test never races a timer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import make_repo, workflow

# The child: send SIGINT to itself on the first import of MODULE, then run ENTRY as its
# console script would (`from MODULE import main; sys.exit(main())`).
_CHILD = """
import importlib.abc, os, signal, sys

module, entry, args = sys.argv[1], sys.argv[2], sys.argv[3:]
signal.signal(signal.SIGINT, signal.default_int_handler)


class InterruptOnImport(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == module:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None


package, _, function = entry.partition(":")
main = getattr(__import__(package, fromlist=[function]), function)
if module in sys.modules:
    raise SystemExit(f"{module} is imported before main: the test would interrupt nothing")
sys.meta_path.insert(0, InterruptOnImport())
sys.argv = [entry, *args]
sys.exit(main())
"""

WORKFLOW = ".github/workflows/ci.yml"

CASES = [
    # The window the QA pass hit: the command's module, imported while the parser is built.
    ("repo_harden.cli:main", ["scan", "--no-cache"], "repo_harden.commands.scan"),
    ("repo_harden.cli:main", ["rules"], "repo_harden.commands.rules"),
    # While the scan runs (this worked before; it must keep working).
    ("repo_harden.cli:main", ["scan", "--no-cache"], "repo_harden.frontend.local_scan"),
    # The hooks: while the runner imports its options, and while it checks.
    ("repo_harden.hooks.pinned_actions:main", [WORKFLOW], "repo_harden.frontend.options"),
    ("repo_harden.hooks.all_checks:main", [WORKFLOW], "repo_harden.frontend.local_scan"),
    ("repo_harden.hooks.fix_pins:main", [WORKFLOW], "repo_harden.audit.store"),
]


def _case_id(case: tuple[str, list[str], str]) -> str:
    entry, _, module = case
    return f"{entry.split(':')[0].rsplit('.', 1)[-1]}-at-{module.rsplit('.', 1)[-1]}"


@pytest.mark.parametrize(("entry", "args", "module"), CASES, ids=[_case_id(c) for c in CASES])
def test_ctrl_c_is_one_line_and_130(
    tmp_path: Path, entry: str, args: list[str], module: str
) -> None:
    repo = make_repo(tmp_path / "repo", {WORKFLOW: workflow("      - uses: actions/checkout@v4\n")})
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, module, entry, *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.stderr == "repo-harden: interrupted\n"
    assert result.returncode == 130
    assert result.stdout == ""
