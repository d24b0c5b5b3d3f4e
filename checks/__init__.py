"""The rule catalogue: every built-in check, one module per rule family."""

from __future__ import annotations

from repo_harden.checks.codeowners import (
    invalid_codeowners,
    missing_codeowners,
    unowned_sensitive_path,
)
from repo_harden.checks.pinning import unpinned_action, unpinned_image

from repo_harden.model import Check

BUILTIN_CHECKS: tuple[Check, ...] = (
    unpinned_action,
    unpinned_image,
    missing_codeowners,
    unowned_sensitive_path,
    invalid_codeowners,
)
