"""WF004: long-lived cloud keys where the provider accepts a workflow's OIDC token."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING

from repo_harden.checks.trust_boundaries.known_actions import action_of, input_of
from repo_harden.checks.trust_boundaries.workflow_runs import position_in
from repo_harden.core.declare import CheckContext, check
from repo_harden.core.lazy import lazy_compile, lazy_import
from repo_harden.core.model import Finding, Position, Severity
from repo_harden.readers.workflows import (
    ACTION,
    ACTION_PATTERNS,
    WORKFLOW,
    WORKFLOW_PATTERNS,
    Pairs,
    Step,
    display,
    is_action_path,
    is_workflow_path,
)

if TYPE_CHECKING:
    from repo_harden.shell import blocks, cloud_logins
else:
    blocks = lazy_import("repo_harden.shell.blocks")
    cloud_logins = lazy_import("repo_harden.shell.cloud_logins")

AWS, AZURE, GOOGLE = "AWS", "Azure", "Google Cloud"
# Action -> the inputs that take a long-lived key, and whose cloud it is.
_KEY_INPUTS = {
    "aws-actions/configure-aws-credentials": (("aws-secret-access-key", "aws-access-key-id"), AWS),
    "google-github-actions/auth": (("credentials_json",), GOOGLE),
    "google-github-actions/setup-gcloud": (("service_account_key",), GOOGLE),
    "googlecloudplatform/github-actions/setup-gcloud": (("service_account_key",), GOOGLE),
    "azure/login": (("creds",), AZURE),
    "azure/aks-set-context": (("creds",), AZURE),
    "azure/webapps-deploy": (("publish-profile",), AZURE),
    "azure/functions-action": (("publish-profile",), AZURE),
}
# Environment variables the providers' tools read a long-lived key from.
_KEY_VARIABLES = {
    "aws_secret_access_key": AWS,
    "azure_client_secret": AZURE,
    "arm_client_secret": AZURE,
    "google_credentials": GOOGLE,
    "google_application_credentials_json": GOOGLE,
}
_STORED = lazy_compile(r"\$\{\{[^}]{0,200}?\b(secrets|vars)\s*\.", re.I)
_EXPORTED = lazy_compile(
    r"\b(" + "|".join(_KEY_VARIABLES) + r")\s*=\s*[\"']?\$\{\{[^}]{0,200}?\b(secrets|vars)\s*\.",
    re.I,
)
OIDC_FORM = {
    AWS: (
        "`permissions: id-token: write` on the job, and `aws-actions/configure-aws-credentials` "
        "with `role-to-assume: arn:aws:iam::<account-id>:role/<role>` (a role that trusts "
        "`token.actions.githubusercontent.com` for this repository) and no keys"
    ),
    GOOGLE: (
        "`permissions: id-token: write` on the job, and `google-github-actions/auth` with "
        "`workload_identity_provider: projects/<number>/locations/global/workloadIdentityPools/"
        "<pool>/providers/<provider>` and `service_account: <name>@<project>"
        ".iam.gserviceaccount.com` instead of a key"
    ),
    AZURE: (
        "`permissions: id-token: write` on the job, and `azure/login` with `client-id`, "
        "`tenant-id` and `subscription-id` of an app with a federated credential for this "
        "repository, instead of a secret or a publish profile"
    ),
}


@check(
    "WF004",
    "static-cloud-credentials",
    Severity.WARNING,
    WORKFLOW_PATTERNS + ACTION_PATTERNS,
    per_file=True,
)
def static_cloud_credentials(ctx: CheckContext) -> Iterator[Finding]:
    """A workflow logs in to AWS, Google Cloud or Azure with a long-lived key.

    ## What it does
    Finds stored keys handed to the providers' login actions
    (`aws-actions/configure-aws-credentials` with `aws-secret-access-key`,
    `google-github-actions/auth` with `credentials_json`, `azure/login` with `creds`,
    Azure deployments with a `publish-profile`, older `setup-gcloud` with
    `service_account_key`), keys exported from secrets as `AWS_SECRET_ACCESS_KEY`,
    `AZURE_CLIENT_SECRET`, `ARM_CLIENT_SECRET` or `GOOGLE_CREDENTIALS` (in `env:` or in a
    script), and logins in scripts with a key (`aws configure set aws_secret_access_key`,
    `az login --service-principal -p`, `gcloud auth activate-service-account
    --key-file`). Each of these clouds accepts a workflow's OIDC token instead; the message
    shows that form.

    ## Why is this bad?
    A key stored in the repository's secrets works from anywhere, for anyone who reads
    it, until someone rotates it: a compromised step, a dependency of the build or a
    leaked log has the cloud account for months. An OIDC token is minted for one job,
    expires within the hour, and the cloud gives it only to the workflows its trust
    policy names (this repository, a branch, an environment).

    ## Example
    ```yaml title=".github/workflows/deploy.yml"
    on: push
    permissions:
      contents: read
    jobs:
      deploy:
        runs-on: ubuntu-latest
        steps:
          - uses: aws-actions/configure-aws-credentials@e3dd6a429d7300a6a4c196c26e071d42e0343502
            with:
              aws-access-key-id: ${{ secrets.AWS_ACCESS_KEY_ID }}
              aws-secret-access-key: ${{ secrets.AWS_SECRET_ACCESS_KEY }}
              aws-region: eu-west-1
    ```

    ## Fix
    ```yaml title=".github/workflows/deploy.yml"
    on: push
    permissions:
      contents: read
    jobs:
      deploy:
        runs-on: ubuntu-latest
        permissions:
          id-token: write
        steps:
          - uses: aws-actions/configure-aws-credentials@e3dd6a429d7300a6a4c196c26e071d42e0343502
            with:
              role-to-assume: arn:aws:iam::123456789012:role/deploy
              aws-region: eu-west-1
    ```
    Then delete the keys from the repository's secrets and deactivate them.

    ## References
    - https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect
    """
    for path in ctx.files:
        if is_workflow_path(path):
            workflow = ctx.parsed.read(WORKFLOW, path)
            if workflow is None:
                continue
            yield from _env_findings(ctx, path, lambda: "the workflow", workflow.env)
            for job in workflow.jobs:
                yield from _env_findings(ctx, path, job.label, job.env)
                for index, step in enumerate(job.steps):
                    where = partial(_step_label, job.label, step, index)
                    yield from _step_findings(ctx, path, where, step)
        elif is_action_path(path):
            action = ctx.parsed.read(ACTION, path)
            for index, step in enumerate(action.steps if action else ()):
                where = partial(_step_label, lambda: "this action", step, index)
                yield from _step_findings(ctx, path, where, step)


Where = Callable[[], str]  # how a message names the place, worked out only for a finding


def _step_label(owner: Where, step: Step, index: int) -> str:
    return f"{owner()}, {step.label(index)}"


def _step_findings(ctx: CheckContext, path: str, where: Where, step: Step) -> Iterator[Finding]:
    if step.env:
        yield from _env_findings(ctx, path, where, step.env)
    name = action_of(step)
    if name in _KEY_INPUTS:
        keys, cloud = _KEY_INPUTS[name]
        given = [value for key in keys if (value := input_of(step, key)) is not None]
        given = [value for value in given if value.value.strip()]
        if given:
            key = given[0]
            what = f"`{display(key.value)}`"
            what = f"passes the long-lived key {what}"
            yield _finding(ctx, path, key.at, where=where, cloud=cloud, what=what)
    if step.run is None:
        return
    for found in _EXPORTED.finditer(step.run.value) if "${{" in step.run.value else ():
        cloud = _KEY_VARIABLES[found.group(1).lower()]
        at = position_in(ctx, path, step.run, found.start())
        what = f"exports `{found.group(1)}` from a secret"
        yield _finding(ctx, path, at, where=where, cloud=cloud, what=what)
    if cloud_logins.LOGIN_WORDS.search(step.run.value) is None:
        return
    block = blocks.script_of(ctx, path, step)
    if block is None or block.dialect != "sh":
        return
    for command in block.shell.commands:
        login = cloud_logins.static_login_of(command)
        if login is not None:
            what = f"logs in with a long-lived key (`{display(command.raw)}`)"
            yield _finding(ctx, path, login.key.at, where=where, cloud=login.provider, what=what)


def _env_findings(ctx: CheckContext, path: str, where: Where, env: Pairs) -> Iterator[Finding]:
    for key, value in env:
        cloud = _KEY_VARIABLES.get(key.value.lower())
        if cloud is not None and _STORED.search(value.value):
            what = f"sets `{display(key.value)}` from a stored secret"
            yield _finding(ctx, path, value.at, where=where, cloud=cloud, what=what)


def _finding(
    ctx: CheckContext, path: str, at: Position, *, where: Where, cloud: str, what: str
) -> Finding:
    message = (
        f"{where()} {what} for {cloud}: whoever reads it (a compromised step or dependency, a "
        f"leaked log) can use the account from anywhere until the key is rotated. {cloud} "
        f"accepts the workflow's short-lived OIDC token instead: {OIDC_FORM[cloud]}"
    )
    return ctx.finding(path, at, message, f"{cloud}:{what}")
