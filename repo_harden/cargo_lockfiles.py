"""`Cargo.toml` and `Cargo.lock`: a direct dependency must be locked at a version its
requirement allows, as `cargo build --locked` demands.

Cargo's requirement syntax is node-semver's with two differences, bridged here: a
bare version means `^version`, and comparators are separated by commas.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from repo_harden.dependencies import Drift
from repo_harden.documents import TomlDocument, string, table
from repo_harden.model import Position
from repo_harden.node_semver import satisfies

_KINDS = ("dependencies", "dev-dependencies", "build-dependencies")
_LOCKED = re.compile(r'^name\s*=\s*"([^"]+)"\s*\nversion\s*=\s*"([^"]+)"', re.MULTILINE)


@dataclass(frozen=True)
class CargoDependency:
    key: str  # as written in the table
    package: str  # the crate's real name (`package = ...` renames)
    requirement: str | None
    at: Position | None


@dataclass(frozen=True)
class CargoManifest:
    path: str
    document: TomlDocument

    @property
    def package_name(self) -> str | None:
        return string(table(self.document.root, "package").get("name"))

    @property
    def workspace(self) -> Mapping[str, object] | None:
        root = self.document.root
        return table(root, "workspace") if "workspace" in root else None

    def dependencies(self, workspace_root: CargoManifest | None) -> Iterator[CargoDependency]:
        """Every direct dependency, target-specific ones included."""
        inherited = table(workspace_root.workspace if workspace_root else {}, "dependencies")
        for key_path, entries in self._tables():
            for key, value in entries.items():
                spec: object = value
                if table(value).get("workspace") is True:
                    base = inherited.get(key)
                    spec = {"version": base} if isinstance(base, str) else table(base)
                package = string(table(spec).get("package")) or key
                requirement = string(spec) or string(table(spec).get("version"))
                at = self.document.locate((*key_path, key))
                yield CargoDependency(key, package, requirement, at)

    def _tables(self) -> Iterator[tuple[tuple[str, ...], Mapping[str, object]]]:
        root = self.document.root
        if "package" not in root:
            return
        for kind in _KINDS:
            yield (kind,), table(root, kind)
        for target, values in table(root, "target").items():
            for kind in _KINDS:
                yield ("target", target, kind), table(values, kind)

    @property
    def declares_dependencies(self) -> bool:
        return any(entries for _, entries in self._tables()) or bool(
            table(self.workspace or {}, "dependencies")
        )


def locked_crates(lock_text: str) -> dict[str, list[str]]:
    """Locked versions by crate name (Cargo writes `name` then `version` in each entry)."""
    found: dict[str, list[str]] = {}
    for name, version in _LOCKED.findall(lock_text):
        found.setdefault(name, []).append(version)
    return found


def cargo_lock_drift(
    manifest: CargoManifest, workspace_root: CargoManifest | None, locked: Mapping[str, list[str]]
) -> list[Drift]:
    drift = []
    name = manifest.package_name
    if name is not None and name not in locked:
        at = manifest.document.locate(("package", "name"))
        drift.append(Drift(name, f"the package `{name}` itself is not in Cargo.lock", at))
    for dependency in manifest.dependencies(workspace_root):
        versions = locked.get(dependency.package)
        if not versions:
            problem = f"`{dependency.key}` is not in Cargo.lock"
        elif dependency.requirement and not any(
            cargo_requirement_allows(dependency.requirement, v) is not False for v in versions
        ):
            problem = (
                f"`{dependency.key}` requires `{dependency.requirement}`, "
                f"but Cargo.lock locks {', '.join(versions)}"
            )
        else:
            continue
        drift.append(Drift(dependency.key, problem, dependency.at))
    return drift


def cargo_requirement_allows(requirement: str, version: str) -> bool | None:
    parts = [part.strip() for part in requirement.split(",")]
    comparators = [f"^{part}" if part[:1].isdigit() else part for part in parts]
    return satisfies(version, " ".join(comparators))
