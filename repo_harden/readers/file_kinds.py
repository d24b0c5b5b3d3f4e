"""Which files the checks read: their path patterns, and how to tell shell files apart.

Kept apart from the readers so that a check can declare its patterns, and a hook
that reads no shell can start, without importing any parser.
"""

from __future__ import annotations

from repo_harden.readers.workflows import ACTION_PATTERNS, WORKFLOW_PATTERNS

DOCKERFILE_PATTERNS = (
    "Dockerfile",
    "Dockerfile.*",
    "*.Dockerfile",
    "*.dockerfile",
    "dockerfile",
    "Containerfile",
    "Containerfile.*",
)
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


def file_name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def is_dockerfile_path(path: str) -> bool:
    name = file_name(path).lower()
    return (
        name in ("dockerfile", "containerfile")
        or name.startswith(("dockerfile.", "containerfile."))
        or name.endswith(".dockerfile")
    )


def is_makefile_path(path: str) -> bool:
    name = file_name(path)
    return name in ("Makefile", "makefile", "GNUmakefile") or name.endswith(".mk")


def may_be_shell_script(path: str) -> bool:
    """A `.sh`/`.bash` file, or a file without an extension (whose shebang decides)."""
    name = file_name(path)
    return name.endswith(SHELL_EXTENSIONS) or "." not in name


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
