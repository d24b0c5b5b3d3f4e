"""`composer.json` and `composer.lock`: Composer's `content-hash`, recomputed as
`Composer\\Package\\Locker::getContentHash` computes it.

That is the MD5 of PHP's `json_encode` (no flags: `/` escaped as `\\/`, non-ASCII
as `\\uXXXX`) of the relevant keys, after `json_decode` into PHP arrays (an empty
object becomes `[]`) and `ksort` of the top level.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from repo_harden.core.model import Position
from repo_harden.core.parsed import ParsedFiles, Reading
from repo_harden.core.record import record
from repo_harden.ecosystems.ecosystem import (
    Declaration,
    Drift,
    Ecosystem,
    LockedPackage,
    Pair,
    lockfile_beside,
    named_hint,
)
from repo_harden.ecosystems.tree import Tree
from repo_harden.readers.documents import (
    JSON,
    DocumentError,
    JsonDocument,
    position_at,
    string,
    table,
)

_RELEVANT_KEYS = (
    "name",
    "version",
    "require",
    "require-dev",
    "conflict",
    "replace",
    "provide",
    "minimum-stability",
    "prefer-stable",
    "repositories",
    "extra",
)
_PLATFORM_PREFIXES = ("ext-", "lib-")
_PLATFORM_NAMES = frozenset(
    {
        "php",
        "php-64bit",
        "php-ipv6",
        "php-zts",
        "php-debug",
        "hhvm",
        "composer",
        "composer-plugin-api",
        "composer-runtime-api",
    }
)


@record
class ComposerJson:
    path: str
    document: JsonDocument

    @property
    def data(self) -> Mapping[str, object]:
        root = self.document.root
        if not isinstance(root, dict):
            raise DocumentError(
                "not a composer.json: the top level is not an object", Position(1, 1)
            )
        return root

    def requirements(self, section: str) -> list[str]:
        return [str(name) for name in table(self.data, section)]

    @property
    def declares_dependencies(self) -> bool:
        return any(
            not is_platform(name)
            for section in ("require", "require-dev")
            for name in self.requirements(section)
        )


def is_platform(name: str) -> bool:
    lowered = name.lower()
    return lowered in _PLATFORM_NAMES or lowered.startswith(_PLATFORM_PREFIXES)


def composer_content_hash(data: Mapping[str, object]) -> str:
    relevant: dict[str, object] = {key: data[key] for key in _RELEVANT_KEYS if key in data}
    config = table(data, "config")
    if config.get("platform") is not None:
        relevant["config"] = {"platform": config["platform"]}
    ordered = {key: relevant[key] for key in sorted(relevant)}
    encoded = json.dumps(_as_php(ordered), separators=(",", ":"), ensure_ascii=True)
    return hashlib.md5(encoded.replace("/", "\\/").encode()).hexdigest()


def _as_php(value: object) -> object:
    """JSON decoded into PHP arrays: `{}` is `[]`, keys 0..n-1 in order make a list."""
    if isinstance(value, dict):
        if list(value) == [str(i) for i in range(len(value))]:
            return [_as_php(item) for item in value.values()]
        return {key: _as_php(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_php(item) for item in value]
    return value


def composer_lock_drift(manifest: ComposerJson, lock: JsonDocument) -> list[Drift] | None:
    """None when the hash matches; else the requirements missing from the lock, or the
    mismatch itself."""
    root = lock.root
    if not isinstance(root, dict):
        raise DocumentError("not a composer.lock: the top level is not an object", Position(1, 1))
    recorded = string(root.get("content-hash"))
    if recorded is None or recorded == composer_content_hash(manifest.data):
        return None
    locked = {
        str(string(table(package).get("name")) or "").lower()
        for section in ("packages", "packages-dev")
        for package in (root.get(section) or [])
        if isinstance(package, dict)
    }
    locked |= {
        name.lower() for section in ("platform", "platform-dev") for name in table(root, section)
    }
    drift = []
    for section in ("require", "require-dev"):
        for name in manifest.requirements(section):
            if name.lower() not in locked:
                at = manifest.document.locate(section, name)
                fix = f"run `composer update {name}`"
                drift.append(Drift(name, f"`{name}` ({section}) is not in composer.lock", at, fix))
    if drift:
        return drift
    at = manifest.document.locate("require")
    problem = (
        "its content-hash no longer matches composer.json: a requirement, repository or "
        "other locked setting changed"
    )
    fix = "run `composer update <package>` for a changed requirement, else `composer update --lock`"
    return [Drift("", problem, at, fix)]


LOCKFILES = ("composer.lock",)


def _composer_json_of(parsed: ParsedFiles, path: str) -> ComposerJson | None:
    document = parsed.read(JSON, path)
    if document is None:
        return None
    manifest = ComposerJson(path, document)
    manifest.data  # noqa: B018 - raises DocumentError when the top level is not an object
    return manifest


COMPOSER_JSON = Reading("composer.json", _composer_json_of)


def declares(parsed: ParsedFiles, tree: Tree, path: str) -> Declaration | None:
    manifest = parsed.read(COMPOSER_JSON, path)
    if manifest is None or not manifest.declares_dependencies:
        return None
    return Declaration(manifest.document.locate("require"))


def drift(parsed: ParsedFiles, tree: Tree, pair: Pair) -> list[Drift]:
    manifest = parsed.read(COMPOSER_JSON, pair.manifest)
    lock = parsed.read(JSON, pair.lockfile)
    if manifest is None or lock is None:
        return []
    found = parsed.memo("composer.lock", pair.lockfile, lambda: composer_lock_drift(manifest, lock))
    return found or []


def locked_packages(parsed: ParsedFiles, path: str) -> list[LockedPackage]:
    document = parsed.read(JSON, path)
    if document is None:
        return []
    found = parsed.memo("locked-packages", path, lambda: composer_lock_packages(document))
    return found or []


def composer_lock_packages(document: JsonDocument) -> list[LockedPackage]:
    """Each package of `packages` and `packages-dev`, at its `"name"` (found by one forward
    scan, the entries being written in order). Names are lower case, as Packagist's."""
    root = document.root
    if not isinstance(root, dict):
        raise DocumentError("not a composer.lock: the top level is not an object", Position(1, 1))
    found = []
    offset = 0
    for section in ("packages", "packages-dev"):
        for package in root.get(section) or ():
            entry = table(package)
            name, version = string(entry.get("name")), string(entry.get("version"))
            if not name or not version:
                continue
            at = _find_name(document.text, name, offset)
            position = position_at(document.text, at) if at >= 0 else None
            offset = max(offset, at + 1)
            found.append(LockedPackage(name.lower(), version, position))
    return found


def _find_name(text: str, name: str, offset: int) -> int:
    """Where `"name": "<name>"` is written from `offset` on, its `/` escaped or not (PHP
    escapes it unless told not to); -1 if nowhere."""
    written = json.dumps(name)
    for text_of_name in (written, written.replace("/", "\\/")):
        found = text.find(f'"name": {text_of_name}', offset)
        if found >= 0:
            return found
    return -1


ECOSYSTEM = Ecosystem(
    name="composer",
    manifests=("composer.json",),
    lockfiles=LOCKFILES,
    lock_command="composer update",
    declares=declares,
    covers=lockfile_beside(LOCKFILES),
    hint=named_hint("composer.lock"),
    drift=drift,
    fix_command="run `composer update`",
    locked_packages=locked_packages,
    purl_type="composer",
)
