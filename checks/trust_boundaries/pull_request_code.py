"""Where a job puts a pull request's code in its working tree, and where it then runs it:
the detection behind WF002, read only for jobs that a privileged event starts."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from repo_harden.checks.trust_boundaries.known_actions import (
    CHECKOUT,
    action_of,
    input_of,
    is_local_action,
    truthy,
)
from repo_harden.checks.trust_boundaries.workflow_runs import position_in
from repo_harden.core.declare import CheckContext
from repo_harden.core.lazy import lazy_compile, lazy_import
from repo_harden.core.model import Position
from repo_harden.core.record import record
from repo_harden.readers.workflows import Job, Step, display

if TYPE_CHECKING:
    from repo_harden.shell import blocks, workspace_code
    from repo_harden.shell.analyser import Command
else:
    blocks = lazy_import("repo_harden.shell.blocks")
    workspace_code = lazy_import("repo_harden.shell.workspace_code")

# Refs that name the pull request's code: a commit (fixed once the event is sent) or a
# branch or pull ref (whatever was pushed last when the job runs).
UNSAFE_INPUT = "allow-unsafe-pr-checkout"  # a checkout input that allows any pull request ref

_FIXED_REF = lazy_compile(
    r"pull_request\.head\.sha|workflow_run\.head_sha|pull_request\.merge_commit_sha", re.I
)
_MOVING_REF = lazy_compile(
    r"head_ref|pull_request\.head\.ref|workflow_run\.head_branch|refs/pull/"
    r"|steps\.[\w-]+\.outputs\.[\w-]*(head|pr|pull)|head\.repo\.full_name|head_repository",
    re.I,
)
_CLI_CHECKOUT = lazy_compile(r"\b(gh|hub)\s+pr\s+checkout\b", re.I)
_GIT = lazy_compile(r"\bgit\s", re.I)
_GIT_FETCHES = lazy_compile(r"\b(fetch|pull|checkout|switch|clone)\b", re.I)
_PULL_REF = lazy_compile(
    r"refs/pull/|pull/(\$\{\{[^}]{0,200}\}\}|[^/\s]+)/(head|merge)|head_ref|head\.ref|head\.sha"
    r"|head_sha|head_branch",
    re.I,
)
_SAME_REPOSITORY = lazy_compile(
    r"head\.repo\.full_name\s*==\s*github\.repository\b"
    r"|github\.repository\s*==\s*github\.event\.pull_request\.head\.repo\.full_name"
    r"|head_repository\.full_name\s*==\s*github\.repository\b"
    r"|github\.repository\s*==\s*github\.event\.workflow_run\.head_repository\.full_name"
    r"|head\.repo\.fork\s*==\s*false|!\s*github\.event\.pull_request\.head\.repo\.fork\b"
    r"|head_repository\.fork\s*==\s*false|workflow_run\.event\s*==\s*'push'",
    re.I,
)
_APPROVAL = lazy_compile(
    r"github\.event\.label\.name|\.labels\b|author_association|review\.state\s*==\s*'approved'",
    re.I,
)
# Actions that run the code in the working tree (builds, installs with scripts, tests).
_RUNNING_ACTIONS = {
    "github/codeql-action/autobuild": None,
    "pre-commit/action": None,
    "cypress-io/github-action": None,
    "bahmutov/npm-install": None,
    "borales/actions-yarn": None,
    "gradle/gradle-build-action": "arguments",
    "docker/build-push-action": "context",
    "docker/bake-action": "source",
    "ruby/setup-ruby": "bundler-cache",
    "pnpm/action-setup": "run_install",
    "nick-fields/retry": "command",
    "jfrog/frogbot": None,
}


@record
class Checkout:
    """A step that puts the pull request's code in the working tree."""

    index: int
    at: Position
    what: str
    moving: bool  # a branch or pull ref: the author can change it after the event
    folder: str  # where it goes ("" for the working tree's root)
    offset: int = -1  # in a `run:` script, where the checkout command is


@record
class Execution:
    index: int
    what: str


def gate_of(job: Job, checkout: Checkout) -> tuple[bool, bool]:
    """(the job runs only for the repository's own pull requests, a maintainer approved it)"""
    conditions = " ".join(
        c.value for c in (job.condition, job.steps[checkout.index].condition) if c is not None
    )
    same_repository = _SAME_REPOSITORY.search(conditions) is not None and "||" not in conditions
    # A deployment environment may require a reviewer before the job starts.
    approved = _APPROVAL.search(conditions) is not None or job.environment is not None
    return same_repository, approved


def checkout_of(ctx: CheckContext, path: str, job: Job) -> Checkout | None:
    for index, step in enumerate(job.steps):
        found = _action_checkout(index, step) or _script_checkout(ctx, path, index, step)
        if found is not None:
            return found
    return None


def _action_checkout(index: int, step: Step) -> Checkout | None:
    unsafe = input_of(step, UNSAFE_INPUT)
    if action_of(step) != CHECKOUT and not truthy(unsafe):
        return None
    ref, repository = input_of(step, "ref"), input_of(step, "repository")
    named = " ".join(v.value for v in (ref, repository) if v is not None)
    fixed = _FIXED_REF.search(named) is not None
    if not fixed and _MOVING_REF.search(named) is None and not truthy(unsafe):
        return None
    shown = ref or repository or unsafe
    at = shown.at if shown is not None else (step.uses.at if step.uses else Position(1, 1))
    key = "ref" if ref is not None else "repository" if repository is not None else UNSAFE_INPUT
    what = f"`{key}: {display(shown.value)}`" if shown is not None else "`actions/checkout`"
    folder = input_of(step, "path")
    return Checkout(index, at, what, not fixed, _folder(folder.value if folder else ""))


def _script_checkout(ctx: CheckContext, path: str, index: int, step: Step) -> Checkout | None:
    if step.run is None:
        return None
    found = _pull_request_fetch(step.run.value)
    if found is None:
        return None
    start, end = found
    text = step.run.value[start:end]
    moving = _FIXED_REF.search(text) is None
    at = position_in(ctx, path, step.run, start)
    return Checkout(index, at, f"`{display(text)}`", moving, "", end)


def _pull_request_fetch(script: str) -> tuple[int, int] | None:
    """Where a script checks out a pull request (`gh pr checkout`, or git fetching or
    checking out a pull ref or the head), line by line: (start, end of that line)."""
    offset = 0
    for line in script.splitlines(keepends=True):
        cli = _CLI_CHECKOUT.search(line)
        git = _GIT.search(line) if cli is None else None
        fetches = git is not None and bool(
            _GIT_FETCHES.search(line, git.end()) and _PULL_REF.search(line, git.end())
        )
        match = cli if cli is not None else git if fetches else None
        if match is not None:
            return offset + match.start(), offset + len(line.rstrip("\r\n"))
        offset += len(line)
    return None


def _folder(value: str) -> str:
    value = value.strip().removeprefix("./").rstrip("/")
    return "" if value in ("", ".", "${{ github.workspace }}") else value


def execution_after(ctx: CheckContext, path: str, job: Job, checkout: Checkout) -> Execution | None:
    for index in range(checkout.index, len(job.steps)):
        step = job.steps[index]
        if index == checkout.index and checkout.offset < 0:
            continue
        if index > checkout.index and _replaces(step, checkout.folder):
            return None  # the base branch is checked out over it before anything runs
        found = _executes(ctx, path, step, checkout, index == checkout.index)
        if found is not None:
            return Execution(index, found)
    return None


def _executes(
    ctx: CheckContext, path: str, step: Step, checkout: Checkout, same_step: bool
) -> str | None:
    """What the step runs of the checked-out code (a command, an action), or None."""
    if step.uses is not None:
        return _action_executes(step, checkout.folder)
    if step.run is None:
        return None
    text = step.run.value
    if workspace_code.WORKSPACE_WORDS.search(text) is None:
        return None
    block = blocks.script_of(ctx, path, step)
    if block is None or block.dialect != "sh":
        return display(text) if _in_folder(step, checkout.folder) else None
    folder = checkout.folder
    inside = not folder or _within(
        step.working_directory.value if step.working_directory else "", folder
    )
    for command in block.shell.commands:
        if same_step and command.offset < checkout.offset:
            continue
        if command.program in ("cd", "pushd"):
            target = next((w.text for w in command.words[1:] if not w.text.startswith("-")), "")
            inside = not folder or _within(target, folder)
            continue
        if not (inside or _names_folder(command, folder)):
            continue
        if workspace_code.runs_workspace_code(command):
            return display(command.raw)
    return None


def _within(path: str, folder: str) -> bool:
    path = path.strip().strip("'\"").removeprefix("./")
    return path == folder or path.startswith(f"{folder}/")


def _names_folder(command: Command, folder: str) -> bool:
    """The command runs something in the folder: its program is there, or its first
    argument, or the value of one of its options (`make -C pr`, `npm --prefix pr ci`)."""
    words = command.words
    if not words:
        return False
    if _within(words[0].text, folder):
        return True
    previous = ""
    for word in words[1:]:
        text = word.text
        if text.startswith("-"):
            if "=" in text and _within(text.split("=", 1)[1], folder):
                return True
        elif previous.startswith("-"):
            if _within(text, folder):
                return True
        else:
            return _within(text, folder)  # the first argument
        previous = text
    return False


def _action_executes(step: Step, folder: str) -> str | None:
    uses = step.uses.value.strip() if step.uses is not None else ""
    if is_local_action(step):
        local = uses.removeprefix("./")
        return f"uses: {display(uses)}" if not folder or local.startswith(f"{folder}/") else None
    name = action_of(step)
    if name is None or name not in _RUNNING_ACTIONS:
        return None
    needed = _RUNNING_ACTIONS[name]
    value = input_of(step, needed) if needed is not None else None
    if needed is not None and (value is None or value.value.strip().lower() in ("false", "")):
        return None
    directory = input_of(step, "working-directory")
    inside = directory is not None and directory.value.strip().removeprefix("./").startswith(folder)
    if folder and not inside and not (value is not None and folder in value.value):
        return None
    return f"uses: {display(uses)}"


def _replaces(step: Step, folder: str) -> bool:
    """A plain checkout (of the event's commit) into the same folder."""
    if action_of(step) != CHECKOUT or _action_checkout(0, step) is not None:
        return False
    other = input_of(step, "path")
    return _folder(other.value if other is not None else "") == folder


def _in_folder(step: Step, folder: str) -> bool:
    """The step works on the checked-out folder: it is the root, the step's working
    directory, or a path its script names."""
    if not folder:
        return True
    directory = step.working_directory.value if step.working_directory else ""
    if directory.strip().removeprefix("./").startswith(folder):
        return True
    text = step.run.value if step.run is not None else ""
    return re.search(rf"(^|[\s/'\"=]){re.escape(folder)}(/|\b)", text) is not None
