"""Container images: a workflow's job `container:`, `services`, and `docker://` steps; a Docker
action's `image:`; compose services; Dockerfile `FROM` and `COPY --from`; and `docker run`,
`create` and `pull` in any shell a file runs (`repo_harden.shell.docker`, as PIN002 reads
them). Each with its tag and digest as written."""

from __future__ import annotations

import re
from collections.abc import Iterator

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.parsed import ParsedFiles
from repo_harden.inventory.model import IMAGE, Item
from repo_harden.readers.compose import COMPOSE, is_compose_path
from repo_harden.readers.file_kinds import is_dockerfile_path
from repo_harden.readers.workflows import ACTION, WORKFLOW, is_action_path, is_workflow_path
from repo_harden.readers.yaml import Scalar

_WHOLE_EXPRESSION = lazy_compile(r"^\$\{\{.*\}\}$", re.DOTALL)
_DOCKER_WORDS = ("docker", "podman")


def split_image(text: str) -> tuple[str, str | None, str | None]:
    """(name, tag, digest) of `ghcr.io/o/app:1.0@sha256:...`; tag and digest None if absent."""
    text = text.strip().removeprefix("docker://")
    name, at, digest = text.partition("@")
    head, colon, tag = name.rpartition(":")
    if colon and "/" not in tag:
        name = head
    else:
        tag = ""
    return name, tag or None, digest if at else None


def image_item(
    path: str, where: Scalar | int | None, text: str, what: str, job: str | None = None
) -> Item | None:
    """The item for an image reference; None for one given entirely by an expression."""
    text = text.strip()
    if not text or _WHOLE_EXPRESSION.match(text):
        return None
    line = where.at.line if isinstance(where, Scalar) else where
    name, tag, digest = split_image(text)
    return Item(IMAGE, path, line, name, ref=tag, digest=digest, job=job, what=what)


def images_of(parsed: ParsedFiles, path: str) -> list[Item]:
    found = [item for item in _yaml_images(parsed, path) if item is not None]
    if is_compose_path(path):
        services = parsed.read(COMPOSE, path) or ()
        found += [
            item
            for service in services
            if service.image is not None
            and (item := image_item(path, service.image, service.image.value, "compose service"))
        ]
    text = "" if is_dockerfile_path(path) else (parsed.text(path) or "")
    if is_dockerfile_path(path) or any(word in text for word in _DOCKER_WORDS):
        from repo_harden.shell.docker import images_in

        for at, image, what in images_in(parsed, path):
            item = image_item(path, at.line, image, what.replace("`", ""))
            if item is not None:
                found.append(item)
    return found


def _yaml_images(parsed: ParsedFiles, path: str) -> Iterator[Item | None]:
    if is_action_path(path):
        action = parsed.read(ACTION, path)
        if action is None:
            return
        if action.image is not None and action.image.value.startswith("docker://"):
            yield image_item(path, action.image, action.image.value, "action image")
        for step in action.steps:
            if step.uses is not None and step.uses.value.startswith("docker://"):
                yield image_item(path, step.uses, step.uses.value, "step image")
        return
    if not is_workflow_path(path):
        return
    workflow = parsed.read(WORKFLOW, path)
    for job in workflow.jobs if workflow else ():
        job_id = job.id.value
        if job.container_image is not None:
            image = job.container_image
            yield image_item(path, image, image.value, "job container image", job_id)
        for service in job.service_images:
            yield image_item(path, service, service.value, "service container image", job_id)
        for step in job.steps:
            if step.uses is not None and step.uses.value.startswith("docker://"):
                yield image_item(path, step.uses, step.uses.value, "step image", job_id)
