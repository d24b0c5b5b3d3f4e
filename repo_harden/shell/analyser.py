"""The one shell analyser: a script becomes typed command records.

Parsed with tree-sitter-bash, which recovers from errors, imported only when a
script is actually parsed (the hooks that read no shell never load it). A
GitHub `${{ ... }}` expression is an opaque word: it is blanked out before
parsing, with its length kept, so every position still matches the text.

A `Command` is one simple command: its argv words (quotes removed, positions
kept), its redirections, the pipeline it is a stage of, and, for a command run
inside `$(...)` or `<(...)`, the command whose word holds it. The script a second
shell is given as text (`sh -c "curl ... | sh"`, `sudo bash -c '...'`,
`docker run img sh -c '...'`) is parsed too, and its commands follow the command
that runs it, with positions in the file.
"""

from __future__ import annotations

import bisect
import contextlib
import re
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, NamedTuple

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.model import Position
from repo_harden.core.record import field, record
from repo_harden.readers.source_map import SourceMap

if TYPE_CHECKING:
    from tree_sitter import Node, Parser, Tree

MAX_DEPTH = 100  # nesting levels of the syntax tree walked; deeper is RH000 for the file
_WORD_ESCAPE = lazy_compile(r"\\(.)", re.DOTALL)
_STRING_ESCAPE = lazy_compile(r"\\([$`\"\\\n])")
_REDIRECTS = frozenset({"file_redirect", "heredoc_redirect", "herestring_redirect"})
_EXPANDING = frozenset(
    {
        "simple_expansion",
        "expansion",
        "command_substitution",
        "process_substitution",
        "arithmetic_expansion",
    }
)
_SUBSTITUTIONS = {"command_substitution": "$(", "process_substitution": "<("}
_WRAPPERS = frozenset(
    {"sudo", "doas", "env", "time", "nohup", "exec", "command", "nice", "builtin"}
)
_WRAPPER_VALUED = {"sudo": frozenset("ugCDhprRT"), "nice": frozenset("n"), "env": frozenset("uSC")}
SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "ash", "mksh"})
# Programs that run a command line given after their own arguments (`docker run IMG sh -c`).
_RUNNERS = frozenset(
    {"docker", "podman", "kubectl", "oc", "chroot", "xargs", "nsenter", "timeout", "flock",
     "unshare", "setsid", "stdbuf", "systemd-run", "fakeroot", "proot", "toolbox"}
)  # fmt: skip
_SWITCH_USER = frozenset({"su", "runuser"})  # `su -c SCRIPT [user]`
MAX_NESTED_SHELLS = 3  # `sh -c "sh -c '...'"`: each level parses a part of the text again
# Each second shell's script is a parse of its own, with a fixed cost: a script holds at
# most this many (real ones hold a handful), so a hostile one costs a bounded multiple.
MAX_NESTED_SCRIPTS = 500
_NESTING_HEADS = SHELLS | _WRAPPERS | _RUNNERS | _SWITCH_USER


class Word(NamedTuple):
    """One word as the shell sees it. `text` has quotes and escapes removed; expansions stay
    as written. `literal` is true when `text` is exactly the value (no `$`, no `${{ }}`).
    A tuple, not a dataclass: scripts have many words, and most are never reported, so the
    position is worked out from `offset` only when asked for."""

    raw: str
    text: str
    literal: bool
    offset: int
    source: SourceMap

    @property
    def at(self) -> Position:
        return self.source.position(self.offset)

    @property
    def has_expression(self) -> bool:
        """It holds a GitHub `${{ ... }}` expression, whose value is unknown here."""
        return "${{" in self.raw

    def tail(self, start: int) -> Word:
        """The part of the word from `start` on (the value of `--name=value`)."""
        return Word(
            self.raw[start:], self.text[start:], self.literal, self.offset + start, self.source
        )


@record
class Redirect:
    """`>`, `>>`, `<`, `<<<` ... and its target (None for a here-document)."""

    operator: str
    target: Word | None


@record
class Command:
    """A simple command. `parent` is the index of the command whose word or redirection runs
    this one through `substitution` (`$(` or `<(`); `pipeline` numbers the pipeline it is
    stage `stage` of. A test (`[ ]`, `[[ ]]`) is a command named `[[`; a bare assignment
    (`x=$(...)`) is a command with no argv."""

    index: int
    head: Word | None  # the first word of argv
    offset: int
    raw: str
    source: SourceMap
    assignments: tuple[Word, ...] = ()
    redirects: tuple[Redirect, ...] = ()
    pipeline: int = 0
    stage: int = 0
    parent: int | None = None
    substitution: str = ""
    # the rest of argv is built when a rule asks: most commands are only looked at by name
    build_argv: Callable[[], tuple[Word, ...]] | None = field(
        default=None, compare=False, repr=False
    )

    @cached_property
    def argv(self) -> tuple[Word, ...]:
        if self.build_argv is not None:
            return self.build_argv()
        return (self.head,) if self.head is not None else ()

    @cached_property
    def at(self) -> Position:
        return self.source.position(self.offset)

    @cached_property
    def name(self) -> str:
        """The program's name: `curl` for `/usr/bin/curl`, "" when it is not literal."""
        return program_name(self.head) if self.head is not None else ""

    @cached_property
    def words(self) -> tuple[Word, ...]:
        """argv without `sudo -E`, `env X=1`, `time`, `nohup`... in front."""
        return unwrap(self.argv)

    @cached_property
    def program(self) -> str:
        """The name of the program that really runs: `pip` for `sudo -E pip install`."""
        if self.name not in _WRAPPERS:
            return self.name
        return program_name(self.words[0]) if self.words else ""

    def unwrapped(self) -> tuple[Word, ...]:
        return self.words


@record
class ShellScript:
    """A parsed script: its commands in source order and where parsing failed, if it did."""

    commands: tuple[Command, ...]
    error: Position | None = None
    too_deep: bool = False  # nested past MAX_DEPTH: the commands below it were not read

    def pipeline_of(self, command: Command) -> list[Command]:
        return self._pipelines.get(command.pipeline, [])

    @cached_property
    def _pipelines(self) -> dict[int, list[Command]]:
        """The commands of each pipeline, indexed once: asked for every download and every
        command that may feed one, a scan of all commands each time would be quadratic."""
        found: dict[int, list[Command]] = {}
        for command in self.commands:
            found.setdefault(command.pipeline, []).append(command)
        return found

    def ancestors(self, command: Command) -> Iterable[Command]:
        """The commands whose words hold this one, innermost first."""
        while command.parent is not None:
            command = self.commands[command.parent]
            yield command


def program_name(word: Word) -> str:
    if not word.literal:
        return ""
    name = word.text.rsplit("/", 1)[-1]
    return name.removesuffix(".exe")


def unwrap(argv: Sequence[Word]) -> tuple[Word, ...]:
    """Drop leading wrappers and their options: `sudo -u x env A=1 pip` is `pip`."""
    words = list(argv)
    while words and program_name(words[0]) in _WRAPPERS:
        wrapper = program_name(words.pop(0))
        valued = _WRAPPER_VALUED.get(wrapper, frozenset())
        while words and (
            words[0].text.startswith("-") or (wrapper == "env" and "=" in words[0].text)
        ):
            option = words.pop(0).text
            if option == "--":
                break
            if len(option) == 2 and option[1] in valued and words:
                words.pop(0)
    return tuple(words)


@record(frozen=False)
class ParsedArgs:
    """Options and positional arguments of a command line."""

    options: dict[str, list[Word]] = field(default_factory=dict)
    positionals: list[Word] = field(default_factory=list)

    def has(self, *names: str) -> bool:
        return any(name in self.options for name in names)

    def values(self, *names: str) -> list[Word]:
        return [value for name in names for value in self.options.get(name, [])]


def parse_args(
    words: Sequence[Word], valued: Iterable[str], *, clusters: bool = True, fold_case: bool = False
) -> ParsedArgs:
    """Split words into options and positionals. `valued` names the options that take a
    value (`--version`, `-r`); `--name=value` and `-rFILE` forms are understood, and with
    `clusters` so are bundled short flags (`-qr FILE`). Words after `--` are positionals."""
    takes_value = {name.lower() if fold_case else name for name in valued}
    parsed = ParsedArgs()
    items = list(words)
    i = 0
    while i < len(items):
        word = items[i]
        text = word.text
        i += 1
        if text == "--":
            parsed.positionals += items[i:]
            break
        if not text.startswith("-") or text == "-":
            parsed.positionals.append(word)
            continue
        name, equals, _ = text.partition("=")
        key = name.lower() if fold_case else name
        if equals and (key in takes_value or name.startswith("--")):
            parsed.options.setdefault(key, []).append(word.tail(len(name) + 1))
        elif key in takes_value:
            parsed.options.setdefault(key, []).extend(items[i : i + 1])
            i += 1
        elif clusters and not text.startswith("--") and len(text) > 2:
            i = _cluster(word, items, i, takes_value, parsed)
        else:
            parsed.options.setdefault(key, [])
    return parsed


def _cluster(
    word: Word, items: list[Word], i: int, takes_value: set[str], parsed: ParsedArgs
) -> int:
    """`-qr FILE`, `-rFILE`: flags until one that takes a value, which takes the rest."""
    letters = word.text[1:]
    for position, letter in enumerate(letters):
        flag = f"-{letter}"
        if flag in takes_value:
            rest = letters[position + 1 :]
            if rest:
                parsed.options.setdefault(flag, []).append(word.tail(position + 2))
            else:
                parsed.options.setdefault(flag, []).extend(items[i : i + 1])
                i += 1
            return i
        parsed.options.setdefault(flag, [])
    return i


Stage = tuple[int, int] | None  # (pipeline number, stage in it)
Parent = (
    tuple[int | None, str] | None
)  # (index of the command holding a substitution, "$(" or "<(")

_PARSER: list[Parser] = []


def _parser() -> Parser:
    if not _PARSER:
        import tree_sitter

        _PARSER.append(tree_sitter.Parser(tree_sitter.Language(_bash_language())))
    return _PARSER[0]


def _bash_language() -> object:
    """The bash grammar. tree_sitter_bash's own `__init__` loads importlib.resources (for query
    files we never read), a third of a hook's start-up: its compiled grammar is loaded alone
    when the package is laid out as it is installed, else through the package."""
    import importlib.machinery
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("tree_sitter_bash")  # finds the package, runs none of it
    for folder in (spec.submodule_search_locations or ()) if spec else ():
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = f"{folder}/_binding{suffix}"
            binding = importlib.util.spec_from_file_location("tree_sitter_bash._binding", path)
            if binding is None or binding.loader is None or not Path(path).is_file():
                continue
            module = importlib.util.module_from_spec(binding)
            binding.loader.exec_module(module)
            return module.language()
    import tree_sitter_bash

    return tree_sitter_bash.language()


def parse_shell(source: SourceMap) -> ShellScript:
    """Parse a script into commands; a syntax error is kept, and the commands around it too."""
    reader = _reader(source, [], 0, 0, [MAX_NESTED_SCRIPTS])
    try:
        reader.walk(reader.tree.root_node)
    except _TooDeep as deep:
        return ShellScript(tuple(reader.commands), deep.at, too_deep=True)
    return ShellScript(tuple(reader.commands), reader.error)


def _reader(
    source: SourceMap, commands: list[Command], depth: int, pipelines: int, budget: list[int]
) -> _Reader:
    """A reader of `source`, parsed: `depth` counts the second shells around it, and
    `commands`, `pipelines` and `budget` are shared with the script that holds it."""
    text = source.text
    blanked = blank_expressions(text)
    data = blanked.encode("utf-8", "surrogatepass")
    offsets = _ByteOffsets(blanked) if len(data) != len(text) else None
    reader = _Reader(source, data, offsets)
    reader.commands, reader.nesting, reader.budget = commands, depth, budget
    reader.pipelines = pipelines
    reader.tree = _parser().parse(data)
    return reader


def nested_script_index(argv: Sequence[Word]) -> int | None:
    """The index in argv of the word a second shell runs as its script: `sh -c WORD`,
    `bash -ec WORD`, `sudo -E bash -c WORD`, `su -c WORD`, `docker run IMG sh -c WORD`."""
    words = list(argv)
    start = len(argv) - len(unwrap(argv))
    name = program_name(words[start]) if start < len(words) else ""
    if name in _SWITCH_USER:
        for i in range(start + 1, len(words) - 1):
            if words[i].text in ("-c", "--command"):
                return i + 1
        return None
    if name in SHELLS:
        return _shell_script_index(words, start + 1)
    if name in _RUNNERS:
        for i in range(start + 1, len(words)):
            if program_name(words[i]) in SHELLS:
                return _shell_script_index(words, i + 1)
    return None


def _shell_script_index(words: Sequence[Word], first: int) -> int | None:
    """After a shell's name: its options until one cluster holds `c`, then the script."""
    i = first
    while i < len(words):
        text = words[i].text
        if not text.startswith("-") or text.startswith("--") or text == "-":
            return None
        if "c" in text[1:]:
            return next(
                (j for j in range(i + 1, len(words)) if not words[j].text.startswith("-")), None
            )
        i += 2 if text[1:] in ("o", "O") else 1  # `bash -o pipefail -c ...`: o takes a value
    return None


def _holds_substitution(node: Node) -> bool:
    pending = [node]
    while pending:
        current = pending.pop()
        if current.type in _SUBSTITUTIONS:
            return True
        pending.extend(current.children)
    return False


def blank_expressions(text: str) -> str:
    """`text` with each `${{ ... }}` replaced by as many `_` (newlines kept). Found with
    `find`, not a lazy regex, which rescans to the end for every unclosed `${{`."""
    if "${{" not in text:
        return text
    pieces: list[str] = []
    done = 0
    while (start := text.find("${{", done)) != -1:
        end = text.find("}}", start + 3)
        if end == -1:
            break  # no later `${{` can be closed either
        end += 2
        pieces += [text[done:start], _NOT_NEWLINE.sub("_", text[start:end])]
        done = end
    pieces.append(text[done:])
    return "".join(pieces)


_NOT_NEWLINE = lazy_compile(r"[^\n]")


class _ByteOffsets:
    """tree-sitter counts bytes, `str` counts characters: the character offset of a byte
    offset, by a binary search over the multibyte characters only (linear to build)."""

    def __init__(self, text: str) -> None:
        self._bytes: list[int] = []  # the byte offset just after each multibyte character
        self._extra: list[int] = []  # the bytes beyond one per character, up to there
        extra = 0
        for match in _MULTIBYTE.finditer(text):
            size = len(match.group().encode("utf-8", "surrogatepass"))
            extra += size - 1
            self._bytes.append(match.start() + extra + 1)
            self._extra.append(extra)

    def character(self, byte: int) -> int:
        index = bisect.bisect_right(self._bytes, byte)
        return byte - (self._extra[index - 1] if index else 0)


_MULTIBYTE = lazy_compile(r"[^\x00-\x7f]")


class _TooDeep(Exception):
    def __init__(self, at: Position) -> None:
        self.at = at


def script_from_argv(words: Sequence[tuple[str, Position]], raw: str) -> ShellScript:
    """A script of one command given as an argv list (a Dockerfile `RUN ["pip", ...]`)."""
    argv = tuple(
        Word(text, text, "${{" not in text, 0, SourceMap.verbatim(text, at.line, at.column))
        for text, at in words
    )
    if not argv:
        return ShellScript(())
    command = Command(0, argv[0], 0, raw, argv[0].source, build_argv=lambda: argv)
    return ShellScript((command,))


class _Reader:
    """Walks a tree-sitter tree into `Command` records. A second shell's script is read by
    a reader of its own (`nesting` + 1) that adds to the same list of commands."""

    tree: Tree

    def __init__(self, source: SourceMap, data: bytes, offsets: _ByteOffsets | None) -> None:
        self.source = source
        self.data = data
        self.offsets = offsets
        self.commands: list[Command] = []  # shared with the readers of second shells
        self.error: Position | None = None
        self.pipelines = 0
        self._depth = 0
        self.nesting = 0  # second shells around this script
        self.budget = [MAX_NESTED_SCRIPTS]  # second-shell scripts left to read, shared

    def offset(self, byte: int) -> int:
        return byte if self.offsets is None else self.offsets.character(byte)

    def raw(self, node: Node) -> str:
        return self.source.text[self.offset(node.start_byte) : self.offset(node.end_byte)]

    def at(self, node: Node) -> Position:
        return self.source.position(self.offset(node.start_byte))

    def start(self, node: Node) -> int:
        return self.offset(node.start_byte)

    def walk(self, node: Node, stage: Stage = None, parent: Parent = None) -> None:
        self._descend(node)
        try:
            self._walk(node, stage, parent)
        finally:
            self._depth -= 1

    def _descend(self, node: Node) -> None:
        """One level deeper; past MAX_DEPTH the script is given up (recursion is bounded)."""
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _TooDeep(self.at(node))

    def _walk(self, node: Node, stage: Stage, parent: Parent) -> None:
        kind = node.type
        if kind == "ERROR" or node.is_missing:
            self.note_error(node)
            for child in node.children:
                if child.is_named:
                    self.walk(child, stage, parent)
            return
        if kind == "command":
            self.command(node, [], stage, parent)
        elif kind == "pipeline":
            self.pipelines += 1
            number = self.pipelines
            stages = [child for child in node.children if child.is_named]
            for index, child in enumerate(stages):
                self.walk(child, (number, index), parent)
        elif kind == "redirected_statement":
            self.redirected(node, stage, parent)
        elif kind in ("variable_assignment", "declaration_command", "test_command"):
            self.pseudo_command(node, stage, parent)
        elif kind in ("heredoc_body", "comment"):
            self.substitutions_in(node, parent)
        else:
            for child in node.children:
                self.walk(child, stage, parent)
        if node.has_error and kind == "program":
            self.note_error(node)

    def note_error(self, node: Node) -> None:
        """Remember the first place parsing failed: the first token the grammar could not
        place, inside the innermost error node."""
        while self.error is None:
            inner = None
            for child in node.children:
                if child.type == "ERROR" or child.is_missing or child.has_error:
                    inner = child
                    break
                if node.type == "ERROR" and not child.is_named:
                    self.error = self.at(child)
                    return
            if inner is None:
                self.error = self.at(node)
                return
            node = inner

    def redirected(self, node: Node, stage: Stage, parent: Parent) -> None:
        body = [c for c in node.children if c.is_named and c.type not in _REDIRECTS]
        redirects = [c for c in node.children if c.type in _REDIRECTS]
        if len(body) == 1 and body[0].type == "command":
            self.command(body[0], redirects, stage, parent)
            return
        for child in body:
            self.walk(child, stage, parent)
        for redirect in redirects:
            self.substitutions_in(redirect, parent)

    def command(self, node: Node, redirects: list[Node], stage: Stage, parent: Parent) -> None:
        argv: list[Node] = []
        assignments: list[Node] = []
        for child in node.children:
            if child.type == "variable_assignment":
                assignments.append(child)
            elif child.type in _REDIRECTS:
                redirects.append(child)
            elif child.type == "command_name":
                argv.extend(c for c in child.children if c.is_named)
            elif child.is_named and child.type != "comment":
                argv.append(child)
        nodes = tuple(argv)
        head = self.word(nodes[0]) if nodes else None

        def build() -> tuple[Word, ...]:
            return (head, *(self.word(n) for n in nodes[1:])) if head is not None else ()

        index = self.add(
            node,
            head,
            build,
            stage,
            parent,
            assignments=tuple(self.word(n) for n in assignments),
            redirects=tuple(self.redirect(n) for n in redirects),
        )
        for child in (*assignments, *argv, *redirects):
            self.substitutions_in(child, (index, ""))
        nests = head is not None and program_name(head) in _NESTING_HEADS
        if nests and self.nesting < MAX_NESTED_SHELLS:
            self.nested_script(nodes, self.commands[index].argv)

    def nested_script(self, nodes: tuple[Node, ...], argv: tuple[Word, ...]) -> None:
        """Read the script a second shell runs (`sh -c '...'`) as commands of its own. A
        word with `$(...)` inside is left alone: its commands were read with the word."""
        found = nested_script_index(argv)
        if found is None or found >= len(nodes) or self.budget[0] <= 0:
            return
        node = nodes[found]
        kinds = ("string", "raw_string", "word", "concatenation")
        if node.type not in kinds or _holds_substitution(node):
            return
        parts = node.children if node.type == "concatenation" else [node]
        inner = SourceMap.joined([self.unquoted_map(part) for part in parts])
        self.budget[0] -= 1
        nested = _reader(inner, self.commands, self.nesting + 1, self.pipelines, self.budget)
        with contextlib.suppress(_TooDeep):  # a guess at quoting: keep what it read
            nested.walk(nested.tree.root_node)
        self.pipelines = nested.pipelines

    def pseudo_command(self, node: Node, stage: Stage, parent: Parent) -> None:
        if node.type == "test_command":
            opener = node.children[0] if node.children else node
            argv = [Word(self.raw(opener), "[[", True, self.start(node), self.source)]
        elif node.type == "declaration_command":
            argv = [self.word(node.children[0])] if node.children else []
        else:
            argv = []
        words = tuple(argv)
        index = self.add(node, words[0] if words else None, lambda: words, stage, parent)
        self.substitutions_in(node, (index, ""))

    def add(
        self,
        node: Node,
        head: Word | None,
        build: Callable[[], tuple[Word, ...]],
        stage: Stage,
        parent: Parent,
        *,
        assignments: tuple[Word, ...] = (),
        redirects: tuple[Redirect, ...] = (),
    ) -> int:
        if stage is None:
            self.pipelines += 1
            stage = (self.pipelines, 0)
        owner, via = parent if parent is not None else (None, "")
        index = len(self.commands)
        self.commands.append(
            Command(
                index,
                head,
                self.start(node),
                self.raw(node),
                self.source,
                assignments,
                redirects,
                stage[0],
                stage[1],
                owner,
                via,
                build,
            )
        )
        return index

    def substitutions_in(self, node: Node, parent: Parent) -> None:
        """Commands run by `$(...)`, backticks or `<(...)` anywhere inside `node`."""
        self._descend(node)
        try:
            self._substitutions_in(node, parent)
        finally:
            self._depth -= 1

    def _substitutions_in(self, node: Node, parent: Parent) -> None:
        kind = node.type
        if kind in _SUBSTITUTIONS:
            owner = parent[0] if parent is not None else None
            for inner in node.children:
                if inner.is_named:
                    self.walk(inner, None, (owner, _SUBSTITUTIONS[kind]))
            return
        if kind == "ERROR":
            self.note_error(node)
        for child in node.children:
            if child.child_count:
                self.substitutions_in(child, parent)

    def redirect(self, node: Node) -> Redirect:
        operator = ""
        target = None
        for child in node.children:
            if not child.is_named:
                operator = operator or self.raw(child)
            elif child.type not in (
                "heredoc_start",
                "heredoc_body",
                "heredoc_end",
                "file_descriptor",
            ):
                target = target or self.word(child)
        return Redirect(operator, target)

    def unquoted_map(self, node: Node) -> SourceMap:
        """A word's text without its quotes, placed where it is in the file (an escape in a
        double-quoted string shifts the columns after it by one)."""
        raw = self.raw(node)
        text, _ = self.unquote(node, raw)
        opening = {"string": 1, "raw_string": 1, "ansi_c_string": 2}.get(node.type, 0)
        begin = self.start(node) + opening
        return self.source.sub(begin, begin + len(text)).with_text(text)

    def word(self, node: Node) -> Word:
        raw = self.raw(node)
        text, literal = self.unquote(node, raw)
        return Word(raw, text, literal and "${{" not in raw, self.start(node), self.source)

    def unquote(self, node: Node, raw: str) -> tuple[str, bool]:
        kind = node.type
        if kind in ("word", "number"):
            return (_WORD_ESCAPE.sub(r"\1", raw) if "\\" in raw else raw), True
        if kind == "raw_string":
            return raw[1:-1], True
        if kind == "string":
            literal = not any(child.type in _EXPANDING for child in node.children)
            inner = raw[1:-1]
            return (_STRING_ESCAPE.sub(r"\1", inner) if "\\" in inner else inner), literal
        if kind == "ansi_c_string":
            return raw[2:-1], "\\" not in raw
        if kind == "concatenation":
            parts = [self.unquote(child, self.raw(child)) for child in node.children]
            return "".join(text for text, _ in parts), all(literal for _, literal in parts)
        return raw, False
