"""Rule documentation rendered from the docstrings: the README table and docs/rules.md.

Regenerate with `python -m repo_harden.reporters.rule_docs` (tests fail when they are stale).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from pathlib import Path

from repo_harden.core.model import Rule

TABLE_START = "<!-- rules-table:start -->"
TABLE_END = "<!-- rules-table:end -->"


def rule_page(rule: Rule, heading: str = "#") -> str:
    """One rule's documentation: a title, the summary and severity, then its docstring."""
    body = rule.doc.split("\n", 1)[1].strip() if "\n" in rule.doc else ""
    body = re.sub(r"^## ", f"{heading}# ", body, flags=re.MULTILINE)
    online = " (online only)" if rule.online else ""
    severity = f"Default severity: {rule.severity.value}."
    return f"{heading} {rule.code} {rule.name}{online}\n\n{rule.summary}. {severity}\n\n{body}\n"


def markdown_table(rules: Iterable[Rule]) -> str:
    lines = ["| code | name | severity | finds |", "|---|---|---|---|"]
    for rule in rules:
        online = " (online)" if rule.online else ""
        anchor = f"docs/rules.md#{rule.code.lower()}-{rule.name}"
        lines.append(
            f"| [{rule.code}]({anchor}) | {rule.name} | {rule.severity.value} "
            f"| {rule.summary}{online} |"
        )
    return "\n".join(lines) + "\n"


def rules_document(rules: Iterable[Rule]) -> str:
    rules = list(rules)
    intro = (
        "# Rules\n\n"
        "Generated from the rules' docstrings by `python -m repo_harden.reporters.rule_docs`; "
        "`repo-harden rules CODE` prints the same text.\n\n"
    )
    return intro + "\n".join(rule_page(rule, heading="##") for rule in rules)


def readme_with_table(readme: str, rules: Iterable[Rule]) -> str:
    before, start, rest = readme.partition(TABLE_START)
    _, end, after = rest.partition(TABLE_END)
    if not start or not end:
        raise ValueError(f"README.md lacks the {TABLE_START} ... {TABLE_END} markers")
    return f"{before}{TABLE_START}\n{markdown_table(rules)}{TABLE_END}{after}"


def main() -> int:
    from repo_harden.engine.catalogue import catalogue

    root = Path(__file__).resolve().parents[2]
    rules = list(catalogue().rules.values())
    (root / "docs").mkdir(exist_ok=True)
    (root / "docs" / "rules.md").write_text(rules_document(rules), encoding="utf-8")
    readme = root / "README.md"
    readme.write_text(
        readme_with_table(readme.read_text(encoding="utf-8"), rules), encoding="utf-8"
    )
    print("wrote docs/rules.md and the README's rule table", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
