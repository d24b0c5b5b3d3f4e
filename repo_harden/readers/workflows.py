"""GitHub Actions workflows and action metadata, read from YAML nodes into dataclasses.

Only the parts the checks need are read; everything keeps its position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from repo_harden.core.parsed import ParsedFiles, ParseError, Reading
from repo_harden.readers.yaml import (
    YAML,
    Node,
    Scalar,
    fields,
    is_mapping,
    mapping_get,
    mapping_items,
    position,
    scalar,
    sequence_items,
)

WORKFLOW_PATTERNS = (".github/workflows/*.yml", ".github/workflows/*.yaml")
ACTION_PATTERNS = ("action.yml", "action.yaml", "**/action.yml", "**/action.yaml")

_WORKFLOW_PATH = re.compile(r"^\.github/workflows/[^/]+\.ya?ml$")
_ACTION_PATH = re.compile(r"(^|/)action\.ya?ml$")


def is_workflow_path(path: str) -> bool:
    return _WORKFLOW_PATH.match(path) is not None


def is_action_path(path: str) -> bool:
    return _ACTION_PATH.search(path) is not None


@dataclass(frozen=True)
class Trigger:
    """An event in `on:`, with the activity `types:` it lists (empty: every type)."""

    name: Scalar
    types: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    """A step of a job or of a composite action."""

    uses: Scalar | None
    run: Scalar | None
    shell: Scalar | None
    inputs: tuple[tuple[Scalar, Scalar], ...]
    working_directory: Scalar | None = None


@dataclass(frozen=True)
class Job:
    """A job: either runs steps, or calls a reusable workflow with `uses:`."""

    id: Scalar
    uses: Scalar | None
    container_image: Scalar | None
    service_images: tuple[Scalar, ...]
    steps: tuple[Step, ...]
    runs_on: tuple[Scalar, ...] = ()  # the runner labels; () when absent or not plain text
    default_shell: Scalar | None = None  # `defaults.run.shell`
    default_working_directory: Scalar | None = None  # `defaults.run.working-directory`


@dataclass(frozen=True)
class Workflow:
    jobs: tuple[Job, ...]
    default_shell: Scalar | None = None  # `defaults.run.shell`
    default_working_directory: Scalar | None = None  # `defaults.run.working-directory`
    triggers: tuple[Trigger, ...] = ()

    def trigger_names(self) -> frozenset[str]:
        return frozenset(trigger.name.value for trigger in self.triggers)


@dataclass(frozen=True)
class ActionMetadata:
    """An `action.yml`: composite steps, or a Docker image."""

    using: Scalar | None
    image: Scalar | None
    steps: tuple[Step, ...]


def read_workflow(root: Node | None) -> Workflow:
    if root is not None and not is_mapping(root):
        message = "the top level is not a mapping, so this is not a workflow"
        raise ParseError(message, position(root))
    jobs = tuple(_read_job(key, node) for key, node in mapping_items(mapping_get(root, "jobs")))
    defaults = mapping_get(root, "defaults")
    return Workflow(
        jobs,
        _default_shell(defaults),
        _default_working_directory(defaults),
        triggers=_triggers(mapping_get(root, "on")),
    )


def read_action(root: Node | None) -> ActionMetadata:
    if root is not None and not is_mapping(root):
        message = "the top level is not a mapping, so this is not action metadata"
        raise ParseError(message, position(root))
    runs = mapping_get(root, "runs")
    steps = tuple(_read_step(node) for node in sequence_items(mapping_get(runs, "steps")))
    return ActionMetadata(
        scalar(mapping_get(runs, "using")), scalar(mapping_get(runs, "image")), steps
    )


def _read_job(job_id: Scalar, node: Node) -> Job:
    job = fields(node)
    return Job(
        id=job_id,
        uses=scalar(job.get("uses")),
        container_image=_image_of(job.get("container")),
        service_images=_service_images(job.get("services")),
        steps=tuple(_read_step(step) for step in sequence_items(job.get("steps"))),
        runs_on=_labels(job.get("runs-on")),
        default_shell=_default_shell(job.get("defaults")),
        default_working_directory=_default_working_directory(job.get("defaults")),
    )


def _triggers(node: Node | None) -> tuple[Trigger, ...]:
    """`on:` as one event, a list of events, or a mapping of events to their filters."""
    if is_mapping(node):
        return tuple(
            Trigger(name, _words(mapping_get(filters, "types")))
            for name, filters in mapping_items(node)
        )
    events = [scalar(node)] if scalar(node) else [scalar(item) for item in sequence_items(node)]
    return tuple(Trigger(event) for event in events if event is not None)


def _words(node: Node | None) -> tuple[str, ...]:
    found = [scalar(node)] if scalar(node) else [scalar(item) for item in sequence_items(node)]
    return tuple(word.value for word in found if word is not None)


def _labels(node: Node | None) -> tuple[Scalar, ...]:
    """`runs-on` as a label or a list of labels (a `group:` mapping gives none)."""
    found = [scalar(node)] if scalar(node) else [scalar(item) for item in sequence_items(node)]
    return tuple(label for label in found if label is not None)


def _default_shell(defaults: Node | None) -> Scalar | None:
    return scalar(mapping_get(mapping_get(defaults, "run"), "shell"))


def _default_working_directory(defaults: Node | None) -> Scalar | None:
    return scalar(mapping_get(mapping_get(defaults, "run"), "working-directory"))


def _read_step(node: Node) -> Step:
    step = fields(node)
    inputs = tuple(
        (key, value)
        for key, value_node in mapping_items(step.get("with"))
        if (value := scalar(value_node)) is not None
    )
    return Step(
        uses=scalar(step.get("uses")),
        run=scalar(step.get("run")),
        shell=scalar(step.get("shell")),
        inputs=inputs,
        working_directory=scalar(step.get("working-directory")),
    )


def _image_of(node: Node | None) -> Scalar | None:
    """A `container:` or service value: a bare image string, or a mapping with `image:`."""
    if is_mapping(node):
        return scalar(mapping_get(node, "image"))
    return scalar(node)


def _service_images(node: Node | None) -> tuple[Scalar, ...]:
    images = (_image_of(service) for _, service in mapping_items(node))
    return tuple(image for image in images if image is not None)


def _workflow_of(parsed: ParsedFiles, path: str) -> Workflow | None:
    root = parsed.read(YAML, path)
    return read_workflow(root) if root is not None else None


def _action_of(parsed: ParsedFiles, path: str) -> ActionMetadata | None:
    root = parsed.read(YAML, path)
    return read_action(root) if root is not None else None


WORKFLOW = Reading("workflow", _workflow_of)
"""A workflow file (`.github/workflows/*.yml`)."""
ACTION = Reading("action", _action_of)
"""Action metadata (`action.yml`)."""
