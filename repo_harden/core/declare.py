"""Declaring rules: the code, name and severity in a decorator, the docs in the docstring."""

from __future__ import annotations

from collections.abc import Callable

from repo_harden.core.model import Check, CheckFunction, OptionSpec, Rule, Severity

DOC_HEADINGS = ("## What it does", "## Why is this bad?", "## Example", "## Fix")


def rule_from_docstring(
    code: str, name: str, severity: Severity, function: Callable[..., object], *, online: bool
) -> Rule:
    doc = clean_docstring(function.__doc__ or "")
    summary = doc.splitlines()[0].rstrip(".") if doc else name
    return Rule(code, name, severity, summary, doc, online)


def clean_docstring(text: str) -> str:
    """Like `inspect.cleandoc`, without importing `inspect` on the hook's start-up path."""
    lines = text.expandtabs().strip().splitlines()
    if not lines:
        return ""
    rest = lines[1:]
    indents = [len(line) - len(line.lstrip()) for line in rest if line.strip()]
    margin = min(indents, default=0)
    return "\n".join([lines[0].strip(), *(line[margin:].rstrip() for line in rest)])


def check(
    code: str,
    name: str,
    severity: Severity,
    patterns: tuple[str, ...],
    *,
    online: bool = False,
    needs_settings: bool = False,
    repository_level: bool = False,
    options: tuple[OptionSpec, ...] = (),
) -> Callable[[CheckFunction], Check]:
    """Turn a documented function into a `Check` of the catalogue."""

    def declare(function: CheckFunction) -> Check:
        rule = rule_from_docstring(code, name, severity, function, online=online)
        return Check(rule, function, patterns, needs_settings, repository_level, options)

    return declare


def engine_rule(code: str, name: str, severity: Severity) -> Callable[[Callable[[], None]], Rule]:
    """A rule the engine itself reports (parse errors, waivers); the function only carries docs."""

    def declare(function: Callable[[], None]) -> Rule:
        return rule_from_docstring(code, name, severity, function, online=False)

    return declare
