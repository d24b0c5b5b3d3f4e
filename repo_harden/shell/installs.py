"""Package-manager commands and the versions they ask for: DL003 and DL004's analysis.

Each tool has its own way to name an exact version (`pkg==1.2.3`, `pkg@1.2.3`,
`--version 1.2.3`, `-v 1.2.3`, `pkg=1.2.3`); an install that names none gets
whatever the registry serves that day. Installs from a local path, from a
lockfile or a requirements file are not this rule's business (LCK rules read
those files), nor are system package managers, whose packages are signed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from repo_harden.shell.analyser import Command, Word, parse_args

_PYTHON = re.compile(r"^(python[0-9.]*|py)$")
_PIP = re.compile(r"^pip[0-9.]*$")
_SIMPLE_SPEC = re.compile(
    r"^[A-Za-z0-9][A-Za-z0-9._-]*(?:\[[A-Za-z0-9,._-]*\])?(===?[A-Za-z0-9.+!_-]+)?$"
)
_SEMVER = re.compile(r"^[=v]?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
_GO_VERSION = re.compile(
    r"^v\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+incompatible)?$|^[0-9a-f]{7,40}$"
)
_COMMIT = re.compile(r"^[0-9a-fA-F]{40}$")
_LOCAL = re.compile(r"^(\.|/|~|file:|\$)|\.(tgz|tar\.gz|whl|zip|gem|nupkg|deb|config|nuspec)$")
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


@dataclass(frozen=True)
class Install:
    """An install command and what is wrong with the versions it names.

    `unpinned` lists the packages with no exact version (empty when the command is
    fine, or when `problem` says what is wrong with the command as a whole). For pip,
    `exact` lists the exactly pinned packages and `hashed` tells whether pip checks
    hashes; `requirement_files` are the files named by `-r`."""

    command: Command
    tool: str
    fix: str
    unpinned: tuple[str, ...] = ()
    problem: str = ""
    exact: tuple[str, ...] = ()
    hashed: bool = False
    requirement_files: tuple[Word, ...] = field(default=())


class InstallContext:
    """What the repository around a script says, looked up only when a command needs it:
    a `package.json` means `npx tool` runs the project's own locked tool, and a
    `.yarnrc.yml` means Yarn 2+, which installs with `--immutable` in CI by itself."""

    def __init__(self, paths: Callable[[], Sequence[str]]) -> None:
        self._paths = paths
        self._names: set[str] | None = None

    def _has(self, name: str) -> bool:
        if self._names is None:
            self._names = {path.rsplit("/", 1)[-1] for path in self._paths()}
        return name in self._names

    @property
    def has_package_json(self) -> bool:
        return self._has("package.json")

    @property
    def yarn_berry(self) -> bool:
        return self._has(".yarnrc.yml")


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


def _subcommand(args: list[Word], *names: str) -> list[Word] | None:
    if args and args[0].text in names:
        return args[1:]
    return None


def _pip(command: Command, args: list[Word], context: InstallContext) -> Install | None:
    rest = _subcommand(args, "install")
    return _pip_install(command, rest, "pip") if rest is not None else None


def _pip_install(command: Command, args: list[Word], tool: str) -> Install:
    parsed = parse_args(args, _PIP_VALUED)
    hashed = parsed.has("--require-hashes", "--hash") or any(
        "PIP_REQUIRE_HASHES" in a.text for a in command.assignments
    )
    unpinned: list[str] = []
    exact: list[str] = []
    if not parsed.has("-c", "--constraint"):
        for word in [*parsed.positionals, *parsed.values("-e", "--editable")]:
            verdict = (
                _pip_spec(word.text) if word.literal and not _LOCAL.search(word.text) else None
            )
            if verdict is not None:
                (exact if verdict[0] else unpinned).append(word.text)
                hashed = hashed or verdict[1]
    files = tuple(parsed.values("-r", "--requirement"))
    fix = f"pin each one exactly (`{tool} install name==1.2.3`), or install from a lockfile"
    return Install(command, tool, fix, tuple(unpinned), "", tuple(exact), hashed, files)


def _pip_spec(text: str) -> tuple[bool, bool] | None:
    """(exactly pinned, carries a hash) for a requirement; None for a local one. The common
    `name` and `name==1.2.3` are told here; the rest goes to the requirements reader."""
    simple = _SIMPLE_SPEC.match(text)
    if simple is not None:
        return simple.group(1) is not None, False
    from repo_harden.readers.requirements import read_requirements

    read = read_requirements("-", text)
    if read.errors or not read.requirements or read.requirements[0].is_local:
        return None
    requirement = read.requirements[0]
    return requirement.unpinned_reason is None, requirement.is_hashed


def _uv(command: Command, args: list[Word], context: InstallContext) -> Install | None:
    if args[:2] and [a.text for a in args[:2]] == ["pip", "install"]:
        return _pip_install(command, args[2:], "uv pip")
    if args[:2] and [a.text for a in args[:2]] == ["tool", "install"]:
        return _python_tool(command, args[2:], "uv tool install", "==")
    if args[:2] and [a.text for a in args[:2]] == ["tool", "run"]:
        return _uvx(command, args[2:], context)
    return None


def _uvx(command: Command, args: list[Word], context: InstallContext) -> Install | None:
    parsed = parse_args(args, {"--from", "--with", "--python", "-p", "--index", "-w"})
    spec = parsed.values("--from")[:1] or parsed.positionals[:1]
    if not spec or not spec[0].literal or _LOCAL.search(spec[0].text):
        return None
    text = spec[0].text
    pinned = _exact_python(text) or _SEMVER.match(text.rpartition("@")[2] or "") is not None
    fix = "name the version: `uvx tool@1.2.3` or `uvx --from 'tool==1.2.3' tool`"
    return Install(command, "uvx", fix, () if pinned else (text,))


def _pipx(command: Command, args: list[Word], context: InstallContext) -> Install | None:
    if args and args[0].text == "install":
        return _python_tool(command, args[1:], "pipx install", "==")
    if args and args[0].text == "run":
        parsed = parse_args(args[1:], {"--spec", "--python", "--index-url", "--pip-args"})
        spec = parsed.values("--spec")[:1] or parsed.positionals[:1]
        if not spec or not spec[0].literal or _LOCAL.search(spec[0].text):
            return None
        pinned = _exact_python(spec[0].text)
        fix = "name the version: `pipx run --spec 'tool==1.2.3' tool`"
        return Install(command, "pipx run", fix, () if pinned else (spec[0].text,))
    return None


def _python_tool(command: Command, args: list[Word], tool: str, operator: str) -> Install:
    parsed = parse_args(args, {"--python", "--index-url", "--pip-args", "--with", "--suffix", "-p"})
    unpinned = [
        w.text
        for w in parsed.positionals
        if w.literal and not _LOCAL.search(w.text) and not _exact_python(w.text)
    ]
    return Install(command, tool, f"pin it: `{tool} 'tool{operator}1.2.3'`", tuple(unpinned))


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
        return Install(
            command,
            "npm",
            "use `npm ci`, which installs exactly what `package-lock.json` says",
            problem="`npm install` without packages may update the lockfile instead of "
            "following it",
        )
    return _node_packages(command, parsed.positionals, "npm install")


def _node_packages(command: Command, words: Sequence[Word], tool: str) -> Install:
    unpinned = [w.text for w in words if w.literal and not _node_pinned(w.text)]
    return Install(command, tool, f"pin it: `{tool} name@1.2.3`", tuple(unpinned))


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
            return _node_packages(command, parsed.positionals, f"pnpm {args[0].text}")
    return None


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
        return _node_packages(command, parse_args(args[1:], _NPM_VALUED).positionals, "yarn add")
    installs = not texts or texts[0] == "install" or all(t.startswith("-") for t in texts)
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
    fix = f"name the version: `go {verb} example.com/tool@v1.2.3`"
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
    fix = "pin it and its dependencies: `cargo install tool --version 1.2.3 --locked`"
    if not unpinned and not parsed.has("--locked"):
        return Install(
            command,
            "cargo install",
            fix,
            problem="`cargo install` without `--locked` resolves the crate's dependencies "
            "afresh, ignoring its `Cargo.lock`",
        )
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
    return Install(command, "gem install", "pin it: `gem install tool -v 1.2.3`", tuple(unpinned))


def _dotnet(command: Command, args: list[Word], context: InstallContext) -> Install | None:
    if [a.text for a in args[:2]] != ["tool", "install"]:
        return None
    parsed = parse_args(args[2:], _DOTNET_VALUED)
    if parsed.has("--version"):
        return None
    unpinned = tuple(w.text for w in parsed.positionals if w.literal)
    fix = "pin it: `dotnet tool install tool --version 1.2.3` (or a tool manifest and "
    fix += "`dotnet tool restore`)"
    return Install(command, "dotnet tool install", fix, unpinned)


def _choco(command: Command, args: list[Word], context: InstallContext) -> Install | None:
    if not args or args[0].text not in ("install", "upgrade"):
        return None
    return _cinst(command, args[1:], context)


def _cinst(command: Command, args: list[Word], context: InstallContext) -> Install | None:
    parsed = parse_args(args, _CHOCO_VALUED)
    if parsed.has("--version"):
        return None
    unpinned = tuple(w.text for w in parsed.positionals if w.literal and not _LOCAL.search(w.text))
    fix = "pin it: `choco install tool --version 1.2.3` and add `--checksum` for its download"
    return Install(command, "choco install", fix, unpinned)


def _nuget(command: Command, args: list[Word], context: InstallContext) -> Install | None:
    if not args or args[0].text.lower() != "install":
        return None
    parsed = parse_args(args[1:], _NUGET_VALUED, clusters=False, fold_case=True)
    if parsed.has("-version"):
        return None
    unpinned = tuple(w.text for w in parsed.positionals if w.literal and not _LOCAL.search(w.text))
    return Install(
        command, "nuget install", "pin it: `nuget install Tool -Version 1.2.3`", unpinned
    )


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
    return Install(command, tool, f"pin each one: `{tool} name=1.2.3`", unpinned)


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
