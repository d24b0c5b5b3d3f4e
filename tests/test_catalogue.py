"""The catalogue and its documentation: every rule documented, docs generated and current,
every hook declared, documented and installed."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from repo_harden.core.declare import DOC_HEADINGS
from repo_harden.engine.catalogue import catalogue
from repo_harden.reporters.rule_docs import readme_with_table, rules_document

ROOT = Path(__file__).resolve().parents[1]
RULES = list(catalogue().rules.values())
CODE = re.compile(r"^(RH|PIN|DL|LCK|OWN|BP|WF)\d{3}$")


@pytest.mark.parametrize("rule", RULES, ids=[rule.code for rule in RULES])
def test_rule_is_documented(rule: Any) -> None:
    assert CODE.match(rule.code)
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.name)
    positions = [rule.doc.find(heading) for heading in DOC_HEADINGS]
    assert all(p > 0 for p in positions), f"{rule.code} lacks one of {DOC_HEADINGS}"
    assert positions == sorted(positions), f"{rule.code}: headings out of order"
    assert not rule.summary.endswith(".")


def test_rule_names_are_unique() -> None:
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names))


def test_readme_rule_table_is_generated_from_the_registry() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == readme_with_table(readme, RULES), (
        "run `python -m repo_harden.reporters.rule_docs`"
    )
    for rule in RULES:
        assert f"| {rule.name} |" in readme


def test_rules_document_is_current() -> None:
    current = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert current == rules_document(RULES), "run `python -m repo_harden.reporters.rule_docs`"


def _hooks() -> list[dict[str, Any]]:
    hooks: list[dict[str, Any]] = yaml.safe_load(
        (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    )
    return hooks


@pytest.mark.parametrize("hook", _hooks(), ids=lambda hook: str(hook["id"]))
def test_hook_is_documented_and_installed(hook: dict[str, Any]) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"`{hook['id']}`" in readme
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert hook["entry"] in scripts
    assert hook["language"] == "python"
    if "files" in hook:
        re.compile(hook["files"])


def test_rules_command(cli: Any, tmp_path: Path) -> None:
    listing = cli("rules", cwd=tmp_path)
    assert listing.code == 0
    for rule in RULES:
        summary = re.escape(rule.summary + (" (online)" if rule.online else ""))
        row = rf"^{rule.code}\s+{rule.name}\s+{rule.severity.value}\s+{summary}$"
        assert re.search(row, listing.out, re.MULTILINE)
    assert re.search(r"^PIN003 .* \(online\)$", listing.out, re.MULTILINE)
    assert not re.search(r"^PIN001 .* \(online\)$", listing.out, re.MULTILINE)
    page = cli("rules", "PIN001", cwd=tmp_path)
    assert page.out.startswith("# PIN001 unpinned-action")
    assert "## Why is this bad?" in page.out
    assert cli("rules", "unpinned-image", cwd=tmp_path).out.startswith("# PIN002")
    as_json = cli("rules", "--format", "json", cwd=tmp_path).json()
    assert [r["code"] for r in as_json] == [rule.code for rule in RULES]
    unknown = cli("rules", "PIN999", cwd=tmp_path)
    assert unknown.code == 2
    assert "no rule 'PIN999'" in unknown.err


@pytest.mark.parametrize("prefix", ["PIN", "pin", "DL00", "RH"])
def test_rules_of_a_prefix_as_select_takes_it(cli: Any, tmp_path: Path, prefix: str) -> None:
    wanted = [rule.code for rule in RULES if rule.code.startswith(prefix.upper())]
    listing = cli("rules", prefix, cwd=tmp_path)
    assert listing.code == 0, listing.err
    assert [line.split()[0] for line in listing.out.splitlines()[1:]] == wanted
    as_json = cli("rules", prefix, "--format", "json", cwd=tmp_path).json()
    assert [record["code"] for record in as_json] == wanted


def test_code_table_matches_what_the_modules_declare() -> None:
    from repo_harden.checks import CHECK_MODULES, checks_of

    for module, codes in CHECK_MODULES.items():
        assert tuple(check.rule.code for check in checks_of(module)) == codes, module
    declared = [code for codes in CHECK_MODULES.values() for code in codes]
    assert len(declared) == len(set(declared))


_WORKFLOW = ".github/workflows/ci.yml"
_BOUNDARIES = {
    "repo_harden.checks.trust_boundaries.permissions",
    "repo_harden.checks.trust_boundaries.untrusted_checkout",
    "repo_harden.checks.trust_boundaries.template_injection",
    "repo_harden.checks.trust_boundaries.cloud_credentials",
    "repo_harden.checks.trust_boundaries.provenance",
}
# (hook, the files it is given, the rule modules it imports)
HOOK_FAMILIES = [
    # offline, PIN003 and PIN004 (`verified`) find nothing; no pre-commit config: no PIN005
    ("repo_harden.hooks.pinned_actions", [_WORKFLOW], {"repo_harden.checks.pinning.unpinned"}),
    ("repo_harden.hooks.pinned_actions", ["README.md"], set()),
    # no lockfile nor manifest: only LCK001's module, to check its options in the config
    ("repo_harden.hooks.lockfiles", [_WORKFLOW], {"repo_harden.checks.lockfiles.missing"}),
    ("repo_harden.hooks.codeowners", [_WORKFLOW], {"repo_harden.checks.ownership"}),
    ("repo_harden.hooks.codeowners", ["README.md"], set()),
    ("repo_harden.hooks.workflow_boundaries", [_WORKFLOW], _BOUNDARIES),
    ("repo_harden.hooks.all_checks", [_WORKFLOW], {
        *_BOUNDARIES, "repo_harden.checks.pinning.unpinned",
        "repo_harden.checks.downloads.in_scripts", "repo_harden.checks.downloads.tool_versions",
        "repo_harden.checks.ownership", "repo_harden.checks.lockfiles.missing",
    }),
]  # fmt: skip


@pytest.mark.parametrize(("hook", "files", "expected"), HOOK_FAMILIES)
def test_a_hook_imports_only_its_rule_families(
    tmp_path: Path, hook: str, files: list[str], expected: set[str]
) -> None:
    """A hook must not pay for parsers it never runs: it imports the modules of its families
    that can find something in the files it is given; every code stays known to the config."""
    import ast
    import subprocess
    import sys

    (tmp_path / ".repo-harden.toml").write_text(
        'ignore = ["DL003"]\n[rules.LCK001]\nexempt-paths = []\n'
    )
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / _WORKFLOW).write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
    )
    probe = (
        f"import sys; from {hook} import main; main({files!r}); "
        "from repo_harden.checks import CHECK_MODULES; "
        "print(sorted(m for m in sys.modules if m in CHECK_MODULES)); "
        "print('repo_harden.engine.records' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    modules, records = result.stdout.strip().splitlines()[-2:]
    assert set(ast.literal_eval(modules)) == expected
    assert records == "False"  # the record codec is an audit's and a JSON report's


# `fix` is left out: its help is being rewritten in its own change (QA item 10).
@pytest.mark.parametrize(
    "command", ["scan", "rules", "waivers", "waive", "owners", "audit", "merge", "inventory"]
)
def test_every_option_says_what_it_does(command: str) -> None:
    import argparse

    from repo_harden.cli import build_parser

    subcommands = next(
        action
        for action in build_parser(command)._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    parser = subcommands.choices[command]
    silent = [
        action.option_strings or [action.dest] for action in parser._actions if not action.help
    ]
    assert silent == []


@pytest.mark.parametrize("command", ["scan", "audit", "inventory"])
def test_cache_help_says_where_the_cache_is(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    from repo_harden.audit.store import cache_file
    from repo_harden.cli import main

    default = cache_file(None, "https://api.github.com", {"XDG_CACHE_HOME": str(tmp_path)})
    assert default.parent == tmp_path / "repo-harden"  # so the help must name XDG_CACHE_HOME
    with pytest.raises(SystemExit):
        main([command, "--help"])
    cache_help = " ".join(capsys.readouterr().out.rpartition("--cache-dir DIR")[2].split())
    assert cache_help.startswith("where")
    assert "$XDG_CACHE_HOME/repo-harden" in cache_help.partition("--no-cache")[0]


def test_declarations_are_generated_from_the_modules() -> None:
    """A scan decides which rule modules to import from `checks/declarations.py`: it must say
    what the modules declare (their codes, patterns, online, settings, repository level)."""
    from repo_harden.checks import CHECK_MODULES
    from repo_harden.checks.declarations import DECLARATIONS
    from repo_harden.engine.declarations import declarations_of_modules, render

    current = (ROOT / "checks" / "declarations.py").read_text(encoding="utf-8")
    assert current == render(declarations_of_modules()), (
        "run `python -m repo_harden.engine.declarations`"
    )
    assert {
        module: tuple(d.code for d in declared) for module, declared in DECLARATIONS.items()
    } == (CHECK_MODULES)


# What a scan of a repository holding only workflows must not execute: rule modules that
# cannot find anything in it (online rules offline, rules of files it lacks), what only they
# use, and the reporters of formats not asked for.
_NOT_FOR_WORKFLOWS = (
    "repo_harden.checks.pinning.verified",
    "repo_harden.checks.pinning.pre_commit",
    "repo_harden.checks.downloads.in_dockerfiles",
    "repo_harden.checks.lockfiles.missing",
    "repo_harden.checks.lockfiles.stale",
    "repo_harden.checks.lockfiles.requirement_pins",
    "repo_harden.checks.lockfiles.indexes",
    "repo_harden.checks.lockfiles.vulnerable",
    "repo_harden.checks.branch_protection",
    "repo_harden.checks.trust_boundaries.actions_settings",
    "repo_harden.ecosystems.registry",
    "repo_harden.ecosystems.tree",
    "repo_harden.readers.precommit",
    "repo_harden.readers.settings_file",
    "repo_harden.core.pins",
    "repo_harden.reporters.text",
)


def _scan_in_a_new_process(repo: Path, *args: str) -> tuple[list[dict[str, Any]], set[str]]:
    """`repo-harden scan --format json ARGS` in a fresh interpreter: its findings, and the
    modules of repo-harden it executed (a module `lazy_import` deferred and nobody used is
    in `sys.modules` without having run)."""
    import json
    import subprocess
    import sys

    probe = (
        "import sys, contextlib\n"
        "from repo_harden.cli import main\n"
        "with open('../report.json', 'w') as out, contextlib.redirect_stdout(out):\n"
        f"    main(['scan', '--format', 'json', '--no-cache', *{list(args)!r}])\n"
        "print(sorted(name for name, module in sys.modules.items()\n"
        "    if name.startswith('repo_harden') and type(module).__name__ != '_LazyModule'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=repo, capture_output=True, text=True, check=True
    )
    import ast

    executed = set(ast.literal_eval(result.stdout.strip().splitlines()[-1]))
    report = json.loads((repo.parent / "report.json").read_text(encoding="utf-8"))
    return report["findings"], executed


def test_a_scan_of_workflows_imports_only_the_rules_that_can_run(tmp_path: Path) -> None:
    from tests.conftest import make_repo

    corpus = ROOT / "tests" / "corpus" / "starter-workflows"
    files = {
        f".github/workflows/{path.parent.name}-{path.name}": path.read_text(encoding="utf-8")
        for path in sorted(corpus.glob("*/*.yml"))
    }
    repo = make_repo(tmp_path / "repo", files)
    findings, executed = _scan_in_a_new_process(repo)
    assert {"PIN001", "OWN001", "WF001"} <= {finding["rule"] for finding in findings}
    assert "repo_harden.checks.pinning.unpinned" in executed
    assert "repo_harden.checks.ownership" in executed  # OWN001: the missing CODEOWNERS
    assert executed.isdisjoint(_NOT_FOR_WORKFLOWS), executed.intersection(_NOT_FOR_WORKFLOWS)


# Rules whose Examples, put together, make a repository with a file of every kind
_EVERY_KIND = ("PIN005", "DL005", "LCK001", "LCK002", "LCK003", "LCK005", "BP001", "DL006")


def test_a_scan_still_runs_the_rules_of_every_kind_of_file(tmp_path: Path) -> None:
    from tests.conftest import make_repo
    from tests.test_rule_examples import example_and_fix

    files: dict[str, str] = {}
    for code in _EVERY_KIND:
        example, _ = example_and_fix(catalogue().rules[code])
        # each Example in a folder of its own, but for the files read only at the top
        folder = "" if code.startswith(("PIN", "BP", "DL006")) else f"{code.lower()}/"
        placed = {f"{folder}{path}": text for path, text in example.items()}
        assert files.keys().isdisjoint(placed), code
        files.update(placed)
    repo = make_repo(tmp_path / "repo", files)
    findings, executed = _scan_in_a_new_process(repo)
    assert set(_EVERY_KIND) <= {finding["rule"] for finding in findings}
    expected = {"repo_harden.checks.pinning.pre_commit", "repo_harden.checks.branch_protection",
                "repo_harden.checks.downloads.in_dockerfiles",
                "repo_harden.checks.lockfiles.missing", "repo_harden.checks.lockfiles.stale",
                "repo_harden.checks.lockfiles.requirement_pins",
                "repo_harden.checks.lockfiles.indexes"}  # fmt: skip
    assert expected <= executed
    # offline, still no online rule
    assert "repo_harden.checks.pinning.verified" not in executed
    assert "repo_harden.checks.lockfiles.vulnerable" not in executed


def test_every_path_a_pattern_matches_holds_its_texts() -> None:
    """A scan leaves a rule module out when no path holds the texts every match of its
    patterns holds (`TEXTS`): held against the engine's own matching, on this repository's
    files and on names that only a case-blind or a folder match reaches."""
    import subprocess

    from repo_harden.checks.declarations import DECLARATIONS, TEXTS
    from repo_harden.core.globs import PatternGroups
    from repo_harden.engine.catalogue import texts_in_every_match

    listed = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    paths = [*listed, "DOCKERFILE", "app/containerfile.Dev", "x/Dockerfile_prod/run.sh",
             "ci/requirements/Dev.txt", ".github/workflows/x.yml/y", "a/Cargo.lock/b",
             "docs/CODEOWNERS", "pylock.dev.toml", "src/pip.conf", "Σ/ς/Makefile"]  # fmt: skip
    declared = {p for module in DECLARATIONS.values() for d in module for p in d.patterns}
    assert TEXTS.keys() == declared
    for pattern, texts in TEXTS.items():
        assert list(texts) == texts_in_every_match(pattern)
        matched = PatternGroups([(pattern,)]).select(paths)[(pattern,)]
        for path in matched:
            assert all(text in path.lower() for text in texts), (pattern, path)
    assert TEXTS["[Dd][Oo][Cc][Kk][Ee][Rr][Ff][Ii][Ll][Ee]"] == ("dockerfile",)
    assert TEXTS["**/action.yml"] == ("action.yml",)
