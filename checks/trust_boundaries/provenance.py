"""WF005: release artifacts published without provenance or attestation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from repo_harden.checks.trust_boundaries.known_actions import action_of
from repo_harden.checks.trust_boundaries.workflow_runs import workflows
from repo_harden.core.declare import CheckContext, check
from repo_harden.core.lazy import lazy_import
from repo_harden.core.model import Finding, Severity
from repo_harden.readers.workflows import WORKFLOW_PATTERNS, Step

if TYPE_CHECKING:
    from repo_harden.checks.trust_boundaries import release_steps
else:
    release_steps = lazy_import("repo_harden.checks.trust_boundaries.release_steps")

# What a step that may publish shows: one of these actions, or one of these words.
_PUBLISHING_ACTIONS = frozenset(
    {
        "pypa/gh-action-pypi-publish",
        "docker/build-push-action",
        "docker/bake-action",
        "goreleaser/goreleaser-action",
        "softprops/action-gh-release",
        "ncipollo/release-action",
        "svenstaro/upload-release-action",
        "actions/upload-release-asset",
        "js-devtools/npm-publish",
    }
)
_PUBLISHING_WORDS = ("publish", "upload", "push", "goreleaser", "release")


@check(
    "WF005",
    "release-without-provenance",
    Severity.WARNING,
    (*WORKFLOW_PATTERNS, "package.json", "**/package.json"),
    per_file=True,
)
def release_without_provenance(ctx: CheckContext) -> Iterator[Finding]:
    """A workflow publishes a release artifact with no provenance or attestation.

    ## What it does
    Finds each step that publishes: `npm publish` (and pnpm's and Yarn's), a PyPI upload
    (`pypa/gh-action-pypi-publish`, `twine upload`, `poetry publish`, `uv publish`, `pdm`,
    `flit`, `hatch`), `docker push` or `docker buildx --push`, `docker/build-push-action`
    with `push:`, a GoReleaser release, and files attached to a GitHub release (`gh
    release upload`, `softprops/action-gh-release` with `files:`). Each is judged on its
    own:
    - npm: `--provenance`, `NPM_CONFIG_PROVENANCE`, `publishConfig.provenance` in
      `package.json`, or npm trusted publishing (`id-token: write` and no npm token), or
      an attestation step in the workflow;
    - PyPI: trusted publishing (no password or token: `pypa/gh-action-pypi-publish`
      then uploads attestations, `uv publish` and `pdm publish` use it by themselves). An
      upload with a stored password or token is reported even when another step of the
      workflow publishes elsewhere with trusted publishing;
    - images, GoReleaser and release files: `actions/attest-build-provenance` (or
      `actions/attest`), keyless `cosign sign` or `cosign attest`, or the SLSA generator
      in the workflow.

    ## Why is this bad?
    Without provenance, nobody can check that a package or image was built by this
    workflow from this commit: whoever steals the publishing token (or the maintainer's
    laptop) can publish a build with a backdoor that looks exactly like a release.
    Provenance signed through the workflow's OIDC identity ties each artifact to the
    repository, the commit and the workflow that built it, and registries and users can
    verify it. A stored PyPI token is also one more secret to steal, where trusted
    publishing needs none.

    ## Example
    ```yaml title=".github/workflows/publish.yml"
    on:
      release:
        types: [published]
    jobs:
      publish:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
          - run: npm ci && npm publish
            env:
              NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}
    ```

    ## Fix
    ```yaml title=".github/workflows/publish.yml"
    on:
      release:
        types: [published]
    jobs:
      publish:
        runs-on: ubuntu-latest
        permissions:
          contents: read
          id-token: write
        steps:
          - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
          - run: npm ci && npm publish --provenance
            env:
              NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}
    ```
    For PyPI, register the workflow as a trusted publisher and drop the password; for
    images and release files, add `actions/attest-build-provenance` after the build.

    ## References
    - https://docs.github.com/en/actions/security-for-github-actions/using-artifact-attestations/using-artifact-attestations-to-establish-provenance-for-builds
    - https://docs.npmjs.com/generating-provenance-statements
    - https://docs.pypi.org/trusted-publishers/
    """
    for path, workflow in workflows(ctx):
        steps = [
            (job, index, step)
            for job in workflow.jobs
            for index, step in enumerate(job.steps)
            if _may_publish(step)
        ]
        for at, message, subject in (
            release_steps.problems(ctx, path, workflow, steps) if steps else ()
        ):
            yield ctx.finding(path, at, message, subject)


def _may_publish(step: Step) -> bool:
    if step.uses is not None:
        return action_of(step) in _PUBLISHING_ACTIONS
    text = step.run.value if step.run is not None else ""
    return any(word in text for word in _PUBLISHING_WORDS)
