"""Reporters: each renders a `Report` to text in one format."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field

from repo_harden.core.model import Rule
from repo_harden.engine.policy import Reported
from repo_harden.engine.records import Exemption, RepositoryStatus, Trend


@dataclass(frozen=True)
class Report:
    """Everything a reporter may show."""

    reported: Collection[Reported]  # a list, or an audit's findings read back from disk
    rules: dict[str, Rule]
    files_checked: int = 0
    suppressed_inline: int = 0
    suppressed_foreign: int = 0  # of `suppressed_inline`, by other tools' comments (zizmor)
    waived: int = 0
    baselined: int = 0
    not_shown: int = 0  # past the limit of findings per file
    repositories: list[RepositoryStatus] | None = None
    color: bool = False
    notes: list[str] = field(default_factory=list)
    # Audits: every waiver and inline ignore, the trend since the previous audit of the same
    # targets (None: no previous audit in the cache), the rules the audit asked for (None:
    # unknown), and the day it ran (expiries are counted from it).
    exemptions: list[Exemption] | None = None
    trend: Trend | None = None
    selected_rules: tuple[str, ...] | None = None
    day: datetime.date | None = None


Renderer = Callable[[Report], str]
SCAN_FORMATS = ("text", "json", "sarif", "github")
AUDIT_FORMATS = ("text", "json", "sarif", "html")
INVENTORY_FORMATS = ("text", "json", "csv", "cyclonedx")


def chunked_renderer(name: str) -> Callable[[Report], Iterator[str]]:
    """A renderer that gives the report out in pieces, for a report too large to hold whole
    (an org audit's): json, sarif and text stream their findings; html is one piece."""
    if name == "text":
        from repo_harden.reporters.text import text_chunks

        return text_chunks
    if name == "json":
        from repo_harden.reporters.json_report import json_chunks

        return json_chunks
    if name == "sarif":
        from repo_harden.reporters.sarif import sarif_chunks

        return sarif_chunks
    whole = renderer(name)

    def one_piece(report: Report) -> Iterator[str]:
        yield whole(report)

    return one_piece


def renderer(name: str) -> Renderer:
    """The renderer of a format by its name; the modules are imported only when used."""
    if name == "text":
        from repo_harden.reporters.text import render_text

        return render_text
    if name == "json":
        from repo_harden.reporters.json_report import render_json

        return render_json
    if name == "sarif":
        from repo_harden.reporters.sarif import render_sarif

        return render_sarif
    if name == "html":
        from repo_harden.reporters.html import render_html

        return render_html
    if name == "github":
        from repo_harden.reporters.annotations import render_github

        return render_github
    raise ValueError(f"no report format {name!r}")
