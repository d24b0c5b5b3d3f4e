"""The shell a repository runs, wherever it is written: `run:` steps of workflows and
composite actions, the inputs of actions that run them as shell scripts (`with: run:` of
`uraimo/run-on-arch-action`, `script:` of `appleboy/ssh-action`...), Dockerfile `RUN`
instructions, Makefile recipes and shell scripts.

Each piece is a `ScriptBlock` that knows its dialect (POSIX shell or PowerShell)
and is parsed only when a check asks for its commands, so a check can first
look for the words it cares about and skip the rest. A block that does not
parse is reported once per file as RH000 by the engine; its commands that did
parse are still checked.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.model import Position
from repo_harden.core.record import record
from repo_harden.readers.file_kinds import (
    is_dockerfile_path,
    is_makefile_path,
    is_shell_script,
    may_be_shell_script,
)
from repo_harden.readers.source_map import FileLines, SourceMap
from repo_harden.readers.workflows import ACTION, WORKFLOW, Step, is_action_path, is_workflow_path
from repo_harden.readers.yaml import Scalar
from repo_harden.shell.analyser import MAX_DEPTH, SHELLS, ShellScript, parse_shell, script_from_argv

if TYPE_CHECKING:
    from repo_harden.core.declare import CheckContext
    from repo_harden.core.parsed import ParsedFiles
    from repo_harden.readers.dockerfile import Dockerfile, Instruction
    from repo_harden.readers.workflows import Job, Workflow

ShellInputs = Mapping[str, tuple[str, ...]]
"""Actions (`owner/repo` or `owner/repo/path`, lower case) and the inputs each runs as a
shell script; a config's `shell-inputs` table adds to (or replaces entries of) the built-in
table."""


@record
class ShellInputAction:
    """An action that runs some of its inputs as shell scripts. `shell_input` names the input
    that chooses the shell, if any; `on_runner` is true when the script runs on the runner
    itself, in the workspace (otherwise in a container, a virtual machine or on a remote
    host, where the shell and the folder are the action's)."""

    inputs: tuple[str, ...]
    shell_input: str | None = None
    on_runner: bool = False


_VM_INPUTS = ShellInputAction(("prepare", "run"))
_RETRY = ShellInputAction(
    ("command", "on_retry_command", "new_command_on_retry"), "shell", on_runner=True
)
SHELL_INPUT_ACTIONS: dict[str, ShellInputAction] = {
    "uraimo/run-on-arch-action": ShellInputAction(("run", "install", "setup"), "shell"),
    "appleboy/ssh-action": ShellInputAction(("script",)),
    "garygrossgarten/github-action-ssh": ShellInputAction(("command",)),
    "addnab/docker-run-action": ShellInputAction(("run",), "shell"),
    "nick-fields/retry": _RETRY,
    "nick-invision/retry": _RETRY,
    "cross-platform-actions/action": ShellInputAction(("run",), "shell"),
    "pguyot/arm-runner-action": ShellInputAction(("commands",)),
    "vmactions/freebsd-vm": _VM_INPUTS,
    "vmactions/openbsd-vm": _VM_INPUTS,
    "vmactions/netbsd-vm": _VM_INPUTS,
    "vmactions/solaris-vm": _VM_INPUTS,
    "vmactions/dragonflybsd-vm": _VM_INPUTS,
    "vmactions/omnios-vm": _VM_INPUTS,
}


def shell_input_table(configured: ShellInputs) -> dict[str, ShellInputAction]:
    """The built-in table, with the config's entries added; a configured action replaces the
    built-in entry of the same name (`[]` turns it off)."""
    table = dict(SHELL_INPUT_ACTIONS)
    for action, inputs in configured.items():
        table[action.strip().lower()] = ShellInputAction(tuple(inputs))
    return table


def action_name(uses: str) -> str | None:
    """`owner/repo[/path]` of a `uses:` value, lower case; None for local and Docker ones."""
    value = uses.strip()
    if not value or value.startswith(("./", "docker://")):
        return None
    return value.partition("@")[0].lower()


_HEREDOC_MARK = lazy_compile(r"(?<![<\w])<<(?!<)-?\s*([\"']?)[A-Za-z0-9_.-]+\1")


class ScriptBlock:
    """One piece of shell: its text, its dialect (`sh` or `pwsh`), and, parsed on demand,
    its commands. `group` is shared by blocks that run one after another on the same
    files (the `RUN`s of a Dockerfile stage); `strict` is false when the shell had to be
    guessed, and then a parse error is not reported."""

    def __init__(
        self,
        text: str,
        locate: SourceMap | Callable[[], SourceMap],
        *,
        dialect: str,
        where: str,
        group: object,
        strict: bool = True,
        report: Callable[[Position, str], None] | None = None,
        parsed: ShellScript | None = None,
        directory: str | None = None,
        origin: Scalar | None = None,
    ) -> None:
        self.text = text
        self.origin = origin  # the `run:` or input scalar it was read from, in YAML
        self.dialect = dialect
        self.where = where
        self.group = group
        self.strict = strict
        self.directory = directory  # where it runs, repo-relative; None when unknown
        self._locate = locate
        self._report = report
        self._source: SourceMap | None = None
        self._parsed = parsed

    def mentions(self, words: re.Pattern[str]) -> bool:
        """A cheap first look: does the text hold any of these words at all?"""
        return words.search(self.text) is not None

    @property
    def source(self) -> SourceMap:
        if self._source is None:
            locate = self._locate
            self._source = locate if isinstance(locate, SourceMap) else locate()
        return self._source

    @property
    def shell(self) -> ShellScript:
        """The commands, parsed once; a parse error is reported (when the shell is known)."""
        if self._parsed is None:
            self._parsed = parse_shell(self.source)
            error = self._parsed.error
            if error is not None and self._parsed.too_deep and self._report is not None:
                self._report(
                    error,
                    f"the {self.where} starting at line {self.source.position(0).line} nests "
                    f"deeper than {MAX_DEPTH} levels at line {error.line}, so its commands "
                    "from there on were not checked",
                )
            elif error is not None and self.strict and self._report is not None:
                start = self.source.position(0)
                self._report(
                    error,
                    f"the {self.where} starting at line {start.line} is not valid shell "
                    f"(tree-sitter-bash stops at line {error.line}, column {error.column}); "
                    "its other commands and the rest of the file were still checked",
                )
        return self._parsed


def scripts_in(ctx: CheckContext, path: str) -> tuple[ScriptBlock, ...]:
    """Every piece of shell the file at `path` runs, with the shell inputs the config
    names, read once per run."""
    return scripts_of(ctx.parsed, path, ctx.shell_inputs)


def scripts_of(
    cache: ParsedFiles, path: str, shell_inputs: ShellInputs | None = None
) -> tuple[ScriptBlock, ...]:
    """Every piece of shell the file at `path` runs, read once per run (every check of a
    run is given the same `shell_inputs`, from the config)."""
    table = shell_input_table(shell_inputs or {})
    return cache.memo("scripts", path, lambda: read_scripts(cache, path, table)) or ()


def script_of(ctx: CheckContext, path: str, step: Step) -> ScriptBlock | None:
    """The block of one step's `run:` (the step as the file's reading gave it): the same
    block the other checks read, parsed once."""

    def index() -> dict[int, ScriptBlock]:
        return {id(block.origin): block for block in scripts_in(ctx, path) if block.origin}

    by_run = ctx.parsed.memo("script-by-run", path, index) if step.run is not None else None
    return by_run.get(id(step.run)) if by_run is not None else None


def dockerfile_of(cache: ParsedFiles, path: str) -> Dockerfile | None:
    """The Dockerfile at `path`, read once per run; None when it cannot be read."""

    def read() -> Dockerfile | None:
        from repo_harden.readers.dockerfile import read_dockerfile

        text = cache.text(path)
        return read_dockerfile(text) if text is not None else None

    return cache.memo("dockerfile", path, read)


def read_scripts(
    cache: ParsedFiles, path: str, shell_actions: Mapping[str, ShellInputAction] | None = None
) -> tuple[ScriptBlock, ...]:
    """Every piece of shell the file at `path` runs."""

    def report(at: Position, message: str) -> None:
        cache.problem(path, message, at)

    if is_workflow_path(path) or is_action_path(path):
        actions = SHELL_INPUT_ACTIONS if shell_actions is None else shell_actions
        return tuple(_yaml_blocks(cache, path, report, actions))
    if is_dockerfile_path(path):
        dockerfile = dockerfile_of(cache, path)
        return tuple(_dockerfile_blocks(dockerfile, report)) if dockerfile else ()
    if is_makefile_path(path):
        text = cache.text(path)
        folder = posixpath.dirname(path)
        return tuple(_recipe_blocks(text, report, folder)) if text else ()
    text = cache.text(path) if may_be_shell_script(path) else None
    if text is not None and is_shell_script(path, text):
        source = SourceMap.verbatim(text)
        return (ScriptBlock(text, source, dialect="sh", where="script", group=path, report=report),)
    return ()


def _yaml_blocks(
    cache: ParsedFiles,
    path: str,
    report: Callable[[Position, str], None],
    actions: Mapping[str, ShellInputAction],
) -> Iterator[ScriptBlock]:
    file_text = cache.text(path) or ""
    lines: list[FileLines] = []  # built when a first block is located

    def locator(scalar: Scalar) -> Callable[[], SourceMap]:
        def locate() -> SourceMap:
            if not lines:
                lines.append(FileLines(file_text))
            return SourceMap.aligned(scalar.value, file_text, scalar.at, lines[0])

        return locate

    for placed in _run_steps(cache, path):
        step = placed.step
        if step.run is not None and placed.dialect is not None:
            yield ScriptBlock(
                step.run.value,
                locator(step.run),
                dialect=placed.dialect,
                where="`run:` script",
                group=placed.group,
                strict=placed.strict,
                report=report,
                directory=placed.directory,
                origin=step.run,
            )
        action = actions.get(action_name(step.uses.value) or "") if step.uses else None
        if action is not None:
            yield from _input_blocks(step, action, placed, locator)


def _input_blocks(
    step: Step,
    action: ShellInputAction,
    placed: _PlacedStep,
    locator: Callable[[Scalar], Callable[[], SourceMap]],
) -> Iterator[ScriptBlock]:
    """The inputs an action runs as shell scripts. Each is a script of its own (it runs in
    the action's container, machine or remote host), and its shell is a guess, so a parse
    error in it is not reported."""
    inputs = {key.value: value for key, value in step.inputs}
    chosen = inputs.get(action.shell_input) if action.shell_input else None
    if chosen is not None:
        dialect = _dialect(chosen)
        if dialect is None:
            return  # python, cmd, or an expression: not shell we read
        name = dialect[0]
    else:
        name = placed.runner_dialect if action.on_runner else "sh"
    for key, value in step.inputs:
        if key.value in action.inputs and value.value.strip():
            yield ScriptBlock(
                value.value,
                locator(value),
                dialect=name,
                where=f"`{key.value}:` input script",
                group=("input", value.at),
                strict=False,
                directory=placed.directory if action.on_runner else None,
            )


@record
class _PlacedStep:
    """A step with the dialect its `run:` is read in (None: not shell), whether that is
    known for sure, its job (the steps of a job run one after another on the same files),
    the runner's own dialect and the folder its commands start in."""

    step: Step
    dialect: str | None
    strict: bool
    group: object
    runner_dialect: str
    directory: str | None


def _run_steps(cache: ParsedFiles, path: str) -> Iterator[_PlacedStep]:
    if is_action_path(path):
        action = cache.read(ACTION, path)
        for step in action.steps if action else ():
            dialect = _dialect(step.shell)
            name = dialect[0] if dialect else "sh"
            folder = _folder(step.working_directory)
            yield _PlacedStep(step, name, dialect is not None, path, "sh", folder)
        return
    workflow = cache.read(WORKFLOW, path)
    if workflow is None:
        return
    for job in workflow.jobs:
        shell = job.default_shell or workflow.default_shell
        runner = _runner_dialect(job.runs_on)
        for step in job.steps:
            chosen = step.shell or shell
            dialect = _dialect(chosen) if chosen else runner
            folder = _step_folder(step, job, workflow)
            yield _PlacedStep(
                step,
                dialect[0] if dialect else None,
                dialect[1] if dialect else False,
                job.id.at,
                runner[0],
                folder,
            )


def _step_folder(step: Step, job: Job, workflow: Workflow) -> str | None:
    given = step.working_directory or job.default_working_directory
    return _folder(given or workflow.default_working_directory)


def _folder(working_directory: Scalar | None) -> str | None:
    """`working-directory` as a repo-relative folder ("" for the workspace itself); None for
    an expression or a path outside the workspace."""
    if working_directory is None:
        return ""
    value = working_directory.value.strip()
    if "${{" in value or "$" in value or value.startswith(("/", "~")):
        return None
    folder = posixpath.normpath(value)
    if folder == "..":
        return None
    if folder.startswith("../"):
        return None
    return "" if folder == "." else folder


def _dialect(shell: Scalar | None) -> tuple[str, bool] | None:
    """`shell:` as a dialect: bash and sh are shell, pwsh and powershell are PowerShell,
    anything else (python, cmd, a custom command) is not read."""
    if shell is None or "${{" in shell.value or not shell.value.split():
        return None
    words = shell.value.split()
    name = words[0].rsplit("/", 1)[-1].lower()
    if name in SHELLS:
        return "sh", True
    if name in ("pwsh", "powershell"):
        return "pwsh", True
    return None


def _runner_dialect(labels: tuple[Scalar, ...]) -> tuple[str, bool]:
    """The default shell of the runner: PowerShell on Windows, bash elsewhere. Sure only
    when the labels name the system (not `self-hosted` alone, not an expression)."""
    names = [label.value.lower() for label in labels]
    if any("windows" in name for name in names):
        return "pwsh", True
    known = any(name.startswith(("ubuntu", "macos")) or "linux" in name for name in names)
    return "sh", known and not any("${{" in name for name in names)


def _dockerfile_blocks(
    dockerfile: Dockerfile, report: Callable[[Position, str], None]
) -> Iterator[ScriptBlock]:
    dialect = "sh"
    for instruction in dockerfile.instructions:
        if instruction.keyword == "FROM":
            dialect = "sh"
        elif instruction.keyword == "SHELL" and instruction.exec_form:
            name = instruction.exec_form[0].text.rsplit("/", 1)[-1].lower().removesuffix(".exe")
            dialect = "pwsh" if name in ("pwsh", "powershell") else "sh" if name in SHELLS else ""
        elif instruction.keyword == "RUN" and dialect:
            yield from _run_instruction(instruction, dialect, report)


def _run_instruction(
    instruction: Instruction, dialect: str, report: Callable[[Position, str], None]
) -> Iterator[ScriptBlock]:
    group = ("stage", instruction.stage)
    where = "`RUN` instruction"
    if instruction.exec_form is not None:
        argv = instruction.exec_form
        names = [word.text for word in argv]
        if len(argv) >= 3 and names[0].rsplit("/", 1)[-1] in SHELLS and names[1].endswith("c"):
            script = SourceMap.verbatim(argv[2].text, argv[2].at.line, argv[2].at.column)
            yield ScriptBlock(
                script.text,
                script,
                dialect=dialect,
                where=where,
                group=group,
                report=report,
            )
        elif argv:
            parsed = script_from_argv([(w.text, w.at) for w in argv], instruction.source.text)
            yield ScriptBlock(
                " ".join(names),
                instruction.source,
                dialect="sh",
                where=where,
                group=group,
                parsed=parsed,
            )
        return
    source = instruction.source
    if instruction.heredocs:
        line = _HEREDOC_MARK.sub(lambda m: " " * len(m.group()), source.text)
        words = line.split()
        if not words or (words[0].rsplit("/", 1)[-1] in SHELLS and "-c" not in words):
            for heredoc in instruction.heredocs:
                body = heredoc.body
                yield ScriptBlock(
                    body.text,
                    body,
                    dialect=dialect,
                    where=where,
                    group=group,
                    report=report,
                )
            return
        source = source.with_text(line)  # the command that reads the here-document
    yield ScriptBlock(source.text, source, dialect=dialect, where=where, group=group, report=report)


def _recipe_blocks(
    text: str, report: Callable[[Position, str], None], folder: str
) -> Iterator[ScriptBlock]:
    from repo_harden.readers.makefile import read_recipes

    for recipe in read_recipes(text):
        source = recipe.source
        yield ScriptBlock(
            source.text,
            source,
            dialect="sh",
            where="recipe",
            group=("recipe", recipe.line),
            report=report,
            directory=folder,  # make runs recipes in the Makefile's folder
        )
