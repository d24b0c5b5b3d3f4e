"""Which files the checks read: their path patterns, and how to tell shell files apart.

Kept apart from the readers so that a check can declare its patterns, and a hook
that reads no shell can start, without importing any parser.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from repo_harden.core.lazy import lazy_compile
from repo_harden.readers.workflows import ACTION_PATTERNS, WORKFLOW_PATTERNS

# The one list of Dockerfile spellings, read whatever the case: a base name alone
# (`Dockerfile`, `containerfile`), with a variant after `.`, `-` or `_` (`Dockerfile.dev`,
# `Dockerfile-alpine`, `Dockerfile_ci`), or as the extension (`api.Dockerfile`). A variant
# whose extension is another kind of file is not one: files beside a Dockerfile
# (`Dockerfile.dockerignore`, `Dockerfile.md`) and code about Dockerfiles (`dockerfile.py`,
# `dockerfile_test.go`); templates (`Dockerfile.j2`) are. The check patterns (a superset:
# globs cannot exclude), `is_dockerfile_path` and the hooks' `files` regex
# (`DOCKERFILE_HOOK_REGEX`, checked against .pre-commit-hooks.yaml by a test) derive from it.
DOCKERFILE_NAMES = ("Dockerfile", "Containerfile")
DOCKERFILE_VARIANT_SEPARATORS = "._-"
NOT_DOCKERFILE_EXTENSIONS = (
    "dockerignore", "md", "markdown", "rst", "txt", "adoc", "html", "htm", "pdf", "png", "svg",
    "orig", "rej", "bak", "swp", "patch", "diff", "log", "snap",
    "json", "yaml", "yml", "toml", "xml", "ini", "cfg", "conf", "lock", "csv", "sql", "proto",
    "py", "pyi", "pyc", "js", "mjs", "cjs", "ts", "mts", "tsx", "jsx", "go", "rs", "rb", "java",
    "kt", "kts", "scala", "groovy", "gradle", "c", "h", "cc", "cpp", "hpp", "cs", "fs", "php",
    "pl", "pm", "lua", "swift", "dart", "ex", "exs", "erl", "hs", "ml", "clj", "r", "jl",
    "sh", "bash", "zsh", "fish", "ps1", "psm1", "bat", "cmd", "mk", "vim", "el",
)  # fmt: skip


def _any_case(word: str) -> str:
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in word)


DOCKERFILE_PATTERNS = tuple(
    pattern
    for name in DOCKERFILE_NAMES
    for pattern in (
        _any_case(name),
        f"{_any_case(name)}[{DOCKERFILE_VARIANT_SEPARATORS}]*",
        f"*.{_any_case(name)}",
    )
)
_BASES = "|".join(name.lower() for name in DOCKERFILE_NAMES)
_DOCKERFILE_NAME = (
    rf"(?i:(?:{_BASES})(?:[{re.escape(DOCKERFILE_VARIANT_SEPARATORS)}][^/]*)?|[^/]+\.(?:{_BASES}))"
)
_NOT_DOCKERFILE = rf"(?i:[^/]*\.(?:{'|'.join(NOT_DOCKERFILE_EXTENSIONS)}))"
DOCKERFILE_HOOK_REGEX = rf"(^|/)(?!{_NOT_DOCKERFILE}$){_DOCKERFILE_NAME}$"
_IS_DOCKERFILE = lazy_compile(DOCKERFILE_HOOK_REGEX)
MAKEFILE_PATTERNS = ("Makefile", "makefile", "GNUmakefile", "*.mk")
SHELL_SCRIPT_PATTERNS = (
    "*.sh",
    "*.bash",
    # scripts without an extension are told by their shebang, in the usual folders
    "**/bin/*",
    "**/scripts/*",
    "**/script/*",
    "**/hack/*",
    "**/tools/*",
    "**/ci/*",
    "**/.ci/*",
    "**/.devcontainer/*",
)
SCRIPT_PATTERNS = (
    WORKFLOW_PATTERNS + ACTION_PATTERNS + DOCKERFILE_PATTERNS + MAKEFILE_PATTERNS
) + SHELL_SCRIPT_PATTERNS
SHELL_EXTENSIONS = (".sh", ".bash")
# pip requirements and constraints files (LCK003-LCK006 and the inventory read them)
REQUIREMENTS_PATTERNS = (
    "*requirements*.txt",
    "*constraints*.txt",
    "**/requirements/*.txt",
    "**/constraints/*.txt",
)


def file_name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def is_dockerfile_path(path: str) -> bool:
    """A Dockerfile by its name: see `DOCKERFILE_NAMES`."""
    return _IS_DOCKERFILE.search(path) is not None


def is_makefile_path(path: str) -> bool:
    name = file_name(path)
    return name in ("Makefile", "makefile", "GNUmakefile") or name.endswith(".mk")


def may_be_shell_script(path: str) -> bool:
    """A `.sh`/`.bash` file, or a file without an extension (whose shebang decides)."""
    name = file_name(path)
    return name.endswith(SHELL_EXTENSIONS) or "." not in name


_SHEBANG = lazy_compile(r"#!\s*\S*?(?:/env\s+(?:-\S+\s+)*|/)(?:bash|sh|dash|ash|ksh|mksh)(?:\s|$)")
_LONGEST_SHEBANG = 256


def is_shell_script(path: str, text: str) -> bool:
    """A `.sh` or `.bash` file, or one without an extension that starts with a sh or bash
    shebang (`#!/bin/sh`, `#!/usr/bin/env bash`)."""
    name = file_name(path)
    if name.endswith(SHELL_EXTENSIONS):
        return True
    first_line = text[: text.find("\n")] if "\n" in text else text
    # only a short first line can be a shebang; a long one would cost its length squared
    return "." not in name and _SHEBANG.match(first_line[:_LONGEST_SHEBANG]) is not None


_BY_NAME_OR_CONTENT = frozenset(DOCKERFILE_PATTERNS + SHELL_SCRIPT_PATTERNS)


def reads_file(matched: Sequence[str], path: str, text: Callable[[], str | None]) -> bool:
    """Whether a rule reads `path`, given those of its patterns that match it (`matched`):
    the one answer for the scan and `scan --list-files`. The Dockerfile and script globs
    are wider than what they stand for (globs cannot exclude `Dockerfile.dockerignore`, nor
    tell a script from a README in `ci/`), so a file only they match is read when its name
    says Dockerfile, or it is a shell script by extension or shebang. A file whose text
    cannot be read is read, so that the rule reports why (RH000)."""
    if any(pattern not in _BY_NAME_OR_CONTENT for pattern in matched):
        return True
    if any(p in DOCKERFILE_PATTERNS for p in matched) and is_dockerfile_path(path):
        return True
    if not any(p in SHELL_SCRIPT_PATTERNS for p in matched) or not may_be_shell_script(path):
        return False
    content = None if path.endswith(SHELL_EXTENSIONS) else text()
    return content is None or is_shell_script(path, content)


# Where GitHub looks for CODEOWNERS, in the order it reads them.
CODEOWNERS_LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
CODEOWNERS_PATTERNS = tuple(f"/{location}" for location in CODEOWNERS_LOCATIONS)
# Paths that must have a code owner by default (OWN002); sensitive_paths says why and how.
DEFAULT_SENSITIVE_GLOBS = (
    ".github/workflows",
    ".github/actions",
    "action.yml",
    "action.yaml",
    "/.pre-commit-config.yaml",
    ".github/settings.yml",
)
# Declared repository settings (the probot settings app, safe-settings).
SETTINGS_FILES = (".github/settings.yml", ".github/settings.yaml")
SETTINGS_PATTERNS = tuple(f"/{path}" for path in SETTINGS_FILES)
