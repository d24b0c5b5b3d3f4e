"""bun: `package.json` locked by `bun.lock` (text, bun 1.2 and later) or `bun.lockb`
(binary). Its lockfile is not judged for drift yet: only whether one covers the manifest."""

from __future__ import annotations

from repo_harden.ecosystems import package_json
from repo_harden.ecosystems.ecosystem import Ecosystem, named_hint

LOCKFILES = ("bun.lock", "bun.lockb")

ECOSYSTEM = Ecosystem(
    name="bun",
    manifests=("package.json",),
    lockfiles=LOCKFILES,
    lock_command="bun install",
    declares=package_json.declares,
    covers=package_json.covered_by(LOCKFILES),
    chosen=package_json.chosen_by("bun"),
    hint=named_hint("bun.lock"),
    workspace_members=package_json.workspace_members,
    purl_type="npm",
)
