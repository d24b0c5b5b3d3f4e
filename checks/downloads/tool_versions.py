"""DL006: actions that install a tool at whatever version is newest: told so (`version:
latest`), or by leaving their version input out when no version file names one.

`SETUP_ACTIONS` lists the actions known to install the newest release by default, from
their own `action.yml` and source: the inputs that name a version, and the files they
read one from when those are left out. A config adds more with `[rules.DL006]
latest-by-default`.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping

from repo_harden.core.declare import CheckContext, OptionSpec, check
from repo_harden.core.lazy import lazy_compile
from repo_harden.core.model import Finding, Severity
from repo_harden.core.record import record
from repo_harden.readers.workflows import (
    ACTION,
    ACTION_PATTERNS,
    WORKFLOW,
    WORKFLOW_PATTERNS,
    Step,
    is_action_path,
)

_VERSION_INPUT = lazy_compile(r"(^|[-_])version$", re.IGNORECASE)
_MOVING_VERSIONS = frozenset({"latest", "*", "x"})


@record
class VersionFile:
    """A file an action reads a version from; with `names`, only when its text matches
    (a `required-version` key, a `uv` requirement, a `packageManager` field)."""

    path: str
    names: re.Pattern[str] | None = None
    shown: str = ""  # how the message names what the file must hold

    def describe(self) -> str:
        return f"`{self.path}` {self.shown}".strip()


@record
class SetupAction:
    """An action that installs `tool`, at its newest release unless one of `inputs` is
    given or one of `files` names a version (looked up in the folder its
    `folder_input` names, else the workspace). `skip` lists (input, value) pairs that
    install nothing (`install-mode: none`)."""

    tool: str
    inputs: tuple[str, ...]
    files: tuple[VersionFile, ...] = ()
    folder_input: str | None = None
    skip: tuple[tuple[str, str], ...] = ()


_UV_REQUIREMENT = lazy_compile(r"""["']uv\s*[=<>~!]""")
_RUFF_REQUIREMENT = lazy_compile(r"""["']ruff\s*[=<>~!]|required-version""")
SETUP_ACTIONS: dict[str, SetupAction] = {
    "astral-sh/setup-uv": SetupAction(
        "uv",
        ("version", "version-file"),
        (
            VersionFile(
                "uv.toml", lazy_compile(r"(?m)^\s*required-version\s*="), "`required-version`"
            ),
            VersionFile(
                "pyproject.toml",
                lazy_compile(rf"(?m)^\s*required-version\s*=|{_UV_REQUIREMENT.pattern}"),
                "`[tool.uv] required-version` or a `uv` requirement",
            ),
        ),
        folder_input="working-directory",
    ),
    "astral-sh/ruff-action": SetupAction(
        "Ruff",
        ("version", "version-file"),
        (VersionFile("pyproject.toml", _RUFF_REQUIREMENT, "with a `ruff` requirement"),),
    ),
    "golangci/golangci-lint-action": SetupAction(
        "golangci-lint",
        ("version", "version-file"),
        (
            VersionFile(
                "go.mod",
                lazy_compile(r"github\.com/golangci/golangci-lint/v2\s+v"),
                "requiring `github.com/golangci/golangci-lint/v2`",
            ),
        ),
        folder_input="working-directory",
        skip=(("install-mode", "none"),),
    ),
    "hashicorp/setup-terraform": SetupAction(
        "Terraform", ("terraform_version", "terraform_version_file")
    ),
    "opentofu/setup-opentofu": SetupAction("OpenTofu", ("tofu_version", "tofu_version_file")),
    "hashicorp/setup-packer": SetupAction("Packer", ("version",)),
    "azure/setup-helm": SetupAction("Helm", ("version", "version-file")),
    "azure/setup-kubectl": SetupAction("kubectl", ("version",)),
    "google-github-actions/setup-gcloud": SetupAction("the Google Cloud SDK", ("version",)),
    "shivammathur/setup-php": SetupAction(
        "PHP", ("php-version", "php-version-file"), (VersionFile(".php-version"),)
    ),
    "oven-sh/setup-bun": SetupAction(
        "Bun",
        ("bun-version", "bun-version-file", "bun-download-url"),
        (
            VersionFile(
                "package.json",
                lazy_compile(r""""packageManager"\s*:\s*"bun@"""),
                "with `packageManager: bun@...`",
            ),
        ),
    ),
    "reviewdog/action-setup": SetupAction("reviewdog", ("reviewdog_version",)),
    "aquasecurity/setup-trivy": SetupAction("Trivy", ("version",)),
}

# Actions whose inputs are named after the tools they install, each one's value that
# tool's version or semver range (`oc: "4.14.1"`, `kam: latest`): every input but the
# action's own settings listed here.
TOOL_NAMED_INPUTS: dict[str, frozenset[str]] = {
    "redhat-actions/openshift-tools-installer": frozenset(
        {"github_pat", "source", "skip_cache", "skip_cache_for"}
    ),
}


def setup_actions(configured: Mapping[str, object]) -> dict[str, SetupAction]:
    """The built-in table, with `latest-by-default` entries of the config added (an entry
    for a built-in action replaces it)."""
    table = dict(SETUP_ACTIONS)
    for action, entry in configured.items():
        if isinstance(entry, Mapping):
            inputs = tuple(str(i) for i in entry.get("inputs", ()))
            files = tuple(VersionFile(str(f)) for f in entry.get("version-files", ()))
            table[action.lower()] = SetupAction(action.rsplit("/", 1)[-1], inputs, files)
    return table


def check_latest_by_default(value: object) -> str | None:
    """What is wrong with a `latest-by-default` table, for the config loader."""
    if not isinstance(value, dict):
        return 'must be a table of "owner/action" = { inputs = [...], version-files = [...] }'
    for action, entry in value.items():
        if "/" not in action:
            return f"{action!r} is not an action (`owner/repo`)"
        if not isinstance(entry, dict) or set(entry) - {"inputs", "version-files"}:
            return f"{action!r} must be a table with `inputs` and, optionally, `version-files`"
        for key in ("inputs", "version-files"):
            items = entry.get(key, [])
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                return f"{action!r}: `{key}` must be a list of strings"
        if not entry.get("inputs"):
            return f"{action!r}: `inputs` names no input"
    return None


@check(
    "DL006",
    "unpinned-tool-version",
    Severity.WARNING,
    WORKFLOW_PATTERNS + ACTION_PATTERNS,
    options=(
        OptionSpec(
            "latest-by-default",
            "actions that install the newest release of a tool unless an input names a version: "
            '`"owner/action" = { inputs = ["version"], version-files = [".tool-version"] }`',
            kind=dict,
            validate=check_latest_by_default,
        ),
    ),
    per_file=True,
)
def unpinned_tool_version(ctx: CheckContext) -> Iterator[Finding]:
    """An action installs the latest version of a tool.

    ## What it does
    Finds action inputs that name a tool version (`version`, `go-version`,
    `terraform_version`, ...) as `latest`, `*` or `x`, as in
    `astral-sh/setup-uv` with `version: latest` (or, for
    `redhat-actions/openshift-tools-installer`, whose inputs are the names of
    the tools it installs, `oc: latest`), and actions that install the
    newest release when their version input is left out and no version file
    names one: `astral-sh/setup-uv` (reads `uv.toml` and `pyproject.toml`),
    `astral-sh/ruff-action`, `golangci/golangci-lint-action` (reads
    `go.mod`), `hashicorp/setup-terraform`, `opentofu/setup-opentofu`,
    `hashicorp/setup-packer`, `azure/setup-helm`, `azure/setup-kubectl`,
    `google-github-actions/setup-gcloud`, `shivammathur/setup-php` (reads
    `.php-version`), `oven-sh/setup-bun` (reads `packageManager` in
    `package.json`), `reviewdog/action-setup` and `aquasecurity/setup-trivy`.
    Actions that use the runner's own version when none is given
    (`actions/setup-node`, `actions/setup-python`, `actions/setup-go`) are not
    reported; nor is a runtime's major version (`node-version: 20`).

    Other actions that install the newest release by default can be added:
    ```toml
    [tool.repo-harden.rules.DL006.latest-by-default]
    "acme/setup-tool" = { inputs = ["tool-version"], version-files = [".tool-version"] }
    ```

    ## Why is this bad?
    The action downloads whatever was released last, so a build can break, or
    run a compromised release, with no change in the repository. Pinning the
    action to a SHA does not help: the tool it fetches still moves.

    ## Example
    ```yaml title=".github/workflows/ci.yml"
    on: push
    jobs:
      lint:
        runs-on: ubuntu-latest
        steps:
          - uses: golangci/golangci-lint-action@4afd733a84b1f43292c63897423277bb7f4313a9 # v8.0.0
            with:
              version: latest
          - uses: hashicorp/setup-terraform@b9cd54a3c349d3f38e8881555d616ced269862dd # v3.1.2
    ```

    ## Fix
    Name the exact version, and let Dependabot or Renovate propose updates:
    ```yaml title=".github/workflows/ci.yml"
    on: push
    jobs:
      lint:
        runs-on: ubuntu-latest
        steps:
          - uses: golangci/golangci-lint-action@4afd733a84b1f43292c63897423277bb7f4313a9 # v8.0.0
            with:
              version: v2.1.6
          - uses: hashicorp/setup-terraform@b9cd54a3c349d3f38e8881555d616ced269862dd # v3.1.2
            with:
              terraform_version: 1.12.2
    ```
    """
    configured = ctx.options.get("latest-by-default", {})
    actions = setup_actions(configured if isinstance(configured, Mapping) else {})
    for path in ctx.files:
        for step in _steps(ctx, path):
            yield from _moving_inputs(ctx, path, step)
            yield from _latest_by_default(ctx, path, step, actions)


def _moving_inputs(ctx: CheckContext, path: str, step: Step) -> Iterator[Finding]:
    name = _action_name(step.uses.value) if step.uses is not None else None
    settings = TOOL_NAMED_INPUTS.get(name) if name is not None else None
    for key, value in step.inputs:
        names_version = _VERSION_INPUT.search(key.value) is not None or (
            settings is not None and key.value not in settings
        )
        if names_version and value.value.strip().lower() in _MOVING_VERSIONS:
            message = (
                f"`{key.value}: {value.value}` installs whatever version is newest when "
                f"the job runs; name an exact one (`{key.value}: 1.2.3`)"
            )
            yield ctx.finding(path, value.at, message, f"{key.value}: {value.value}")


def _latest_by_default(
    ctx: CheckContext, path: str, step: Step, actions: Mapping[str, SetupAction]
) -> Iterator[Finding]:
    uses = step.uses
    name = _action_name(uses.value) if uses is not None else None
    action = actions.get(name) if name is not None else None
    if uses is None or name is None or action is None:
        return
    given = {key.value: value.value.strip() for key, value in step.inputs}
    if any(given.get(i) for i in action.inputs):
        return  # an explicit value is judged as written
    if any(given.get(key, "").lower() == value for key, value in action.skip):
        return
    folder = _folder(given.get(action.folder_input, "") if action.folder_input else "")
    if folder is None or any(_names_version(ctx, folder, file) for file in action.files):
        return
    message = _omitted_message(name, action)
    yield ctx.finding(path, uses.at, message, f"{name}|{action.inputs[0]} omitted")


def _omitted_message(name: str, action: SetupAction) -> str:
    files = ", ".join(file.describe() for file in action.files)
    found = f" and no version file names one ({files})" if files else ""
    return (
        f"`{name}` installs the newest {action.tool} when `{action.inputs[0]}` is not "
        f"given{found}, so each run may get a different release; name the exact one "
        f"(`{action.inputs[0]}: 1.2.3`)"
    )


def _names_version(ctx: CheckContext, folder: str, file: VersionFile) -> bool:
    path = posixpath.join(folder, file.path) if folder else file.path
    if path not in _paths(ctx):
        return False
    if file.names is None:
        return True
    text = ctx.parsed.text(path)
    return text is not None and file.names.search(text) is not None


def _paths(ctx: CheckContext) -> frozenset[str]:
    found = ctx.parsed.memo("paths", "", lambda: frozenset(ctx.snapshot.paths()))
    return found or frozenset()


def _folder(value: str) -> str | None:
    """The folder an action reads its version files from; None when it cannot be told (an
    expression, an absolute path): then nothing is reported."""
    if not value or value in (".", "./", "${{ github.workspace }}"):
        return ""
    if "$" in value or value.startswith(("/", "~")):
        return None
    folder = posixpath.normpath(value)
    return None if folder == ".." or folder.startswith("../") else folder


def _action_name(uses: str) -> str | None:
    value = uses.strip()
    if not value or value.startswith(("./", "docker://")):
        return None
    return value.partition("@")[0].lower()


def _steps(ctx: CheckContext, path: str) -> Iterator[Step]:
    if is_action_path(path):
        action = ctx.parsed.read(ACTION, path)
        yield from action.steps if action else ()
        return
    workflow = ctx.parsed.read(WORKFLOW, path)
    for job in workflow.jobs if workflow else ():
        yield from job.steps
