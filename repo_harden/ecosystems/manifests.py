"""Manifests read once per run through the parse cache, for LCK001 and LCK002 alike."""

from __future__ import annotations

from repo_harden.core.parsed import ParsedFiles
from repo_harden.ecosystems.cargo import CargoManifest
from repo_harden.ecosystems.composer import ComposerJson
from repo_harden.ecosystems.npm import PackageJson, read_package_json
from repo_harden.ecosystems.python import Pyproject
from repo_harden.readers.documents import JSON, TOML
from repo_harden.readers.yaml import YAML, fields, mapping_items, scalar


def package_json(parsed: ParsedFiles, path: str) -> PackageJson | None:
    document = parsed.read(JSON, path)
    if document is None:
        return None
    return parsed.memo("package.json", path, lambda: read_package_json(path, document))


def pnpm_workspace_overrides(parsed: ParsedFiles, path: str) -> dict[str, str] | None:
    """pnpm-workspace.yaml's `overrides` (pnpm 10 reads them there); None when the file
    cannot be read (it is RH000)."""
    root = parsed.read(YAML, path)
    if path in parsed.problems:
        return None
    listed = fields(root).get("overrides")
    return {
        key.value: value.value
        for key, node in mapping_items(listed)
        if (value := scalar(node)) is not None
    }


def pyproject(parsed: ParsedFiles, path: str) -> Pyproject | None:
    document = parsed.read(TOML, path)
    return Pyproject(path, document) if document is not None else None


def cargo_manifest(parsed: ParsedFiles, path: str) -> CargoManifest | None:
    document = parsed.read(TOML, path)
    return CargoManifest(path, document) if document is not None else None


def composer_json(parsed: ParsedFiles, path: str) -> ComposerJson | None:
    document = parsed.read(JSON, path)
    if document is None:
        return None

    def checked() -> ComposerJson:
        manifest = ComposerJson(path, document)
        manifest.data  # noqa: B018 - raises DocumentError when the top level is not an object
        return manifest

    return parsed.memo("composer.json", path, checked)
