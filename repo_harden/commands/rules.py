"""`repo-harden rules`: the catalogue, and each rule's documentation."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from repo_harden.core.errors import UsageError
from repo_harden.core.model import Rule
from repo_harden.engine.catalogue import catalogue
from repo_harden.reporters.rule_docs import markdown_table, rule_page

if TYPE_CHECKING:
    from repo_harden.commands import Subcommands


def add_parser(commands: Subcommands) -> None:
    rules = commands.add_parser(
        "rules",
        help="list the rules, or explain one",
        description="List every rule with its code, name, severity and summary, "
        "or print the documentation of one rule.",
    )
    rules.set_defaults(run=run)
    rules.add_argument(
        "code",
        nargs="?",
        metavar="CODE",
        help="a rule code (PIN001) or name: its documentation; a prefix (PIN, DL00), as "
        "--select takes: the rules it selects",
    )
    rules.add_argument(
        "--format",
        choices=["text", "json", "markdown"],
        default="text",
        help="markdown prints the table the README embeds",
    )


def run(args: argparse.Namespace) -> int:
    rules = list(catalogue().rules.values())
    if args.code is not None:
        rule = named_rule(args.code.strip(), rules)
        if rule is None:
            rules = selected_rules(args.code.strip(), rules)
        elif args.format == "json":
            sys.stdout.write(json.dumps(rule_record(rule), indent=2) + "\n")
            return 0
        else:
            sys.stdout.write(rule_page(rule))
            return 0
    if args.format == "json":
        sys.stdout.write(json.dumps([rule_record(r) for r in rules], indent=2) + "\n")
    elif args.format == "markdown":
        sys.stdout.write(markdown_table(rules))
    else:
        sys.stdout.write(text_table(rules))
    return 0


def named_rule(wanted: str, rules: list[Rule]) -> Rule | None:
    """The rule of a code or a name, exactly."""
    for rule in rules:
        if wanted.upper() == rule.code or wanted.lower() == rule.name:
            return rule
    return None


def find_rule(wanted: str, rules: list[Rule]) -> Rule:
    rule = named_rule(wanted, rules)
    if rule is None:
        raise UsageError(f"no rule {wanted!r}; `repo-harden rules` lists them")
    return rule


def selected_rules(prefix: str, rules: list[Rule]) -> list[Rule]:
    """The rules a `--select` prefix (or ALL) selects."""
    wanted = prefix.upper()
    chosen = [rule for rule in rules if wanted == "ALL" or rule.code.startswith(wanted)]
    if not wanted or not chosen:
        raise UsageError(f"no rule {prefix!r}; `repo-harden rules` lists them")
    return chosen


def rule_record(rule: Rule) -> dict[str, object]:
    return {
        "code": rule.code,
        "name": rule.name,
        "severity": rule.severity.value,
        "summary": rule.summary,
        "online": rule.online,
        "documentation": rule.doc,
    }


def text_table(rules: list[Rule]) -> str:
    width = max(len(rule.name) for rule in rules)
    lines = [f"{'CODE':<7} {'NAME':<{width}} {'SEVERITY':<8} SUMMARY"]
    for rule in rules:
        online = " (online)" if rule.online else ""  # as the README's table says it
        lines.append(
            f"{rule.code:<7} {rule.name:<{width}} {rule.severity.value:<8} {rule.summary}{online}"
        )
    return "\n".join(lines) + "\n"
