"""Writes `checks/declarations.py`: what each rule module's checks declare about the files
and settings they need, restated so that a scan imports only the modules that can find
something. Run `python -m repo_harden.engine.declarations` after changing a check's
patterns or flags, or adding a rule module; `tests/test_catalogue.py` fails when stale."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from repo_harden.core.declare import Declared
from repo_harden.engine.catalogue import texts_in_every_match

LINE_LENGTH = 100  # ruff's, in pyproject.toml
HEADER = '''\
"""What each rule module's checks declare about the files and settings they need, known
without importing the module: a scan imports only the modules that can find something in
it (`Catalogue.runnable`).

Generated from the modules by `python -m repo_harden.engine.declarations`; do not edit.
"""

from __future__ import annotations

from repo_harden.core.declare import Declared
'''


TEXTS_COMMENT = """\
# The texts, in lower case, that every path a pattern matches holds: a pattern whose texts
# the paths do not hold matches none of them (`repo_harden.engine.catalogue`)."""


def declarations_of_modules() -> dict[str, tuple[Declared, ...]]:
    """Each rule module of `CHECK_MODULES` (imported) and its checks' declarations."""
    from repo_harden.checks import CHECK_MODULES, checks_of

    return {
        module: tuple(check.declared() for check in checks_of(module)) for module in CHECK_MODULES
    }


def render(declarations: Mapping[str, Sequence[Declared]]) -> str:
    """The module's source, formatted as `ruff format` leaves it."""
    names: dict[tuple[str, ...], str] = {}
    for item in (d for module in declarations.values() for d in module):
        if item.patterns and item.patterns not in names:
            names[item.patterns] = f"_PATTERNS_{len(names) + 1}"
    lines = [HEADER]
    for patterns, name in names.items():
        lines += _tuple(f"{name} = ", [_string(pattern) for pattern in patterns], "", "")
    lines.append("")
    lines.append("DECLARATIONS: dict[str, tuple[Declared, ...]] = {")
    for module, declared in declarations.items():
        calls = [_call(each, names) for each in declared]
        lines += _tuple(f"{_string(module)}: ", calls, "    ", ",")
    lines.append("}")
    lines.append("")
    lines.append(TEXTS_COMMENT)
    lines.append("TEXTS: dict[str, tuple[str, ...]] = {")
    for pattern in dict.fromkeys(p for patterns in names for p in patterns):
        texts = [_string(text) for text in texts_in_every_match(pattern)]
        lines += _tuple(f"{_string(pattern)}: ", texts, "    ", ",", short=True)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _tuple(
    before: str, items: Sequence[str], indent: str, after: str, *, short: bool = False
) -> list[str]:
    """A tuple one item a line, as ruff keeps it (a trailing comma holds it apart); on one
    line when it fits and is `short`, or has a single item (whose comma holds nothing)."""
    if len(items) == 1 or (short and items):
        inside = f"{items[0]}," if len(items) == 1 else ", ".join(items)
        line = f"{indent}{before}({inside}){after}"
        if len(line) <= LINE_LENGTH:
            return [line]
    if not items:
        return [f"{indent}{before}(){after}"]
    return [
        f"{indent}{before}(",
        *(f"{indent}    {item}," for item in items),
        f"{indent}){after}",
    ]


def _call(declared: Declared, names: Mapping[tuple[str, ...], str]) -> str:
    arguments = [_string(declared.code), names.get(declared.patterns, "()")]
    arguments += [
        f"{flag}=True"
        for flag in ("online", "needs_settings", "repository_level")
        if getattr(declared, flag)
    ]
    return f"Declared({', '.join(arguments)})"


def _string(text: str) -> str:
    return json.dumps(text)  # double quotes, as ruff writes them; the patterns are ASCII


def generated_path() -> Path:
    return Path(__file__).resolve().parents[2] / "checks" / "declarations.py"


def main() -> int:
    generated_path().write_text(render(declarations_of_modules()), encoding="utf-8")
    print("wrote checks/declarations.py", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
