"""LCK001: every manifest that declares dependencies has a lockfile."""

from __future__ import annotations

from collections.abc import Iterator

from repo_harden.core.declare import CheckContext, OptionSpec, check
from repo_harden.core.globs import PathMatcher
from repo_harden.core.model import Finding, Severity
from repo_harden.ecosystems import registry


@check(
    "LCK001",
    "missing-lockfile",
    Severity.WARNING,
    registry.manifest_patterns(),
    options=(
        OptionSpec(
            "exempt-paths",
            "manifests that need no lockfile, as globs (a published library may choose "
            'not to lock): `["pyproject.toml", "packages/sdk/**"]`',
            globs=True,
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
    A `package.json` that declares dependencies, and no lockfile beside it:
    ```json title="package.json"
    {"name": "web", "dependencies": {"express": "^4.19.0"}}
    ```

    ## Fix
    Run the package manager's lock command (the message names it: `npm
    install`, `uv lock`, `poetry lock`, `cargo generate-lockfile`, `go mod
    tidy`...), commit the lockfile, and install from it in CI (`npm ci`, `uv
    sync --locked`, `poetry install --sync`, `cargo build --locked`).
    ```json title="package-lock.json"
    {
      "name": "web",
      "lockfileVersion": 3,
      "packages": {
        "": {"name": "web", "dependencies": {"express": "^4.19.0"}},
        "node_modules/express": {"version": "4.21.2"}
      }
    }
    ```
    A published library may choose not to lock; exempt its manifest:
    ```toml
    [tool.repo-harden.rules.LCK001]
    exempt-paths = ["pyproject.toml"]
    ```

    ## References
    - https://docs.npmjs.com/cli/configuring-npm/package-lock-json
    - https://docs.astral.sh/uv/concepts/projects/sync/
    """
    from repo_harden.ecosystems.coverage import missing_lockfile
    from repo_harden.ecosystems.tree import Tree

    exempt = PathMatcher(ctx.string_list_option("exempt-paths"))
    tree = Tree(ctx.snapshot.paths())
    for path in ctx.files:
        if exempt.matches(path):
            continue
        missing = missing_lockfile(ctx.parsed, tree, path)
        if missing is None:
            continue
        message = (
            f"{path.rpartition('/')[2]} declares dependencies but there is no lockfile for it "
            f"({missing.lockfiles}), so every install resolves them again and may get "
            f"different code; run `{missing.command}` and commit the lockfile"
        )
        yield ctx.finding(path, missing.at, message, "missing-lockfile")
