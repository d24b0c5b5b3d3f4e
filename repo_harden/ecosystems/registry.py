"""Every package manager repo-harden knows, in one table. Adding one is a module with an
`ECOSYSTEM` and a line here.

The table also states each ecosystem's file names, so that choosing the files LCK001,
LCK002 and LCK006 read never loads the package managers' code: a hook given a workflow
pays nothing for them. `tests/test_ecosystems.py` checks the table against the modules,
as `tests/test_catalogue.py` checks the rule codes against theirs.

The order matters where ecosystems share a manifest: LCK001 names their lockfiles in this
order and asks them in this order whether one covers the manifest.
"""

from __future__ import annotations

import sys
from fnmatch import fnmatchcase
from functools import cache
from typing import TYPE_CHECKING

from repo_harden.core.record import record

if TYPE_CHECKING:
    from repo_harden.ecosystems.ecosystem import Ecosystem


@record
class Files:
    """What an ecosystem's module declares about files, restated for the index: its
    manifests and lockfiles (file-name globs), whether LCK002 judges its lockfiles, and the
    registry of the packages it locks when they can be read (`pypi` for LCK006)."""

    manifests: tuple[str, ...]
    lockfiles: tuple[str, ...]
    judged: bool = False
    packages: str | None = None


ECOSYSTEMS: dict[str, Files] = {
    "npm": Files(
        ("package.json",),
        ("package-lock.json", "npm-shrinkwrap.json"),
        judged=True,
        packages="npm",
    ),
    "yarn": Files(("package.json",), ("yarn.lock",), judged=True, packages="npm"),
    "pnpm": Files(("package.json",), ("pnpm-lock.yaml",), judged=True, packages="npm"),
    "bun": Files(("package.json",), ("bun.lock", "bun.lockb")),
    "uv": Files(("pyproject.toml",), ("uv.lock",), judged=True, packages="pypi"),
    "poetry": Files(("pyproject.toml",), ("poetry.lock",), judged=True, packages="pypi"),
    "pdm": Files(("pyproject.toml",), ("pdm.lock",), packages="pypi"),
    "pylock": Files(("pyproject.toml",), ("pylock.toml", "pylock.*.toml"), packages="pypi"),
    "pip_tools": Files(("pyproject.toml",), ("requirements*.txt",)),
    "pipenv": Files(("Pipfile",), ("Pipfile.lock",), judged=True, packages="pypi"),
    "go": Files(("go.mod",), ("go.sum",), judged=True, packages="golang"),
    "cargo": Files(("Cargo.toml",), ("Cargo.lock",), judged=True, packages="cargo"),
    "composer": Files(("composer.json",), ("composer.lock",), judged=True, packages="composer"),
    "bundler": Files(("Gemfile", "gems.rb"), ("Gemfile.lock", "gems.locked")),
    "pub": Files(("pubspec.yaml",), ("pubspec.lock",)),
    "swiftpm": Files(("Package.swift",), ("Package.resolved",)),
    "mix": Files(("mix.exs",), ("mix.lock",)),
    "terraform": Files(("*.tf",), (".terraform.lock.hcl",)),
    "nuget": Files(("*.csproj", "*.fsproj", "*.vbproj"), ("packages.lock.json",)),
}


def ecosystem(name: str) -> Ecosystem:
    """The ecosystem `name` of the table, its module loaded on first use."""
    module_name = f"repo_harden.ecosystems.{name}"
    __import__(module_name)  # unlike importlib.import_module, shown by `-X importtime`
    found: Ecosystem = sys.modules[module_name].ECOSYSTEM
    return found


def _matches(patterns: tuple[str, ...], name: str) -> bool:
    return any(fnmatchcase(name, pattern) for pattern in patterns)


@cache
def for_manifest(name: str) -> tuple[Ecosystem, ...]:
    """The ecosystems that lock a manifest of this file name, in table order."""
    return tuple(ecosystem(e) for e, files in ECOSYSTEMS.items() if _matches(files.manifests, name))


@cache
def for_lockfile(name: str) -> Ecosystem | None:
    """The ecosystem whose lockfile has this file name (`pylock.dev.toml` is pylock's)."""
    found = next((e for e, files in ECOSYSTEMS.items() if _matches(files.lockfiles, name)), None)
    return ecosystem(found) if found is not None else None


@cache
def judged_lockfiles() -> dict[str, str]:
    """Each lockfile name LCK002 judges, with the manifest name it locks."""
    return {
        lockfile: files.manifests[0]
        for files in ECOSYSTEMS.values()
        if files.judged
        for lockfile in files.lockfiles
    }


def manifest_patterns() -> tuple[str, ...]:
    """LCK001's files: every manifest name an ecosystem locks."""
    return tuple(dict.fromkeys(m for files in ECOSYSTEMS.values() for m in files.manifests))


def pair_patterns() -> tuple[str, ...]:
    """LCK002's files: judged lockfiles, their manifests, and pnpm-workspace.yaml (its
    members, and pnpm 10's overrides, are part of the pair)."""
    judged = judged_lockfiles()
    return tuple(sorted({*judged, *judged.values(), "pnpm-workspace.yaml"}))


def locked_package_patterns(packages: str | None = None) -> tuple[str, ...]:
    """The lockfiles whose packages of one registry can be read (`pypi` for LCK006); of
    every registry when `packages` is None (the inventory)."""
    return tuple(
        lockfile
        for files in ECOSYSTEMS.values()
        if files.packages is not None and packages in (None, files.packages)
        for lockfile in files.lockfiles
    )
