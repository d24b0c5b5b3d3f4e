"""Reporters: each renders a `Report` to text in one format."""

from __future__ import annotations

import datetime
import sys
from collections.abc import Callable, Collection, Iterator, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, cast

from repo_harden.core.model import Rule
from repo_harden.core.record import field, record
from repo_harden.engine.policy import Reported

if TYPE_CHECKING:  # an audit's; a scan's report needs no record codec
    from repo_harden.engine.records import Exemption, RepositoryStatus, Trend


@record
class Report:
    """Everything a reporter may show."""

    reported: Collection[Reported]  # a list, or an audit's findings read back from disk
    rules: Mapping[str, Rule]  # a lazy catalogue's: only SARIF and the dashboard list them all
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
ChunkedRenderer = Callable[[Report], Iterator[str]]
SCAN_FORMATS = ("text", "json", "sarif", "github")
AUDIT_FORMATS = ("text", "json", "sarif", "html")
INVENTORY_FORMATS = ("text", "json", "csv", "cyclonedx")


# Each format's module, its renderer, and the renderer that gives the report out in pieces
# (None: one piece). The modules are imported only when their format is asked for.
_FORMATS: dict[str, tuple[str, str, str | None]] = {
    "text": ("repo_harden.reporters.text", "render_text", "text_chunks"),
    "json": ("repo_harden.reporters.json_report", "render_json", "json_chunks"),
    "sarif": ("repo_harden.reporters.sarif", "render_sarif", "sarif_chunks"),
    "html": ("repo_harden.reporters.html", "render_html", None),
    "github": ("repo_harden.reporters.annotations", "render_github", None),
}


def renderer(name: str) -> Renderer:
    """The renderer of a format by its name."""
    module, whole, _ = _format(name)
    return cast("Renderer", getattr(_imported(module), whole))


def chunked_renderer(name: str) -> ChunkedRenderer:
    """A renderer that gives the report out in pieces, for a report too large to hold whole
    (an org audit's): json, sarif and text stream their findings; html is one piece."""
    module, _, chunks = _format(name)
    if chunks is not None:
        return cast("ChunkedRenderer", getattr(_imported(module), chunks))
    render = renderer(name)

    def one_piece(report: Report) -> Iterator[str]:
        yield render(report)

    return one_piece


def _format(name: str) -> tuple[str, str, str | None]:
    if name not in _FORMATS:
        raise ValueError(f"no report format {name!r}")
    return _FORMATS[name]


def _imported(module: str) -> ModuleType:
    __import__(module)  # unlike importlib.import_module, shown by `-X importtime`
    return sys.modules[module]
