"""The shell a repository runs, wherever it is written: `run:` steps of workflows and
composite actions, Dockerfile `RUN` instructions, Makefile recipes and shell scripts.

Each piece is a `ScriptBlock` that knows its dialect (POSIX shell or PowerShell)
and is parsed only when a check asks for its commands, so a check can first
look for the words it cares about and skip the rest. A block that does not
parse is reported once per file as RH000 by the engine; its commands that did
parse are still checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from repo_harden.core.model import Position
from repo_harden.readers.file_kinds import (
    SHELL_EXTENSIONS,
    file_name,
    is_dockerfile_path,
    is_makefile_path,
    may_be_shell_script,
)
from repo_harden.readers.source_map import FileLines, SourceMap
from repo_harden.readers.workflows import ACTION, WORKFLOW, Step, is_action_path, is_workflow_path
from repo_harden.readers.yaml import Scalar
from repo_harden.shell.analyser import MAX_DEPTH, SHELLS, ShellScript, parse_shell, script_from_argv

if TYPE_CHECKING:
    from repo_harden.core.parsed import ParsedFiles
    from repo_harden.readers.dockerfile import Dockerfile, Instruction

_SHEBANG = re.compile(r"#!\s*\S*?(?:/env\s+(?:-\S+\s+)*|/)(?:bash|sh|dash|ash|ksh|mksh)(?:\s|$)")
_LONGEST_SHEBANG = 256
_HEREDOC_MARK = re.compile(r"(?<![<\w])<<(?!<)-?\s*([\"']?)[A-Za-z0-9_.-]+\1")


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
    ) -> None:
        self.text = text
        self.dialect = dialect
        self.where = where
        self.group = group
        self.strict = strict
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


def scripts_of(cache: ParsedFiles, path: str) -> tuple[ScriptBlock, ...]:
    """Every piece of shell the file at `path` runs, read once per run."""
    return cache.memo("scripts", path, lambda: read_scripts(cache, path)) or ()


def dockerfile_of(cache: ParsedFiles, path: str) -> Dockerfile | None:
    """The Dockerfile at `path`, read once per run; None when it cannot be read."""

    def read() -> Dockerfile | None:
        from repo_harden.readers.dockerfile import read_dockerfile

        text = cache.text(path)
        return read_dockerfile(text) if text is not None else None

    return cache.memo("dockerfile", path, read)


def read_scripts(cache: ParsedFiles, path: str) -> tuple[ScriptBlock, ...]:
    """Every piece of shell the file at `path` runs."""

    def report(at: Position, message: str) -> None:
        cache.problem(path, message, at)

    if is_workflow_path(path) or is_action_path(path):
        return tuple(_yaml_blocks(cache, path, report))
    if is_dockerfile_path(path):
        dockerfile = dockerfile_of(cache, path)
        return tuple(_dockerfile_blocks(dockerfile, report)) if dockerfile else ()
    if is_makefile_path(path):
        text = cache.text(path)
        return tuple(_recipe_blocks(text, report)) if text else ()
    text = cache.text(path) if may_be_shell_script(path) else None
    if text is not None and is_shell_script(path, text):
        source = SourceMap.verbatim(text)
        return (ScriptBlock(text, source, dialect="sh", where="script", group=path, report=report),)
    return ()


def is_shell_script(path: str, text: str) -> bool:
    """A `.sh` or `.bash` file, or one without an extension that starts with a sh or bash
    shebang (`#!/bin/sh`, `#!/usr/bin/env bash`)."""
    name = file_name(path)
    if name.endswith(SHELL_EXTENSIONS):
        return True
    first_line = text[: text.find("\n")] if "\n" in text else text
    # only a short first line can be a shebang; a long one would cost its length squared
    return "." not in name and _SHEBANG.match(first_line[:_LONGEST_SHEBANG]) is not None


def _yaml_blocks(
    cache: ParsedFiles, path: str, report: Callable[[Position, str], None]
) -> Iterator[ScriptBlock]:
    file_text = cache.text(path) or ""
    lines: list[FileLines] = []  # built when a first block is located
    for step, dialect, strict, group in _run_steps(cache, path):
        run = step.run
        if run is None or dialect is None:
            continue

        def locate(run: Scalar = run) -> SourceMap:
            if not lines:
                lines.append(FileLines(file_text))
            return SourceMap.aligned(run.value, file_text, run.at, lines[0])

        yield ScriptBlock(
            run.value,
            locate,
            dialect=dialect,
            where="`run:` script",
            group=group,
            strict=strict,
            report=report,
        )


def _run_steps(cache: ParsedFiles, path: str) -> Iterator[tuple[Step, str | None, bool, object]]:
    """Each step with the dialect its `run:` is read in, whether that is known for sure, and
    its job (the steps of a job run one after another on the same files)."""
    if is_action_path(path):
        action = cache.read(ACTION, path)
        for step in action.steps if action else ():
            dialect = _dialect(step.shell)
            yield step, dialect[0] if dialect else "sh", dialect is not None, path
        return
    workflow = cache.read(WORKFLOW, path)
    if workflow is None:
        return
    for job in workflow.jobs:
        shell = job.default_shell or workflow.default_shell
        for step in job.steps:
            chosen = step.shell or shell
            dialect = _dialect(chosen) if chosen else _runner_dialect(job.runs_on)
            if dialect is not None:
                yield step, dialect[0], dialect[1], job.id.at


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


def _recipe_blocks(text: str, report: Callable[[Position, str], None]) -> Iterator[ScriptBlock]:
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
        )
