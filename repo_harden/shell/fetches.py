"""What `curl` and `wget` fetch, and what becomes of it: DL001 and DL002's analysis.

DL001 looks for a download whose output goes straight into an interpreter
(a pipe, `<(...)`, `$(...)`, a here-string), or through a variable that holds it
(`s=$(curl ...)` then `bash -c "$s"`, `eval "$s"`, `echo "$s" | sh`). DL002
follows downloaded files through a script, and the scripts that run after it on
the same files, and reports the first command that runs, sources, installs or
unpacks-and-runs one before any checksum or signature check. A file is followed
by the path it is given, as written: `curl -o "$F" URL` then `bash "$F"` is the
same file (a variable is taken to keep its value in between).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator, Sequence

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.record import field, record
from repo_harden.shell.analyser import SHELLS, Command, ShellScript, Word, parse_args, program_name

_CURL_VALUED = frozenset({
    "-o", "--output", "-H", "--header", "-d", "--data", "--data-raw", "--data-binary",
    "--data-urlencode", "-u", "--user", "-X", "--request", "-A", "--user-agent", "-e",
    "--referer", "-b", "--cookie", "-c", "--cookie-jar", "-F", "--form", "-T", "--upload-file",
    "-w", "--write-out", "-x", "--proxy", "-m", "--max-time", "--connect-timeout", "--retry",
    "--retry-delay", "--retry-max-time", "-K", "--config", "-r", "--range", "-C",
    "--continue-at", "-E", "--cert", "--cacert", "--capath", "--key", "--output-dir", "--proto",
    "--proto-redir", "-Y", "-y", "-z", "--time-cond", "--limit-rate", "--max-filesize",
    "--resolve", "--interface", "-U", "--proxy-user", "--url", "-Q", "-t", "-P", "--ciphers",
    "--pinnedpubkey", "--oauth2-bearer", "--proxy-header", "--expect100-timeout"
})  # fmt: skip
_WGET_VALUED = frozenset({
    "-O", "--output-document", "-P", "--directory-prefix", "-o", "--output-file", "-a",
    "--append-output", "-i", "--input-file", "-t", "--tries", "-T", "--timeout", "-w", "--wait",
    "-U", "--user-agent", "--header", "--user", "--password", "-e", "--execute", "-B", "--base",
    "-Q", "--quota", "--limit-rate", "-l", "--level", "-A", "-R", "-D", "-I", "-X",
    "--post-data", "--post-file", "--ca-certificate", "--certificate", "--private-key",
    "--progress", "--secure-protocol", "--referer"
})  # fmt: skip
_CONTENT_ADDRESS = lazy_compile(r"(^|@|sha256:)[0-9a-fA-F]{40}$|(^|@|sha256:)[0-9a-fA-F]{64}$")
_PYTHON = lazy_compile(r"^python[0-9.]*$")
_INTERPRETERS = SHELLS | {"perl", "ruby", "node", "php", "pwsh", "powershell"}
_PROGRAM_FLAGS = {  # the option that gives an interpreter its program as text
    "perl": ("-e", "-E"),
    "ruby": ("-e",),
    "node": ("-e", "--eval", "-p", "--print"),
    "php": ("-r",),
    "pwsh": ("-c", "-command"),
    "powershell": ("-c", "-command"),
}
_DIGESTS = frozenset(
    {"sha1sum", "sha224sum", "sha256sum", "sha384sum", "sha512sum", "md5sum", "b2sum", "shasum"}
)
_COMPARERS = frozenset({"grep", "cmp", "diff", "test", "[", "[["})
_INSTALLERS = {
    "dpkg": ("-i", "--install"),
    "gdebi": (),
    "installer": ("-pkg",),
    "msiexec": ("/i", "/package"),
}
_PACKAGE_MANAGERS = frozenset({"apt", "apt-get", "yum", "dnf", "microdnf", "zypper", "apk", "snap"})
_VERIFIERS = _DIGESTS | {
    "openssl", "gpg", "gpg2", "gpgv", "gpgv2", "cosign", "slsa-verifier", "gh", "minisign",
    "signify", "rpm",
}  # fmt: skip
_EXECUTABLE_MODES = lazy_compile(r"^[ugoa]*\+[rwxXst]*x[rwxXst]*$|^[0-7]?[0-7][0-7][1357]$")


@record
class Download:
    """A `curl`/`wget`: its URL, whether its output goes to stdout, the files it writes."""

    command: Command
    url: Word | None
    to_stdout: bool
    outputs: tuple[str, ...]

    @property
    def content_addressed(self) -> bool:
        """A URL fixed to a commit or a digest cannot serve other content."""
        url = self.url
        if url is None or not url.literal:
            return False
        path = url.text.split("?", 1)[0].split("#", 1)[0]
        return any(_CONTENT_ADDRESS.search(segment) for segment in path.split("/")[3:])

    @property
    def subject(self) -> str:
        return self.url.raw if self.url is not None else self.command.raw


def download_of(command: Command) -> Download | None:
    name = command.program
    if name not in ("curl", "wget"):
        return None
    argv = command.words
    if name == "curl":
        download = _curl(command, argv[1:])
    elif name == "wget":
        download = _wget(command, argv[1:])
    else:
        return None
    redirected = [
        r.target.text for r in command.redirects if r.operator in (">", ">>", "&>") and r.target
    ]
    if redirected and download.to_stdout:
        return Download(command, download.url, False, download.outputs + tuple(redirected))
    return download


def _curl(command: Command, args: Sequence[Word]) -> Download:
    parsed = parse_args(args, _CURL_VALUED)
    urls = parsed.values("--url") + parsed.positionals
    url = urls[0] if urls else None
    folder = next((w.text for w in parsed.values("--output-dir")), "")
    outputs = [w.text for w in parsed.values("-o", "--output")]
    if parsed.has("-O", "--remote-name", "--remote-name-all") and url is not None:
        outputs.append(_basename(url.text))
    to_stdout = not outputs or any(o in ("-", "/dev/stdout") for o in outputs)
    files = tuple(_join(folder, o) for o in outputs if o not in ("-", "/dev/stdout"))
    return Download(command, url, to_stdout, files)


def _wget(command: Command, args: Sequence[Word]) -> Download:
    parsed = parse_args(args, _WGET_VALUED)
    url = parsed.positionals[0] if parsed.positionals else None
    documents = [w.text for w in parsed.values("-O", "--output-document")]
    to_stdout = any(d in ("-", "/dev/stdout") for d in documents)
    folder = next((w.text for w in parsed.values("-P", "--directory-prefix")), "")
    if not documents and url is not None:
        documents = [_join(folder, _basename(url.text))]
    files = tuple(d for d in documents if d not in ("-", "/dev/stdout"))
    return Download(command, url, to_stdout, files)


def _basename(url: str) -> str:
    return url.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def _join(folder: str, name: str) -> str:
    return posixpath.join(folder, name) if folder else name


# DL001 ---------------------------------------------------------------------------------


@record
class PipedDownload:
    """A download run as a program: `at` is the command to report (the pipeline's start,
    or the interpreter holding the substitution)."""

    at: Command
    download: Download
    interpreter: Command


def downloads_run_as_programs(script: ShellScript) -> Iterator[PipedDownload]:
    downloads = [download_of(command) for command in script.commands]
    holders = {c.parent for c, d in zip(script.commands, downloads, strict=True) if d is not None}
    captured: dict[str, Download] = {}  # variables that hold what a download printed
    for command, download in zip(script.commands, downloads, strict=True):
        if captured and command.parent is None:
            yield from _runs_captured(script, command, captured, holders)
        if download is None or not download.to_stdout or download.content_addressed:
            continue
        interpreter = _piped_into(script, command) or _substituted_into(script, command)
        if interpreter is not None:
            yield PipedDownload(_report_at(script, command, interpreter), download, interpreter)
            continue
        variable = _captured_in(script, command)
        if variable is not None:
            captured[variable] = download


_ASSIGNED = lazy_compile(
    r"^(?:(?:local|export|declare|readonly|typeset)(?:\s+-[A-Za-z]+)*\s+)?([A-Za-z_]\w*)="
)


def _captured_in(script: ShellScript, command: Command) -> str | None:
    """`NAME=$(curl ...)` (or `local NAME="$(...)"`): the variable the download is kept in."""
    if command.parent is None or command.substitution != "$(":
        return None
    owner = script.commands[command.parent]
    declarations = ("local", "export", "declare", "readonly", "typeset")
    if owner.argv and owner.argv[0].text not in declarations:
        return None
    assigned = _ASSIGNED.match(owner.raw)
    return assigned.group(1) if assigned else None


def _runs_captured(
    script: ShellScript, command: Command, captured: dict[str, Download], holders: set[int | None]
) -> Iterator[PipedDownload]:
    """A command that runs a captured download: `bash -c "$s"`, `eval "$s"`, `sh <<< "$s"`,
    or `echo "$s" | sh`; a new assignment of the variable forgets it (unless it is one
    that captures a download itself: `holders` are the commands that hold a download)."""
    if not command.argv:
        assigned = _ASSIGNED.match(command.raw)
        if assigned is not None and command.index not in holders:
            captured.pop(assigned.group(1), None)
        return
    argv = command.words
    program = program_word(argv) if argv else None
    if program is not None and _given_as_text(argv, program):
        name = _variable_of(program.text)
    else:
        name = ""
    if name in captured:
        yield PipedDownload(command, captured[name], command)  # `bash -c "$s"`, `eval "$s"`
        return
    strings = [r.target for r in command.redirects if r.operator == "<<<" and r.target]
    held = [captured[n] for w in strings if (n := _variable_of(w.text)) in captured]
    if held and reads_program_from_stdin(command):
        yield PipedDownload(command, held[0], command)  # `sh <<< "$s"`
        return
    if command.stage == 0 and command.name in ("echo", "printf"):
        printed = [captured[n] for w in argv[1:] if (n := _variable_of(w.text)) in captured]
        later = _piped_into(script, command) if printed else None
        if later is not None:
            yield PipedDownload(command, printed[0], later)  # `echo "$s" | sh`


def _given_as_text(argv: Sequence[Word], program: Word) -> bool:
    """The program is the text itself (`eval WORD`, `bash -c WORD`, `node -e WORD`), not
    the name of a file to run."""
    if program_name(argv[0]) == "eval":
        return True
    index = next((i for i, word in enumerate(argv) if word is program), 0)
    before = argv[index - 1].text.lower() if index > 1 else ""
    flags = {flag for values in _PROGRAM_FLAGS.values() for flag in values}
    short = before.startswith("-") and not before.startswith("--")
    return (short and "c" in before[1:]) or before in flags


def _variable_of(text: str) -> str:
    """`NAME` for a word that is exactly `$NAME` or `${NAME}`; "" otherwise."""
    match = re.fullmatch(r"\$(?:([A-Za-z_]\w*)|\{([A-Za-z_]\w*)\})", text)
    return (match.group(1) or match.group(2)) if match else ""


def _piped_into(script: ShellScript, command: Command) -> Command | None:
    for later in script.pipeline_of(command):
        if (
            later.stage > command.stage
            and later.parent == command.parent
            and reads_program_from_stdin(later)
        ):
            return later
    return None


def _substituted_into(script: ShellScript, command: Command) -> Command | None:
    if command.parent is None:
        return None
    owner = script.commands[command.parent]
    argv = owner.unwrapped()
    if not argv:
        return None
    holder = next((w for w in argv if command.raw in w.raw), None)
    herestring = any(
        r.operator == "<<<" and r.target is not None and command.raw in r.target.raw
        for r in owner.redirects
    )
    if herestring and reads_program_from_stdin(owner):
        return owner
    if holder is None:
        return None
    return owner if holder is program_word(argv) else None


def _report_at(script: ShellScript, command: Command, interpreter: Command) -> Command:
    if interpreter.pipeline == command.pipeline:
        return next(c for c in script.pipeline_of(command) if c.parent == command.parent)
    return interpreter


def program_word(argv: Sequence[Word]) -> Word | None:
    """The word that holds an interpreter's program: the text after `-c` (or `-e`...), the
    file it is given, or everything `eval` gets. None when it reads stdin."""
    name = program_name(argv[0])
    args = argv[1:]
    texts = [w.text for w in args]
    if name in ("eval", "source", "."):
        found = args[0] if args else None
    elif name == "java":  # `java -jar tool.jar`
        found = args[texts.index("-jar") + 1] if "-jar" in texts[:-1] else None
    elif name in SHELLS:
        found = _shell_program(args)
    else:
        found = _option_program(name, args)
    return found


def _option_program(name: str, args: Sequence[Word]) -> Word | None:
    flags = ("-c",) if _PYTHON.match(name) else _PROGRAM_FLAGS.get(name)
    if flags is None:
        return None
    for i, word in enumerate(args):
        if word.text.lower() in flags:
            return args[i + 1] if i + 1 < len(args) else None
        if word.text == "-m" and _PYTHON.match(name):
            return None
    return _first_file(args)


def _shell_program(args: Sequence[Word]) -> Word | None:
    for i, word in enumerate(args):
        if word.text.startswith("-") and not word.text.startswith("--") and "c" in word.text:
            return next((w for w in args[i + 1 :] if not w.text.startswith("-")), None)
    return _first_file(args)


def _first_file(args: Sequence[Word]) -> Word | None:
    for word in args:
        if word.text == "--":
            continue
        if not word.text.startswith("-") or word.text == "-":
            return None if word.text in ("-", "/dev/stdin") else word
    return None


def reads_program_from_stdin(command: Command) -> bool:
    """`sh`, `bash -s`, `python3 -`, `sudo -E bash -`, `source /dev/stdin`: an interpreter
    that takes its program from standard input."""
    argv = command.words
    if not argv:
        return False
    name = command.program
    is_interpreter = name in _INTERPRETERS or _PYTHON.match(name) is not None
    if name in ("source", "."):
        return len(argv) > 1 and argv[1].text == "/dev/stdin"
    if not is_interpreter:
        return False
    if name in SHELLS and any(w.text == "-s" for w in argv[1:]):
        return True
    if name in ("pwsh", "powershell"):
        texts = [w.text.lower() for w in argv[1:]]
        return not texts or texts[-2:] in (["-command", "-"], ["-c", "-"])
    return program_word(argv) is None and not _runs_module(argv)


def _runs_module(argv: Sequence[Word]) -> bool:
    return any(w.text in ("-m", "-c") for w in argv[1:]) or any(
        w.text.lower() in flags for flags in _PROGRAM_FLAGS.values() for w in argv[1:]
    )


# DL002 ---------------------------------------------------------------------------------


@record
class UnverifiedRun:
    """A command that runs, sources or installs a downloaded file before any check."""

    command: Command
    download: Download
    how: str


@record(frozen=False)
class _Extraction:
    download: Download
    folder: str
    stem: str

    def holds(self, path: str) -> bool:
        """Whether a path plausibly points into the unpacked tree: under the folder it was
        unpacked to, or (relative) named like the archive (`go/bin/go` from `go1.22.tgz`)."""
        path = _normal(path)
        if self.folder and path.startswith(_normal(self.folder).rstrip("/") + "/"):
            return True
        if path.startswith(("/", "$", "~")):
            return False
        first = path.split("/", 1)[0]
        token = re.split(r"[-_.]", first, maxsplit=1)[0]
        return (
            len(first) >= 2 and (self.stem.startswith(first) or first.startswith(self.stem))
        ) or (len(token) >= 4 and re.split(r"[-_.]", self.stem, maxsplit=1)[0] == token)


@record(frozen=False)
class _Files:
    """Unverified downloaded files, and trees unpacked from them, at one point of a run."""

    files: dict[str, Download] = field(default_factory=dict)
    executable: set[str] = field(default_factory=set)
    trees: list[_Extraction] = field(default_factory=list)
    inside: _Extraction | None = None

    def clear(self) -> None:
        self.files.clear()
        self.executable.clear()
        self.trees.clear()
        self.inside = None

    def find(self, text: str) -> Download | None:
        path = _normal(text)
        if path in self.files:
            return self.files[path]
        base = posixpath.basename(path)
        for known, download in self.files.items():
            if posixpath.basename(known) == base:
                return download
        return None

    def find_program(self, text: str) -> Download | None:
        if "/" in text:
            return self.find(text) or self.in_tree(text)
        for known, download in self.files.items():
            if posixpath.basename(known) == text and (known in self.executable or "/bin/" in known):
                return download
        return None

    def in_tree(self, text: str) -> Download | None:
        if self.inside is not None and text.startswith("./"):
            return self.inside.download
        return next((t.download for t in self.trees if t.holds(text)), None)


def unverified_runs(scripts: Sequence[ShellScript]) -> Iterator[UnverifiedRun]:
    """Scripts that run one after another on the same files, followed in order."""
    state = _Files()
    for script in scripts:
        for command in script.commands:
            yield from _step(script, command, state)


def _step(script: ShellScript, command: Command, state: _Files) -> Iterator[UnverifiedRun]:
    if is_verification(script, command):
        state.clear()
        return
    download = download_of(command)
    if download is not None:
        _record(script, download, state)
        return
    name = command.program
    if not state.files and not state.trees:
        return  # nothing downloaded yet: nothing to run, move or unpack
    argv = command.words
    if not name and not (argv and is_path_word(argv[0])):
        return  # a program named by a command's output: it cannot be followed
    found = _sink(argv, name, state)
    if found is not None:
        run, how = found
        yield UnverifiedRun(command, run, how)
        for path in [p for p, d in state.files.items() if d is run]:
            del state.files[path]
        state.trees = [t for t in state.trees if t.download is not run]
        return
    _follow(argv, name, state)


def _record(script: ShellScript, download: Download, state: _Files) -> None:
    if download.content_addressed:
        return
    for output in download.outputs:
        state.files[_normal(output)] = download
    if download.to_stdout:
        for later in script.pipeline_of(download.command):
            if later.stage > download.command.stage:
                tree = _extraction(later.unwrapped(), download, from_stdin=True)
                if tree is not None:
                    state.trees.append(tree)


def _sink(argv: Sequence[Word], name: str, state: _Files) -> tuple[Download, str] | None:
    if not state.files and not state.trees:
        return None
    program = state.find_program(argv[0].text)
    if program is not None:
        return program, "runs"
    if name in _INTERPRETERS or _PYTHON.match(name) or name in ("source", ".", "java"):
        word = program_word(argv)
        if word is not None and is_path_word(word):
            found = state.find(word.text) or state.in_tree(word.text)
            if found is not None:
                return found, "sources" if name in ("source", ".") else "runs"
    if _installs(argv, name):
        for word in argv[1:]:
            found = state.find(word.text) if not word.text.startswith("-") else None
            if found is not None:
                return found, "installs"
    return None


def is_path_word(word: Word) -> bool:
    """A word that names a file the same way each time: literal, or with variables only
    (`"$TMP/install.sh"`), not a command's output."""
    return word.literal or not any(mark in word.raw for mark in ("$(", "`", "<(", "${{"))


def _installs(argv: Sequence[Word], name: str) -> bool:
    texts = [w.text for w in argv[1:]]
    if name in _INSTALLERS:
        flags = _INSTALLERS[name]
        return not flags or any(t.lower() in flags for t in texts)
    if name == "rpm":
        return any(t.startswith(("-i", "-U", "-F", "--install", "--upgrade")) for t in texts)
    if name in _PACKAGE_MANAGERS:
        return any(t in ("install", "localinstall", "reinstall", "add") for t in texts)
    if name in ("pip", "pip3") or _PYTHON.match(name):
        return "install" in texts
    return False


def _follow(argv: Sequence[Word], name: str, state: _Files) -> None:
    """Files moved, copied, made executable or unpacked carry the download with them."""
    texts = [w.text for w in argv[1:]]
    if name == "cd" and texts:
        state.inside = next((t for t in state.trees if t.holds(texts[0])), None)
    elif name in ("mv", "cp", "install", "ln"):
        paths = [t for t in texts if not t.startswith("-")]
        if len(paths) >= 2:
            for source in paths[:-1]:
                found = state.find(source)
                if found is not None:
                    target = _normal(paths[-1])
                    for moved in (
                        target,
                        posixpath.join(target, posixpath.basename(_normal(source))),
                    ):
                        state.files[_normal(moved)] = found
                        if name == "install":
                            state.executable.add(_normal(moved))
    elif name == "chmod" and texts and _EXECUTABLE_MODES.match(texts[0]):
        state.executable.update(_normal(t) for t in texts[1:] if state.find(t))
    else:
        archive = _archive_of(argv, name)
        found = state.find(archive) if archive else None
        if found is not None:
            tree = _extraction(argv, found, from_stdin=False)
            if tree is not None:
                state.trees.append(tree)
                for member in tree_members(argv, name):
                    state.files[_normal(_join(tree.folder, member))] = found


def _archive_of(argv: Sequence[Word], name: str) -> str | None:
    texts = [w.text for w in argv[1:]]
    if name in ("tar", "bsdtar") and _tar_extracts(texts):
        for i, text in enumerate(texts):
            if text.startswith("--file="):
                return text.removeprefix("--file=")
            if (
                (text.startswith("-") or i == 0)
                and not text.startswith("--")
                and text.endswith("f")
            ):
                return texts[i + 1] if i + 1 < len(texts) else None
        return None
    if name in ("unzip", "7z", "gunzip", "xz", "bunzip2"):
        return next((t for t in texts if not t.startswith("-") and t not in ("x", "e")), None)
    return None


def _tar_extracts(texts: Sequence[str]) -> bool:
    first = texts[0] if texts else ""
    return any(t in ("-x", "--extract", "--get") for t in texts) or (
        not first.startswith("--") and "x" in first.lstrip("-")
    )


def _extraction(
    argv: Sequence[Word], download: Download, *, from_stdin: bool
) -> _Extraction | None:
    name = program_name(argv[0]) if argv else ""
    texts = [w.text for w in argv[1:]]
    if name in ("tar", "bsdtar"):
        if not _tar_extracts(texts):
            return None
        folder = next(
            (texts[i + 1] for i, t in enumerate(texts[:-1]) if t in ("-C", "--directory")), ""
        )
    elif name in ("unzip", "7z") and not from_stdin:
        folder = next((texts[i + 1] for i, t in enumerate(texts[:-1]) if t == "-d"), "")
        folder = folder or next((t[2:] for t in texts if t.startswith("-o")), "")
    else:
        return None
    source = download.url.text if download.url is not None else ""
    stem = re.split(r"\.(?:tar|tgz|zip|gz|xz|bz2|7z)", _basename(source), maxsplit=1)[0]
    return _Extraction(download, folder, stem)


def tree_members(argv: Sequence[Word], name: str) -> list[str]:
    """The members a `tar x` names after its archive (`tar xzf a.tgz -C /bin tool`)."""
    if name not in ("tar", "bsdtar"):
        return []
    texts = [w.text for w in argv[1:]]
    archive = _archive_of(argv, name)
    members = []
    skip = {archive}
    for i, text in enumerate(texts):
        if text in ("-C", "--directory") and i + 1 < len(texts):
            skip.add(texts[i + 1])
    for i, text in enumerate(texts):
        if i == 0 and not text.startswith("-"):
            continue
        if not text.startswith("-") and text not in skip:
            members.append(text)
    return members


def is_verification(script: ShellScript, command: Command) -> bool:
    """A checksum or signature check: `sha256sum -c`, `shasum -a 256 -c`, a digest compared
    with a value, `gpg --verify`, `cosign verify-blob`, `slsa-verifier`, `gh attestation
    verify`, `minisign -V`."""
    name = command.program
    if name not in _VERIFIERS:
        return False
    texts = [w.text for w in command.words[1:]]
    if name in _DIGESTS or (name == "openssl" and texts[:1] == ["dgst"]):
        if any(t in ("-c", "--check", "-verify") or _short_flag(t, "c") for t in texts):
            return True
        return _compared(script, command)
    checks: dict[str, Callable[[], bool]] = {
        "gpg": lambda: "--verify" in texts,
        "gpg2": lambda: "--verify" in texts,
        "gpgv": lambda: True,
        "gpgv2": lambda: True,
        "cosign": lambda: bool(texts) and texts[0].startswith("verify"),
        "slsa-verifier": lambda: True,
        "gh": lambda: texts[:2] == ["attestation", "verify"],
        "minisign": lambda: any(_short_flag(t, "V") for t in texts),
        "signify": lambda: any(_short_flag(t, "V") for t in texts),
        "rpm": lambda: any(t in ("-K", "--checksig") for t in texts),
    }
    check = checks.get(name)
    return check is not None and check()


def _short_flag(text: str, letter: str) -> bool:
    return text.startswith("-") and not text.startswith("--") and letter in text[1:]


def _compared(script: ShellScript, command: Command) -> bool:
    """A computed digest that is then compared: inside a test or a captured `$(...)`, or
    piped into `grep`, `cmp` or `diff`."""
    for owner in script.ancestors(command):
        if not owner.argv or owner.name in _COMPARERS:
            return True
    return any(
        later.stage > command.stage and later.name in _COMPARERS
        for later in script.pipeline_of(command)
    )


def _normal(path: str) -> str:
    path = re.sub(r"\$\{(\w+)\}", r"$\1", path)
    normal = posixpath.normpath(path) if path else path
    return normal.removeprefix("./")


# The inventory ---------------------------------------------------------------------------


@record
class FetchedFile:
    """A download as the inventory lists it: whether a checksum or signature check follows
    it before the end of the scripts (or its URL names a commit or digest)."""

    download: Download
    verified: bool


def checked_downloads(scripts: Sequence[ShellScript]) -> Iterator[FetchedFile]:
    """Every `curl`/`wget` of scripts that run one after another, in order. A download is
    verified when its URL is content-addressed, or when a check runs after it (as DL002
    judges): its output piped into an interpreter never is."""
    pending: list[Download] = []
    for script in scripts:
        piped = {id(found.download.command) for found in downloads_run_as_programs(script)}
        for command in script.commands:
            if is_verification(script, command):
                yield from (FetchedFile(download, True) for download in pending)
                pending.clear()
                continue
            download = download_of(command)
            if download is None:
                continue
            if download.content_addressed:
                yield FetchedFile(download, True)
            elif id(command) in piped:
                yield FetchedFile(download, False)
            else:
                pending.append(download)
    yield from (FetchedFile(download, False) for download in pending)
