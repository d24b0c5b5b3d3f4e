"""Makefile recipes as shell text, with simple variables expanded and positions kept.

Make runs each recipe line in its own shell, but files written by one line are
there for the next, so a rule's recipe is read as one script. `$(VAR)` and
`${VAR}` are replaced by the value of a plain assignment (`VAR = pip`, `:=`,
`?=`) when it is known and has no `$` of its own; `$$` becomes `$`.
"""

from __future__ import annotations

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.record import record
from repo_harden.readers.source_map import SourceBuilder, SourceMap

_ASSIGNMENT = lazy_compile(
    r"^(?:(?:export|override)\s+)*([A-Za-z_][A-Za-z0-9_.-]*)\s*(?:\?|:{1,3}|\+|!)?=\s*(.*)$"
)  # the value is rstripped: `(.*?)\s*$` backtracks quadratically over a run of spaces
_RULE = lazy_compile(r"^[^\s#=][^=]*?:(?![=])")
_REFERENCE = lazy_compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)|\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}")
_CONDITIONAL = lazy_compile(r"^\s*(ifeq|ifneq|ifdef|ifndef|else|endif)\b")


@record
class Recipe:
    """A rule's recipe: the target line's number and the recipe as shell text."""

    line: int
    source: SourceMap


def read_recipes(text: str) -> list[Recipe]:
    lines = text.splitlines()
    variables = _variables(lines)
    recipes: list[Recipe] = []
    builder: SourceBuilder | None = None
    start = 0
    continued = False
    for number, line in enumerate(lines, 1):
        if builder is not None and (line.startswith("\t") or continued):
            _add_recipe_line(builder, line, number, variables, continued)
            continued = line.endswith("\\")
            continue
        if not line.strip() or line.lstrip().startswith("#") or _CONDITIONAL.match(line):
            continue
        if builder is not None and builder.length:
            recipes.append(Recipe(start, builder.build()))
        builder = None
        if _RULE.match(line) and not _ASSIGNMENT.match(line):
            builder, start = SourceBuilder(), number
            _, _, inline = line.partition(";")
            if ";" in line and inline.strip():
                column = len(line) - len(inline) + 1
                _add_text(builder, inline, number, column, variables)
                builder.add_newline()
    if builder is not None and builder.length:
        recipes.append(Recipe(start, builder.build()))
    return recipes


def _variables(lines: list[str]) -> dict[str, str]:
    variables: dict[str, str] = {}
    for line in lines:
        if line.startswith("\t"):
            continue
        match = _ASSIGNMENT.match(line)
        if match is not None and "$" not in match.group(2):
            variables[match.group(1)] = match.group(2).rstrip()
    return variables


def _add_recipe_line(
    builder: SourceBuilder, line: str, number: int, variables: dict[str, str], continued: bool
) -> None:
    column = 1 if line.startswith("\t") else 0
    body = line[column:]
    if not continued:
        stripped = body.lstrip("@-+ \t")
        column += len(body) - len(stripped)
        body = stripped
    _add_text(builder, body, number, column + 1, variables)
    builder.add_newline()


def _add_text(
    builder: SourceBuilder, text: str, line: int, column: int, variables: dict[str, str]
) -> None:
    cursor = 0
    for match in _REFERENCE.finditer(text):
        name = match.group(1) or match.group(2)
        if match.group() == "$$":
            replacement = "$"
        elif name in variables:
            replacement = variables[name]
        else:
            continue
        builder.add(text[cursor : match.start()], line, column + cursor)
        builder.add(replacement, line, column + match.start())
        cursor = match.end()
    builder.add(text[cursor:], line, column + cursor)
