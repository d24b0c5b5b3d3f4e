"""The rule catalogue: every built-in check, one module per rule family."""

from __future__ import annotations

from repo_harden.checks.branch_protection import BRANCH_PROTECTION_CHECKS
from repo_harden.checks.codeowners import (
    invalid_codeowners,
    missing_codeowners,
    unowned_sensitive_path,
)
from repo_harden.checks.dockerfiles import remote_add_without_checksum
from repo_harden.checks.downloads import (
    download_piped_to_interpreter,
    unhashed_pip_install,
    unpinned_package_install,
    unpinned_tool_version,
    unverified_download_executed,
)
from repo_harden.checks.lockfiles import missing_lockfile_check, stale_lockfile
from repo_harden.checks.package_indexes import untrusted_package_index
from repo_harden.checks.pinning import unpinned_action, unpinned_image
from repo_harden.checks.requirements import missing_requirement_hashes, unpinned_requirement

from repo_harden.model import Check

BUILTIN_CHECKS: tuple[Check, ...] = (
    unpinned_action,
    unpinned_image,
    download_piped_to_interpreter,
    unverified_download_executed,
    unpinned_package_install,
    unhashed_pip_install,
    remote_add_without_checksum,
    unpinned_tool_version,
    missing_lockfile_check,
    stale_lockfile,
    unpinned_requirement,
    missing_requirement_hashes,
    untrusted_package_index,
    missing_codeowners,
    unowned_sensitive_path,
    invalid_codeowners,
    *BRANCH_PROTECTION_CHECKS,
)
