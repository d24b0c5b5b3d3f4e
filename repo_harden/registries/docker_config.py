"""Registry credentials from the Docker config (`$DOCKER_CONFIG/config.json`, else
`~/.docker/config.json`), as `docker login` writes them: `auths` entries with `auth`
(base64 `user:password`) or `username` and `password`. Credential helpers (`credsStore`,
`credHelpers`) are programs to run, and are not run: a registry they serve is asked
anonymously. Every password read is registered with the redactor at once."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from repo_harden.core.record import field, record
from repo_harden.core.redact import REDACTOR

MAX_CONFIG_BYTES = 1024 * 1024
DOCKER_HUB_ALIASES = frozenset(
    {"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"}
)


@record
class Credentials:
    username: str
    password: str = field(repr=False)


def docker_config_path(environ: Mapping[str, str], home: Path) -> Path:
    folder = environ.get("DOCKER_CONFIG")
    return (Path(folder) if folder else home / ".docker") / "config.json"


def registry_credentials(path: Path) -> dict[str, Credentials]:
    """Credentials by registry host (`docker.io` for Docker Hub); {} when the file is absent,
    unreadable or not a Docker config (a broken config never stops a fix)."""
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_CONFIG_BYTES + 1)
        document = json.loads(raw) if len(raw) <= MAX_CONFIG_BYTES else None
    except (OSError, ValueError):
        return {}
    auths = document.get("auths") if isinstance(document, dict) else None
    found: dict[str, Credentials] = {}
    for server, entry in auths.items() if isinstance(auths, dict) else ():
        credentials = _credentials(entry)
        if credentials is not None:
            found[registry_host(str(server))] = credentials
    return found


def registry_host(server: str) -> str:
    """`docker.io` for Docker Hub's many names; else the host (and port) of a server name
    or URL, lower-cased."""
    host = urlsplit(server).netloc if "://" in server else server.split("/", 1)[0]
    host = host.lower()
    return "docker.io" if host in DOCKER_HUB_ALIASES else host


def _credentials(entry: object) -> Credentials | None:
    if not isinstance(entry, dict):
        return None
    username, password = entry.get("username"), entry.get("password")
    encoded = entry.get("auth")
    if isinstance(encoded, str) and encoded:
        try:
            decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        username, _, password = decoded.partition(":")
    if not isinstance(username, str) or not isinstance(password, str) or not password:
        return None
    REDACTOR.add(password)
    REDACTOR.add(base64.b64encode(f"{username}:{password}".encode()).decode())
    return Credentials(username, password)
