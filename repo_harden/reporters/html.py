"""HTML: one self-contained page for an audit, to read or to share: the repositories with
their status, the rule families, then every finding by repository. No script, no style
sheet or font from elsewhere; every text from a repository is escaped."""

from __future__ import annotations

from collections import Counter
from html import escape

from repo_harden import __version__
from repo_harden.core.model import Severity
from repo_harden.engine.policy import Reported
from repo_harden.reporters import Report
from repo_harden.reporters.sarif import rule_url
from repo_harden.reporters.text import location, summary

_ORDER = (Severity.ERROR, Severity.WARNING, Severity.NOTE)
_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em; color: #1f2328; }
table { border-collapse: collapse; margin: 1em 0 2em; }
th, td { border: 1px solid #d0d7de; padding: .3em .6em; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
.error { color: #cf222e; } .warning { color: #9a6700; } .note { color: #0969da; }
.failed { color: #cf222e; font-weight: bold; } .skipped { color: #656d76; }
code { font-family: ui-monospace, monospace; }
"""


def render_html(report: Report) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>repo-harden audit</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>repo-harden audit</h1><p>{escape(summary(report)).replace(chr(10), '<br>')}</p>",
        *_repositories(report),
        *_families(report),
        *_findings(report),
        f"<p><small>repo-harden {escape(__version__)}</small></p>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _repositories(report: Report) -> list[str]:
    if report.repositories is None:
        return []
    counts: dict[str, Counter[Severity]] = {}
    for item in report.reported:
        counts.setdefault(item.repository or "", Counter())[item.severity] += 1
    rows = []
    for repo in report.repositories:
        found = counts.get(repo.name, Counter())
        cells = [str(found[s]) if repo.status == "audited" else "-" for s in _ORDER]
        rows.append(
            f'<tr><td><a href="#{_anchor(repo.name)}">{escape(repo.name)}</a></td>'
            f'<td class="{escape(repo.status)}">{escape(repo.status)}</td>'
            + "".join(f"<td>{cell}</td>" for cell in cells)
            + f"<td>{escape(repo.reason or '')}</td></tr>"
        )
    head = "<tr><th>repository</th><th>status</th><th>errors</th><th>warnings</th>"
    return [
        "<h2>Repositories</h2><table>",
        head + "<th>notes</th><th>reason</th></tr>",
        *rows,
        "</table>",
    ]


def _families(report: Report) -> list[str]:
    by_rule = Counter(item.rule.code for item in report.reported)
    rows = [
        f'<tr><td><a href="{escape(rule_url(report.rules[code]))}">{escape(code)}</a></td>'
        f"<td>{escape(report.rules[code].name)}</td><td>{count}</td></tr>"
        for code, count in sorted(by_rule.items())
    ]
    return [
        "<h2>Rules</h2><table><tr><th>rule</th><th>name</th><th>findings</th></tr>",
        *rows,
        "</table>",
    ]


def _findings(report: Report) -> list[str]:
    lines = ["<h2>Findings</h2>"]
    current: str | None = None
    for item in report.reported:
        repository = item.repository or ""
        if repository != current:
            if current is not None:
                lines.append("</ul>")
            lines.append(f'<h3 id="{_anchor(repository)}">{escape(repository)}</h3><ul>')
            current = repository
        lines.append(_finding(item))
    if current is not None:
        lines.append("</ul>")
    return lines


def _finding(item: Reported) -> str:
    severity = item.severity.value
    return (
        f'<li><code>{escape(location(item))}</code> <b class="{severity}">{escape(item.rule.code)}'
        f"</b> {escape(item.finding.message)}</li>"
    )


def _anchor(name: str) -> str:
    return "repo-" + "".join(c if c.isalnum() else "-" for c in name)
