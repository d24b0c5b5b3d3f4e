"""`lazy_compile`: a pattern compiled on first use answers as the compiled pattern does,
and the package compiles no pattern at import."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from repo_harden.core.lazy import lazy_compile
from tests.conftest import PROJECT, package_sources

SOURCE = r"(?P<name>[a-z]+)@(?P<ref>v\d+)"
TEXT = "uses: actions/checkout@v4 and setup@v5"


def test_nothing_is_compiled_until_the_pattern_is_used() -> None:
    pattern = lazy_compile(SOURCE)
    assert "_compiled" not in vars(pattern)
    assert repr(pattern) == f"lazy_compile({SOURCE!r}, 0)"
    assert pattern.pattern == SOURCE  # a pattern built from another's text compiles neither
    assert "_compiled" not in vars(pattern)
    assert pattern.search(TEXT) is not None
    assert isinstance(vars(pattern)["_compiled"], re.Pattern)


@pytest.mark.parametrize("flags", [0, re.IGNORECASE, re.MULTILINE | re.DOTALL])
def test_every_method_and_attribute_answers_as_the_compiled_pattern(flags: int) -> None:
    lazy = lazy_compile(SOURCE, flags)
    real = re.compile(SOURCE, flags)
    assert lazy.pattern == real.pattern
    assert lazy.flags == real.flags
    assert lazy.groups == real.groups
    assert lazy.groupindex == real.groupindex
    found = lazy.search(TEXT)
    assert found is not None
    assert found.group("ref") == "v4"
    assert lazy.match(TEXT) is None
    assert lazy.fullmatch("setup@v5") is not None
    assert [m.span() for m in lazy.finditer(TEXT)] == [m.span() for m in real.finditer(TEXT)]
    assert lazy.findall(TEXT) == real.findall(TEXT)
    assert lazy.sub(r"\g<name>", TEXT) == real.sub(r"\g<name>", TEXT)
    assert lazy.subn("x", TEXT) == real.subn("x", TEXT)
    assert lazy.split(TEXT) == real.split(TEXT)
    # anything else is the compiled pattern's too
    assert lazy.scanner(TEXT).search().group() == "checkout@v4"  # type: ignore[attr-defined]


def test_a_bad_pattern_fails_where_it_is_used_with_re_error() -> None:
    pattern = lazy_compile("(unclosed")
    with pytest.raises(re.error):
        pattern.search("x")


def _module_level_compiles(path: Path) -> list[int]:
    """Lines of `re.compile(...)` calls run when the module is imported."""
    found: list[int] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                continue
            if (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Attribute)
                and child.func.attr == "compile"
                and isinstance(child.func.value, ast.Name)
                and child.func.value.id == "re"
            ):
                found.append(child.lineno)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def test_the_package_compiles_no_pattern_when_imported(tmp_path: Path) -> None:
    """A scan of one repository uses fewer than two thirds of the rules' patterns, and a
    hook far fewer: each is `lazy_compile`d, so it costs nothing until it is used."""
    sources = package_sources()
    compiled_at_import = {
        str(path.relative_to(PROJECT)): lines
        for path in sources
        if (lines := _module_level_compiles(path))
    }
    assert compiled_at_import == {}
    # the rule modules are looked at too (links that `rglob` alone would not follow)
    assert {path.relative_to(PROJECT).parts[0] for path in sources} >= {"checks", "hooks"}
    # the guard sees what it looks for
    probe = tmp_path / "probe.py"
    probe.write_text("import re\nPATTERN = re.compile('x')\n\ndef f():\n    re.compile('y')\n")
    assert _module_level_compiles(probe) == [2]
