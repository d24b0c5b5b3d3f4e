"""Package-manager commands and the versions they ask for: DL003 and DL004's analysis.

Each tool has its own way to name an exact version (`pkg==1.2.3`, `pkg@1.2.3`,
`--version 1.2.3`, `-v 1.2.3`, `pkg=1.2.3`); an install that names none gets
whatever the registry serves that day. Installs from a local path, from a
lockfile or a requirements file are not this rule's business (LCK rules read
those files), nor are system package managers, whose packages are signed, nor
pip with `--no-index` and local `--find-links` (nothing comes from a registry).
A script run by `pipx run` or `uv run` installs the dependencies its PEP 723
`# /// script` block names: those are judged instead of the file name.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Sequence

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.record import field, record, replace
from repo_harden.shell.analyser import Command, ParsedArgs, ShellScript, Word, parse_args

_PYTHON = lazy_compile(r"^(python[0-9.]*|py)$")
_PIP = lazy_compile(r"^pip[0-9.]*$")
_SIMPLE_SPEC = lazy_compile(
    r"^[A-Za-z0-9][A-Za-z0-9._-]*(?:\[[A-Za-z0-9,._-]*\])?(===?[A-Za-z0-9.+!_-]+)?$"
)
_SEMVER = lazy_compile(r"^[=v]?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
_GO_VERSION = lazy_compile(
    r"^v\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+incompatible)?$|^[0-9a-f]{7,40}$"
)
_COMMIT = lazy_compile(r"^[0-9a-fA-F]{40}$")
_NUGET_EXACT = lazy_compile(r"^\[?\d+(\.\d+){1,3}(-[0-9A-Za-z.-]+)?\]?$")  # 1.2.3 or [1.2.3]
_LOCAL = lazy_compile(r"^(\.|/|~|file:|\$)|\.(tgz|tar\.gz|whl|zip|gem|nupkg|deb|config|nuspec)$")
_ARCHIVE = lazy_compile(r"\.(whl|zip|tar\.gz|tgz|tar\.bz2|tar\.xz|tar)$")
_REMOTE = lazy_compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_VCS = lazy_compile(r"^(git|hg|svn|bzr)\+", re.IGNORECASE)
_SCRIPT = lazy_compile(r"\.pyw?$")
_TRUE = frozenset({"1", "true", "yes", "on"})
# The lockfiles a folder may have, and how to install from each without changing it.
NODE_LOCKFILES = (
    ("package-lock.json", "npm ci"),
    ("npm-shrinkwrap.json", "npm ci"),
    ("yarn.lock", "yarn install --frozen-lockfile"),
    ("pnpm-lock.yaml", "pnpm install --frozen-lockfile"),
    ("bun.lock", "bun install --frozen-lockfile"),
    ("bun.lockb", "bun install --frozen-lockfile"),
)
_PIP_VALUED = frozenset({
    "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-i", "--index-url",
    "--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix", "--root",
    "--platform", "--python-version", "--implementation", "--abi", "--no-binary",
    "--only-binary", "--progress-bar", "--trusted-host", "--src", "--upgrade-strategy",
    "--global-option", "--install-option", "-C", "--config-settings", "--cache-dir", "--log",
    "--proxy", "--retries", "--timeout", "--exists-action", "--cert", "--client-cert",
    "--python", "-p", "--report", "--root-user-action", "--group", "--keyring-provider",
    "--use-feature", "--use-deprecated", "--index", "--default-index", "--overrides",
    "--python-platform", "--resolution", "--prerelease", "--exclude-newer", "--config-setting",
    "--index-strategy", "--link-mode", "--refresh-package", "--upgrade-package", "-P",
    "--reinstall-package", "--extra", "--hash"
})  # fmt: skip
_NPM_VALUED = frozenset({
    "--prefix", "--registry", "--cache", "-w", "--workspace", "--tag", "--omit", "--include",
    "--loglevel", "--userconfig", "--location", "--install-strategy", "-C", "--dir", "--filter",
    "-p", "--package", "-c", "--call", "--node-options", "--shell", "--network-concurrency",
    "--modules-folder", "--cwd"
})  # fmt: skip
_GO_VALUED = frozenset({
    "-tags", "-ldflags", "-gcflags", "-asmflags", "-o", "-modfile", "-p", "-overlay", "-pkgdir",
    "-toolexec", "-compiler", "-installsuffix", "-buildmode", "-pgo", "-C", "-mod", "-buildvcs",
    "-exec"
})  # fmt: skip
_CARGO_VALUED = frozenset({
    "--version", "--vers", "--git", "--branch", "--tag", "--rev", "--path", "--root",
    "--registry", "--index", "--features", "-F", "--target", "--target-dir", "--profile", "-j",
    "--jobs", "--bin", "--example", "--config", "-Z", "--color", "--message-format"
})  # fmt: skip
_GEM_VALUED = frozenset({
    "-v", "--version", "-i", "--install-dir", "-n", "--bindir", "-s", "--source", "--platform",
    "-g", "--file", "-P", "--trust-policy", "--document"
})  # fmt: skip
_DOTNET_VALUED = frozenset({
    "--version", "--tool-path", "--add-source", "--configfile", "--framework", "-a", "--arch",
    "-v", "--verbosity", "--tool-manifest"
})  # fmt: skip
_CHOCO_VALUED = frozenset({
    "--version", "-s", "--source", "--params", "--package-parameters", "--checksum",
    "--checksum64", "--install-arguments", "--ia", "--cache-location", "--timeout",
    "--execution-timeout"
})  # fmt: skip
_NUGET_VALUED = frozenset({
    "-version", "-outputdirectory", "-o", "-source", "-configfile", "-framework",
    "-fallbacksource", "-packagesavemode", "-dependencyversion", "-verbosity",
    "-solutiondirectory"
})  # fmt: skip
_CONDA_VALUED = frozenset({
    "-n", "--name", "-p", "--prefix", "-c", "--channel", "--file", "--solver", "--repodata-fn",
    "--platform", "--subdir"
})  # fmt: skip


@record
class Install:
    """An install command and what is wrong with the versions it names.

    `unpinned` lists the packages with no exact version (empty when the command is
    fine, or when `problem` says what is wrong with the command as a whole). For pip,
    `exact` lists the exactly pinned packages and `hashed` tells whether pip checks
    hashes; `requirement_files` are the files named by `-r`; `unhashable` lists what pip
    can never check by hash (VCS requirements, editables, local folders), which keeps it
    from checking the rest of the same command. `script` is the file of a `pipx run` or
    `uv run` whose inline dependencies are judged. `npx_finds` names the npm packages the
    command installs at an exact version where a later `npx name` runs them (its folder's
    `node_modules`, or npm's global folder when `global_install`)."""

    command: Command
    tool: str
    fix: str
    unpinned: tuple[str, ...] = ()
    problem: str = ""
    exact: tuple[str, ...] = ()
    hashed: bool = False
    requirement_files: tuple[Word, ...] = field(default=())
    unhashable: tuple[str, ...] = ()
    script: str = ""
    npx_finds: tuple[str, ...] = ()
    global_install: bool = False


class InstallContext:
    """What the repository around a script says, looked up only when a command needs it:
    a `package.json` means `npx tool` runs the project's own locked tool, a `.yarnrc.yml`
    means Yarn 2+, which installs with `--immutable` in CI by itself, the lockfiles say
    which install can follow one, and a script's text holds its inline dependencies.
    `directory` is where the command runs (repo-relative, "" for the root), None when it
    cannot be told (a script run from anywhere, a `cd` to a variable)."""

    def __init__(
        self,
        paths: Callable[[], Sequence[str]],
        read_text: Callable[[str], str | None] = lambda path: None,
        directory: str | None = "",
        near: str = "",
    ) -> None:
        self._paths = paths
        self._read_text = read_text
        self._known: list[tuple[set[str], set[str]]] = []  # (names, paths), built once
        self.directory = directory
        self.near = near  # the folder of the file that holds the command

    def at(self, directory: str | None, near: str | None = None) -> InstallContext:
        """The same repository, for a command run in `directory`, written in a file in the
        folder `near`."""
        moved = InstallContext(
            self._paths, self._read_text, directory, self.near if near is None else near
        )
        moved._known = self._known
        return moved

    def _names_and_paths(self) -> tuple[set[str], set[str]]:
        if not self._known:
            paths = set(self._paths())
            self._known.append(({path.rsplit("/", 1)[-1] for path in paths}, paths))
        return self._known[0]

    def _has(self, name: str) -> bool:
        return name in self._names_and_paths()[0]

    @property
    def has_package_json(self) -> bool:
        return self._has("package.json")

    @property
    def yarn_berry(self) -> bool:
        return self._has(".yarnrc.yml")

    def node_lockfile(self) -> tuple[str, str] | None:
        """(lockfile, frozen install command) that locks the folder the command runs in: the
        nearest one in it or above it (a workspace member is locked at the root). When the
        folder is unknown, any lockfile of the repository."""
        paths = self._names_and_paths()[1]
        if self.directory is None:
            for name, install in NODE_LOCKFILES:
                if self._has(name):
                    return name, install
            return None
        folder = self.directory
        while True:
            for name, install in NODE_LOCKFILES:
                candidate = posixpath.join(folder, name) if folder else name
                if candidate in paths:
                    return candidate, install
            if not folder:
                return None
            folder = posixpath.dirname(folder)

    def resolve(self, path: str) -> str | None:
        """A path a command names, as a repo-relative path; None when it is outside the
        repository. When the folder the command runs in is unknown (a script can be run
        from anywhere), the file's own folder and the root are tried, in that order, and
        the first that holds the path is taken."""
        if path.startswith(("/", "~", "$")):
            return None
        if self.directory is not None:
            return _inside(self.directory, path)
        paths = self._names_and_paths()[1]
        for folder in dict.fromkeys((self.near, "")):
            found = _inside(folder, path)
            if found is not None and found in paths:
                return found
        return None

    def text(self, path: str) -> str | None:
        return self._read_text(path) if path in self._names_and_paths()[1] else None


def command_folders(script: ShellScript, start: str | None) -> list[str | None]:
    """Where each command of a script runs, by index: the block's folder, moved by each
    `cd` or `pushd` (one to a variable, to an absolute path or out of the repository makes
    it unknown, None)."""
    folders: list[str | None] = []
    current = start
    for command in script.commands:
        folders.append(current)
        if command.parent is not None:
            continue  # a `cd` inside `$(...)` moves a subshell only
        if command.name in ("cd", "pushd"):
            current = _moved(current, command.words[1:])
        elif command.name == "popd":
            current = None
    return folders


def _moved(current: str | None, args: Sequence[Word]) -> str | None:
    target = next((w for w in args if not w.text.startswith("-") or w.text == "-"), None)
    if current is None or target is None or not target.literal:
        return None
    if target.text.startswith(("/", "~", "-")):
        return None
    folder = posixpath.normpath(posixpath.join(current, target.text))
    if folder == ".." or folder.startswith("../"):
        return None
    return "" if folder == "." else folder


def install_of(command: Command, context: InstallContext) -> Install | None:
    """The install a command performs, if it is one this rule knows."""
    name = command.program
    if not name or (name not in _READERS and not _PIP.match(name) and not _PYTHON.match(name)):
        return None
    argv = command.words
    args = argv[1:]
    if _PYTHON.match(name) and len(args) >= 2 and args[0].text == "-m":
        name, args = args[1].text, args[2:]
    reader = _READERS.get(name) or (_pip if _PIP.match(name) else None)
    return reader(command, list(args), context) if reader else None


def pin_advice(
    unpinned: Sequence[str],
    example: str,
    *,
    also: str = "",
    where: str = "",
    dependencies: bool = False,
) -> str:
    """The advice for packages installed with no exact version, worded the same for every
    package manager: `pin it to an exact version (`gem install tool -v 1.2.3`)`, or `pin
    each one ...` for several; `also` adds another way, `where` says where the pin goes."""
    which = "each one" if len(unpinned) > 1 else "it"
    which += " and its dependencies" if dependencies else ""
    return f"pin {which} to an exact version{where} (`{example}`){also}"


def _subcommand(args: list[Word], *names: str) -> list[Word] | None:
    if args and args[0].text in names:
        return args[1:]
    return None


def _pip(command: Command, args: list[Word], context: InstallContext) -> Install | None:
    rest = _subcommand(args, "install")
    return _pip_install(command, rest, "pip") if rest is not None else None


def _pip_install(command: Command, args: list[Word], tool: str) -> Install:
    parsed = parse_args(args, _PIP_VALUED)
    if _index_free(command, parsed):
        return Install(command, tool, "")  # nothing comes from a registry
    hashed = parsed.has("--require-hashes", "--hash") or any(
        "PIP_REQUIRE_HASHES" in a.text for a in command.assignments
    )
    unpinned: list[str] = []
    exact: list[str] = []
    unhashable: list[str] = []
    editables = parsed.values("-e", "--editable")
    if not parsed.has("-c", "--constraint"):
        for word in [*parsed.positionals, *editables]:
            if not word.literal:
                continue
            if _LOCAL.search(word.text):
                if word in editables or not _ARCHIVE.search(word.text):
                    unhashable.append(word.text)  # pip hashes files, not folders
                continue
            verdict = _pip_spec(word.text)
            if verdict is None:
                continue
            pin, carries_hash = verdict
            {"exact": exact, "unpinned": unpinned, "vcs": unhashable}[pin].append(word.text)
            hashed = hashed or carries_hash
    files = tuple(parsed.values("-r", "--requirement"))
    fix = pin_advice(unpinned, f"{tool} install name==1.2.3", also=", or install from a lockfile")
    return Install(
        command, tool, fix, tuple(unpinned), "", tuple(exact), hashed, files, tuple(unhashable)
    )


def _index_free(command: Command, parsed: ParsedArgs) -> bool:
    """`--no-index` (or `PIP_NO_INDEX`/`UV_NO_INDEX`) with only local `--find-links`: every
    package comes from the runner's own files. A remote `--find-links` page still serves
    whatever it lists."""
    no_index = parsed.has("--no-index") or any(
        word.text.partition("=")[0] in ("PIP_NO_INDEX", "UV_NO_INDEX")
        and word.text.partition("=")[2].strip("'\"").lower() in _TRUE
        for word in command.assignments
    )
    links = parsed.values("-f", "--find-links")
    return no_index and all(w.literal and not _REMOTE.match(w.text) for w in links)


def _pip_spec(text: str) -> tuple[str, bool] | None:
    """How a requirement is pinned (`exact`, `unpinned`, or `vcs`: a VCS requirement at a
    full commit, the strongest pin it can have, since pip cannot hash a checkout) and
    whether it carries a hash; None for a local one. The common `name` and `name==1.2.3`
    are told here; the rest goes to the requirements reader."""
    simple = _SIMPLE_SPEC.match(text)
    if simple is not None:
        return ("exact" if simple.group(1) is not None else "unpinned"), False
    from repo_harden.readers.requirements import read_requirements

    read = read_requirements("-", text)
    if read.errors or not read.requirements or read.requirements[0].is_local:
        return None
    requirement = read.requirements[0]
    if requirement.unpinned_reason is not None:
        return "unpinned", requirement.is_hashed
    return ("vcs" if requirement.is_vcs else "exact"), requirement.is_hashed


def _uv(command: Command, args: list[Word], context: InstallContext) -> Install | None:
    if args[:2] and [a.text for a in args[:2]] == ["pip", "install"]:
        return _pip_install(command, args[2:], "uv pip")
    if args and args[0].text == "run":
        return _uv_run(command, args[1:], context)
    if args[:2] and [a.text for a in args[:2]] == ["tool", "install"]:
        return _python_tool(command, args[2:], "uv tool install", "==")
    if args[:2] and [a.text for a in args[:2]] == ["tool", "run"]:
        return _uvx(command, args[2:], context)
    return None


_UV_RUN_VALUED = frozenset({
    "--with", "--with-editable", "--with-requirements", "--python", "-p", "--package",
    "--extra", "--group", "--no-group", "--index", "--default-index", "--env-file",
    "--directory", "--project", "--config-file", "-C", "--config-setting", "--index-url",
    "--extra-index-url", "--find-links", "-f", "--exclude-newer", "--prerelease", "--resolution",
    "--link-mode", "--refresh-package", "--upgrade-package", "-P", "--reinstall-package",
    "--only-group", "--cache-dir", "--color", "--keyring-provider", "--index-strategy"
})  # fmt: skip


def _uv_run(command: Command, args: list[Word], context: InstallContext) -> Install | None:
    """`uv run script.py` installs the script's inline dependencies (PEP 723); any other
    `uv run` uses the project's environment, which `uv.lock` locks."""
    parsed = parse_args(args, _UV_RUN_VALUED)
    program = parsed.positionals[:1]
    if not program or not _SCRIPT.search(program[0].text.split("?")[0]):
        return None
    folder = parsed.values("--directory")
    if folder:
        context = context.at(context.resolve(folder[0].text) if folder[0].literal else None)
    return _inline_script(command, program[0], "uv run", context)


def _uvx(command: Command, args: list[Word], context: InstallContext) -> Install | None:
    parsed = parse_args(args, {"--from", "--with", "--python", "-p", "--index", "-w"})
    spec = parsed.values("--from")[:1] or parsed.positionals[:1]
    if not spec or not spec[0].literal or _LOCAL.search(spec[0].text):
        return None
    text = spec[0].text
    pinned = _exact_python(text) or _SEMVER.match(text.rpartition("@")[2] or "") is not None
    fix = pin_advice([text], "uvx tool@1.2.3", also=" or `uvx --from 'tool==1.2.3' tool`")
    return Install(command, "uvx", fix, () if pinned else (text,))


def _pipx(command: Command, args: list[Word], context: InstallContext) -> Install | None:
    if args and args[0].text == "install":
        return _python_tool(command, args[1:], "pipx install", "==")
    if args and args[0].text == "run":
        parsed = parse_args(args[1:], {"--spec", "--python", "--index-url", "--pip-args"})
        app = parsed.positionals[:1]
        if not parsed.has("--spec") and app and _SCRIPT.search(app[0].text.split("?")[0]):
            return _inline_script(command, app[0], "pipx run", context)
        spec = parsed.values("--spec")[:1] or app
        if not spec or not spec[0].literal or _LOCAL.search(spec[0].text):
            return None
        pinned = _exact_python(spec[0].text)
        fix = pin_advice([spec[0].text], "pipx run --spec 'tool==1.2.3' tool")
        return Install(command, "pipx run", fix, () if pinned else (spec[0].text,))
    return None


def _inline_script(
    command: Command, word: Word, tool: str, context: InstallContext
) -> Install | None:
    """A `.py` file run with the dependencies of its PEP 723 `# /// script` block: each must
    be pinned. A script fetched from a URL brings dependencies nobody reviewed."""
    if not word.literal:
        return None
    if _REMOTE.match(word.text):
        return Install(
            command,
            tool,
            "keep a reviewed copy of the script in the repository, with its inline "
            "dependencies pinned (`name==1.2.3`)",
            problem=f"`{tool} {word.text}` downloads a script and runs it, with whatever "
            "dependencies it names that day",
            script=word.text,
        )
    path = context.resolve(word.text)
    text = context.text(path) if path is not None else None
    if path is None or text is None:
        return None  # not in the repository, or its folder is unknown: nothing to judge
    if tool == "uv run" and context.text(f"{path}.lock") is not None:
        return None  # `uv lock --script` wrote its lockfile, which `uv run` follows
    from repo_harden.readers.inline_metadata import script_dependencies

    unpinned = tuple(
        requirement for requirement in script_dependencies(text) if not _exact_pep508(requirement)
    )
    fix = pin_advice(unpinned, "name==1.2.3", where=" in the script's `# /// script` block")
    if tool == "uv run":
        fix += f", or lock them with `uv lock --script {word.text}`"
    return Install(command, tool, fix, unpinned, script=path)


def _exact_pep508(text: str) -> bool:
    """A dependency pinned to one release (`==` with a full version, `===`), a VCS commit or
    a hashed URL, as a requirements file would be judged."""
    from repo_harden.readers.requirements import read_requirements

    read = read_requirements("-", text)
    if read.errors or not read.requirements:
        return False
    return read.requirements[0].unpinned_reason is None


def _python_tool(command: Command, args: list[Word], tool: str, operator: str) -> Install:
    parsed = parse_args(args, {"--python", "--index-url", "--pip-args", "--with", "--suffix", "-p"})
    unpinned = [
        w.text
        for w in parsed.positionals
        if w.literal and not _LOCAL.search(w.text) and not _exact_python(w.text)
    ]
    fix = pin_advice(unpinned, f"{tool} 'tool{operator}1.2.3'")
    return Install(command, tool, fix, tuple(unpinned))


def _exact_python(text: str) -> bool:
    name, _, version = text.partition("==")
    return bool(name) and bool(version) and "*" not in version and "," not in version


def _npm(command: Command, args: list[Word], context: InstallContext) -> Install | None:
    if not args:
        return None
    verb = args[0].text
    if verb == "exec":
        return _npx(command, args[1:], context)
    if verb not in ("install", "i", "add", "isntall", "in"):
        return None
    parsed = parse_args(args[1:], _NPM_VALUED)
    if not parsed.positionals:
        prefix = parsed.values("--prefix", "-C")
        if prefix:
            where = context.resolve(prefix[0].text) if prefix[0].literal else None
            context = context.at(where)
        return _npm_install_all(command, context)
    installed = _where_npx_finds(
        _node_packages(command, parsed.positionals, "npm install"), parsed, global_ok=True
    )
    global_install = parsed.has("-g", "--global") or any(
        value.text == "global" for value in parsed.values("--location")
    )
    return replace(installed, global_install=global_install)


# Options that install somewhere else than the folder's `node_modules`: a later `npx` in
# the folder may not find what they install.
_ELSEWHERE = frozenset(
    {"--prefix", "-C", "--dir", "-w", "--workspace", "--filter", "--cwd", "--modules-folder"}
)


def _where_npx_finds(install: Install, parsed: ParsedArgs, *, global_ok: bool) -> Install:
    """The install, with nothing left for a later `npx` when it went elsewhere (another
    folder, or the global folder of another package manager than npm)."""
    elsewhere = parsed.has(*_ELSEWHERE) or (not global_ok and parsed.has("-g", "--global"))
    return replace(install, npx_finds=()) if elsewhere else install


def _npm_install_all(command: Command, context: InstallContext) -> Install:
    """`npm install` with no package: the advice depends on the lockfile of its folder."""
    shown = _shown_folder(context.directory)
    locked = context.node_lockfile()
    if locked is None:
        return Install(
            command,
            "npm",
            "commit one (`npm install --package-lock-only`) and install with `npm ci`, "
            "which follows it exactly",
            problem=f"`npm install`{shown} resolves every dependency afresh: there is no "
            "`package-lock.json` for it to follow",
        )
    lockfile, install = locked
    if install != "npm ci":
        whose = "of that folder" if context.directory is not None else "of the repository"
        return Install(
            command,
            "npm",
            f"install with `{install}`, which follows it",
            problem=f"`npm install`{shown} ignores `{lockfile}`, the lockfile {whose}, "
            "and may resolve other versions",
        )
    return Install(
        command,
        "npm",
        f"use `npm ci`, which installs exactly what `{lockfile}` says",
        problem="`npm install` without packages may update the lockfile instead of following it",
    )


def _inside(folder: str, path: str) -> str | None:
    joined = posixpath.normpath(posixpath.join(folder, path))
    return None if joined == ".." or joined.startswith("../") else joined


def _shown_folder(directory: str | None) -> str:
    if directory is None:
        return ""
    return f" in `{directory}/`" if directory else " at the repository root"


def _node_packages(command: Command, words: Sequence[Word], tool: str) -> Install:
    unpinned = [w.text for w in words if w.literal and not _node_pinned(w.text)]
    found = [_registry_name(w.text) for w in words if tool in _NPX_FINDS and w.literal]
    return Install(
        command,
        tool,
        pin_advice(unpinned, f"{tool} name@1.2.3"),
        tuple(unpinned),
        npx_finds=tuple(name for name in found if name is not None),
    )


# The installs that leave a package's commands where `npx` looks before it downloads:
# the folder's `node_modules/.bin` (npm's global folder for `npm install -g`).
_NPX_FINDS = frozenset({"npm install", "pnpm add", "pnpm install", "pnpm i", "yarn add"})


def _registry_name(spec: str) -> str | None:
    """`name` of a registry spec `name@1.2.3` with an exact version; None for the rest."""
    if _LOCAL.search(spec) or not _node_pinned(spec):
        return None
    name, _, _ = spec[1:].partition("@") if spec.startswith("@") else spec.partition("@")
    return f"@{name}" if spec.startswith("@") else name


class InstalledForNpx:
    """What the commands of one job (or one script) installed so far at an exact version
    where `npx` finds it: a later `npx name` (without `--package`) in the same folder, or
    anywhere after a global install, runs that copy, not the registry's latest."""

    def __init__(self) -> None:
        self._found: set[tuple[object, object, str]] = set()  # (group, place, name)

    def judged(self, install: Install | None, group: object, place: object) -> Install | None:
        """The install as it runs after the group's earlier commands, in `place` (see
        `command_places`); records what it leaves for a later `npx`."""
        if install is None:
            return None
        where = _GLOBAL if install.global_install else place
        self._found |= {(group, where, name) for name in install.npx_finds}
        if install.tool != "npx" or _names_package(install.command):
            return install
        unpinned = tuple(
            name
            for name in install.unpinned
            if not any((group, at, name) in self._found for at in (place, _GLOBAL))
        )
        return replace(install, unpinned=unpinned)


_GLOBAL = object()  # the place of a global install


def command_places(script: ShellScript, start: str | None) -> list[object]:
    """Where each command of a script runs, as a key equal only for the same folder: the
    folder (`command_folders`), or, where it cannot be told, a key of its own that lasts
    until the next `cd`, `pushd` or `popd`."""
    places: list[object] = []
    unknown = object()
    for command, folder in zip(script.commands, command_folders(script, start), strict=True):
        places.append(folder if folder is not None else unknown)
        if command.parent is None and command.name in ("cd", "pushd", "popd"):
            unknown = object()
    return places


def _names_package(command: Command) -> bool:
    """`npx --package X cmd` (or `npm exec -p`): the package is asked for by spec."""
    return any(
        word.text in ("-p", "--package") or word.text.startswith("--package=")
        for word in command.words
    )


def _node_pinned(spec: str) -> bool:
    if _LOCAL.search(spec):
        return True
    if spec.startswith(("git+", "git:", "github:", "http:", "https:")) or (
        "/" in spec and not spec.startswith("@")
    ):
        return "#" in spec and _COMMIT.match(spec.rsplit("#", 1)[1]) is not None
    _, at, version = spec[1:].partition("@") if spec.startswith("@") else spec.partition("@")
    return bool(at) and _SEMVER.match(version) is not None


def _npx(command: Command, args: list[Word], context: InstallContext) -> Install | None:
    parsed = parse_args(args, _NPM_VALUED)
    if parsed.has("-c", "--call"):
        return None
    packages = parsed.values("-p", "--package")
    explicit = bool(packages) or parsed.has("-y", "--yes")
    packages = packages or parsed.positionals[:1]
    if not packages or (context.has_package_json and not explicit):
        return None  # a tool of the project: npx runs the locked, installed one
    return _node_packages(command, packages, "npx")


def _pnpm(command: Command, args: list[Word], context: InstallContext) -> Install | None:
    if args and args[0].text == "dlx":
        parsed = parse_args(args[1:], _NPM_VALUED)
        return _node_packages(command, parsed.positionals[:1], "pnpm dlx")
    if args and args[0].text in ("add", "install", "i"):
        parsed = parse_args(args[1:], _NPM_VALUED)
        if parsed.positionals:
            installed = _node_packages(command, parsed.positionals, f"pnpm {args[0].text}")
            return _where_npx_finds(installed, parsed, global_ok=False)
        if args[0].text != "add" and _unfrozen(parsed, "--frozen-lockfile", "--no-lockfile"):
            flag = next(a.text for a in args[1:] if "lockfile" in a.text)
            return Install(
                command,
                "pnpm",
                "drop it: pnpm installs with `--frozen-lockfile` in CI by itself",
                problem=f"`pnpm {args[0].text} {flag}` may update `pnpm-lock.yaml` instead of "
                "following it",
            )
    return None


def _unfrozen(parsed: ParsedArgs, frozen: str, ignored: str) -> bool:
    """`--no-frozen-lockfile`, `--frozen-lockfile=false` (or the Yarn 2+ `--immutable`
    equivalents), or an option that ignores the lockfile altogether."""
    negated = f"--no-{frozen.removeprefix('--')}"
    values = [w.text.lower() for w in parsed.values(frozen)]
    return parsed.has(negated, ignored) or any(v in ("false", "0") for v in values)


def _yarn(command: Command, args: list[Word], context: InstallContext) -> Install | None:
    texts = [a.text for a in args]
    if texts[:1] == ["dlx"]:
        parsed = parse_args(args[1:], _NPM_VALUED)
        return _node_packages(command, parsed.positionals[:1], "yarn dlx")
    if texts[:2] == ["global", "add"]:
        return _node_packages(
            command, parse_args(args[2:], _NPM_VALUED).positionals, "yarn global add"
        )
    if texts[:1] == ["add"]:
        parsed = parse_args(args[1:], _NPM_VALUED)
        installed = _node_packages(command, parsed.positionals, "yarn add")
        return _where_npx_finds(installed, parsed, global_ok=False)
    installs = not texts or texts[0] == "install" or all(t.startswith("-") for t in texts)
    if installs:
        parsed = parse_args(args[1:] if texts and texts[0] == "install" else args, ())
        if _unfrozen(parsed, "--immutable", "--no-lockfile") or _unfrozen(
            parsed, "--frozen-lockfile", "--no-lockfile"
        ):
            flag = next(t for t in texts if "lockfile" in t or "immutable" in t)
            return Install(
                command,
                "yarn",
                "drop it, and install with `yarn install --immutable` (Yarn 2+) or "
                "`--frozen-lockfile` (Yarn 1)",
                problem=f"`yarn install {flag}` may update `yarn.lock` instead of following it",
            )
    frozen = {"--frozen-lockfile", "--immutable", "--pure-lockfile", "--help", "-h", "--version"}
    if not installs or frozen.intersection(texts) or context.yarn_berry:
        return None
    return Install(
        command,
        "yarn",
        "use `yarn install --frozen-lockfile`",
        problem="`yarn install` without `--frozen-lockfile` may update `yarn.lock` instead of "
        "following it",
    )


def _go(command: Command, args: list[Word], context: InstallContext) -> Install | None:
    if not args or args[0].text not in ("install", "get"):
        return None
    verb = args[0].text
    parsed = parse_args(args[1:], _GO_VALUED, clusters=False)
    unpinned = []
    for word in parsed.positionals:
        if not word.literal:
            continue
        path, at, version = word.text.partition("@")
        if at:
            if not _GO_VERSION.match(version):
                unpinned.append(word.text)
        elif verb == "get" and "." in path.split("/", 1)[0] and not path.startswith("."):
            unpinned.append(word.text)
    fix = pin_advice(unpinned, f"go {verb} example.com/tool@v1.2.3")
    return Install(command, f"go {verb}", fix, tuple(unpinned))


def _cargo(command: Command, args: list[Word], context: InstallContext) -> Install | None:
    if not args or args[0].text != "install":
        return None
    parsed = parse_args(args[1:], _CARGO_VALUED)
    if parsed.has("--path", "--list") or not (parsed.positionals or parsed.has("--git")):
        return None
    versions = parsed.values("--version", "--vers")
    unpinned = []
    if parsed.has("--git"):
        revisions = parsed.values("--rev")
        if not revisions or not _COMMIT.match(revisions[0].text):
            unpinned.append(parsed.values("--git")[0].text)
    for word in parsed.positionals:
        _, at, version = word.text.partition("@")
        if at or not versions:
            known = word.literal
        else:
            version, known = versions[0].text, versions[0].literal
        if known and not _SEMVER.match(version):
            unpinned.append(word.text)
    if not unpinned and not parsed.has("--locked"):
        return Install(
            command,
            "cargo install",
            "add `--locked`, so that it installs the versions its `Cargo.lock` names",
            problem="`cargo install` without `--locked` resolves the crate's dependencies "
            "afresh, ignoring its `Cargo.lock`",
        )
    example = "cargo install tool --version 1.2.3 --locked"
    fix = pin_advice(unpinned, example, dependencies=True)
    return Install(command, "cargo install", fix, tuple(unpinned))


def _gem(command: Command, args: list[Word], context: InstallContext) -> Install | None:
    if not args or args[0].text != "install":
        return None
    parsed = parse_args(args[1:], _GEM_VALUED)
    if parsed.has("-g", "--file"):
        return None
    versions = parsed.values("-v", "--version")
    exact = bool(versions) and (
        not versions[0].literal
        or _SEMVER.match(versions[0].text.replace("= ", "").strip()) is not None
    )
    unpinned = [
        w.text
        for w in parsed.positionals
        if w.literal and not _LOCAL.search(w.text) and not exact and ":" not in w.text
    ]
    fix = pin_advice(unpinned, "gem install tool -v 1.2.3")
    return Install(command, "gem install", fix, tuple(unpinned))


def _dotnet(command: Command, args: list[Word], context: InstallContext) -> Install | None:
    texts = [a.text for a in args]
    if texts[:2] == ["package", "add"]:
        return _dotnet_add_package(command, args[2:], "dotnet package add")
    if texts[:1] == ["add"] and "package" in texts[1:3]:
        return _dotnet_add_package(
            command, args[texts.index("package", 1) + 1 :], "dotnet add package"
        )
    if texts[:2] != ["tool", "install"]:
        return None
    parsed = parse_args(args[2:], _DOTNET_VALUED)
    if parsed.has("--version"):
        return None
    unpinned = tuple(w.text for w in parsed.positionals if w.literal)
    fix = pin_advice(
        unpinned,
        "dotnet tool install tool --version 1.2.3",
        also=", or use a tool manifest and `dotnet tool restore`",
    )
    return Install(command, "dotnet tool install", fix, unpinned)


_DOTNET_ADD_VALUED = frozenset({
    "-v", "--version", "-f", "--framework", "-s", "--source", "--package-directory", "--project"
})  # fmt: skip


def _dotnet_add_package(command: Command, args: list[Word], tool: str) -> Install:
    """`dotnet add package NAME` adds the newest release to the project file (and restores
    it); `--version 1.2.3` or `NAME@1.2.3` (.NET 10) names one."""
    parsed = parse_args(args, _DOTNET_ADD_VALUED, clusters=False)
    versions = parsed.values("-v", "--version")
    unpinned = []
    for word in parsed.positionals[:1]:
        name, at, _ = word.text.partition("@")
        if at:
            version_word: Word | None = word.tail(len(name) + 1)
        else:
            version_word = versions[0] if versions else None
        if not word.literal or (version_word is not None and not version_word.literal):
            continue
        if version_word is None or not _NUGET_EXACT.match(version_word.text):
            unpinned.append(word.text)
    fix = pin_advice(unpinned, f"{tool} {' '.join(unpinned) or 'Name'} --version 1.2.3")
    return Install(command, tool, fix, tuple(unpinned))


def _choco(command: Command, args: list[Word], context: InstallContext) -> Install | None:
    if not args or args[0].text not in ("install", "upgrade"):
        return None
    return _cinst(command, args[1:], context)


def _cinst(command: Command, args: list[Word], context: InstallContext) -> Install | None:
    parsed = parse_args(args, _CHOCO_VALUED)
    if parsed.has("--version"):
        return None
    unpinned = tuple(w.text for w in parsed.positionals if w.literal and not _LOCAL.search(w.text))
    also = ", and add `--checksum` for its download"
    fix = pin_advice(unpinned, "choco install tool --version 1.2.3", also=also)
    return Install(command, "choco install", fix, unpinned)


def _nuget(command: Command, args: list[Word], context: InstallContext) -> Install | None:
    if not args or args[0].text.lower() != "install":
        return None
    parsed = parse_args(args[1:], _NUGET_VALUED, clusters=False, fold_case=True)
    if parsed.has("-version"):
        return None
    unpinned = tuple(w.text for w in parsed.positionals if w.literal and not _LOCAL.search(w.text))
    fix = pin_advice(unpinned, "nuget install Tool -Version 1.2.3")
    return Install(command, "nuget install", fix, unpinned)


def _conda(command: Command, args: list[Word], context: InstallContext) -> Install | None:
    if not args or args[0].text not in ("install", "create"):
        return None
    parsed = parse_args(args[1:], _CONDA_VALUED)
    unpinned = tuple(
        w.text
        for w in parsed.positionals
        if w.literal and not _LOCAL.search(w.text) and not re.search(r"[^<>!~]=[^=<>]", w.text)
    )
    tool = f"{command.program} {args[0].text}"
    return Install(command, tool, pin_advice(unpinned, f"{tool} name=1.2.3"), unpinned)


_READERS: dict[str, Callable[[Command, list[Word], InstallContext], Install | None]] = {
    "uv": _uv,
    "uvx": _uvx,
    "pipx": _pipx,
    "npm": _npm,
    "npx": _npx,
    "pnpm": _pnpm,
    "yarn": _yarn,
    "go": _go,
    "cargo": _cargo,
    "gem": _gem,
    "dotnet": _dotnet,
    "choco": _choco,
    "cinst": _cinst,
    "nuget": _nuget,
    "conda": _conda,
    "mamba": _conda,
    "micromamba": _conda,
}
