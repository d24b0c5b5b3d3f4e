"""Compose files (`compose.yaml`, `docker-compose.yml` and their variants): the image each
service runs, with its position. A service that only builds (`build:` without `image:`)
runs no image from a registry and names none."""

from __future__ import annotations

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.parsed import ParsedFiles, ParseError, Reading
from repo_harden.core.record import record
from repo_harden.readers.yaml import (
    YAML,
    Node,
    Scalar,
    fields,
    is_mapping,
    mapping_items,
    position,
    scalar,
)

COMPOSE_PATTERNS = (
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
    "compose.*.yaml",
    "compose.*.yml",
    "docker-compose.*.yaml",
    "docker-compose.*.yml",
)
_COMPOSE_NAME = lazy_compile(r"(^|/)(docker-)?compose(\.[^/]+)?\.ya?ml$")


def is_compose_path(path: str) -> bool:
    return _COMPOSE_NAME.search(path) is not None


@record
class ComposeService:
    """A service and its `image:` (None when it only builds one)."""

    name: Scalar
    image: Scalar | None


def read_compose(root: Node | None) -> tuple[ComposeService, ...]:
    if root is not None and not is_mapping(root):
        raise ParseError("the top level is not a mapping, so this is not a compose file")
    services = fields(root).get("services")
    if services is not None and not is_mapping(services):
        raise ParseError("`services` is not a mapping", position(services))
    return tuple(
        ComposeService(name, scalar(fields(node).get("image")) if is_mapping(node) else None)
        for name, node in mapping_items(services)
    )


def _compose_of(parsed: ParsedFiles, path: str) -> tuple[ComposeService, ...] | None:
    root = parsed.read(YAML, path)
    return read_compose(root) if root is not None else None


COMPOSE = Reading("compose", _compose_of)
"""A compose file's services."""
