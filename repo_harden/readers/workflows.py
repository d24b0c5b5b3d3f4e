"""GitHub Actions workflows and action metadata, read from YAML nodes into dataclasses.

Only the parts the checks need are read; everything keeps its position.
"""

from __future__ import annotations

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.model import Position
from repo_harden.core.parsed import ParsedFiles, ParseError, Reading
from repo_harden.core.record import record
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

_WORKFLOW_PATH = lazy_compile(r"^\.github/workflows/[^/]+\.ya?ml$")
_ACTION_PATH = lazy_compile(r"(^|/)action\.ya?ml$")
_FIRST_LINE = lazy_compile(r"\S[^\r\n\v\f\x1c-\x1e\x85\u2028\u2029]*")


def is_workflow_path(path: str) -> bool:
    return _WORKFLOW_PATH.match(path) is not None


def is_action_path(path: str) -> bool:
    return _ACTION_PATH.search(path) is not None


Pairs = tuple[tuple[Scalar, Scalar], ...]
"""A mapping of scalars (`with:`, `env:`), in order, each key and value with its position."""


@record
class Permissions:
    """A `permissions:` block: one word for every scope (`read-all`, `write-all`), or a
    level per scope (`contents: read`); `{}` is no scope at all."""

    at: Position
    everything: Scalar | None = None  # `read-all`, `write-all`
    scopes: Pairs = ()  # (scope, level) as written

    def level(self, scope: str) -> str:
        """`write`, `read` or `none`: what this block gives `scope`."""
        if self.everything is not None:
            return "write" if self.everything.value.strip() == "write-all" else "read"
        levels = {key.value: value.value.strip() for key, value in self.scopes}
        return levels.get(scope, "none")

    def written(self) -> tuple[tuple[Scalar, Scalar], ...]:
        """The scopes given `write`, each with its level's position (none for `write-all`)."""
        return tuple((key, value) for key, value in self.scopes if value.value.strip() == "write")


@record
class Trigger:
    """An event in `on:`, with the activity `types:` it lists (empty: every type)."""

    name: Scalar
    types: tuple[str, ...] = ()


@record
class Step:
    """A step of a job or of a composite action."""

    uses: Scalar | None
    run: Scalar | None
    shell: Scalar | None
    inputs: Pairs
    working_directory: Scalar | None = None
    name: Scalar | None = None
    id: Scalar | None = None
    condition: Scalar | None = None  # `if:`
    env: Pairs = ()

    def label(self, index: int) -> str:
        """How a message names the step: its name, id, action or first line, and number."""
        for value in (self.name, self.id, self.uses):
            if value is not None and value.value.strip():
                return f"step {index + 1} (`{display(value.value)}`)"
        if self.run is not None and self.run.value.strip():
            return f"step {index + 1} (`{display(self.run.value)}`)"
        return f"step {index + 1}"


def display(text: str, limit: int = 60) -> str:
    """Scanned text as a message may show it: its first line, printable, no backticks,
    at most `limit` characters."""
    found = _FIRST_LINE.search(text)
    line = found.group().strip()[: limit + 1] if found else ""
    if not line.isprintable():
        line = "".join(char if char.isprintable() else "?" for char in line)
    line = line.replace("`", "'")
    return line if len(line) <= limit else line[: limit - 3] + "..."


@record
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
    condition: Scalar | None = None  # `if:`
    permissions: Permissions | None = None
    env: Pairs = ()
    inputs: Pairs = ()  # `with:` of a reusable workflow call
    secrets: Pairs = ()  # `secrets:` passed to a reusable workflow
    inherits_secrets: bool = False  # `secrets: inherit`
    environment: Scalar | None = None  # the deployment environment's name

    def label(self) -> str:
        return f"job `{display(self.id.value)}`"


@record
class Workflow:
    jobs: tuple[Job, ...]
    default_shell: Scalar | None = None  # `defaults.run.shell`
    default_working_directory: Scalar | None = None  # `defaults.run.working-directory`
    triggers: tuple[Trigger, ...] = ()
    permissions: Permissions | None = None
    env: Pairs = ()

    def trigger_names(self) -> frozenset[str]:
        names = self.__dict__.get("_trigger_names")
        if names is None:  # asked by several rules: worked out once
            names = frozenset(trigger.name.value for trigger in self.triggers)
            object.__setattr__(self, "_trigger_names", names)
        return names


@record
class ActionMetadata:
    """An `action.yml`: composite steps, or a Docker image."""

    using: Scalar | None
    image: Scalar | None
    steps: tuple[Step, ...]


def read_workflow(root: Node | None) -> Workflow:
    if root is not None and not is_mapping(root):
        message = "the top level is not a mapping, so this is not a workflow"
        raise ParseError(message, position(root))
    top = fields(root)
    jobs = tuple(_read_job(key, node) for key, node in mapping_items(top.get("jobs")))
    defaults = top.get("defaults")
    return Workflow(
        jobs,
        _default_shell(defaults),
        _default_working_directory(defaults),
        triggers=_triggers(top.get("on")),
        permissions=_permissions(top.get("permissions")),
        env=_pairs(top.get("env")),
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
    secrets = job.get("secrets")
    inherits = scalar(secrets)
    environment = job.get("environment")
    return Job(
        id=job_id,
        uses=scalar(job.get("uses")),
        container_image=_image_of(job.get("container")),
        service_images=_service_images(job.get("services")),
        steps=tuple(_read_step(step) for step in sequence_items(job.get("steps"))),
        runs_on=_labels(job.get("runs-on")),
        default_shell=_default_shell(job.get("defaults")),
        default_working_directory=_default_working_directory(job.get("defaults")),
        condition=scalar(job.get("if")),
        permissions=_permissions(job.get("permissions")),
        env=_pairs(job.get("env")),
        inputs=_pairs(job.get("with")),
        secrets=_pairs(secrets),
        inherits_secrets=inherits is not None and inherits.value.strip() == "inherit",
        environment=scalar(mapping_get(environment, "name")) or scalar(environment),
    )


def _permissions(node: Node | None) -> Permissions | None:
    if node is None:
        return None
    everything = scalar(node)
    if everything is not None and not everything.value.strip():
        return Permissions(position(node))  # `permissions:` with nothing: no scope
    return Permissions(position(node), everything, _pairs(node))


def _pairs(node: Node | None) -> Pairs:
    """A mapping's scalar values with their keys; values that are not scalars are left out."""
    return tuple(
        (key, value)
        for key, value_node in mapping_items(node)
        if (value := scalar(value_node)) is not None
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
    get = fields(node).get
    inputs, env = get("with"), get("env")
    return Step(
        uses=scalar(get("uses")),
        run=scalar(get("run")),
        shell=scalar(get("shell")),
        inputs=_pairs(inputs) if inputs is not None else (),
        working_directory=scalar(get("working-directory")),
        name=scalar(get("name")),
        id=scalar(get("id")),
        condition=scalar(get("if")),
        env=_pairs(env) if env is not None else (),
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
