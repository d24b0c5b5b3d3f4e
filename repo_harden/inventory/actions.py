"""Actions and reusable workflows: every `uses:` of a workflow (job and step level) and of a
composite action's `action.yml`, as `checks/pinning.py` reads them, with the job and the
triggers that run it. Local references (`./path`) are kept apart: the inventory follows
them into the repository's own files."""

from __future__ import annotations

from collections.abc import Iterator

from repo_harden.core.parsed import ParsedFiles
from repo_harden.core.record import record
from repo_harden.inventory.model import ACTION, FULL_SHA, REUSABLE_WORKFLOW, Item
from repo_harden.readers.workflows import ACTION as ACTION_METADATA
from repo_harden.readers.workflows import WORKFLOW, Step, is_action_path, is_workflow_path
from repo_harden.readers.yaml import Scalar


@record
class LocalUse:
    """A `uses: ./path` of the repository's own action or reusable workflow: `item` names
    it (its `name` is the path as written), `files` are the files it opens."""

    item: Item
    files: tuple[str, ...]


def uses_in(parsed: ParsedFiles, path: str) -> tuple[list[Item], list[LocalUse]]:
    """The remote actions and reusable workflows a file uses, and its local ones."""
    remote: list[Item] = []
    local: list[LocalUse] = []
    for uses, job, triggers, workflow in _uses(parsed, path):
        value = uses.value.strip()
        kind = REUSABLE_WORKFLOW if workflow else ACTION
        if value.startswith("docker://") or not value:
            continue  # an image: see `images`
        line = uses.at.line
        if value.startswith("./"):
            item = Item(kind, path, line, value, job=job, triggers=triggers, what="local")
            local.append(LocalUse(item, local_files(value, workflow=workflow)))
            continue
        target, _at, ref = value.partition("@")
        sha = ref.lower() if FULL_SHA.fullmatch(ref) else None
        what = "job" if workflow else "step"
        remote.append(
            Item(
                kind,
                path,
                line,
                target,
                ref or None,
                sha=sha,
                job=job,
                triggers=triggers,
                what=what,
            )
        )
    return remote, local


def local_files(value: str, *, workflow: bool) -> tuple[str, ...]:
    """The files `uses: ./path` opens: the workflow itself, or the action's metadata."""
    folder = value.removeprefix("./").strip("/")
    if workflow:
        return (folder,)
    prefix = f"{folder}/" if folder else ""
    return (f"{prefix}action.yml", f"{prefix}action.yaml")


def _uses(
    parsed: ParsedFiles, path: str
) -> Iterator[tuple[Scalar, str | None, tuple[str, ...], bool]]:
    """(uses, job id, triggers, whether it calls a reusable workflow) of a file."""
    if is_action_path(path):
        action = parsed.read(ACTION_METADATA, path)
        for step in action.steps if action else ():
            if step.uses is not None:
                yield step.uses, None, (), False
        return
    if not is_workflow_path(path):
        return
    workflow = parsed.read(WORKFLOW, path)
    if workflow is None:
        return
    triggers = tuple(sorted(workflow.trigger_names()))
    for job in workflow.jobs:
        if job.uses is not None:
            yield job.uses, job.id.value, triggers, True
        yield from _step_uses(job.steps, job.id.value, triggers)


def _step_uses(
    steps: tuple[Step, ...], job: str, triggers: tuple[str, ...]
) -> Iterator[tuple[Scalar, str | None, tuple[str, ...], bool]]:
    for step in steps:
        if step.uses is not None:
            yield step.uses, job, triggers, False
