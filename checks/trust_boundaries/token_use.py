"""What a job visibly does with its `GITHUB_TOKEN`: the scopes it writes.

A job is understood when every step is a well-known action (see `known_actions`) or a
script whose commands are known (see `repo_harden.shell.github_token`). A step that
could do anything with the token (an unknown action, which gets the token by default;
`gh api`; a script handed the token) makes the job not understood, and then nothing is
said about scopes it does not need.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from repo_harden.checks.trust_boundaries.known_actions import (
    action_of,
    input_of,
    is_local_action,
    scopes_of_action,
)
from repo_harden.core.declare import CheckContext
from repo_harden.core.lazy import lazy_compile, lazy_import
from repo_harden.readers.workflows import Job, Step, Workflow

if TYPE_CHECKING:
    from repo_harden.shell import blocks, github_token
else:
    blocks = lazy_import("repo_harden.shell.blocks")
    github_token = lazy_import("repo_harden.shell.github_token")

# Registries of GitHub Packages: a job that names one publishes there with the token.
_PACKAGES_HOSTS = lazy_compile(r"ghcr\.io|docker\.pkg\.github\.com|[a-z]+\.pkg\.github\.com", re.I)
# Commands that ask the runner for an OIDC token (cosign keyless signing, npm provenance,
# trusted publishing).
_ID_TOKEN_WORDS = lazy_compile(
    r"ACTIONS_ID_TOKEN_REQUEST|\bcosign\b|--provenance|\bsigstore\b", re.IGNORECASE
)
_PUBLISHERS = lazy_compile(r"\b(npm|pnpm|yarn|uv|pdm)\b")
_TOKEN_EXPRESSION = lazy_compile(r"secrets\s*\.\s*GITHUB_TOKEN|github\s*\.\s*token", re.I)


def scopes_needed(
    ctx: CheckContext, path: str, workflow: Workflow, job: Job
) -> frozenset[str] | None:
    """The scopes the job's steps visibly write; None when a step could use the token in
    ways that cannot be seen."""
    if job.uses is not None:
        return None  # a reusable workflow: what it does is in another file
    needed: set[str] = set()
    if any(_PACKAGES_HOSTS.search(text) for text in _texts(workflow, job)):
        needed.add("packages")
    inherited = any(_TOKEN_EXPRESSION.search(v.value) for _, v in (*workflow.env, *job.env))
    for step in job.steps:
        found = _step_scopes(ctx, path, step, inherited)
        if found is None:
            return None
        needed |= found
    return frozenset(needed)


def _step_scopes(
    ctx: CheckContext, path: str, step: Step, inherited: bool
) -> frozenset[str] | None:
    given = inherited or any(
        _TOKEN_EXPRESSION.search(v.value) for _, v in (*step.env, *step.inputs)
    )
    if step.uses is not None:
        return _action_scopes(step, given)
    if step.run is None:
        return frozenset()
    text = step.run.value
    given = given or _TOKEN_EXPRESSION.search(text) is not None
    # npm provenance and trusted publishing ask for an OIDC token
    oidc = _ID_TOKEN_WORDS.search(text) or ("publish" in text and _PUBLISHERS.search(text))
    scopes = {"id-token"} if oidc else set()
    block = blocks.script_of(ctx, path, step)
    if block is None or block.dialect != "sh":
        return None if given else frozenset(scopes)  # a shell this reads no commands of
    if not given and github_token.TOKEN_WORDS.search(text) is None:
        return frozenset(scopes)
    for command in block.shell.commands:
        written = github_token.scopes_written(command)
        if written is None:
            if given:
                return None
            continue  # a command that is not given the token cannot use it
        scopes |= written
    return frozenset(scopes)


def _action_scopes(step: Step, given: bool) -> frozenset[str] | None:
    if is_local_action(step):
        return None
    name = action_of(step)
    if name is None:  # a container step: it gets the token only when it is passed
        return None if given else frozenset()
    scopes = scopes_of_action(name)
    if scopes is None:
        return None
    if name.startswith("gradle/actions/") and "submit" in _value(
        input_of(step, "dependency-graph")
    ):
        return scopes | {"contents"}
    return scopes


def _value(scalar: object) -> str:
    return str(getattr(scalar, "value", "") or "").lower()


def _texts(workflow: Workflow, job: Job) -> list[str]:
    texts = [v.value for _, v in (*workflow.env, *job.env)]
    for step in job.steps:
        texts += [v.value for _, v in (*step.env, *step.inputs)]
        if step.run is not None:
            texts.append(step.run.value)
    return texts
