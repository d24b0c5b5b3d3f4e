"""Which action a step uses, its inputs, and what well-known actions do with the token.

Action names are compared in lower case without their ref (`actions/checkout`,
`github/codeql-action/analyze`), as GitHub compares owners and repositories.
"""

from __future__ import annotations

from functools import lru_cache

from repo_harden.readers.workflows import Step
from repo_harden.readers.yaml import Scalar

CHECKOUT = "actions/checkout"
GITHUB_SCRIPT = "actions/github-script"


def action_of(step: Step) -> str | None:
    """`owner/repo[/path]` of the remote action a step uses, in lower case; None for a
    `run:` step, a local action (`./x`) or a container (`docker://`)."""
    return _action_name(step.uses.value) if step.uses is not None else None


@lru_cache(maxsize=4096)  # workflows name the same few actions again and again
def _action_name(uses: str) -> str | None:
    value = uses.strip()
    if value.startswith(("./", "docker://")) or "/" not in value:
        return None
    return value.partition("@")[0].lower().rstrip("/")


def is_local_action(step: Step) -> bool:
    return step.uses is not None and step.uses.value.strip().startswith("./")


def input_of(step: Step, name: str) -> Scalar | None:
    """The value of a `with:` input (the last one written wins); input names are
    compared case-insensitively, as the runner does."""
    found = None
    for key, value in step.inputs:
        if key.value.lower() == name:
            found = value
    return found


def truthy(value: Scalar | None) -> bool:
    """`true` as YAML and the runner read it; an expression may be true."""
    if value is None:
        return False
    text = value.value.strip().lower()
    return text in ("true", "yes", "on") or "${{" in text


# What each action does with the token: the scopes it needs written. Actions that write
# nothing (setup, cache, artifacts, building) need none; an action in neither table may
# do anything with the token it is given by default, so a job that uses one is not judged.
TOKEN_FREE = frozenset(
    {
        CHECKOUT,
        "actions/cache",
        "actions/cache/restore",
        "actions/cache/save",
        "actions/upload-artifact",
        "actions/download-artifact",
        "actions/upload-pages-artifact",
        "actions/configure-pages",
        "actions/jekyll-build-pages",
        "actions/setup-node",
        "actions/setup-python",
        "actions/setup-java",
        "actions/setup-go",
        "actions/setup-dotnet",
        "aws-actions/amazon-ecr-login",
        "azure/setup-helm",
        "azure/setup-kubectl",
        "denoland/setup-deno",
        "docker/build-push-action",
        "docker/login-action",
        "docker/metadata-action",
        "docker/setup-buildx-action",
        "docker/setup-qemu-action",
        "dtolnay/rust-toolchain",
        "erlef/setup-beam",
        "github/codeql-action/autobuild",
        "github/codeql-action/init",
        "gradle/actions/setup-gradle",
        "hashicorp/setup-terraform",
        "microsoft/setup-msbuild",
        "nuget/setup-nuget",
        "oven-sh/setup-bun",
        "peaceiris/actions-hugo",
        "peaceiris/actions-mdbook",
        "pnpm/action-setup",
        "ruby/setup-ruby",
        "shivammathur/setup-php",
        "sigstore/cosign-installer",
        "subosito/flutter-action",
        "swatinem/rust-cache",
    }
)

SCOPES_OF_ACTION: dict[str, frozenset[str]] = {
    "actions/deploy-pages": frozenset({"pages", "id-token"}),
    "actions/attest-build-provenance": frozenset({"id-token", "attestations", "packages"}),
    "actions/attest": frozenset({"id-token", "attestations", "packages"}),
    "actions/attest-sbom": frozenset({"id-token", "attestations", "packages"}),
    "github/codeql-action/analyze": frozenset({"security-events"}),
    "github/codeql-action/upload-sarif": frozenset({"security-events"}),
    "ossf/scorecard-action": frozenset({"security-events", "id-token"}),
    "pypa/gh-action-pypi-publish": frozenset({"id-token"}),
    "softprops/action-gh-release": frozenset({"contents"}),
    "ncipollo/release-action": frozenset({"contents"}),
    "actions/create-release": frozenset({"contents"}),
    "actions/upload-release-asset": frozenset({"contents"}),
    "peaceiris/actions-gh-pages": frozenset({"contents"}),
    "stefanzweifel/git-auto-commit-action": frozenset({"contents"}),
    "endbug/add-and-commit": frozenset({"contents"}),
    "peter-evans/create-pull-request": frozenset({"contents", "pull-requests"}),
    "actions/stale": frozenset({"issues", "pull-requests"}),
    "actions/labeler": frozenset({"pull-requests", "issues"}),
    "actions/first-interaction": frozenset({"issues", "pull-requests"}),
    "actions/dependency-review-action": frozenset({"pull-requests"}),
    "dorny/test-reporter": frozenset({"checks"}),
    "enricomi/publish-unit-test-result-action": frozenset({"checks", "pull-requests"}),
    "mikepenz/action-junit-report": frozenset({"checks"}),
    "marocchino/sticky-pull-request-comment": frozenset({"pull-requests"}),
    "thollander/actions-comment-pull-request": frozenset({"pull-requests"}),
    "release-drafter/release-drafter": frozenset({"contents", "pull-requests"}),
    "googleapis/release-please-action": frozenset({"contents", "pull-requests", "issues"}),
    "changesets/action": frozenset({"contents", "pull-requests"}),
    "goreleaser/goreleaser-action": frozenset({"contents", "packages", "id-token"}),
    "aws-actions/configure-aws-credentials": frozenset({"id-token"}),
    "google-github-actions/auth": frozenset({"id-token"}),
    "azure/login": frozenset({"id-token"}),
    "slsa-framework/slsa-github-generator": frozenset({"id-token", "contents", "actions"}),
}


def scopes_of_action(name: str) -> frozenset[str] | None:
    """The scopes a well-known action may write; None for an action not known here."""
    if name in TOKEN_FREE:
        return frozenset()
    if name in SCOPES_OF_ACTION:
        return SCOPES_OF_ACTION[name]
    repository = "/".join(name.split("/", 2)[:2])
    if repository in ("github/codeql-action", "slsa-framework/slsa-github-generator"):
        return SCOPES_OF_ACTION.get(repository, frozenset({"security-events"}))
    return None
