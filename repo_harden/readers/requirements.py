"""pip requirements and constraints files, read the way pip reads them.

pip's own rules (`pip/_internal/req/req_file.py`): a line ending in `\\` continues
on the next; `#` after whitespace starts a comment; a line is a requirement
followed by its options (`--hash`), or options alone (`-r`, `-c`, `-e`,
`--index-url`...). Requirement lines are parsed with `packaging`, imported only
when a requirements file is read.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections import deque
from collections.abc import Iterable, Iterator

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.model import Position
from repo_harden.core.parsed import ParsedFiles, Reading
from repo_harden.core.record import record

_URL = lazy_compile(r"^(?:[a-z][a-z0-9+.-]*://|(?:git|hg|svn|bzr)\+)", re.IGNORECASE)
_VCS = lazy_compile(r"^(git|hg|svn|bzr)\+", re.IGNORECASE)
_HASH_FRAGMENT = lazy_compile(r"[#&](sha256|sha384|sha512)=[0-9a-fA-F]+")
_COMMIT = lazy_compile(r"^[0-9a-fA-F]{40}$|^[0-9a-fA-F]{64}$")
_EGG = lazy_compile(r"[#&]egg=([A-Za-z0-9._-]+)")
_ARCHIVE = (".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar")

# Options pip accepts in a requirements file, by every spelling, to their long name.
OPTION_NAMES = {
    "-i": "--index-url",
    "--index-url": "--index-url",
    "--extra-index-url": "--extra-index-url",
    "--no-index": "--no-index",
    "-c": "--constraint",
    "--constraint": "--constraint",
    "-r": "--requirement",
    "--requirement": "--requirement",
    "-e": "--editable",
    "--editable": "--editable",
    "-f": "--find-links",
    "--find-links": "--find-links",
    "--no-binary": "--no-binary",
    "--only-binary": "--only-binary",
    "--prefer-binary": "--prefer-binary",
    "--require-hashes": "--require-hashes",
    "--pre": "--pre",
    "--trusted-host": "--trusted-host",
    "--use-feature": "--use-feature",
    "--hash": "--hash",
    "--global-option": "--global-option",
    "--config-settings": "--config-settings",
}
_FLAGS = frozenset({"--no-index", "--prefer-binary", "--require-hashes", "--pre"})


@record
class Option:
    """An option line's option, e.g. `--extra-index-url https://...`."""

    name: str
    value: str
    at: Position


@record
class Include:
    """`-r FILE` (a requirements file) or `-c FILE` (a constraints file)."""

    path: str
    constraint: bool
    at: Position


@record
class Requirement:
    """One requirement: `text` as written, without its options and comment."""

    text: str
    at: Position
    name: str | None
    specifier: str
    url: str | None
    editable: bool
    hashes: tuple[str, ...]

    @property
    def is_local(self) -> bool:
        """A path or `file:` URL in the repository: nothing is downloaded."""
        if self.url is None:
            return False
        return self.url.lower().startswith("file:") or not _URL.match(self.url)

    @property
    def is_vcs(self) -> bool:
        return self.url is not None and _VCS.match(self.url) is not None

    @property
    def hash_checkable(self) -> bool:
        """Downloaded as one file pip can check by `--hash`: from an index or a URL to an
        archive; not a VCS checkout, an editable or a path in the repository."""
        return not (self.editable or self.is_local or self.is_vcs)

    @property
    def blocks_hash_checking(self) -> bool:
        """pip refuses it in hash-checking mode ("no single file to hash"): a VCS checkout,
        an editable, or a local folder. A file holding one cannot be installed with hashes
        as a whole."""
        if self.editable or self.is_vcs:
            return True
        return self.is_local and self.url is not None and not _is_archive(self.url)

    @property
    def is_hashed(self) -> bool:
        return bool(self.hashes) or (
            self.url is not None and _HASH_FRAGMENT.search(self.url) is not None
        )

    @property
    def pinned_version(self) -> str | None:
        """The one version `==` or `===` pins this requirement to from an index; None for a
        range, a wildcard, a URL or a path."""
        if self.url is not None or self.name is None:
            return None
        for part in self.specifier.split(","):
            spec = part.strip()
            if spec.startswith("==="):
                return spec[3:].strip()
            if spec.startswith("==") and not spec.endswith(".*"):
                return spec[2:].strip()
        return None

    @property
    def unpinned_reason(self) -> str | None:
        """Why this requirement may install different code tomorrow, or None if it cannot."""
        if self.url is None:
            return None if self.pinned_version is not None else _range_reason(self.specifier)
        if self.is_local:
            return None
        if self.is_vcs:
            return None if _vcs_commit(self.url) else "a VCS reference that is not a commit"
        if self.is_hashed:
            return None
        return "a URL without a hash"


@record
class LineError:
    message: str
    at: Position


@record
class RequirementsFile:
    path: str
    requirements: tuple[Requirement, ...]
    options: tuple[Option, ...]
    includes: tuple[Include, ...]
    errors: tuple[LineError, ...]


def read_requirements(path: str, text: str) -> RequirementsFile:
    requirements: list[Requirement] = []
    options: list[Option] = []
    includes: list[Include] = []
    errors: list[LineError] = []
    folder = posixpath.dirname(path)
    for number, line in logical_lines(text):
        column = len(line) - len(line.lstrip()) + 1
        at = Position(number, column)
        args, rest = _split_args(line.strip())
        parsed = _parse_options(rest, line, number)
        if isinstance(parsed, LineError):
            errors.append(parsed)
            continue
        hashes = tuple(o.value for o in parsed if o.name == "--hash")
        editable = next((o for o in parsed if o.name == "--editable"), None)
        made: Requirement | LineError | None = None
        if args:
            made = _requirement(args, at, editable=False, hashes=hashes)
        elif editable is not None:
            made = _requirement(editable.value, editable.at, editable=True, hashes=hashes)
        if isinstance(made, LineError):
            errors.append(made)
        elif made is not None:
            requirements.append(made)
        for option in parsed:
            if option.name in ("--requirement", "--constraint"):
                target = option.value
                if not _URL.match(target):
                    target = posixpath.normpath(posixpath.join(folder, target))
                includes.append(Include(target, option.name == "--constraint", option.at))
            elif option.name not in ("--hash", "--editable"):
                options.append(option)
    return RequirementsFile(
        path, tuple(requirements), tuple(options), tuple(includes), tuple(errors)
    )


def logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) of each line after joining continuations and dropping
    comments, as pip does."""
    pending: list[str] = []
    first = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if raw.endswith("\\") and not _is_comment(raw):
            if not pending:
                first = number
            pending.append(raw[:-1])
            continue
        if pending:
            pending.append(" " + raw if _is_comment(raw) else raw)
            joined, pending = "".join(pending), []
            yield from _uncommented(first, joined)
        else:
            yield from _uncommented(number, raw)
    if pending:
        yield from _uncommented(first, "".join(pending))


def _uncommented(number: int, line: str) -> Iterator[tuple[int, str]]:
    stripped = without_comment(line)
    if stripped.strip():
        yield number, stripped


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def without_comment(line: str) -> str:
    """The line before a `#` that starts it or follows whitespace, and the whitespace
    before that `#` (pip's `(^|\\s+)#.*$`, without the regex's quadratic backtracking
    over a long run of spaces)."""
    at = line.find("#")
    while at > 0 and not line[at - 1].isspace():
        at = line.find("#", at + 1)
    return line if at == -1 else line[:at].rstrip()


def _split_args(line: str) -> tuple[str, str]:
    """pip's `break_args_options`: everything before the first token starting with `-`."""
    tokens = line.split(" ")
    for index, token in enumerate(tokens):
        if token.startswith("-"):
            return " ".join(tokens[:index]).strip(), " ".join(tokens[index:])
    return line, ""


def _parse_options(rest: str, line: str, number: int) -> list[Option] | LineError:
    at = Position(number, len(line) - len(line.lstrip()) + 1)
    try:
        tokens = shlex.split(rest)
    except ValueError as error:
        return LineError(f"invalid options: {error}", at)
    found: list[Option] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        spelled, equals, value = token.partition("=")
        name = OPTION_NAMES.get(spelled)
        if name is None and len(token) > 2 and OPTION_NAMES.get(token[:2]):
            name, equals, value = OPTION_NAMES[token[:2]], "=", token[2:]
            spelled = token[:2]
        if name is None:
            return LineError(f"unknown option `{token}`", at)
        if name not in _FLAGS and not equals:
            index += 1
            if index >= len(tokens):
                return LineError(f"option `{spelled}` needs a value", at)
            value = tokens[index]
        found.append(Option(name, value, _token_position(line, number, spelled)))
        index += 1
    return found


def _token_position(line: str, number: int, token: str) -> Position:
    found = line.find(token)
    return Position(number, (found if found >= 0 else len(line) - len(line.lstrip())) + 1)


def _requirement(
    written: str, at: Position, *, editable: bool, hashes: tuple[str, ...]
) -> Requirement | LineError:
    spec = written.split("; ", 1)[0].strip() if _URL.match(written) else written
    if _URL.match(spec) or _looks_like_path(spec):
        egg = _EGG.search(spec)
        name = _canonical(egg.group(1)) if egg else None
        return Requirement(written, at, name, "", spec, editable, hashes)
    from packaging.requirements import InvalidRequirement
    from packaging.requirements import Requirement as Parsed

    try:
        parsed = Parsed(written)
    except InvalidRequirement as error:
        first = str(error).splitlines()[0]
        return LineError(f"invalid requirement `{written}`: {first}", at)
    return Requirement(
        written, at, _canonical(parsed.name), str(parsed.specifier), parsed.url, editable, hashes
    )


def _looks_like_path(spec: str) -> bool:
    """pip treats a line as a path when it looks like one (`name @ url` never does)."""
    if "@" in spec and not spec.startswith((".", "/", "~")):
        return False
    return (
        spec.startswith((".", "/", "~"))
        or "/" in spec
        or "\\" in spec
        or spec.lower().endswith(_ARCHIVE)
    )


def _is_archive(location: str) -> bool:
    return location.split("#", 1)[0].lower().endswith(_ARCHIVE)


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _range_reason(specifier: str) -> str:
    return f"the range `{specifier}`" if specifier else "no version at all"


def _vcs_commit(url: str) -> bool:
    """Whether a VCS URL names an immutable revision: a full commit hash (git, hg) or a
    revision number (svn)."""
    location = url.split("#", 1)[0]
    scheme_end = location.find("://")
    path = location[scheme_end + 3 :] if scheme_end >= 0 else location
    if "@" not in path.split("/", 1)[-1]:
        return False
    revision = path.rsplit("@", 1)[1]
    if url.lower().startswith("svn+"):
        return revision.lstrip("r").isdigit()
    return _COMMIT.match(revision) is not None


def _requirements_of(parsed: ParsedFiles, path: str) -> RequirementsFile | None:
    text = parsed.text(path)
    if text is None:
        return None
    requirements = read_requirements(path, text)
    if requirements.errors:  # the rest of the file is still read; its first bad line is RH000
        first = requirements.errors[0]
        parsed.problem(path, first.message, first.at)
    return requirements


REQUIREMENTS = Reading("requirements", _requirements_of)
"""A pip requirements or constraints file."""


@record
class Reached:
    """A requirements file reached from the files asked about; `constraint` when it is read
    as constraints (named so, or included with `-c`)."""

    file: RequirementsFile
    constraint: bool


def reached_files(parsed: ParsedFiles, files: Iterable[str]) -> Iterator[Reached]:
    """The files and the files they include with `-r` and `-c`, each once; `*.in` files are
    a compiler's input and are left alone."""
    seen: set[str] = set()
    pending = deque((path, _named_constraints(path)) for path in files)
    while pending:
        path, constraint = pending.popleft()
        if path in seen or path.endswith(".in") or "://" in path:
            continue
        seen.add(path)
        found = parsed.read(REQUIREMENTS, path)
        if found is None:
            continue
        yield Reached(found, constraint)
        pending.extend((inc.path, constraint or inc.constraint) for inc in found.includes)


def _named_constraints(path: str) -> bool:
    return "constraints" in path.rpartition("/")[2] or "/constraints/" in f"/{path}"


@record
class PinnedRequirement:
    """A requirement pinned to one release of an index (`==` or `===`): what a requirements
    or constraints file locks, as LCK006 looks it up and the inventory lists it."""

    path: str
    name: str
    version: str
    at: Position


def pinned_requirements(parsed: ParsedFiles, files: Iterable[str]) -> Iterator[PinnedRequirement]:
    """The pinned requirements of the files and of those they include, in file order."""
    for reached in reached_files(parsed, files):
        for requirement in reached.file.requirements:
            version = requirement.pinned_version
            if requirement.name is not None and version is not None:
                path, at = reached.file.path, requirement.at
                yield PinnedRequirement(path, requirement.name, version, at)
