"""Every package manager repo-harden knows, in one list. Adding one is a module with an
`ECOSYSTEM` and a line here; the rules and the hooks' file patterns follow from it.

The order matters where ecosystems share a manifest: LCK001 names their lockfiles in this
order and asks them in this order whether one covers the manifest.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from functools import cache

from repo_harden.ecosystems import (
    bun,
    bundler,
    cargo,
    composer,
    go,
    mix,
    npm,
    nuget,
    pdm,
    pip_tools,
    pipenv,
    pnpm,
    poetry,
    pub,
    pylock,
    swiftpm,
    terraform,
    uv,
    yarn,
)
from repo_harden.ecosystems.ecosystem import Ecosystem

ECOSYSTEMS: tuple[Ecosystem, ...] = (
    npm.ECOSYSTEM,
    yarn.ECOSYSTEM,
    pnpm.ECOSYSTEM,
    bun.ECOSYSTEM,
    uv.ECOSYSTEM,
    poetry.ECOSYSTEM,
    pdm.ECOSYSTEM,
    pylock.ECOSYSTEM,
    pip_tools.ECOSYSTEM,
    pipenv.ECOSYSTEM,
    go.ECOSYSTEM,
    cargo.ECOSYSTEM,
    composer.ECOSYSTEM,
    bundler.ECOSYSTEM,
    pub.ECOSYSTEM,
    swiftpm.ECOSYSTEM,
    mix.ECOSYSTEM,
    terraform.ECOSYSTEM,
    nuget.ECOSYSTEM,
)

# Manifests whose lockfile may sit at the root of a workspace above them.
WORKSPACE_MANIFESTS = frozenset(
    manifest for e in ECOSYSTEMS if e.workspace_members for manifest in e.manifests
)


def _matches(patterns: tuple[str, ...], name: str) -> bool:
    return any(fnmatchcase(name, pattern) for pattern in patterns)


@cache
def for_manifest(name: str) -> tuple[Ecosystem, ...]:
    """The ecosystems that lock a manifest of this file name, in registry order."""
    return tuple(e for e in ECOSYSTEMS if _matches(e.manifests, name))


@cache
def judged_lockfiles() -> dict[str, tuple[Ecosystem, str]]:
    """Each lockfile name LCK002 judges, with its ecosystem and the manifest name it locks."""
    return {
        lockfile: (e, e.manifests[0])
        for e in ECOSYSTEMS
        if e.drift is not None
        for lockfile in e.lockfiles
    }


def manifest_patterns() -> tuple[str, ...]:
    """LCK001's files: every manifest name any ecosystem locks."""
    return tuple(dict.fromkeys(m for e in ECOSYSTEMS for m in e.manifests))


def pair_patterns() -> tuple[str, ...]:
    """LCK002's files: judged lockfiles, their manifests, and pnpm-workspace.yaml (its
    members, and pnpm 10's overrides, are part of the pair)."""
    names = {
        name for lock, (_, manifest) in judged_lockfiles().items() for name in (lock, manifest)
    }
    return tuple(sorted({*names, "pnpm-workspace.yaml"}))


def locked_package_patterns(purl_type: str) -> tuple[str, ...]:
    """The lockfiles whose packages can be read, of one registry (`pypi` for LCK006)."""
    return tuple(
        lockfile
        for e in ECOSYSTEMS
        if e.locked_packages is not None and e.purl_type == purl_type
        for lockfile in e.lockfiles
    )


def for_lockfile(name: str) -> Ecosystem | None:
    """The ecosystem whose lockfile has this file name (`pylock.dev.toml` is pylock's)."""
    return next((e for e in ECOSYSTEMS if _matches(e.lockfiles, name)), None)
