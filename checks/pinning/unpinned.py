"""PIN001 and PIN002: actions, reusable workflows and container images pinned to immutable
references."""

from __future__ import annotations

import re
from collections.abc import Iterator

from repo_harden.core.declare import CheckContext, OptionSpec, check
from repo_harden.core.lazy import lazy_compile
from repo_harden.core.model import Finding, Severity
from repo_harden.core.record import record
from repo_harden.readers.file_kinds import SCRIPT_PATTERNS
from repo_harden.readers.workflows import (
    ACTION,
    ACTION_PATTERNS,
    WORKFLOW,
    WORKFLOW_PATTERNS,
    Step,
    is_action_path,
    is_workflow_path,
)
from repo_harden.readers.yaml import Scalar

WORKFLOW_AND_ACTION_PATTERNS = WORKFLOW_PATTERNS + ACTION_PATTERNS

_FULL_SHA = lazy_compile(r"[0-9a-fA-F]{40}")
_SHORT_SHA = lazy_compile(r"[0-9a-fA-F]{7,39}")
_IMAGE_DIGEST = lazy_compile(r"@sha256:[0-9a-fA-F]{64}$")
_WHOLE_EXPRESSION = lazy_compile(r"^\$\{\{.*\}\}$", re.DOTALL)


@record
class UsesReference:
    """A parsed `uses: owner/repo[/path]@ref`."""

    target: str
    ref: str | None

    @property
    def owner(self) -> str:
        return self.target.split("/", 1)[0]

    @property
    def repository(self) -> str:
        return "/".join(self.target.split("/", 2)[:2])


def parse_uses(value: str) -> UsesReference | None:
    """A remote reference, or None for local (`./`) and `docker://` ones."""
    value = value.strip()
    if value.startswith(("./", "docker://")) or not value:
        return None
    target, at, ref = value.partition("@")
    return UsesReference(target, ref if at else None)


def unpinned_uses_message(uses: UsesReference) -> str | None:
    """What is wrong with a remote reference, or None when it is pinned to a full SHA."""
    if uses.ref is not None and _FULL_SHA.fullmatch(uses.ref):
        return None
    full = f"{uses.target}@{uses.ref}" if uses.ref else uses.target
    if uses.ref is None:
        problem = f"`{full}` names no ref at all"
    elif _SHORT_SHA.fullmatch(uses.ref):
        problem = f"`{full}` uses the short SHA `{uses.ref}`, which can be ambiguous"
    else:
        problem = f"`{full}` uses `{uses.ref}`, a tag or branch that can be moved to other code"
    hint = f"# {uses.ref}" if uses.ref else "# <tag>"
    return (
        f"{problem}; pin it to a full 40-character commit SHA: "
        f"`uses: {uses.target}@<commit-sha> {hint}`"
    )


def is_trusted(uses: UsesReference, trusted: tuple[str, ...]) -> bool:
    owner, repository = uses.owner.lower(), uses.repository.lower()
    return any(entry.lower() in (owner, repository) for entry in trusted)


def _steps_of(ctx: CheckContext, path: str) -> Iterator[Step]:
    if is_action_path(path):
        action = ctx.parsed.read(ACTION, path)
        if action is not None:
            yield from action.steps
        return
    workflow = ctx.parsed.read(WORKFLOW, path)
    for job in workflow.jobs if workflow else ():
        yield from job.steps


def remote_uses(ctx: CheckContext, path: str) -> Iterator[Scalar]:
    """Every `uses:` of a path: job-level (reusable workflows) and step-level."""
    if not is_action_path(path):
        workflow = ctx.parsed.read(WORKFLOW, path)
        for job in workflow.jobs if workflow else ():
            if job.uses is not None:
                yield job.uses
    for step in _steps_of(ctx, path):
        if step.uses is not None:
            yield step.uses


@check(
    "PIN001",
    "unpinned-action",
    Severity.ERROR,
    WORKFLOW_AND_ACTION_PATTERNS,
    options=(
        OptionSpec(
            "trusted-owners",
            "owners (`actions`) or repositories (`docker/login-action`) that may be used by tag",
        ),
    ),
    per_file=True,
)
def unpinned_action(ctx: CheckContext) -> Iterator[Finding]:
    """An action or reusable workflow is not pinned to a full commit SHA.

    ## What it does
    Finds `uses:` references to remote actions and reusable workflows, at step
    and job level, in workflows and in composite `action.yml` files, whose ref
    is not a full 40-character commit SHA. Local actions (`./path`) are fine.
    zizmor's `# zizmor: ignore[unpinned-uses]` on the line counts as an ignore
    (see `repo-harden waivers`).

    ## Why is this bad?
    A tag or a branch is a movable pointer. Whoever controls the action's
    repository (its maintainers, or an attacker who steals their token) can
    point `v4` at new code, and every workflow that uses it runs that code on
    its next build, with its secrets. This is how the `tj-actions/changed-files`
    compromise of March 2025 reached thousands of repositories. A commit SHA
    cannot be moved.

    ## Example
    ```yaml title=".github/workflows/ci.yml"
    on: push
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
    ```

    ## Fix
    Pin the full commit SHA and keep the tag in a comment, so that Dependabot
    or Renovate can still propose updates:
    ```yaml title=".github/workflows/ci.yml"
    on: push
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
    ```
    Owners you trust to keep their tags (your own organisation, say) can be
    allowed in the configuration:
    ```toml
    [tool.repo-harden.rules.PIN001]
    trusted-owners = ["acme", "docker/login-action"]
    ```

    ## References
    - https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions#using-third-party-actions
    """
    trusted = ctx.string_list_option("trusted-owners")
    for path in ctx.files:
        for uses in remote_uses(ctx, path):
            reference = parse_uses(uses.value)
            if reference is None or is_trusted(reference, trusted):
                continue
            message = unpinned_uses_message(reference)
            if message is not None:
                yield ctx.finding(path, uses.at, message, uses.value)


def unpinned_image_message(image: str, where: str) -> str | None:
    """What is wrong with an image reference, or None when it is pinned by digest."""
    image = image.strip()
    if not image or _IMAGE_DIGEST.search(image) or _WHOLE_EXPRESSION.match(image):
        return None
    return (
        f"{where} `{image}` is not pinned by digest, so a re-pushed tag changes what runs; "
        f"pin it as `{image.split('@')[0]}@sha256:<digest>` "
        f"(`docker buildx imagetools inspect {image}` prints the digest)"
    )


def _images(ctx: CheckContext, path: str) -> Iterator[tuple[Scalar, str, str]]:
    """(where, image text, kind) for every container image a workflow or action names."""
    if is_action_path(path):
        action = ctx.parsed.read(ACTION, path)
        if action and action.image and action.image.value.startswith("docker://"):
            yield action.image, action.image.value.removeprefix("docker://"), "action image"
    else:
        workflow = ctx.parsed.read(WORKFLOW, path)
        for job in workflow.jobs if workflow else ():
            if job.container_image is not None:
                yield job.container_image, job.container_image.value, "job container image"
            for service in job.service_images:
                yield service, service.value, "service container image"
    for step in _steps_of(ctx, path):
        if step.uses is not None and step.uses.value.startswith("docker://"):
            yield step.uses, step.uses.value.removeprefix("docker://"), "step image"


@check("PIN002", "unpinned-image", Severity.ERROR, SCRIPT_PATTERNS, per_file=True)
def unpinned_image(ctx: CheckContext) -> Iterator[Finding]:
    """A container image is not pinned by its `@sha256:` digest.

    ## What it does
    Finds container images referenced by tag instead of digest: step
    `uses: docker://...`, a job's `container:` (a string or its `image:`),
    `services.*.image`, and the `image:` of a Docker action's `action.yml`;
    a Dockerfile's `FROM` (not `scratch`, not an earlier stage) and
    `COPY --from`; and `docker run|create|pull IMAGE` (or `podman`) in `run:`
    steps, scripts, Dockerfile `RUN`s and Makefiles, unless the same file
    builds or tags that image itself. An image given entirely by an expression
    (`${{ matrix.image }}`) or a variable with no known value cannot be judged
    and is left alone; an `ARG` default that carries a digest counts as pinned.

    ## Why is this bad?
    An image tag, like a git tag, is a pointer that the registry lets anyone
    with push rights move. The job then runs whatever was pushed last under
    that name, with the job's token and secrets. A digest names exactly one
    image and cannot be re-pointed.

    ## Example
    ```yaml title=".github/workflows/ci.yml"
    on: push
    jobs:
      test:
        runs-on: ubuntu-latest
        container: node:20
        services:
          db:
            image: redis:7
        steps:
          - run: npm test
    ```

    ## Fix
    Keep the tag for readers and add the digest, which wins:
    ```yaml title=".github/workflows/ci.yml"
    on: push
    jobs:
      test:
        runs-on: ubuntu-latest
        container: node:20@sha256:2b6a0c3f0f4e1b0e6a1f3a2c6b8b3d7e1f9a4c2d5e8b7a6f3c2d1e0f9a8b7c6d
        services:
          db:
            image: redis:7@sha256:9f1c4a6e2d8b7c3a5e1f0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a
        steps:
          - run: npm test
    ```
    `docker buildx imagetools inspect node:20` prints the digest; Dependabot
    and Renovate keep digests up to date.

    ## References
    - https://docs.docker.com/reference/cli/docker/image/pull/#pull-an-image-by-digest-immutable-identifier
    """
    for path in ctx.files:
        yaml = is_workflow_path(path) or is_action_path(path)
        for where, image, kind in _images(ctx, path) if yaml else ():
            message = unpinned_image_message(image, kind)
            if message is not None:
                yield ctx.finding(path, where.at, message, where.value)
        if yaml and not any(word in (ctx.parsed.text(path) or "") for word in ("docker", "podman")):
            continue  # no `docker run` to look for: the shell reader is not even imported
        from repo_harden.shell.docker import image_references

        for at, image, kind in image_references(ctx, path):
            message = unpinned_image_message(image, kind)
            if message is not None:
                yield ctx.finding(path, at, message, image)
