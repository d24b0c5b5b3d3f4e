"""The `DigestSource` of `repo-harden fix`: each distinct image tag asked once per run, of its
registry (or the URL `--registry-url` gives that registry), and kept in the `FactCache`
for `lifetime` seconds, so a second run asks nothing. Offline (`offline_reason` set),
only the cache answers. Registries are asked side by side; the images of one registry
share one token."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from repo_harden.core.errors import UsageError
from repo_harden.core.pins import FactCache, ImageTag, Unresolved
from repo_harden.core.redact import REDACTOR
from repo_harden.core.urls import is_loopback_host
from repo_harden.registries.docker_config import Credentials, registry_host
from repo_harden.registries.oci import Registry, RegistryError

if TYPE_CHECKING:
    import urllib3

DIGEST_LIFETIME = 24 * 3600.0
DOCKER_HUB_URL = "https://registry-1.docker.io"
CONNECT_TIMEOUT, READ_TIMEOUT = 10.0, 20.0


def parse_registry_urls(values: Collection[str], *, allow_http: bool) -> dict[str, str]:
    """`--registry-url HOST=URL` options as {host: base URL}; `UsageError` for a bad one,
    and for plain http beyond this machine unless `allow_http` (credentials from the Docker
    config would cross the network unencrypted)."""
    found: dict[str, str] = {}
    for value in values:
        host, equals, url = value.partition("=")
        parts = urlsplit(url.strip())
        if (
            not equals
            or not host.strip()
            or parts.scheme not in ("http", "https")
            or not parts.netloc
        ):
            raise UsageError(
                f"--registry-url: expected HOST=URL, such as docker.io=https://mirror.example, "
                f"not {value!r}"
            )
        if parts.scheme == "http" and not allow_http and not is_loopback_host(parts.hostname or ""):
            raise UsageError(
                f"--registry-url {value}: plain http would send registry credentials "
                "unencrypted; use https, or pass --allow-insecure-http"
            )
        found[registry_host(host.strip())] = url.strip().rstrip("/")
    return found


class RegistryDigests:
    """See the module's docstring. Thread-safe; `requests` counts what was sent."""

    def __init__(
        self,
        *,
        registry_urls: Mapping[str, str] | None = None,
        credentials: Mapping[str, Credentials] | None = None,
        cache: FactCache | None = None,
        offline_reason: str | None = None,
        lifetime: float = DIGEST_LIFETIME,
        workers: int = 4,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._urls = dict(registry_urls or {})
        self._credentials = dict(credentials or {})
        self._cache = cache
        self._offline_reason = offline_reason
        self._lifetime = lifetime
        self._workers = workers
        self._sleep = sleep
        self._known: dict[str, str | Unresolved] = {}
        self._lock = threading.Lock()
        self._http: urllib3.PoolManager | None = None
        self._registries: dict[str, Registry] = {}

    @property
    def requests(self) -> int:
        return sum(registry.requests for registry in self._registries.values())

    def digests(self, images: Collection[ImageTag]) -> Mapping[ImageTag, str | Unresolved]:
        wanted = list(dict.fromkeys(images))
        with self._lock:
            missing = [image for image in wanted if self._recall(image) is None]
            by_registry: dict[str, list[ImageTag]] = {}
            for image in missing:
                by_registry.setdefault(image.registry, []).append(image)
            groups = list(by_registry.values())
            if self._offline_reason is None:
                for host in by_registry:
                    self._registry(host)  # made here, not by the threads that ask
            if len(groups) <= 1:
                answers = [self._ask(group) for group in groups]
            else:
                with ThreadPoolExecutor(min(self._workers, len(groups))) as pool:
                    answers = list(pool.map(self._ask, groups))
            for answer in answers:
                for image, digest in answer.items():
                    self._known[image.key] = digest
                    if isinstance(digest, str) and self._cache is not None:
                        self._cache.put_fact("image-digest", image.key, digest)
            return {image: self._known[image.key] for image in wanted}

    def _recall(self, image: ImageTag) -> str | Unresolved | None:
        known = self._known.get(image.key)
        if known is None and self._cache is not None:
            max_age = None if self._offline_reason is not None else self._lifetime
            stored = self._cache.fact("image-digest", image.key, max_age)
            if stored is not None:
                known = self._known[image.key] = stored
        return known

    def _ask(self, images: list[ImageTag]) -> dict[ImageTag, str | Unresolved]:
        """The digests of one registry's images: the first asked alone (it meets the
        challenge, and its token covers the rest), then the rest side by side."""
        if self._offline_reason is not None:
            return dict.fromkeys(images, Unresolved(self._offline_reason))
        registry = self._registry(images[0].registry)
        repositories = [image.repository for image in images]

        def ask(image: ImageTag, also: Collection[str] = ()) -> str | Unresolved:
            try:
                return registry.digest(image.repository, image.tag, also=also)
            except RegistryError as error:
                return Unresolved(REDACTOR(str(error)))

        first, rest = images[0], images[1:]
        found = {first: ask(first, [name for name in repositories if name != first.repository])}
        if len(rest) <= 1:
            found.update((image, ask(image)) for image in rest)
        else:
            with ThreadPoolExecutor(min(self._workers, len(rest))) as pool:
                found.update(zip(rest, pool.map(ask, rest), strict=True))
        return found

    def _registry(self, host: str) -> Registry:
        registry = self._registries.get(host)
        if registry is None:
            default = DOCKER_HUB_URL if host == "docker.io" else f"https://{host}"
            registry = Registry(
                host,
                self._urls.get(host, default),
                self._pool(),
                credentials=self._credentials.get(host),
                sleep=self._sleep,
            )
            self._registries[host] = registry
        return registry

    def _pool(self) -> urllib3.PoolManager:
        if self._http is None:
            import urllib3

            self._http = urllib3.PoolManager(
                num_pools=16,
                maxsize=self._workers,
                retries=False,
                timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT),
            )
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.clear()
