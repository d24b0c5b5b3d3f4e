"""What the configuration requires of the default branch's protection:
`[tool.repo-harden.branch-protection]`, which BP002-BP010 compare the `BranchPolicy` with.

```toml
[tool.repo-harden.branch-protection]
minimum-approvals = 1
require-code-owner-review = true
require-stale-review-dismissal = true
enforce-admins = true
allowed-bypass-actors = ["OrganizationAdmin", "Integration:12345"]
require-status-checks = true
required-status-checks = ["test"]
require-last-push-approval = true
require-signed-commits = false
```
"""

from __future__ import annotations

from collections.abc import Mapping

from repo_harden.core.errors import ConfigError
from repo_harden.core.record import field, fields, record


@record
class BranchRequirements:
    minimum_approvals: int = 1
    require_code_owner_review: bool = True
    require_stale_review_dismissal: bool = True
    enforce_admins: bool = True
    allowed_bypass_actors: tuple[str, ...] = field(default=())
    require_status_checks: bool = True
    required_status_checks: tuple[str, ...] = field(default=())
    require_last_push_approval: bool = True
    require_signed_commits: bool = False


def _key(name: str) -> str:
    return name.replace("_", "-")


_KINDS: dict[str, type] = {
    _key(f.name): type(getattr(BranchRequirements(), f.name)) for f in fields(BranchRequirements)
}


def parse_requirements(table: object, where: str) -> BranchRequirements:
    """Validate the table strictly: an unknown key or a wrong type is an error."""
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where} must be a table")
    values: dict[str, object] = {}
    for key, value in table.items():
        kind = _KINDS.get(key)
        if kind is None:
            raise ConfigError(
                f"{where}: unknown setting {key!r}; known settings are {', '.join(_KINDS)}"
            )
        values[key.replace("-", "_")] = _checked(value, kind, f"{where}.{key}")
    return BranchRequirements(**values)  # type: ignore[arg-type]


def _checked(value: object, kind: type, where: str) -> object:
    if kind is tuple:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ConfigError(f"{where} must be a list of strings")
        return tuple(value)
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
            raise ConfigError(f"{where} must be a whole number from 0 to 10")
        return value
    if not isinstance(value, bool):
        raise ConfigError(f"{where} must be true or false")
    return value
