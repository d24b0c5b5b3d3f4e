"""Commands that run code from the working tree: builds, tests, package installs (whose
install scripts run), interpreters and scripts given by path.

Used to tell whether a job that checked out untrusted code goes on to run it. The
list errs towards "runs": a build tool or an interpreter in the same folder as the
code is assumed to read it.
"""

from __future__ import annotations

import re

from repo_harden.core.lazy import lazy_compile
from repo_harden.shell.analyser import Command

# Tools that run the project's code (build scripts, tests, lifecycle scripts, plugins)
# whatever their subcommand.
_ALWAYS = frozenset(
    {
        "make", "gmake", "cmake", "ninja", "meson", "bazel", "bazelisk", "just", "task",
        "mvn", "mvnw", "gradle", "gradlew", "ant", "sbt", "lein", "mix", "rake", "bundle",
        "composer", "tox", "nox", "pytest", "pre-commit", "poetry", "pipenv", "hatch", "pdm",
        "npx", "bunx", "node", "deno", "bun", "python", "python3", "ruby", "perl", "php",
        "bash", "sh", "zsh", "dash", "pwsh", "source", ".", "msbuild", "xcodebuild",
        "swift", "flutter", "dart", "stack", "cabal", "julia", "Rscript", "terraform",
        "tofu", "terragrunt", "docker-compose", "java",
    }
)  # fmt: skip
# Tools that run code for these subcommands only (`go build` compiles and runs nothing).
_SUBCOMMANDS = {
    "npm": frozenset({"install", "i", "ci", "run", "run-script", "test", "t", "start",
                      "build", "exec", "x", "rebuild", "pack", "publish", "restart"}),
    "yarn": None,  # `yarn` alone installs, and `yarn NAME` runs a script
    "pnpm": None,
    "go": frozenset({"test", "run", "generate"}),
    "cargo": frozenset({"build", "b", "test", "t", "run", "r", "install", "bench", "check",
                        "clippy", "doc", "publish", "package"}),
    "dotnet": frozenset({"build", "test", "run", "restore", "pack", "publish", "msbuild"}),
    "pip": frozenset({"install", "wheel", "download"}),
    "pip3": frozenset({"install", "wheel", "download"}),
    "uv": frozenset({"run", "sync", "pip", "build", "tool"}),
    "docker": frozenset({"build", "buildx", "compose", "run"}),
    "podman": frozenset({"build", "run"}),
    "gem": frozenset({"build", "install"}),
}  # fmt: skip
_NOT_RUNNING = frozenset({"config", "cache", "info", "why", "audit", "version", "login", "whoami"})
WORKSPACE_WORDS = lazy_compile(
    r"(^|[\s;&|(])(\./|\.\./|[\w.-]+/[\w./-]+\.(sh|py|js|rb|pl|ps1))"
    r"|\b(" + "|".join(re.escape(n) for n in sorted({*_ALWAYS, *_SUBCOMMANDS} - {"."})) + r")\b"
)


def runs_workspace_code(command: Command) -> bool:
    """The command runs code it finds in the working tree."""
    words = command.words
    if not words:
        return False
    head = words[0]
    if head.literal and _is_path(head.text):
        return True  # ./build.sh, scripts/test.py
    name = command.program
    if name in _ALWAYS:
        return True
    if name not in _SUBCOMMANDS:
        return False
    wanted = _SUBCOMMANDS[name]
    subcommand = next((w.text for w in words[1:] if not w.text.startswith("-")), "")
    if wanted is None:  # yarn and pnpm: alone they install, with a word they run a script
        return subcommand not in _NOT_RUNNING
    return subcommand in wanted


def _is_path(text: str) -> bool:
    return text.startswith(("./", "../")) or ("/" in text and not text.startswith("/"))
