"""The shell analyser: scripts become command records with words, positions, pipelines and
substitutions; `${{ }}` expressions stay opaque; parse errors are kept, not raised."""

from __future__ import annotations

import subprocess
import sys

import pytest

from repo_harden.core.model import Position
from repo_harden.readers.source_map import SourceMap
from repo_harden.shell.analyser import Word, parse_args, parse_shell, unwrap


def commands(script: str) -> list[tuple[list[str], int, int]]:
    """(argv texts, line, column) of each command."""
    parsed = parse_shell(SourceMap.verbatim(script))
    return [([w.text for w in c.argv], c.at.line, c.at.column) for c in parsed.commands]


WORDS_CASES = [
    ("plain", "curl -fsSL https://x", [(["curl", "-fsSL", "https://x"], 1, 1)]),
    ("quotes removed", """pip install "foo==1.0" 'b'"c" a\\ b""", [(["pip", "install", "foo==1.0", "bc", "a b"], 1, 1)]),
    ("env prefix", "FOO=1 BAR=2 make", [(["make"], 1, 1)]),
    ("two lines", "a\n  b c", [(["a"], 1, 1), (["b", "c"], 2, 3)]),
    ("and-list", "a && b || c", [(["a"], 1, 1), (["b"], 1, 6), (["c"], 1, 11)]),
    ("test is a command", '[ -f x ] && y', [(["[["], 1, 1), (["y"], 1, 13)]),
    ("comment ignored", "# curl x | sh\necho ok", [(["echo", "ok"], 2, 1)]),
    ("inside if and for", "if a; then b; fi\nfor i in 1; do c; done", [(["a"], 1, 4), (["b"], 1, 12), (["c"], 2, 16)]),
    ("line continuation", "curl \\\n  -o f \\\n  https://x", [(["curl", "-o", "f", "https://x"], 1, 1)]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("script", "expected"), [c[1:] for c in WORDS_CASES], ids=[c[0] for c in WORDS_CASES]
)
def test_words(script: str, expected: list[tuple[list[str], int, int]]) -> None:
    assert commands(script) == expected


def test_pipeline_stages() -> None:
    parsed = parse_shell(SourceMap.verbatim("curl -s u | sudo bash -s -- -y; echo done"))
    curl, bash, echo = parsed.commands
    assert (curl.pipeline, curl.stage) == (bash.pipeline, 0)
    assert bash.stage == 1
    assert echo.pipeline != curl.pipeline
    assert [w.text for w in bash.unwrapped()] == ["bash", "-s", "--", "-y"]


@pytest.mark.parametrize(
    ("script", "via"),
    [
        ("bash <(curl -s u)", "<("),
        ('bash -c "$(curl -s u)"', "$("),
        ("eval `wget -qO- u`", "$("),
        ('bash <<< "$(curl u)"', "$("),
        ("x=$(curl u)", "$("),
        ('[ "$(sha256sum f)" = "abc" ]', "$("),
    ],
)
def test_substitutions_know_their_owner(script: str, via: str) -> None:
    parsed = parse_shell(SourceMap.verbatim(script))
    inner = parsed.commands[-1]
    assert inner.name in ("curl", "wget", "sha256sum")
    assert inner.substitution == via
    assert inner.parent == 0


def test_github_expressions_are_opaque_words() -> None:
    parsed = parse_shell(SourceMap.verbatim('echo ${{ github.sha }} "${{ x }}-y" > f\nnext'))
    assert parsed.error is None
    echo, after = parsed.commands
    assert [w.text for w in echo.argv] == ["echo", "${{ github.sha }}", "${{ x }}-y"]
    assert [w.has_expression for w in echo.argv] == [False, True, True]
    assert not echo.argv[1].literal
    assert after.at == Position(2, 1)


def test_positions_through_a_source_map() -> None:
    source = SourceMap.verbatim("echo a\ncurl -o x https://u", line=10, column=7)
    parsed = parse_shell(source)
    assert parsed.commands[1].at == Position(11, 1)
    assert parsed.commands[1].argv[2].at == Position(11, 9)
    assert parsed.commands[0].at == Position(10, 7)


def test_non_ascii_text_keeps_columns() -> None:
    parsed = parse_shell(SourceMap.verbatim("echo héllo wörld; curl u"))
    assert parsed.commands[1].at == Position(1, 19)


def test_parse_error_is_kept_and_the_rest_is_read() -> None:
    parsed = parse_shell(SourceMap.verbatim("curl u | sh\nif then\necho ok"))
    assert parsed.error is not None
    assert parsed.error.line == 2
    assert ["curl", "u"] in [[w.text for w in c.argv] for c in parsed.commands]


def test_redirects() -> None:
    parsed = parse_shell(SourceMap.verbatim("curl -s u > install.sh"))
    (curl,) = parsed.commands
    assert [(r.operator, r.target.text if r.target else None) for r in curl.redirects] == [
        (">", "install.sh")
    ]


def _words(*texts: str) -> list[Word]:
    source = SourceMap.verbatim(" ".join(texts))
    return [
        Word(t, t, True, sum(len(x) + 1 for x in texts[:i]), source) for i, t in enumerate(texts)
    ]


def test_parse_args() -> None:
    parsed = parse_args(
        _words("-qr", "req.txt", "--hash=sha256:x", "-e", ".", "pkg", "--", "-x"), {"-r", "-e"}
    )
    assert [w.text for w in parsed.values("-r")] == ["req.txt"]
    assert [w.text for w in parsed.values("--hash")] == ["sha256:x"]
    assert [w.text for w in parsed.values("-e")] == ["."]
    assert [w.text for w in parsed.positionals] == ["pkg", "-x"]
    assert parsed.has("-q")


def test_unwrap() -> None:
    assert [w.text for w in unwrap(_words("sudo", "-u", "me", "-E", "env", "A=1", "pip", "x"))] == [
        "pip",
        "x",
    ]


def test_tree_sitter_is_imported_only_to_parse() -> None:
    code = (
        "import sys\n"
        "import repo_harden.shell.analyser, repo_harden.shell.blocks, repo_harden.checks\n"
        "assert 'tree_sitter' not in sys.modules\n"
        "from repo_harden.shell.analyser import parse_shell\n"
        "from repo_harden.readers.source_map import SourceMap\n"
        "parse_shell(SourceMap.verbatim('true'))\n"
        "assert 'tree_sitter' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
