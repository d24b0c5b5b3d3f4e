"""LCK002: every lockfile agrees with its manifest the way its package manager checks it
before a frozen install. What each manager checks is its ecosystem's `drift`
(`repo_harden.ecosystems`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from repo_harden.core.declare import CheckContext, check
from repo_harden.core.model import Finding, Position, Severity
from repo_harden.ecosystems import registry
from repo_harden.ecosystems.tree import Tree, folder_of, join

if TYPE_CHECKING:
    from repo_harden.ecosystems.ecosystem import Drift, Pair


@check("LCK002", "stale-lockfile", Severity.ERROR, registry.pair_patterns())
def stale_lockfile(ctx: CheckContext) -> Iterator[Finding]:
    """A lockfile is out of sync with its manifest.

    ## What it does
    Compares each lockfile with the manifests it locks, the way the package
    manager does before a frozen install, and reports each dependency that
    differs, with the command that brings the lockfile up to date:

    - `package-lock.json`, `npm-shrinkwrap.json` (`npm ci`): a declared
      dependency that is not locked where Node would find it, or locked at a
      version outside its range (node-semver rules); a git, file or tag spec
      that differs from the lockfile's record. Workspace members too.
    - `yarn.lock`, classic (`yarn install --frozen-lockfile`): a `name@range`
      with no entry (changed `resolutions` are accepted, as yarn 1 accepts
      them); berry (`yarn install --immutable`): a workspace entry whose
      dependencies differ from its `package.json`, or a root `resolutions`
      entry for a locked package that has no entry of its own.
    - `pnpm-lock.yaml` (`pnpm install --frozen-lockfile`): an importer whose
      specifiers differ from its `package.json` (with `autoInstallPeers`,
      peers count; an override replaces the spec of the direct dependency it
      names, and `-` removes it), lockfile versions 5 to 9; and recorded
      `overrides` that differ from the root `package.json`'s `pnpm.overrides`
      and `resolutions` (or pnpm 10's `overrides` in `pnpm-workspace.yaml`),
      with `$name` references resolved as pnpm resolves them.
    - `uv.lock` (`uv lock --locked`): the requirements recorded for each
      workspace project differ from `pyproject.toml` (dependencies, extras and
      dependency groups, compared as `packaging` compares specifiers).
    - `poetry.lock` (`poetry check --lock`) and `Pipfile.lock` (`pipenv install
      --deploy`): the content hash, recomputed as every release of Poetry
      since 1.0 and Pipenv compute it, does not match.
    - `composer.lock`: Composer's `content-hash` (an MD5 of the relevant keys
      as PHP encodes them) does not match.
    - `Cargo.lock` (`cargo build --locked`): a direct dependency of a workspace
      member that is not locked at a version its requirement allows, or that the
      member's own entry in the lockfile does not list.
    - `go.sum`: a required module version with no checksum line.

    A dependency removed from the manifest but still locked is reported where
    the tool would refuse it (yarn berry, pnpm, uv), not for npm, whose `npm ci`
    accepts it. The finding is on the manifest line that declares the
    dependency; when only the lockfile (or `pnpm-workspace.yaml`) is checked,
    as by a hook run on a commit of just that file, it is on that file.

    ## Why is this bad?
    CI that installs with a frozen lockfile fails; CI that does not installs
    something nobody reviewed: a new dependency resolved on the build machine,
    at whatever version the registry serves that day. Either way the lockfile
    no longer says what runs.

    ## Example
    `package.json` asks for `ms` 3, while `package-lock.json` still locks `ms`
    2.1.3:
    ```json title="package.json"
    {"name": "web", "dependencies": {"ms": "^3.0.0"}}
    ```
    ```json title="package-lock.json"
    {
      "name": "web",
      "lockfileVersion": 3,
      "packages": {
        "": {"name": "web", "dependencies": {"ms": "^2.1.3"}},
        "node_modules/ms": {"version": "2.1.3"}
      }
    }
    ```

    ## Fix
    Run the command the message names (`npm install`, `yarn install`, `pnpm
    install`, `uv lock`, `poetry lock`, `pipenv lock`, `composer update`,
    `cargo update --workspace`, `go mod tidy`) and commit the manifest and the
    lockfile together:
    ```json title="package-lock.json"
    {
      "name": "web",
      "lockfileVersion": 3,
      "packages": {
        "": {"name": "web", "dependencies": {"ms": "^3.0.0"}},
        "node_modules/ms": {"version": "3.0.0"}
      }
    }
    ```

    ## References
    - https://docs.npmjs.com/cli/commands/npm-ci
    - https://docs.astral.sh/uv/concepts/projects/sync/#checking-if-the-lockfile-is-up-to-date
    - https://python-poetry.org/docs/cli/#check
    """
    from repo_harden.ecosystems.pairs import pairs_for

    tree = Tree(ctx.snapshot.paths())
    for pair in pairs_for(ctx.parsed, tree, list(ctx.files)):
        ecosystem = registry.for_lockfile(pair.lock_name)
        assert ecosystem is not None and ecosystem.drift is not None  # judged: the table says so
        for drift in ecosystem.drift(ctx.parsed, tree, pair):
            yield _stale_finding(ctx, pair, drift, ecosystem.fix_command or "")


def _stale_finding(ctx: CheckContext, pair: Pair, drift: Drift, usual_fix: str) -> Finding:
    fix = drift.fix or usual_fix
    path, at = _finding_place(ctx, pair, drift)
    message = f"{pair.lockfile} is out of sync with {pair.manifest}: {drift.problem}; {fix}"
    return ctx.finding(path, at, message, f"{pair.lockfile}\0{drift.name}\0{drift.problem}")


def _finding_place(ctx: CheckContext, pair: Pair, drift: Drift) -> tuple[str, Position | None]:
    """On the manifest, at the dependency; else on whichever side of the pair was given
    (a hook sees only the committed files): the lockfile, or the pnpm-workspace.yaml
    beside it."""
    workspace = join(folder_of(pair.lockfile), "pnpm-workspace.yaml")
    if pair.manifest in ctx.files:
        return pair.manifest, drift.at
    for given in (pair.lockfile, workspace):
        if given in ctx.files:
            return given, None
    return pair.manifest, drift.at
