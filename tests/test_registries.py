"""Image digests from container registries: image references as Docker reads them, the
OCI distribution API against a fake registry (Docker's token flow, Basic auth with the
Docker config's credentials, image indexes, a missing `Docker-Content-Digest`, 401, 404,
429), the cache, and credentials that never reach a message."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from repo_harden.audit.store import Store
from repo_harden.core.errors import UsageError
from repo_harden.core.pins import ImageTag, Unresolved, parse_image
from repo_harden.core.redact import REDACTOR
from repo_harden.registries.digests import RegistryDigests, parse_registry_urls
from repo_harden.registries.docker_config import Credentials, registry_credentials
from tests.fake_registry import FakeRegistry

NODE = ImageTag("docker.io", "library/node", "20")
PARSED = [
    ("node", ImageTag("docker.io", "library/node", "latest")),
    ("node:20", NODE),
    ("docker://node:20", NODE),
    ("library/node:20", NODE),
    ("index.docker.io/library/node:20", NODE),
    ("bitnami/redis:7.2", ImageTag("docker.io", "bitnami/redis", "7.2")),
    ("ghcr.io/acme/app:1.0", ImageTag("ghcr.io", "acme/app", "1.0")),
    ("GHCR.io/acme/app", ImageTag("ghcr.io", "acme/app", "latest")),
    ("localhost:5000/app:dev", ImageTag("localhost:5000", "app", "dev")),
    ("registry.example:443/a/b/c:v1", ImageTag("registry.example:443", "a/b/c", "v1")),
    ("node:20@sha256:" + "a" * 64, None),  # pinned already
    ("Node:20", None),  # repository names are lower case
    ("node:${VERSION}", None),
    ("", None),
]


@pytest.mark.parametrize(("text", "expected"), PARSED, ids=[case[0] or "empty" for case in PARSED])
def test_image_references(text: str, expected: ImageTag | None) -> None:
    assert parse_image(text) == expected


@pytest.fixture
def registry() -> Iterator[FakeRegistry]:
    with FakeRegistry() as fake:
        yield fake


def digests(
    registry: FakeRegistry,
    *,
    credentials: dict[str, Credentials] | None = None,
    cache: Store | None = None,
) -> RegistryDigests:
    urls = {"docker.io": registry.url, "ghcr.io": registry.url}
    return RegistryDigests(
        registry_urls=urls, credentials=credentials, cache=cache, sleep=lambda seconds: None
    )


def test_one_token_for_every_repository_and_the_index_digest(registry: FakeRegistry) -> None:
    node = registry.add_image("library/node", "20", platforms=3)
    postgres = registry.add_image("library/postgres", "16")
    redis = registry.add_image("bitnami/redis", "7", platforms=0)
    images = [
        NODE,
        ImageTag("docker.io", "library/postgres", "16"),
        ImageTag("docker.io", "bitnami/redis", "7"),
    ]
    found = digests(registry).digests(images)
    assert [found[image] for image in images] == [node, postgres, redis]
    assert registry.count("GET", "/token") == 1
    assert registry.count("HEAD") == 4  # the first meets the challenge, then one each
    (token_request,) = [seen for seen in registry.requests if seen.path == "/token"]
    assert token_request.query.count("scope=repository") == 3


def test_a_registry_that_sends_no_digest_header_is_hashed(registry: FakeRegistry) -> None:
    registry.digest_header = False
    expected = registry.add_image("library/node", "20")
    assert digests(registry).digests([NODE])[NODE] == expected
    assert registry.count("GET", "/v2/") == 1


def test_basic_auth_with_the_docker_config(registry: FakeRegistry, tmp_path: Path) -> None:
    registry.auth = "basic"
    registry.users = {"robot": "s3cret-password"}
    expected = registry.add_image("library/node", "20")
    config = tmp_path / "config.json"
    auth = base64.b64encode(b"robot:s3cret-password").decode()
    config.write_text(json.dumps({"auths": {"https://index.docker.io/v1/": {"auth": auth}}}))
    credentials = registry_credentials(config)
    assert digests(registry, credentials=credentials).digests([NODE])[NODE] == expected
    # Without the credentials, the registry's refusal is the reason, and it says what to do.
    refused = digests(registry).digests([NODE])[NODE]
    assert isinstance(refused, Unresolved)
    assert refused.reason == (
        "docker.io refused to show `library/node` (HTTP 401): it needs credentials "
        "(`docker login docker.io`)"
    )
    assert "s3cret-password" not in REDACTOR("the password s3cret-password")


def test_a_token_service_that_wants_credentials(registry: FakeRegistry, tmp_path: Path) -> None:
    registry.anonymous = False
    registry.users = {"robot": "pass-word-1"}
    expected = registry.add_image("acme/private", "1")
    image = ImageTag("ghcr.io", "acme/private", "1")
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps({"auths": {"ghcr.io": {"username": "robot", "password": "pass-word-1"}}})
    )
    assert (
        digests(registry, credentials=registry_credentials(config)).digests([image])[image]
        == expected
    )
    refused = digests(registry).digests([image])[image]
    assert refused == Unresolved("ghcr.io's token service refused (HTTP 401)")


def test_missing_tags_and_rate_limits_are_reasons(registry: FakeRegistry) -> None:
    registry.add_image("library/node", "20")
    missing = ImageTag("docker.io", "library/node", "99")
    found = digests(registry).digests([missing])
    assert found[missing] == Unresolved("docker.io has no tag `99` of `library/node` (HTTP 404)")
    registry.fail("/manifests/", 429, times=1, headers={"Retry-After": "2"})
    waited: list[float] = []
    asked = RegistryDigests(registry_urls={"docker.io": registry.url}, sleep=waited.append)
    assert isinstance(asked.digests([NODE])[NODE], str)  # asked again after Retry-After
    assert waited == [2.0]
    registry.fail("/manifests/", 429, times=5, headers={"Retry-After": "600"})
    limited = digests(registry).digests([NODE])[NODE]
    assert isinstance(limited, Unresolved)
    assert limited.reason.startswith("docker.io refused: too many requests (HTTP 429)")


def test_a_token_realm_elsewhere_over_http_is_refused(registry: FakeRegistry) -> None:
    registry.realm = "http://169.254.169.254/token"
    registry.add_image("library/node", "20")
    found = digests(registry).digests([NODE])[NODE]
    assert found == Unresolved(
        "docker.io sends its token requests to http://169.254.169.254, which is neither https "
        "nor the registry itself"
    )
    assert registry.count("GET", "/token") == 0


def test_an_unreachable_registry_is_a_reason() -> None:
    found = RegistryDigests(registry_urls={"docker.io": "http://127.0.0.1:9"}).digests([NODE])
    assert found[NODE] == Unresolved("docker.io could not be reached (NewConnectionError)")


def test_the_cache_answers_the_second_time_and_offline(
    registry: FakeRegistry, tmp_path: Path
) -> None:
    expected = registry.add_image("library/node", "20")
    store = Store(tmp_path / "cache.sqlite3")
    assert digests(registry, cache=store).digests([NODE])[NODE] == expected
    asked = len(registry.requests)
    assert digests(registry, cache=store).digests([NODE])[NODE] == expected
    offline = RegistryDigests(cache=store, offline_reason="offline")
    assert offline.digests([NODE])[NODE] == expected
    assert len(registry.requests) == asked
    other = ImageTag("docker.io", "library/node", "22")
    assert offline.digests([other])[other] == Unresolved("offline")


def test_registry_url_options() -> None:
    urls = ["docker.io=http://127.0.0.1:5000/", "GHCR.IO=https://m.example"]
    assert parse_registry_urls(urls, allow_http=False) == {
        "docker.io": "http://127.0.0.1:5000",
        "ghcr.io": "https://m.example",
    }
    for bad in ("docker.io", "docker.io=ftp://x", "=https://x"):
        with pytest.raises(UsageError, match="--registry-url: expected HOST=URL"):
            parse_registry_urls([bad], allow_http=False)
    with pytest.raises(UsageError, match="plain http would send registry credentials"):
        parse_registry_urls(["docker.io=http://mirror.example"], allow_http=False)
    assert parse_registry_urls(["docker.io=http://mirror.example"], allow_http=True) == {
        "docker.io": "http://mirror.example"
    }


def test_a_broken_docker_config_gives_no_credentials(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text("{not json")
    assert registry_credentials(config) == {}
    config.write_text(
        json.dumps({"auths": {"x.example": {"auth": "!!!"}}, "credsStore": "desktop"})
    )
    assert registry_credentials(config) == {}
    assert registry_credentials(tmp_path / "absent.json") == {}


def test_index_digest_is_the_one_docker_pulls() -> None:
    """The digest a pin names is the sha256 of the index's bytes, as the registry serves them."""
    with FakeRegistry(auth=None) as registry:
        digest = registry.add_image("library/node", "20")
        index = registry.images[("library/node", "20")].index
        assert index is not None
        assert digest == "sha256:" + hashlib.sha256(index).hexdigest()
        assert digests(registry).digests([NODE])[NODE] == digest
