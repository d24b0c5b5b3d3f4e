"""GitHub Actions expressions (`${{ ... }}`): where they are in a text, and what they read.

An expression is parsed into a small tree (literals, context paths such as
`github.event.issue.title`, function calls and operators) so that a check can ask
which context values can reach the expression's result: `github.event.issue.title`
does, `contains(github.event.issue.title, 'x')` (a boolean) does not. The parser is
linear in the text, never recurses deeper than `MAX_DEPTH`, and gives up (an
`Opaque` result) on anything it does not understand instead of guessing.
"""

from __future__ import annotations

from collections.abc import Iterator

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.record import record

MAX_DEPTH = 200  # about 40 levels of parentheses; deeper is read as opaque
_OPEN = "${{"
_CLOSE = "}}"
# Functions whose result is a boolean, a hash or nothing from their arguments' text.
_PREDICATES = frozenset(
    {"contains", "startswith", "endswith", "success", "failure", "always", "cancelled", "hashfiles"}
)
_TOKEN = lazy_compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')"
    r"|(?P<number>-?(?:0x[0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?))"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*)"
    r"|(?P<operator>==|!=|<=|>=|&&|\|\||[!<>()\[\].,*]))"
)


@record
class Expression:
    """One `${{ ... }}`: its inner text, and where it starts and ends in the text it was
    found in (offsets of `$` and just past the closing `}}`)."""

    inner: str
    start: int
    end: int

    @property
    def text(self) -> str:
        return f"${{{{ {self.inner.strip()} }}}}"


def find_expressions(text: str) -> Iterator[Expression]:
    """Every `${{ ... }}` in `text`, in order. Quoted `}}` inside a string literal does not
    end an expression; an expression left open runs to the end of the text."""
    search_from = 0
    while (start := text.find(_OPEN, search_from)) >= 0:
        end = _closing(text, start + len(_OPEN))
        yield Expression(text[start + len(_OPEN) : end], start, min(end + 2, len(text)))
        search_from = end + 2


def _closing(text: str, position: int) -> int:
    """The offset of the `}}` that closes an expression whose inside starts at `position`:
    the first one outside a string literal. Each character is looked at a bounded number
    of times, whatever the quotes."""
    close = text.find(_CLOSE, position)
    while close >= 0:
        quote = text.find("'", position, close)
        if quote < 0:
            return close
        after = _string_end(text, quote)
        if after < 0:
            return close  # a string that never ends: GitHub rejects it, the first `}}` ends it
        position = after
        if position > close:
            close = text.find(_CLOSE, position)
    return len(text)


def _string_end(text: str, quote: int) -> int:
    """Just past the string literal that starts at `quote` (`''` is a quote inside it)."""
    position = quote + 1
    while (end := text.find("'", position)) >= 0:
        if not text.startswith("''", end):
            return end + 1
        position = end + 2
    return -1


# The tree ---------------------------------------------------------------------------


@record
class Literal:
    pass


@record
class Path:
    """A context value: `github.event.issue.title`, lower case, `*` for a wildcard or an
    index that is not a literal."""

    parts: tuple[str, ...]

    @property
    def dotted(self) -> str:
        return ".".join(self.parts)


@record
class Call:
    name: str  # lower case
    arguments: tuple[Node, ...]


@record
class Operation:
    """`!`, a comparison, `&&` or `||`; `operands` in order."""

    operator: str
    operands: tuple[Node, ...]


@record
class Member:
    """A property of something that is not a plain context path (`fromJSON(x).title`)."""

    of: Node


@record
class Opaque:
    """Text the parser did not understand; it may hold anything."""

    text: str


Node = Literal | Path | Call | Operation | Member | Opaque


def parse(inner: str) -> Node:
    """The tree of an expression's inner text; `Opaque` when it is not one."""
    tokens = _tokens(inner)
    if tokens is None:
        return Opaque(inner)
    parser = _Parser(tokens)
    try:
        node = parser.expression(0)
    except _Unparsable:
        return Opaque(inner)
    return node if parser.done() else Opaque(inner)


def _tokens(inner: str) -> list[tuple[str, str]] | None:
    found: list[tuple[str, str]] = []
    position = 0
    while position < len(inner):
        if inner[position:].isspace():
            break
        match = _TOKEN.match(inner, position)
        if match is None or match.end() == position:
            return None
        kind = match.lastgroup or ""
        found.append((kind, match.group(kind)))
        position = match.end()
    return found


class _Unparsable(Exception):
    pass


_BINARY = (("||",), ("&&",), ("==", "!="), ("<", "<=", ">", ">="))


class _Parser:
    """Precedence climbing over GitHub's operators: `||` < `&&` < equality < comparison <
    `!` < member access and calls."""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.index = 0

    def done(self) -> bool:
        return self.index == len(self.tokens)

    def peek(self) -> str:
        return self.tokens[self.index][1] if self.index < len(self.tokens) else ""

    def take(self) -> tuple[str, str]:
        if self.index >= len(self.tokens):
            raise _Unparsable
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, text: str) -> None:
        if self.take()[1] != text:
            raise _Unparsable

    def expression(self, depth: int) -> Node:
        return self.binary(0, depth)

    def binary(self, level: int, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise _Unparsable
        if level == len(_BINARY):
            return self.unary(depth)
        left = self.binary(level + 1, depth + 1)
        while self.peek() in _BINARY[level]:
            operator = self.take()[1]
            right = self.binary(level + 1, depth + 1)
            left = Operation(operator, (left, right))
        return left

    def unary(self, depth: int) -> Node:
        if self.peek() == "!":
            self.take()
            return Operation("!", (self.unary(depth + 1),))
        if depth > MAX_DEPTH:
            raise _Unparsable
        return self.postfix(self.primary(depth), depth)

    def primary(self, depth: int) -> Node:
        kind, text = self.take()
        if kind in ("string", "number"):
            return Literal()
        if text == "(":
            inside = self.expression(depth + 1)
            self.expect(")")
            return inside
        if kind != "name":
            raise _Unparsable
        if self.peek() == "(":
            return self.call(text.lower(), depth)
        if text.lower() in ("true", "false", "null"):
            return Literal()
        return Path((text.lower(),))

    def call(self, name: str, depth: int) -> Call:
        self.expect("(")
        arguments: list[Node] = []
        while self.peek() != ")":
            arguments.append(self.expression(depth + 1))
            if self.peek() == ",":
                self.take()
            elif self.peek() != ")":
                raise _Unparsable
        self.take()
        return Call(name, tuple(arguments))

    def postfix(self, node: Node, depth: int) -> Node:
        while self.peek() in (".", "["):
            if self.take()[1] == ".":
                kind, text = self.take()
                if kind != "name" and text != "*":
                    raise _Unparsable
                node = _member(node, text.lower())
            else:
                index = self.expression(depth + 1)
                self.expect("]")
                node = _member(node, "*")
                if isinstance(index, Opaque):
                    raise _Unparsable
        return node


def _member(node: Node, name: str) -> Node:
    if isinstance(node, Path):
        return Path((*node.parts, name))
    return Member(node)


# What reaches the result -----------------------------------------------------------


def reaching(node: Node) -> Iterator[Path | Opaque]:
    """The context paths (and unparsed text) whose value can be part of the result: not
    those only compared or tested (`==`, `!`, `contains()`). `a && b` gives `b` (or a
    falsy `a`); `a || b` gives either."""
    if isinstance(node, Path | Opaque):
        yield node
    elif isinstance(node, Member):
        yield from reaching(node.of)
    elif isinstance(node, Call):
        if node.name not in _PREDICATES:
            for argument in node.arguments:
                yield from reaching(argument)
    elif isinstance(node, Operation):
        if node.operator == "&&":
            yield from reaching(node.operands[1])
        elif node.operator == "||":
            for operand in node.operands:
                yield from reaching(operand)


def references(node: Node) -> Iterator[Path]:
    """Every context path the expression reads, wherever it is."""
    if isinstance(node, Path):
        yield node
    elif isinstance(node, Member):
        yield from references(node.of)
    elif isinstance(node, Call):
        for argument in node.arguments:
            yield from references(argument)
    elif isinstance(node, Operation):
        for operand in node.operands:
            yield from references(operand)


def matches(path: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    """`path` is `pattern`, where `*` in either matches any one part."""
    return len(path) == len(pattern) and all(
        a == b or "*" in (a, b) for a, b in zip(path, pattern, strict=True)
    )


def within(path: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
    """`path` is `pattern` or an object that holds it (`github.event` holds
    `github.event.issue.title`)."""
    return len(path) <= len(pattern) and matches(path, pattern[: len(path)])
