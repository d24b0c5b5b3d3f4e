"""Which expressions an outsider can fill with text of their choosing.

Anyone can open an issue or a pull request, comment, name a branch in their fork, or
write a commit message that a maintainer later merges: those fields of the event
reach a workflow as the author wrote them. Fields an outsider cannot shape (numbers,
SHAs, logins, which GitHub restricts to safe characters, labels that only triagers
set) are not listed. An expression is attacker-controllable when one of these
fields can reach its result (`contains(github.event.issue.title, 'x')` cannot), or
an `env.NAME` whose value is such an expression.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.record import record
from repo_harden.readers.expressions import (
    Expression,
    Opaque,
    Path,
    find_expressions,
    parse,
    reaching,
    within,
)

_FIELDS = (
    "github.head_ref",
    "github.event.issue.title",
    "github.event.issue.body",
    "github.event.pull_request.title",
    "github.event.pull_request.body",
    "github.event.pull_request.head.ref",
    "github.event.pull_request.head.label",
    "github.event.pull_request.head.repo.default_branch",
    "github.event.comment.body",
    "github.event.review.body",
    "github.event.review_comment.body",
    "github.event.discussion.title",
    "github.event.discussion.body",
    "github.event.pages.*.page_name",
    "github.event.commits.*.message",
    "github.event.commits.*.author.email",
    "github.event.commits.*.author.name",
    "github.event.head_commit.message",
    "github.event.head_commit.author.email",
    "github.event.head_commit.author.name",
    "github.event.workflow_run.head_branch",
    "github.event.workflow_run.display_title",
    "github.event.workflow_run.head_commit.message",
    "github.event.workflow_run.head_commit.author.email",
    "github.event.workflow_run.head_commit.author.name",
    "github.event.workflow_run.pull_requests.*.head.ref",
    "github.event.check_suite.head_branch",
    "github.event.check_run.check_suite.head_branch",
    "github.event.merge_group.head_commit.message",
)
ATTACKER_FIELDS = tuple(tuple(field.split(".")) for field in _FIELDS)
# The same fields for text the expression parser could not read.
_FIELD_TEXT = lazy_compile(
    "|".join(re.escape(field).replace(r"\*", r"[^.\s]+") for field in _FIELDS), re.IGNORECASE
)


# What an expression must mention to reach an outsider's text: the event or the head
# ref, the whole `github` context, `env` or `inputs` (not `github.sha`, `github.workspace`).
_MAY_READ = lazy_compile(
    r"\bgithub\s*(\.\s*(event|head_ref)\b|[^.\w\s]|\s*$)|\benv\b|\binputs\b", re.IGNORECASE
)


@record
class Tainted:
    """An expression in a text that expands attacker-controlled text, and the field it
    comes from (`github.event.issue.title`, or `env.TITLE` holding it)."""

    expression: Expression
    source: str
    field: str  # the attacker's field itself, lower-case (what `env.TITLE` holds)


def attacker_field(path: tuple[str, ...]) -> str | None:
    """The attacker-controlled field a context path is, or holds (`github.event`, whose
    JSON holds every field)."""
    if path[0] != "github":
        return None
    for field in ATTACKER_FIELDS:
        if within(path, field):
            return ".".join(path)
    return None


def tainted_in(
    text: str, env: Mapping[str, str] | None = None, inputs: Mapping[str, str] | None = None
) -> Iterator[Tainted]:
    """Every expression of `text` that can expand attacker-controlled text. `env` maps the
    environment variables in scope (lower-case name -> value) and `inputs` the inputs a
    caller passes, whose values may themselves carry such text."""
    if "${{" not in text:
        return
    for expression in find_expressions(text):
        if _MAY_READ.search(expression.inner) is None:
            continue  # `secrets.X`, `matrix.os`, `steps.x.outputs.y`: nothing to parse for
        found = _source(expression.inner, env or {}, inputs or {})
        if found is not None:
            yield Tainted(expression, *found)


def _source(
    inner: str, env: Mapping[str, str], inputs: Mapping[str, str]
) -> tuple[str, str] | None:
    """What the expression expands that an outsider writes, and the field it is."""
    for value in reaching(parse(inner)):
        if isinstance(value, Opaque):
            found = _FIELD_TEXT.search(value.text)
            if found is not None:
                return found.group().lower(), found.group().lower()
            continue
        source = _path_source(value, env, inputs)
        if source is not None:
            return source
    return None


def _path_source(
    path: Path, env: Mapping[str, str], inputs: Mapping[str, str]
) -> tuple[str, str] | None:
    field = attacker_field(path.parts)
    if field is not None:
        return field, field
    if len(path.parts) == 2 and path.parts[0] in ("env", "inputs"):
        values = env if path.parts[0] == "env" else inputs
        value = values.get(path.parts[1])
        if value is not None and "${{" in value:
            # One level deep: a value's own `env.X` is not followed, so no loop.
            inner = next(tainted_in(value), None)
            if inner is not None:
                return f"{path.dotted} (set to {inner.source})", inner.field
    return None


# The events whose payload fills each kind of field (GitHub's "Events that trigger
# workflows"): `github.head_ref` is empty on `push`, an issue's title on `pull_request`.
_PULL_REQUEST_EVENTS = frozenset(
    {"pull_request", "pull_request_target", "pull_request_review", "pull_request_review_comment"}
)
_EVENTS_FILLING: Mapping[str, frozenset[str]] = {
    "head_ref": _PULL_REQUEST_EVENTS,
    "issue": frozenset({"issues", "issue_comment"}),
    "pull_request": _PULL_REQUEST_EVENTS,
    "comment": frozenset(
        {"issue_comment", "pull_request_review_comment", "commit_comment", "discussion_comment"}
    ),
    "review": frozenset({"pull_request_review"}),
    "review_comment": frozenset({"pull_request_review_comment"}),
    "discussion": frozenset({"discussion", "discussion_comment"}),
    "pages": frozenset({"gollum"}),
    "commits": frozenset({"push"}),
    "head_commit": frozenset({"push"}),
    "workflow_run": frozenset({"workflow_run"}),
    "check_suite": frozenset({"check_suite"}),
    "check_run": frozenset({"check_run"}),
    "merge_group": frozenset({"merge_group"}),
}
_ANY_FILLING = frozenset(event for events in _EVENTS_FILLING.values() for event in events)


def events_filling(field: str) -> frozenset[str]:
    """The events whose payload holds `field` (every such event for `github.event` or the
    whole `github` context, whose JSON holds them all)."""
    parts = field.split(".")
    if parts[1:2] == ["head_ref"]:
        return _EVENTS_FILLING["head_ref"]
    if len(parts) < 3:
        return _ANY_FILLING
    return _EVENTS_FILLING.get(parts[2], _ANY_FILLING)
