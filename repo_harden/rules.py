"""Declaring rules: the code, name and severity in a decorator, the docs in the docstring."""

from __future__ import annotations

import inspect
from collections.abc import Callable

from repo_harden.model import Check, CheckFunction, OptionSpec, Rule, Severity

DOC_HEADINGS = ("## What it does", "## Why is this bad?", "## Example", "## Fix")


def rule_from_docstring(
    code: str, name: str, severity: Severity, function: Callable[..., object], *, online: bool
) -> Rule:
    doc = inspect.cleandoc(function.__doc__ or "")
    summary = doc.splitlines()[0].rstrip(".") if doc else name
    return Rule(code, name, severity, summary, doc, online)


def check(
    code: str,
    name: str,
    severity: Severity,
    patterns: tuple[str, ...],
    *,
    online: bool = False,
    needs_settings: bool = False,
    options: tuple[OptionSpec, ...] = (),
) -> Callable[[CheckFunction], Check]:
    """Turn a documented function into a `Check` of the catalogue."""

    def declare(function: CheckFunction) -> Check:
        rule = rule_from_docstring(code, name, severity, function, online=online)
        return Check(rule, function, patterns, needs_settings, options)

    return declare


def engine_rule(code: str, name: str, severity: Severity) -> Callable[[Callable[[], None]], Rule]:
    """A rule the engine itself reports (parse errors, waivers); the function only carries docs."""

    def declare(function: Callable[[], None]) -> Rule:
        return rule_from_docstring(code, name, severity, function, online=False)

    return declare
