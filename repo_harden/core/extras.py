"""What the optional dependencies (the extras of `pyproject.toml`) bring, and the one
message for a command that needs a package that is not installed.

The base install is what the hooks and an offline scan run on. What goes online
(`audit`, `inventory --org`, `scan --online`, `fix`, the fix-pins hook with
`[fix] online = true`) needs the `online` extra: PyGithub for GitHub, pip-audit for OSV,
urllib3 for container registries. `inventory --format cyclonedx` needs the `sbom` extra.
A command checks for what it needs before it starts, so a missing package is one line
that names the extra, never a traceback halfway through.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence

from repo_harden.core.errors import UsageError

ONLINE = "online"
SBOM = "sbom"
PYGITHUB = "PyGithub"
PIP_AUDIT = "pip-audit"
URLLIB3 = "urllib3"
REQUESTS = "requests"
CYCLONEDX = "cyclonedx-python-lib"

# Each extra's packages, by the name pip knows them, with the module each one brings: what
# `pyproject.toml`'s [project.optional-dependencies] lists (a test holds the two together).
EXTRAS: dict[str, dict[str, str]] = {
    ONLINE: {PYGITHUB: "github", PIP_AUDIT: "pip_audit", REQUESTS: "requests", URLLIB3: "urllib3"},
    SBOM: {CYCLONEDX: "cyclonedx"},
}


class MissingExtraError(UsageError):
    """A command needs packages of an extra that is not installed."""


def missing(extra: str, packages: Sequence[str]) -> list[str]:
    """The packages of `extra`, among `packages`, whose module cannot be imported."""
    modules = EXTRAS[extra]
    return [name for name in packages if importlib.util.find_spec(modules[name]) is None]


def require(extra: str, what: str, packages: Sequence[str], *, install: str = "") -> None:
    """Raise `MissingExtraError` when one of `packages` (of `extra`) is not installed.
    `what` names the command in the message (`audit`, `scan --online`); `install`
    replaces the pip command in it (a pre-commit hook gets its packages from
    `additional_dependencies`, not from pip)."""
    absent = missing(extra, packages)
    if absent:
        raise MissingExtraError(message(extra, what, absent, install=install))


def message(extra: str, what: str, absent: Sequence[str], *, install: str = "") -> str:
    """`audit needs PyGithub and pip-audit: pip install 'repo-harden[online]'`."""
    return f"{what} needs {_listed(absent)}: {install or pip_command(extra)}"


def pip_command(extra: str) -> str:
    return f"pip install 'repo-harden[{extra}]'"


def missing_module_message(module: str | None) -> str | None:
    """The message for a `ModuleNotFoundError` of `module` when an extra brings that module
    (a path that did not check first), else None: then it is a bug, not a missing extra."""
    top = (module or "").partition(".")[0]
    for extra, modules in EXTRAS.items():
        for package, name in modules.items():
            if name == top:
                return message(extra, "this command", [package])
    return None


def _listed(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
