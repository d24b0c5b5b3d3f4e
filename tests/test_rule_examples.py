"""Every rule's documentation is run: the files its Example shows (each fenced block with a
`title="path"`) must give that rule, and the same files with its Fix's blocks applied must
not. A doc that stops matching what the rule does fails here, before a user copies it.

Rules that only the network can show get the live settings the test gives them: the
advisories of LCK006, the live protection of BP011 and BP012.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from typing import ClassVar

import pytest

from repo_harden.core.actions_settings import ALL_EXTERNAL, FIRST_TIME, ActionsSettings, Known
from repo_harden.core.advisory import Advisory, PackageVersion
from repo_harden.core.branch_policy import BranchPolicy, Origin, ProtectionUnknown
from repo_harden.core.globs import PatternGroups
from repo_harden.core.model import Rule
from repo_harden.core.pins import CommitFacts, CommitName, RefName, ResolvedRef, Unresolved
from repo_harden.core.snapshot import RepoSettings
from repo_harden.engine.catalogue import catalogue
from repo_harden.engine.config import Config
from repo_harden.engine.run import run_checks
from repo_harden.readers.protection import read_classic
from repo_harden.readers.settings_tree import from_json
from repo_harden.sources.memory import MemoryRepo
from tests.rule_tables import scan_files

RULES = list(catalogue().rules.values())
_BLOCK = re.compile(r'^```\S*\s+title="(?P<path>[^"]+)"\n(?P<text>.*?)^```$', re.M | re.S)


def titled_blocks(section: str) -> dict[str, str]:
    return {found["path"]: found["text"] for found in _BLOCK.finditer(section)}


def example_and_fix(rule: Rule) -> tuple[dict[str, str], dict[str, str]]:
    doc = rule.doc
    example = doc[doc.index("## Example") : doc.index("## Fix")]
    fix = doc[doc.index("## Fix") :].split("\n## ", 1)[0]
    files = titled_blocks(example)
    return files, {**files, **titled_blocks(fix)}


class GitRefs:
    """GitHub as PIN003 and PIN004's Examples describe it: `actions/checkout`'s v4.2.2 is
    11bd719..., 8e5e7e5... is v3.5.2, and c7d749a... was pushed to a fork."""

    hosts = frozenset({"github.com"})
    tags: ClassVar[dict[str, str]] = {"v4.2.2": "11bd71901bbe5b1630ceea73d27597364c9af683",
            "v3.5.2": "8e5e7e5ab8b370d6c329ec480221332ada57f0ab"}  # fmt: skip

    def refs(self, names: Collection[RefName]) -> Mapping[RefName, ResolvedRef | Unresolved]:
        return {name: ResolvedRef(self.tags.get(name.ref), None) for name in names}

    def tag_commits(self, names: Collection[RefName]) -> Mapping[RefName, str | Unresolved | None]:
        return {name: self.tags.get(name.ref) for name in names}

    def commits(
        self, commits: Collection[CommitName]
    ) -> Mapping[CommitName, CommitFacts | Unresolved]:
        tagged = {sha: tag for tag, sha in self.tags.items()}
        return {
            commit: CommitFacts(
                True, commit.sha in tagged, tuple(filter(None, [tagged.get(commit.sha)]))
            )
            for commit in commits
        }


class Advisories:
    """An OSV that knows one vulnerable version: Jinja 2.10, as in LCK006's Example."""

    def advisories(
        self, packages: Collection[PackageVersion]
    ) -> Mapping[PackageVersion, tuple[Advisory, ...]]:
        vulnerable = PackageVersion("jinja2", "2.10")
        found = (Advisory("PYSEC-2019-217", ("CVE-2019-10906",), ("2.10.1",), "sandbox escape"),)
        return {package: found if package == vulnerable else () for package in packages}


def _live(approvals: int) -> BranchPolicy:
    rest = {
        "url": "https://api.github.com/repos/acme/web/branches/main/protection",
        "required_pull_request_reviews": {"required_approving_review_count": approvals},
    }
    return BranchPolicy("main", (read_classic(from_json(rest), Origin("classic")),))


_UNREADABLE = BranchPolicy(
    "main",
    unknown=(ProtectionUnknown("classic branch protection of `main`", "HTTP 403", "admin"),),
)
_DECLARES_TWO = (
    "branches:\n  - name: main\n    protection:\n"
    "      required_pull_request_reviews:\n        required_approving_review_count: 2\n"
)
# Rules whose Example only the network can show: (example files, example settings, fix
# files, fix settings).
Online = tuple[dict[str, str], RepoSettings, dict[str, str], RepoSettings]
ONLINE: dict[str, Callable[[dict[str, str], dict[str, str]], Online]] = {
    "PIN003": lambda example, fix: (
        example,
        RepoSettings(git_refs=GitRefs()),
        fix,
        RepoSettings(git_refs=GitRefs()),
    ),
    "PIN004": lambda example, fix: (
        example,
        RepoSettings(git_refs=GitRefs()),
        fix,
        RepoSettings(git_refs=GitRefs()),
    ),
    "LCK006": lambda example, fix: (
        example,
        RepoSettings(advisories=Advisories()),
        fix,
        RepoSettings(advisories=Advisories()),
    ),
    "BP011": lambda example, fix: (
        {".github/settings.yml": _DECLARES_TWO},
        RepoSettings("main", _live(1)),
        {".github/settings.yml": _DECLARES_TWO},
        RepoSettings("main", _live(2)),
    ),
    "BP012": lambda example, fix: (
        {},
        RepoSettings("main", _UNREADABLE),
        {},
        RepoSettings("main", _live(1)),
    ),
}


_WORKFLOW = {
    ".github/workflows/ci.yml": "on: push\npermissions: {}\njobs:\n  test:\n"
    "    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n"
}
_REPOSITORY = "the repository"


def _actions(settings: ActionsSettings) -> RepoSettings:
    return RepoSettings(actions=settings)


# WF101-WF104 judge settings, not files: the Example is the setting a repository with a
# workflow has, and the Fix the setting its doc recommends.
ONLINE.update(
    {
        "WF101": lambda example, fix: (
            _WORKFLOW,
            _actions(ActionsSettings(default_permissions=Known("write", _REPOSITORY))),
            _WORKFLOW,
            _actions(ActionsSettings(default_permissions=Known("read", _REPOSITORY))),
        ),
        "WF102": lambda example, fix: (
            _WORKFLOW,
            _actions(ActionsSettings(approve_pull_requests=Known(True, _REPOSITORY))),
            _WORKFLOW,
            _actions(ActionsSettings(approve_pull_requests=Known(False, _REPOSITORY))),
        ),
        "WF103": lambda example, fix: (
            _WORKFLOW,
            _actions(ActionsSettings(allowed_actions=Known("all", _REPOSITORY))),
            _WORKFLOW,
            _actions(
                ActionsSettings(
                    allowed_actions=Known("selected", _REPOSITORY),
                    allows_every_pattern=Known(False, _REPOSITORY),
                    sha_pinning_required=Known(True, _REPOSITORY),
                )
            ),
        ),
        "WF104": lambda example, fix: (
            _WORKFLOW,
            _actions(ActionsSettings(fork_approval=Known(FIRST_TIME, _REPOSITORY))),
            _WORKFLOW,
            _actions(ActionsSettings(fork_approval=Known(ALL_EXTERNAL, _REPOSITORY))),
        ),
    }
)


def _codes(files: dict[str, str], settings: RepoSettings | None) -> set[str]:
    return {finding["rule"] for finding in scan_files(files, settings=settings)}


@pytest.mark.parametrize("rule", RULES, ids=[rule.code for rule in RULES])
def test_the_example_gives_the_rule_and_the_fix_does_not(rule: Rule) -> None:
    example, fix = example_and_fix(rule)
    example_settings = fix_settings = None
    if rule.code in ONLINE:
        example, example_settings, fix, fix_settings = ONLINE[rule.code](example, fix)
    else:
        assert example, f'{rule.code}: its Example has no block with a title="path"'
        assert fix != example, f"{rule.code}: its Fix changes no file of the Example"
    assert rule.code in _codes(example, example_settings), f"{rule.code}: Example not found"
    assert rule.code not in _codes(fix, fix_settings), f"{rule.code}: still found after the Fix"


def test_every_online_rule_has_a_documented_example_file_or_live_settings() -> None:
    online = {rule.code for rule in RULES if rule.online}
    assert online <= ONLINE.keys() | {rule.code for rule in RULES if example_and_fix(rule)[0]}


def _skipped_offline(rule: Rule) -> list[dict[str, str]]:
    """The inputs (its Example's files; no file at all, for a rule that runs without one) on
    which an offline scan does not import the rule's module for its sake: its declaration
    says it cannot find anything."""
    check = catalogue().checks[rule.code]
    declared = check.declared()
    skipped = []
    for files in (
        (example_and_fix(rule)[0], {}) if check.repository_level else (example_and_fix(rule)[0],)
    ):
        matched = PatternGroups([declared.patterns]).select(files)[declared.patterns]
        if not declared.can_find(has_files=bool(matched), whole=True, settings=False):
            skipped.append(files)
    return skipped


SKIPPED = [rule for rule in RULES if rule.code[:2] != "RH" and _skipped_offline(rule)]


@pytest.mark.parametrize("rule", SKIPPED, ids=[rule.code for rule in SKIPPED])
def test_a_rule_a_scan_does_not_import_would_find_nothing(rule: Rule) -> None:
    """What lets a scan leave a rule module unimported (`Declared.can_find`): offline, an
    online rule finds nothing; with no file, neither does a repository-level rule that
    judges live settings. Run anyway, on its own Example, it must find nothing."""
    check = catalogue().checks[rule.code]
    for files in _skipped_offline(rule):
        run = run_checks(MemoryRepo(files), [check], Config())
        assert not run.crashes, run.crashes
        assert [f for f in run.findings if f.rule == rule.code] == [], files


def test_the_scan_leaves_out_the_online_rules_and_the_settings_rules() -> None:
    assert {rule.code for rule in SKIPPED} == {
        *(f"BP{number:03}" for number in range(1, 13)),
        *("PIN003", "PIN004", "LCK006", "WF101", "WF102", "WF103", "WF104"),
    }
