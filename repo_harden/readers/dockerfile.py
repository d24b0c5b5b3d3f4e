"""The one Dockerfile reader: instructions with positions, as BuildKit reads them.

It follows the parser directives (`# escape=`), joins continued lines (dropping
the comment lines inside them, as Docker does), reads here-documents, tells the
exec form (`["a", "b"]`) from the shell form, names the stages, and expands
`ARG` and `ENV` values (`$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR:+alt}`) where
Docker expands them: in `FROM`, `ADD`, `COPY` and the like, not in `RUN`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.model import Position
from repo_harden.core.record import field, record
from repo_harden.readers.source_map import SourceBuilder, SourceMap

_DIRECTIVE = lazy_compile(r"^\s*#\s*([a-zA-Z]+)\s*=\s*(.*)$")  # the value is rstripped
_INSTRUCTION = lazy_compile(r"^(\s*)([A-Za-z]+)(\s+|$)")
_HEREDOC = lazy_compile(r"(?<![<\w])<<(?!<)(-?)\s*([\"']?)([A-Za-z0-9_.-]+)\2")
_FLAG = lazy_compile(r"--([a-z][a-z0-9-]*)(?:=(\S*))?")
_WORD = lazy_compile(r"\S+")
_VARIABLE = lazy_compile(
    r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))"
)


@record
class DockerWord:
    """A whitespace-separated word of an instruction, as written."""

    text: str
    at: Position


@record
class Heredoc:
    """A here-document's body: the lines between `<<EOF` and `EOF`."""

    delimiter: str
    body: SourceMap


@record
class Instruction:
    """One instruction. `flags` are its leading `--name=value` options; `source` is the text
    after them (continued lines joined), `exec_form` its JSON array when it is one."""

    keyword: str
    at: Position
    flags: dict[str, DockerWord]
    source: SourceMap
    exec_form: tuple[DockerWord, ...] | None
    heredocs: tuple[Heredoc, ...]
    stage: int
    variables: dict[str, str] = field(default_factory=dict)

    @property
    def words(self) -> list[DockerWord]:
        text = self.source.text
        return [
            DockerWord(m.group(), self.source.position(m.start())) for m in _WORD.finditer(text)
        ]

    def expand(self, text: str) -> tuple[str, bool]:
        """`text` with the ARG and ENV values known here substituted; False when some
        variable has no known value (it is left as written)."""
        return expand(text, self.variables)


@record
class Stage:
    """A build stage: its `FROM` image word, and its `AS` name if it has one."""

    index: int
    image: DockerWord | None
    name: str | None
    instruction: Instruction


@record
class Dockerfile:
    instructions: tuple[Instruction, ...]
    stages: tuple[Stage, ...]
    escape: str

    def stage_named(self, name: str, before: int) -> bool:
        """Whether `name` is an earlier stage (by name or number)."""
        name = name.lower()
        return any(
            stage.index < before and name in (str(stage.index), (stage.name or "").lower())
            for stage in self.stages
        )


def expand(text: str, variables: dict[str, str]) -> tuple[str, bool]:
    known = True

    def substitute(match: re.Match[str]) -> str:
        nonlocal known
        name = match.group(1) or match.group(4)
        operator, word = match.group(2), match.group(3)
        value = variables.get(name)
        if operator in (":-", "-"):
            if value is None or (operator == ":-" and not value):
                return word
            return value
        if operator in (":+", "+"):
            return word if value else ""
        if value is None:
            known = False
            return match.group()
        return value

    return _VARIABLE.sub(substitute, text), known


def read_dockerfile(text: str) -> Dockerfile:
    return _Reader(text).read()


class _Reader:
    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.escape = "\\"
        self.index = 0
        self.instructions: list[Instruction] = []
        self.stages: list[Stage] = []
        self.global_args: dict[str, str] = {}
        self.variables: dict[str, str] = {}

    def read(self) -> Dockerfile:
        self.directives()
        while self.index < len(self.lines):
            line = self.lines[self.index]
            if not line.strip() or line.lstrip().startswith("#"):
                self.index += 1
                continue
            self.instruction()
        return Dockerfile(tuple(self.instructions), tuple(self.stages), self.escape)

    def directives(self) -> None:
        while self.index < len(self.lines):
            match = _DIRECTIVE.match(self.lines[self.index])
            if match is None:
                return
            value = match.group(2).rstrip()
            if match.group(1).lower() == "escape" and value in ("\\", "`"):
                self.escape = value
            self.index += 1

    def instruction(self) -> None:
        first = self.index
        match = _INSTRUCTION.match(self.lines[first])
        if match is None:
            self.index += 1
            return
        keyword = match.group(2).upper()
        at = Position(first + 1, len(match.group(1)) + 1)
        source = self.joined(match.end())
        flags, source = (
            _flags(source) if keyword in ("FROM", "RUN", "ADD", "COPY") else ({}, source)
        )
        heredocs = self.heredocs(source.text) if keyword in ("RUN", "COPY", "ADD") else ()
        if keyword == "FROM":  # FROM sees only the ARGs declared before the first FROM
            stage, variables = len(self.stages), self.global_args
        else:
            stage, variables = len(self.stages) - 1, self.variables
        instruction = Instruction(
            keyword, at, flags, source, _exec_form(source), heredocs, stage, dict(variables)
        )
        self.instructions.append(instruction)
        self.track(instruction)

    def joined(self, start_column: int) -> SourceMap:
        """The instruction's text from `start_column` of its first line, continued lines
        joined without the escape character, comment lines inside dropped."""
        builder = SourceBuilder()
        column = start_column
        while self.index < len(self.lines):
            line = self.lines[self.index]
            number = self.index + 1
            self.index += 1
            stripped = line.rstrip()
            if stripped.endswith(self.escape):
                builder.add(stripped[column:-1], number, column + 1)
                column = 0
                self.skip_comments()
                continue
            builder.add(line[column:], number, column + 1)
            break
        return builder.build()

    def skip_comments(self) -> None:
        while self.index < len(self.lines):
            line = self.lines[self.index].strip()
            if line and not line.startswith("#"):
                return
            self.index += 1

    def heredocs(self, text: str) -> tuple[Heredoc, ...]:
        found = []
        for match in _HEREDOC.finditer(text):
            strip_tabs, delimiter = match.group(1) == "-", match.group(3)
            builder = SourceBuilder()
            while self.index < len(self.lines):
                line = self.lines[self.index]
                self.index += 1
                content = line.lstrip("\t") if strip_tabs else line
                if content == delimiter:
                    break
                builder.add(content, self.index, len(line) - len(content) + 1)
                builder.add_newline()
            found.append(Heredoc(delimiter, builder.build()))
        return tuple(found)

    def track(self, instruction: Instruction) -> None:
        """Stages, and the variables that later instructions see."""
        keyword = instruction.keyword
        if keyword == "FROM":
            self.from_stage(instruction)
        elif keyword == "ARG":
            for word in instruction.words:
                name, equals, default = word.text.partition("=")
                value = expand(_unquote(default), self.variables)[0] if equals else None
                if value is None:
                    value = self.global_args.get(name) if self.stages else None
                target = self.variables if self.stages else self.global_args
                if value is not None:
                    target[name] = value
                    self.variables[name] = value
        elif keyword == "ENV":
            self.environment(instruction)

    def from_stage(self, instruction: Instruction) -> None:
        words = instruction.words
        image = words[0] if words else None
        name = words[2].text if len(words) >= 3 and words[1].text.lower() == "as" else None
        self.stages.append(Stage(len(self.stages), image, name, instruction))
        self.variables = {}

    def environment(self, instruction: Instruction) -> None:
        words = instruction.words
        if len(words) >= 2 and "=" not in words[0].text:
            value = instruction.source.text.split(None, 1)[1].strip()
            self.variables[words[0].text] = expand(_unquote(value), self.variables)[0]
            return
        for word in words:
            name, equals, value = word.text.partition("=")
            if equals:
                self.variables[name] = expand(_unquote(value), self.variables)[0]


def _flags(source: SourceMap) -> tuple[dict[str, DockerWord], SourceMap]:
    """Leading `--name[=value]` options, and the text after them."""
    flags: dict[str, DockerWord] = {}
    text = source.text
    cursor = len(text) - len(text.lstrip())
    while (match := _FLAG.match(text, cursor)) is not None and (
        match.end() == len(text) or text[match.end()].isspace()
    ):
        value_at = match.start(2) if match.group(2) is not None else match.start()
        flags[match.group(1)] = DockerWord(match.group(2) or "", source.position(value_at))
        cursor = match.end()
        cursor += len(text[cursor:]) - len(text[cursor:].lstrip())
    return flags, source.sub(cursor)


def _exec_form(source: SourceMap) -> tuple[DockerWord, ...] | None:
    text = source.text.strip()
    if not text.startswith("["):
        return None
    try:
        items = json.loads(text)
    except ValueError:
        return None
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        return None
    words = []
    cursor = 0
    for item in items:
        quoted = json.dumps(item)
        found = source.text.find(quoted, cursor)
        offset = found + 1 if found >= 0 else cursor
        words.append(DockerWord(item, source.position(offset)))
        cursor = max(found + len(quoted), cursor)
    return tuple(words)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


_WHOLE_VARIABLE = lazy_compile(r"^\$(\{[A-Za-z_]\w*\}|[A-Za-z_]\w*)$")


def base_images(dockerfile: Dockerfile) -> Iterator[tuple[Position, str, str]]:
    """(where, image, what) for each image a Dockerfile pulls: `FROM` (not `scratch`, not an
    earlier stage) and `COPY --from`. An image that is a variable with no known value, or
    whose digest is a variable, cannot be judged and is left out."""
    for stage in dockerfile.stages:
        if stage.image is not None:
            image = _judged(stage.instruction, stage.image, dockerfile, stage.index)
            if image is not None:
                yield stage.image.at, image, "Dockerfile base image"
    for instruction in dockerfile.instructions:
        source = instruction.flags.get("from")
        if instruction.keyword == "COPY" and source is not None:
            image = _judged(instruction, source, dockerfile, instruction.stage + 1)
            if image is not None:
                yield source.at, image, "`COPY --from` image"


def _judged(
    instruction: Instruction, word: DockerWord, dockerfile: Dockerfile, stage: int
) -> str | None:
    expanded, known = instruction.expand(word.text)
    if expanded.lower() == "scratch" or dockerfile.stage_named(expanded, stage):
        return None
    if known:
        return expanded
    digest = expanded.rpartition("@")[2]
    if _WHOLE_VARIABLE.match(word.text) or ("$" in digest and "@" in expanded):
        return None
    return expanded
