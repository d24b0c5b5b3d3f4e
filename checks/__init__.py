"""The rule catalogue: one module per rule family, and the codes each one declares.

The table is read without importing any rule module, so that a hook imports
only the families it runs while every code stays known (for the config, waivers
and inline ignores). `tests/test_catalogue.py` checks it against the modules.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from repo_harden.core.declare import Check

CHECK_MODULES: dict[str, tuple[str, ...]] = {
    "repo_harden.checks.pinning.unpinned": ("PIN001", "PIN002"),
    "repo_harden.checks.pinning.verified": ("PIN003", "PIN004"),
    "repo_harden.checks.pinning.pre_commit": ("PIN005",),
    "repo_harden.checks.downloads.in_scripts": ("DL001", "DL002", "DL003", "DL004"),
    "repo_harden.checks.downloads.in_dockerfiles": ("DL005",),
    "repo_harden.checks.downloads.tool_versions": ("DL006",),
    "repo_harden.checks.lockfiles.missing": ("LCK001",),
    "repo_harden.checks.lockfiles.stale": ("LCK002",),
    "repo_harden.checks.lockfiles.requirement_pins": ("LCK003", "LCK004"),
    "repo_harden.checks.lockfiles.indexes": ("LCK005",),
    "repo_harden.checks.lockfiles.vulnerable": ("LCK006",),
    "repo_harden.checks.ownership": ("OWN001", "OWN002", "OWN003"),
    "repo_harden.checks.branch_protection": tuple(f"BP{number:03}" for number in range(1, 13)),
    "repo_harden.checks.trust_boundaries.permissions": ("WF001",),
    "repo_harden.checks.trust_boundaries.untrusted_checkout": ("WF002",),
    "repo_harden.checks.trust_boundaries.template_injection": ("WF003",),
    "repo_harden.checks.trust_boundaries.cloud_credentials": ("WF004",),
    "repo_harden.checks.trust_boundaries.provenance": ("WF005",),
    "repo_harden.checks.trust_boundaries.actions_settings": ("WF101", "WF102", "WF103", "WF104"),
}


def modules_for(selectors: Iterable[str]) -> list[str]:
    """The rule modules that declare a code matching one of `selectors` (all if none)."""
    wanted = tuple(selectors)
    return [
        module
        for module, codes in CHECK_MODULES.items()
        if not wanted or any(code.startswith(wanted) for code in codes)
    ]


def checks_of(module_name: str) -> list[Check]:
    """The checks a rule module declares, in the order it declares them."""
    __import__(module_name)  # unlike importlib.import_module, shown by `-X importtime`
    module = sys.modules[module_name]
    return [
        value
        for value in vars(module).values()
        # `type() is`, not isinstance(): that would read `__class__` of the module's lazily
        # imported parsers, and so execute them
        if type(value) is Check and value.run.__module__ == module_name
    ]
