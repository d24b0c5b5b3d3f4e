"""How a workflow's jobs run, and what they hold while they do.

- `runs_of`: the events that start a workflow. A reusable workflow (`on:
  workflow_call`) runs for whatever starts the workflows of the same repository that
  call it, so its findings can name the caller's trigger.
- `token_of`: the `permissions:` that bound a job's `GITHUB_TOKEN` (the job's, else
  the workflow's, else the caller's, else the repository's default).
- `secrets_of`: the secrets a job can read.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from repo_harden.core.declare import CheckContext
from repo_harden.core.lazy import lazy_compile, lazy_import
from repo_harden.core.model import Position
from repo_harden.core.record import record
from repo_harden.readers.workflows import WORKFLOW, Job, Permissions, Workflow, is_workflow_path
from repo_harden.readers.yaml import Scalar

if TYPE_CHECKING:
    from repo_harden.core.actions_settings import Known
    from repo_harden.readers import expressions, source_map
else:
    expressions = lazy_import("repo_harden.readers.expressions")
    source_map = lazy_import("repo_harden.readers.source_map")

MAX_CALL_DEPTH = 10  # GitHub allows four levels of reusable workflows
PRIVILEGED_EVENTS = ("pull_request_target", "workflow_run", "issue_comment")
_SECRET = lazy_compile(r"\bsecrets\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)|\bsecrets\s*\[", re.IGNORECASE)
_TOKEN_NAMES = frozenset({"github_token"})


@record
class Caller:
    """A job of another workflow of the repository that calls a reusable workflow."""

    path: str
    workflow: Workflow
    job: Job

    def describe(self) -> str:
        return f"{self.job.label()} of `{self.path}`"


@record
class Run:
    """One way a workflow runs: an event, and the chain of callers when it is reusable."""

    event: str
    callers: tuple[Caller, ...] = ()

    def describe(self) -> str:
        """`pull_request_target`, or `pull_request_target` through its caller."""
        if not self.callers:
            return f"`{self.event}`"
        chain = ", called by ".join(caller.describe() for caller in self.callers)
        return f"`{self.event}` (this reusable workflow is called by {chain})"


def workflows(ctx: CheckContext) -> Iterator[tuple[str, Workflow]]:
    """The check's workflow files, read."""
    for path in ctx.files:
        if is_workflow_path(path):
            workflow = ctx.parsed.read(WORKFLOW, path)
            if workflow is not None:
                yield path, workflow


def runs_of(ctx: CheckContext, path: str, workflow: Workflow) -> tuple[Run, ...]:
    """The events that start the workflow, through its callers in the same repository
    when it is a reusable one. Each workflow is visited once (breadth first, so through
    its shortest chain of callers): as many runs as events, however the calls branch."""
    found: list[Run] = []
    queue: deque[tuple[Workflow, tuple[Caller, ...]]] = deque([(workflow, ())])
    seen = {path}
    while queue:
        current, chain = queue.popleft()
        names = current.trigger_names()
        found += [Run(event, chain) for event in sorted(names) if event != "workflow_call"]
        if "workflow_call" not in names or len(chain) >= MAX_CALL_DEPTH:
            continue
        caller_path = chain[-1].path if chain else path
        for caller in callers_of(ctx, caller_path):
            if caller.path not in seen:
                seen.add(caller.path)
                queue.append((caller.workflow, (*chain, caller)))
    return tuple(found)


def callers_of(ctx: CheckContext, path: str) -> tuple[Caller, ...]:
    """The jobs of the repository's workflows that call the workflow at `path`."""
    index = ctx.parsed.memo("reusable-workflow-callers", "", lambda: _callers_index(ctx))
    return (index or {}).get(path, ())


def _callers_index(ctx: CheckContext) -> Mapping[str, tuple[Caller, ...]]:
    """Reusable workflow path -> the jobs that call it: `./.github/workflows/x.yml`, or
    this repository's own `owner/name/.github/workflows/x.yml@ref` when its name is known."""
    own = ctx.snapshot.name.lower() + "/" if "/" in ctx.snapshot.name else None
    index: dict[str, list[Caller]] = {}
    for path in ctx.snapshot.paths():
        if not is_workflow_path(path) or not may_call_workflows(ctx.parsed.text(path)):
            continue
        workflow = ctx.parsed.read(WORKFLOW, path)
        if workflow is None:
            continue
        for job in workflow.jobs:
            target = _local_target(job.uses.value if job.uses else "", own)
            if target is not None:
                index.setdefault(target, []).append(Caller(path, workflow, job))
    return {target: tuple(callers) for target, callers in index.items()}


def may_call_workflows(text: str | None) -> bool:
    """Whether a workflow's text can call a workflow of its own repository, told without
    parsing it (a scan split in parts parses only its own files). A call names the callee
    as `./.github/workflows/x.yml` or `owner/name/.github/workflows/x.yml@ref`, so its
    text holds `.github/workflows/`: YAML changes no character of a scalar but through a
    double-quoted escape (a backslash) or by folding a line break into a space, which that
    text has none of."""
    return text is not None and (".github/workflows/" in text or "\\" in text)


def _local_target(uses: str, own: str | None) -> str | None:
    uses = uses.strip()
    if uses.startswith("./"):
        return uses[2:]
    if own is not None and uses.lower().startswith(own):
        return uses[len(own) :].partition("@")[0]
    return None


# The token ----------------------------------------------------------------------------


@record
class Grant:
    """The `permissions:` that bound a job's token, and whose they are (`job`, `workflow`,
    or a caller); `block` None: none is written, the repository's default applies."""

    block: Permissions | None
    owner: str
    default: Known[str] | None  # the repository's default, when it was read

    def may_write(self, scope: str | None = None) -> bool:
        """The token may write `scope` (any scope when None). An unknown default may."""
        if self.block is None:
            return self.default is None or self.default.value == "write"
        if scope is not None or self.block.everything is not None:
            return self.block.level(scope or "contents") == "write"
        return bool(self.block.written())

    def describe_writes(self) -> str:
        """What it may write, for a message: `contents: write, packages: write`."""
        if self.block is None:
            if self.default is not None and self.default.value == "write":
                source = self.default.source
                return f"the repository's default, which {source} set to read and write"
            return "the repository's default, which is read and write unless it was restricted"
        if self.block.everything is not None:
            return f"`{self.block.everything.value.strip()}`"
        return ", ".join(f"`{key.value}: write`" for key, _ in self.block.written())


def default_permissions(ctx: CheckContext) -> Known[str] | None:
    """The repository's default token permissions (`read` or `write`), when read online."""
    settings = ctx.snapshot.settings
    actions = settings.actions if settings is not None else None
    return actions.default_permissions if actions is not None else None


def token_of(ctx: CheckContext, workflow: Workflow, job: Job, run: Run | None = None) -> Grant:
    """The job's own `permissions:`, else its workflow's, else (reusable) its callers'."""
    default = default_permissions(ctx)
    if job.permissions is not None:
        return Grant(job.permissions, "job", default)
    if workflow.permissions is not None:
        return Grant(workflow.permissions, "workflow", default)
    for caller in reversed(run.callers if run is not None else ()):
        if caller.job.permissions is not None:
            return Grant(caller.job.permissions, caller.describe(), default)
        if caller.workflow.permissions is not None:
            return Grant(caller.workflow.permissions, f"`{caller.path}`", default)
    return Grant(None, "default", default)


# Secrets ------------------------------------------------------------------------------


def secrets_in(text: str) -> Iterator[str]:
    """The names of the secrets the expressions of a text read, other than `GITHUB_TOKEN`
    (`*` for `secrets[...]`, whose name is computed)."""
    if "secrets" not in text and "SECRETS" not in text.upper():
        return
    for expression in expressions.find_expressions(text):
        for found in _SECRET.finditer(expression.inner):
            name = found.group(1) or "*"
            if name.lower() not in _TOKEN_NAMES:
                yield name


def secrets_of(workflow: Workflow, job: Job, run: Run | None = None) -> tuple[str, ...]:
    """The secrets a job reads (its env, steps and inputs, its workflow's env), by name
    (`*` for all of them: `secrets: inherit` or a dynamic name)."""
    texts = [value.value for _, value in (*workflow.env, *job.env, *job.inputs, *job.secrets)]
    for step in job.steps:
        texts += [value.value for _, value in (*step.env, *step.inputs)]
        texts += [scalar.value for scalar in (step.run,) if scalar is not None]
    names = [name for text in texts for name in secrets_in(text)]
    if job.inherits_secrets:
        names.append("*")
    for caller in run.callers if run is not None else ():
        if caller.job.inherits_secrets or caller.job.secrets:
            names += (
                ["*"] if caller.job.inherits_secrets else [k.value for k, _ in caller.job.secrets]
            )
    return tuple(dict.fromkeys(names))


def describe_secrets(names: tuple[str, ...]) -> str:
    if "*" in names:
        return "every secret of the repository"
    shown = ", ".join(f"`{name}`" for name in names[:4])
    more = f" and {len(names) - 4} more" if len(names) > 4 else ""
    return f"the secret{'s' if len(names) > 1 else ''} {shown}{more}"


# Positions ---------------------------------------------------------------------------


def position_in(ctx: CheckContext, path: str, value: Scalar, offset: int) -> Position:
    """The file position of character `offset` of a scalar's value (a `run:` script)."""
    maps = ctx.parsed.memo("scalar-source-maps", path, dict[Scalar, "source_map.SourceMap"])
    if maps is None:
        return value.at
    found = maps.get(value)
    if found is None:
        text = ctx.parsed.text(path) or ""
        lines = ctx.parsed.memo("file-lines", path, lambda: source_map.FileLines(text))
        found = maps[value] = source_map.SourceMap.aligned(value.value, text, value.at, lines)
    return found.position(offset)
