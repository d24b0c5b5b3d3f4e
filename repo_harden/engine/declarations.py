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
    return "\n".join(lines) + "\n"


def _tuple(before: str, items: Sequence[str], indent: str, after: str) -> list[str]:
    """A tuple one item a line; a single item on one line when it fits, as ruff has it (the
    comma a one-item tuple needs keeps nothing apart)."""
    if len(items) == 1:
        line = f"{indent}{before}({items[0]},){after}"
        if len(line) <= LINE_LENGTH:
            return [line]
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
