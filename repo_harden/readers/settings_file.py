"""The branch protection a `.github/settings.yml` declares, in the formats of the probot
settings app and safe-settings: `branches:` entries with `protection:` (classic protection;
safe-settings' `name: default` is the default branch) and `rulesets:` (safe-settings)."""

from __future__ import annotations

from repo_harden.core.branch_policy import BranchPolicy, Origin, ProtectionSource
from repo_harden.core.model import Position
from repo_harden.core.record import record
from repo_harden.readers.protection import (
    read_classic,
    read_ruleset_header,
    read_ruleset_rules,
    targets_branch,
)
from repo_harden.readers.settings_tree import Tree, from_yaml
from repo_harden.readers.yaml import Node

# Branch names taken for the default branch when neither the file nor GitHub says which.
_LIKELY_DEFAULTS = ("main", "master")


@record
class DeclaredPolicy:
    """What a settings file declares for the default branch. `manages_protection` is False
    for a file with neither `branches:` nor `rulesets:`, which leaves protection alone."""

    path: str
    policy: BranchPolicy
    manages_protection: bool
    at: Position


def read_declared(path: str, root: Node, default_branch: str | None = None) -> DeclaredPolicy:
    """`default_branch` is GitHub's, when known; the file's `repository.default_branch`
    wins, as the settings app would make it so."""
    tree = from_yaml(root)
    repository = tree.get("repository")
    declared_default = repository.get("default_branch") if repository is not None else None
    branch = (declared_default.text() if declared_default is not None else None) or default_branch
    branches, rulesets = tree.get("branches"), tree.get("rulesets")
    entry = _branch_entry(path, branches, branch)
    active, inactive = _rulesets(path, rulesets, entry.name)
    policy = BranchPolicy(entry.name, sources=(*entry.classic, *active), inactive=inactive)
    at = entry.at or _at(branches) or _at(rulesets) or tree.at or Position(1, 1)
    return DeclaredPolicy(path, policy, branches is not None or rulesets is not None, at)


def _at(tree: Tree | None) -> Position | None:
    return tree.at if tree is not None else None


@record
class _BranchEntry:
    """The default branch's name, its classic protection, and where a finding about the
    branch as a whole points: its `protection:`, else its entry."""

    name: str
    classic: tuple[ProtectionSource, ...]
    at: Position | None


def _branch_entry(path: str, branches: Tree | None, branch: str | None) -> _BranchEntry:
    entries: dict[str, Tree] = {}
    for entry in branches.items() if branches is not None else []:
        named = entry.get("name")
        text = named.text() if named is not None else None
        if text is not None:
            entries.setdefault(text, entry)
    wanted = (branch,) if branch is not None else _LIKELY_DEFAULTS
    chosen = next((name for name in (*wanted, "default") if name in entries), None)
    name = branch or (chosen if chosen not in (None, "default") else _LIKELY_DEFAULTS[0])
    if chosen is None:
        return _BranchEntry(name, (), None)
    protection = entries[chosen].get("protection")
    if protection is None or not protection.is_mapping():
        return _BranchEntry(name, (), _at(protection) or entries[chosen].at)
    origin = Origin("classic", None, path, protection.at)
    return _BranchEntry(name, (read_classic(protection, origin),), protection.at)


def _rulesets(
    path: str, rulesets: Tree | None, branch: str
) -> tuple[tuple[ProtectionSource, ...], tuple[ProtectionSource, ...]]:
    active: list[ProtectionSource] = []
    inactive: list[ProtectionSource] = []
    for index, entry in enumerate(rulesets.items() if rulesets is not None else [], 1):
        header = read_ruleset_header(entry, path=path, fallback_name=f"#{index}")
        if header.target != "branch":
            continue
        if not targets_branch(header.conditions, branch, is_default=True):
            continue
        rules = entry.get("rules")
        source = read_ruleset_rules(
            header, rules.items() if rules is not None else [], rules.at if rules else entry.at
        )
        (active if source.active else inactive).append(source)
    return tuple(active), tuple(inactive)
