"""The publishing steps of a workflow and what each lacks: provenance, an attestation, or
trusted publishing (WF005), read only for steps that may publish."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from repo_harden.checks.trust_boundaries.known_actions import action_of, input_of, truthy
from repo_harden.checks.trust_boundaries.workflow_runs import token_of
from repo_harden.core.declare import CheckContext
from repo_harden.core.lazy import lazy_compile, lazy_import
from repo_harden.core.model import Position
from repo_harden.core.record import record
from repo_harden.readers.workflows import Job, Pairs, Step, Workflow, display

if TYPE_CHECKING:
    from repo_harden.readers import documents
    from repo_harden.shell import blocks, publishes
else:
    blocks = lazy_import("repo_harden.shell.blocks")
    documents = lazy_import("repo_harden.readers.documents")
    publishes = lazy_import("repo_harden.shell.publishes")

NPM, PYPI, PYTHON_INDEX, IMAGE, GORELEASER, GITHUB_RELEASE = (
    "npm",
    "PyPI",
    "a Python package index",
    "a container registry",
    "GoReleaser",
    "a GitHub release",
)
_ATTESTING_ACTIONS = ("actions/attest-build-provenance", "actions/attest", "actions/attest-sbom")
_SLSA_GENERATOR = "slsa-framework/slsa-github-generator/"
_COSIGN = lazy_compile(r"\bcosign\s+(sign|attest)\b")
_GITHUB_NPM = "npm.pkg.github.com"
_WORKFLOW_TOKEN = lazy_compile(r"secrets\s*\.\s*GITHUB_TOKEN|github\s*\.\s*token", re.I)
_NPM_TOKENS = frozenset({"node_auth_token", "npm_token", "npm_config__authtoken"})
_PYTHON_CREDENTIALS = lazy_compile(
    r"^(twine_password|twine_username|poetry_pypi_token_\w+|poetry_http_basic_\w+|"
    r"uv_publish_token|uv_publish_password|flit_password|hatch_index_auth|"
    r"pdm_publish_password)$",
    re.I,
)
_PYPI_DOCS = "https://docs.pypi.org/trusted-publishers/"


@record
class Published:
    """A step that publishes: where to, where it is written, and how it is named."""

    where: str
    at: Position
    what: str
    provenance: bool = False  # it makes its own (npm --provenance, trusted publishing)
    credential: str | None = None  # a stored credential it visibly uses
    trusted: bool = False  # PyPI trusted publishing
    registry: str | None = None


def problems(
    ctx: CheckContext, path: str, workflow: Workflow, steps: list[tuple[Job, int, Step]]
) -> Iterator[tuple[Position, str, str]]:
    """(where, message, fingerprint subject) for each publishing step that lacks provenance."""
    attested = _attestation_in(workflow)
    for job, index, step in steps:
        for published in _published(ctx, path, step):
            message = _problem(ctx, Place(workflow, job, step), published, attested)
            if message is not None:
                where = f"{job.label()}, {step.label(index)}"
                subject = f"{job.id.value}:{index}:{published.where}:{published.what}"
                yield published.at, f"{where} {message}", subject


def _attestation_in(workflow: Workflow) -> str | None:
    """How the workflow attests what it builds, if it does."""
    for job in workflow.jobs:
        if job.uses is not None and job.uses.value.lower().startswith(_SLSA_GENERATOR):
            return "the SLSA generator"
        for step in job.steps:
            name = action_of(step) or ""
            if name in _ATTESTING_ACTIONS or name.startswith(_SLSA_GENERATOR):
                return f"`{name}`"
            if step.run is not None and _COSIGN.search(step.run.value):
                return "`cosign`"
    return None


def _published(ctx: CheckContext, path: str, step: Step) -> Iterator[Published]:
    if step.uses is not None:
        found = _action_publish(step)
        if found is not None:
            yield found
        return
    if step.run is None or publishes.PUBLISH_WORDS.search(step.run.value) is None:
        return
    block = blocks.script_of(ctx, path, step)
    if block is None or block.dialect != "sh":
        return
    for command in block.shell.commands:
        found_command = publishes.publish_of(command)
        if found_command is not None:
            yield Published(
                found_command.where,
                command.at,
                f"`{display(command.raw)}`",
                provenance=found_command.provenance,
                credential=found_command.credential,
                trusted=found_command.trusted,
                registry=found_command.registry,
            )


def _action_publish(step: Step) -> Published | None:
    name = action_of(step) or ""
    reader = _ACTION_READERS.get(name)
    if reader is None or step.uses is None:
        return None
    found = reader(step)
    if found is None:
        return None
    what = f"`{display(step.uses.value)}`"
    return Published(found.where, step.uses.at, what, credential=found.credential,
                     trusted=found.trusted, provenance=found.provenance)  # fmt: skip


def _pypi_action(step: Step) -> Published | None:
    password = input_of(step, "password")
    stored = password is not None and password.value.strip() != ""
    url = input_of(step, "repository-url")
    where = PYPI if url is None or "pypi.org" in url.value else PYTHON_INDEX
    credential = f"`password: {display(password.value)}`" if stored and password else None
    return Published(where, Position(1, 1), "", credential=credential, trusted=not stored)


def _image_action(step: Step) -> Published | None:
    return Published(IMAGE, Position(1, 1), "") if truthy(input_of(step, "push")) else None


def _goreleaser_action(step: Step) -> Published | None:
    args = input_of(step, "args")
    text = args.value if args is not None else "release"
    releases = "release" in text and "--snapshot" not in text and "publish" not in text
    return Published(GORELEASER, Position(1, 1), "") if releases else None


def _release_files(input_name: str | None) -> Callable[[Step], Published | None]:
    def read(step: Step) -> Published | None:
        if input_name is not None and input_of(step, input_name) is None:
            return None
        return Published(GITHUB_RELEASE, Position(1, 1), "")

    return read


def _npm_action(step: Step) -> Published | None:
    return Published(NPM, Position(1, 1), "", provenance=truthy(input_of(step, "provenance")))


_ACTION_READERS: dict[str, Callable[[Step], Published | None]] = {
    "pypa/gh-action-pypi-publish": _pypi_action,
    "docker/build-push-action": _image_action,
    "docker/bake-action": _image_action,
    "goreleaser/goreleaser-action": _goreleaser_action,
    "softprops/action-gh-release": _release_files("files"),
    "ncipollo/release-action": _release_files("artifacts"),
    "svenstaro/upload-release-action": _release_files(None),
    "actions/upload-release-asset": _release_files(None),
    "js-devtools/npm-publish": _npm_action,
}


@record
class Place:
    """A step and the job and workflow around it."""

    workflow: Workflow
    job: Job
    step: Step

    @property
    def env(self) -> Pairs:
        return (*self.workflow.env, *self.job.env, *self.step.env)


def _problem(
    ctx: CheckContext, place: Place, published: Published, attested: str | None
) -> str | None:
    """What the message says is wrong with a publishing step, or None when it is fine."""
    if published.where == PYPI:
        return _pypi_problem(published, place.env)
    if published.where == NPM and attested is None:
        return _npm_problem(ctx, place, published)
    if attested is not None:
        return None
    return (
        f"publishes to {published.where} with {published.what}, and the workflow generates no "
        "provenance or attestation: nobody can check that what was published was built by "
        "this workflow from this commit, so whoever steals the publishing credentials can "
        "ship a look-alike with a backdoor. Attest it: `actions/attest-build-provenance` "
        "with `permissions: id-token: write, attestations: write` (for an image, "
        "`subject-name`, `subject-digest` and `push-to-registry: true`)"
    )


def _npm_problem(ctx: CheckContext, place: Place, published: Published) -> str | None:
    if _to_github_packages(place, published):
        return (
            f"publishes to GitHub Packages' npm registry with {published.what} and no "
            "attestation: nobody can check that the package was built by this workflow from "
            "this commit. That registry takes no npm provenance: attest the package with "
            "`actions/attest-build-provenance` (`subject-path` the packed tarball) and "
            "`permissions: id-token: write, attestations: write`"
        )
    if _npm_provenance(ctx, place, published):
        return None
    return (
        f"publishes to npm with {published.what} and no provenance: nobody can check that the "
        "package was built by this workflow from this commit, so whoever steals the npm token "
        "can publish a look-alike with a backdoor. Publish with `npm publish --provenance` and "
        "`permissions: id-token: write` (or npm trusted publishing)"
    )


def _pypi_problem(published: Published, env: Pairs) -> str | None:
    stored = published.credential or next(
        (f"`{display(key.value)}`" for key, _ in env if _PYTHON_CREDENTIALS.match(key.value)), None
    )
    if published.trusted and stored is None:
        return None
    how = (
        f"a stored credential ({stored})"
        if stored
        else "a stored credential (a `.pypirc` or keyring)"
    )
    return (
        f"uploads to PyPI with {published.what} using {how}, so PyPI shows no provenance for "
        "the files and the token works for anyone who steals it. Trusted publishing would "
        "do: register this workflow as a trusted publisher on PyPI, give the job "
        "`permissions: id-token: write` and upload with `pypa/gh-action-pypi-publish` without "
        f"a password (it uploads attestations too); see {_PYPI_DOCS}"
    )


def _npm_provenance(ctx: CheckContext, place: Place, published: Published) -> bool:
    if published.provenance:
        return True
    values = {key.value.lower(): value.value.strip().lower() for key, value in place.env}
    if values.get("npm_config_provenance") == "true":
        return True
    if _package_json_says_provenance(ctx, place.step):
        return True
    grant = token_of(ctx, place.workflow, place.job)
    oidc = grant.block is not None and grant.block.level("id-token") == "write"
    return oidc and not any(name in _NPM_TOKENS for name in values) and "npm" in published.what


def _package_json_says_provenance(ctx: CheckContext, step: Step) -> bool:
    folder = step.working_directory.value.strip().strip("/") if step.working_directory else ""
    folder = folder.removeprefix("./")
    path = f"{folder}/package.json" if folder and folder != "." else "package.json"
    document = ctx.parsed.read(documents.JSON, path) if "${{" not in path else None
    if document is None:
        return False
    value = documents.table(document.root, "publishConfig").get("provenance")
    return value is True or value == "true"


def _to_github_packages(place: Place, published: Published) -> bool:
    """The npm registry is GitHub's: named by `registry-url` or `--registry`, or the token is
    the workflow's own (which only GitHub Packages accepts)."""
    texts = [v.value for step in place.job.steps for _, v in step.inputs]
    texts.append(published.registry or "")
    if any(_GITHUB_NPM in text for text in texts):
        return True
    return any(
        key.value.lower() == "node_auth_token" and _WORKFLOW_TOKEN.search(value.value)
        for key, value in place.env
    )
