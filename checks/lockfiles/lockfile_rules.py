"""LCK001 and LCK002: every manifest that declares dependencies has a lockfile, and the
lockfile agrees with the manifest the way its package manager checks it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from repo_harden.core.declare import CheckContext, OptionSpec, check
from repo_harden.core.globs import PathMatcher
from repo_harden.core.lazy import lazy_import
from repo_harden.core.model import Finding, Position, Severity
from repo_harden.core.parsed import ParsedFiles
from repo_harden.readers.documents import JSON, TOML
from repo_harden.readers.file_kinds import MANIFEST_PATTERNS, PAIR_PATTERNS

if TYPE_CHECKING:
    from repo_harden.ecosystems import cargo as cargo_lockfiles
    from repo_harden.ecosystems import composer as composer_lockfiles
    from repo_harden.ecosystems import coverage as lockfile_coverage
    from repo_harden.ecosystems import go as go_modules
    from repo_harden.ecosystems import manifests
    from repo_harden.ecosystems import npm as npm_lockfiles
    from repo_harden.ecosystems import pairs as lockfile_pairs
    from repo_harden.ecosystems import python as python_lockfiles
    from repo_harden.ecosystems import tree as dependencies
else:
    cargo_lockfiles = lazy_import("repo_harden.ecosystems.cargo")
    composer_lockfiles = lazy_import("repo_harden.ecosystems.composer")
    dependencies = lazy_import("repo_harden.ecosystems.tree")
    go_modules = lazy_import("repo_harden.ecosystems.go")
    lockfile_coverage = lazy_import("repo_harden.ecosystems.coverage")
    lockfile_pairs = lazy_import("repo_harden.ecosystems.pairs")
    manifests = lazy_import("repo_harden.ecosystems.manifests")
    npm_lockfiles = lazy_import("repo_harden.ecosystems.npm")
    python_lockfiles = lazy_import("repo_harden.ecosystems.python")

FIX_COMMANDS = {
    "package-lock.json": "run `npm install`",
    "npm-shrinkwrap.json": "run `npm install`",
    "yarn.lock": "run `yarn install`",
    "pnpm-lock.yaml": "run `pnpm install`",
    "uv.lock": "run `uv lock`",
    "poetry.lock": "run `poetry lock` (`poetry lock --no-update` before Poetry 2)",
    "Pipfile.lock": "run `pipenv lock`",
    "composer.lock": "run `composer update`",
    "Cargo.lock": "run `cargo update --workspace`",
    "go.sum": "run `go mod tidy`",
}


@check(
    "LCK001",
    "missing-lockfile",
    Severity.WARNING,
    MANIFEST_PATTERNS,
    options=(
        OptionSpec(
            "exempt-paths",
            "manifests that need no lockfile, as globs (a published library may choose "
            'not to lock): `["pyproject.toml", "packages/sdk/**"]`',
        ),
    ),
)
def missing_lockfile_check(ctx: CheckContext) -> Iterator[Finding]:
    """A manifest declares dependencies but no lockfile pins them.

    ## What it does
    Finds dependency manifests that declare dependencies with no lockfile for
    them, beside the manifest or, for a workspace member, at the workspace root:

    | manifest | lockfile |
    |---|---|
    | `package.json` | `package-lock.json`, `yarn.lock`, `pnpm-lock.yaml`, `bun.lock`... (1) |
    | `pyproject.toml` | `uv.lock`, `poetry.lock`, `pdm.lock`, `pylock.toml`, `pylock.*.toml` (2) |
    | `Pipfile` | `Pipfile.lock` |
    | `go.mod` with `require` | `go.sum` (or a `go.work.sum`) |
    | `Cargo.toml` | `Cargo.lock` at the workspace root |
    | `Gemfile`, `gems.rb` | `Gemfile.lock`, `gems.locked` |
    | `composer.json` (not only platform packages) | `composer.lock` |
    | `pubspec.yaml` | `pubspec.lock` (a `resolution: workspace` member: the root's) |
    | `Package.swift` with remote packages | `Package.resolved` |
    | `mix.exs` with deps | `mix.lock` (umbrella apps: the umbrella's) |
    | `*.tf` with `required_providers`, in a root module | `.terraform.lock.hcl` |
    | `*.csproj`, `*.fsproj`, `*.vbproj` (3) | `packages.lock.json` |

    (1) Also `npm-shrinkwrap.json` and `bun.lockb`. A member of the root's
    `workspaces` (npm, yarn, bun) or `pnpm-workspace.yaml` is covered by the
    root's lockfile. (2) PEP 621, PEP 735, Poetry and uv dependencies; a
    requirements file compiled by pip-tools or uv also covers the project, and a
    uv workspace member is covered by the root's `uv.lock`.

    (3) Only with `RestorePackagesWithLockFile`, in the project or a
    `Directory.Build.props` above it.

    Manifests under `node_modules/`, `vendor/` and virtual environments are
    skipped; a Terraform folder with no backend, `cloud` or provider block is a
    child module, which is not locked.

    ## Why is this bad?
    Without a lockfile, every install resolves the version ranges again and
    takes whatever the registry holds that day, transitive dependencies
    included. A compromised release is installed the minute it is published,
    builds cannot be reproduced, and nothing records what was tested.

    ## Example
    A `package.json` with `"dependencies": {"express": "^4.19.0"}` and no
    lockfile beside it.

    ## Fix
    Run the package manager's lock command (the message names it: `npm
    install`, `uv lock`, `poetry lock`, `cargo generate-lockfile`, `go mod
    tidy`...), commit the lockfile, and install from it in CI (`npm ci`, `uv
    sync --locked`, `poetry install --sync`, `cargo build --locked`).

    A published library may choose not to lock; exempt its manifest:
    ```toml
    [tool.repo-harden.rules.LCK001]
    exempt-paths = ["pyproject.toml"]
    ```

    ## References
    - https://docs.npmjs.com/cli/configuring-npm/package-lock-json
    - https://docs.astral.sh/uv/concepts/projects/sync/
    """
    exempt = PathMatcher(ctx.string_list_option("exempt-paths"))
    tree = dependencies.Tree(ctx.snapshot.paths())
    for path in ctx.files:
        if exempt.matches(path):
            continue
        missing = lockfile_coverage.missing_lockfile(ctx.parsed, tree, path)
        if missing is None:
            continue
        message = (
            f"{path.rpartition('/')[2]} declares dependencies but there is no lockfile for it "
            f"({missing.lockfiles}), so every install resolves them again and may get "
            f"different code; run `{missing.command}` and commit the lockfile"
        )
        yield ctx.finding(path, missing.at, message, "missing-lockfile")


@check("LCK002", "stale-lockfile", Severity.ERROR, PAIR_PATTERNS)
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
    `package.json` asks for `"ms": "^3.0.0"` while `package-lock.json` still
    locks `ms` 2.1.3.

    ## Fix
    Run the command the message names (`npm install`, `yarn install`, `pnpm
    install`, `uv lock`, `poetry lock`, `pipenv lock`, `composer update`,
    `cargo update --workspace`, `go mod tidy`) and commit the manifest and the
    lockfile together.

    ## References
    - https://docs.npmjs.com/cli/commands/npm-ci
    - https://docs.astral.sh/uv/concepts/projects/sync/#checking-if-the-lockfile-is-up-to-date
    - https://python-poetry.org/docs/cli/#check
    """
    tree = dependencies.Tree(ctx.snapshot.paths())
    for pair in lockfile_pairs.pairs_for(ctx.parsed, tree, list(ctx.files)):
        for drift in _drift(ctx.parsed, tree, pair):
            yield _stale_finding(ctx, pair, drift)


def _stale_finding(
    ctx: CheckContext, pair: lockfile_pairs.Pair, drift: dependencies.Drift
) -> Finding:
    fix = drift.fix or FIX_COMMANDS[pair.lock_name]
    path, at = _finding_place(ctx, pair, drift)
    message = f"{pair.lockfile} is out of sync with {pair.manifest}: {drift.problem}; {fix}"
    return ctx.finding(path, at, message, f"{pair.lockfile}\0{drift.name}\0{drift.problem}")


def _finding_place(
    ctx: CheckContext, pair: lockfile_pairs.Pair, drift: dependencies.Drift
) -> tuple[str, Position | None]:
    """On the manifest, at the dependency; else on whichever side of the pair was given
    (a hook sees only the committed files): the lockfile, or the pnpm-workspace.yaml
    beside it."""
    workspace = dependencies.join(dependencies.folder_of(pair.lockfile), "pnpm-workspace.yaml")
    if pair.manifest in ctx.files:
        return pair.manifest, drift.at
    for given in (pair.lockfile, workspace):
        if given in ctx.files:
            return given, None
    return pair.manifest, drift.at


def _drift(
    parsed: ParsedFiles, tree: dependencies.Tree, pair: lockfile_pairs.Pair
) -> list[dependencies.Drift]:
    judge = _JUDGES[pair.lock_name]
    return judge(parsed, tree, pair)


def _npm(
    parsed: ParsedFiles, tree: dependencies.Tree, pair: lockfile_pairs.Pair
) -> list[dependencies.Drift]:
    manifest, lock = manifests.package_json(parsed, pair.manifest), parsed.read(JSON, pair.lockfile)
    if manifest is None or lock is None:
        return []
    location = "" if pair.member == "." else pair.member
    return (
        parsed.memo(
            f"npm-drift:{pair.manifest}",
            pair.lockfile,
            lambda: npm_lockfiles.package_lock_drift(manifest, lock, location),
        )
        or []
    )


def _yarn(
    parsed: ParsedFiles, tree: dependencies.Tree, pair: lockfile_pairs.Pair
) -> list[dependencies.Drift]:
    manifest, text = manifests.package_json(parsed, pair.manifest), parsed.text(pair.lockfile)
    if manifest is None or text is None:
        return []
    lock = parsed.memo("yarn.lock", pair.lockfile, lambda: npm_lockfiles.read_yarn_lock(text))
    if lock is None:
        return []
    if lock.berry:
        found = parsed.memo(
            f"yarn-drift:{pair.manifest}",
            pair.lockfile,
            lambda: npm_lockfiles.yarn_berry_drift(manifest, lock, pair.member),
        )
        return found or []
    return npm_lockfiles.yarn_classic_drift(
        manifest, lock, _workspace_names(parsed, tree, pair.lockfile)
    )


def _workspace_names(parsed: ParsedFiles, tree: dependencies.Tree, lockfile: str) -> frozenset[str]:
    names = set()
    for member in lockfile_pairs.workspace_members(parsed, tree, lockfile):
        found = manifests.package_json(parsed, member)
        if found is not None and found.name:
            names.add(found.name)
    return frozenset(names)


def _pnpm(
    parsed: ParsedFiles, tree: dependencies.Tree, pair: lockfile_pairs.Pair
) -> list[dependencies.Drift]:
    manifest, text = manifests.package_json(parsed, pair.manifest), parsed.text(pair.lockfile)
    if manifest is None or text is None:
        return []
    lock = parsed.memo("pnpm-lock.yaml", pair.lockfile, lambda: npm_lockfiles.read_pnpm_lock(text))
    if lock is None:
        return []
    root = dependencies.folder_of(pair.lockfile)
    # The overrides are the workspace's: judged once, with its root importer.
    overrides = _pnpm_declared_overrides(parsed, tree, root) if pair.member == "." else []
    return npm_lockfiles.pnpm_drift(manifest, lock, pair.member, overrides)


def _pnpm_declared_overrides(
    parsed: ParsedFiles, tree: dependencies.Tree, root: str
) -> list[dict[str, str]]:
    """What the workspace declares; nothing to judge by when a file that declares them
    cannot be read (that file is RH000)."""
    manifest_path = dependencies.join(root, "package.json")
    workspace_path = dependencies.join(root, "pnpm-workspace.yaml")
    manifest = manifests.package_json(parsed, manifest_path) if tree.has(manifest_path) else None
    in_workspace = (
        manifests.pnpm_workspace_overrides(parsed, workspace_path)
        if tree.has(workspace_path)
        else {}
    )
    if in_workspace is None or (manifest is None and tree.has(manifest_path)):
        return []
    return npm_lockfiles.pnpm_overrides(manifest, in_workspace)


def _uv(
    parsed: ParsedFiles, tree: dependencies.Tree, pair: lockfile_pairs.Pair
) -> list[dependencies.Drift]:
    project, text = manifests.pyproject(parsed, pair.manifest), parsed.text(pair.lockfile)
    if project is None or text is None:
        return []
    projects = parsed.memo(
        "uv.lock", pair.lockfile, lambda: python_lockfiles.read_uv_projects(text)
    )
    if projects is None:
        return []
    found = parsed.memo(
        f"uv-drift:{pair.lockfile}",
        pair.manifest,
        lambda: python_lockfiles.uv_lock_drift(project, projects),
    )
    return found or []


def _poetry(
    parsed: ParsedFiles, tree: dependencies.Tree, pair: lockfile_pairs.Pair
) -> list[dependencies.Drift]:
    project, text = manifests.pyproject(parsed, pair.manifest), parsed.text(pair.lockfile)
    if project is None or text is None:
        return []
    found = parsed.memo(
        "poetry.lock", pair.lockfile, lambda: python_lockfiles.poetry_lock_drift(project, text)
    )
    return found or []


def _pipenv(
    parsed: ParsedFiles, tree: dependencies.Tree, pair: lockfile_pairs.Pair
) -> list[dependencies.Drift]:
    pipfile, lock = parsed.read(TOML, pair.manifest), parsed.read(JSON, pair.lockfile)
    if pipfile is None or lock is None:
        return []
    root = lock.root if isinstance(lock.root, dict) else {}
    return python_lockfiles.pipfile_lock_drift(pipfile, root) or []


def _composer(
    parsed: ParsedFiles, tree: dependencies.Tree, pair: lockfile_pairs.Pair
) -> list[dependencies.Drift]:
    manifest, lock = (
        manifests.composer_json(parsed, pair.manifest),
        parsed.read(JSON, pair.lockfile),
    )
    if manifest is None or lock is None:
        return []
    found = parsed.memo(
        "composer.lock",
        pair.lockfile,
        lambda: composer_lockfiles.composer_lock_drift(manifest, lock),
    )
    return found or []


def _cargo(
    parsed: ParsedFiles, tree: dependencies.Tree, pair: lockfile_pairs.Pair
) -> list[dependencies.Drift]:
    manifest = manifests.cargo_manifest(parsed, pair.manifest)
    document = parsed.read(TOML, pair.lockfile)  # parsed once for every member; bad TOML is RH000
    if manifest is None or document is None:
        return []
    root_path = lockfile_coverage.cargo_workspace_root(parsed, tree, pair.manifest)
    root = manifests.cargo_manifest(parsed, root_path) if root_path else None
    lock = parsed.memo(
        "Cargo.lock", pair.lockfile, lambda: cargo_lockfiles.read_cargo_lock(document)
    )
    return cargo_lockfiles.cargo_lock_drift(manifest, root, lock) if lock is not None else []


def _go(
    parsed: ParsedFiles, tree: dependencies.Tree, pair: lockfile_pairs.Pair
) -> list[dependencies.Drift]:
    go_mod, go_sum = parsed.text(pair.manifest), parsed.text(pair.lockfile)
    if go_mod is None or go_sum is None:
        return []
    folder = dependencies.folder_of(pair.manifest)
    work_sums = [
        parsed.text(dependencies.join(root, "go.work.sum")) or ""
        for root in (folder, *dependencies.ancestors(folder))
        if tree.has(dependencies.join(root, "go.work.sum"))
    ]
    return go_modules.go_sum_drift(
        go_modules.read_go_mod(go_mod), go_modules.go_sum_entries([go_sum, *work_sums])
    )


_JUDGES = {
    "package-lock.json": _npm,
    "npm-shrinkwrap.json": _npm,
    "yarn.lock": _yarn,
    "pnpm-lock.yaml": _pnpm,
    "uv.lock": _uv,
    "poetry.lock": _poetry,
    "Pipfile.lock": _pipenv,
    "composer.lock": _composer,
    "Cargo.lock": _cargo,
    "go.sum": _go,
}
