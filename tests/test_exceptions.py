"""Configuration and exceptions: select/ignore, exclude, severities, waivers (RH001, RH002),
inline ignores, and `repo-harden waivers`."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_repo, workflow

WF = ".github/workflows/ci.yml"
UNPINNED = workflow("      - uses: actions/checkout@v4\n", job_extra="    container: node:20\n")
FUTURE = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
PAST = (datetime.date.today() - datetime.timedelta(days=3)).isoformat()


def _rules(cli: Any, repo: Path, *args: str) -> list[str]:
    result = cli("scan", "--ignore", "OWN", "--format", "json", *args, cwd=repo)
    assert result.code in (0, 1), result.err
    return [f["rule"] for f in result.json()["findings"]]


SELECTION_CASES = [
    ("", [], ["PIN002", "PIN001"]),
    ('select = ["PIN001"]', [], ["PIN001"]),
    ('ignore = ["PIN"]', [], []),
    ('ignore = ["PIN"]\nselect = ["PIN002"]', [], ["PIN002"]),
    ('ignore = ["PIN002"]', [], ["PIN001"]),
    ("", ["--select", "PIN002"], ["PIN002"]),
    ('select = ["PIN001"]', ["--select", "PIN002"], ["PIN002"]),
    ("", ["--ignore", "pin001"], ["PIN002"]),
    ('exclude = [".github/workflows/ci.yml"]', [], []),
    ('exclude = ["*.yml"]', [], []),
    ("", ["--exclude", ".github/**"], []),
    ("", ["--exclude", ".github/workflows/other.yml"], ["PIN002", "PIN001"]),
]


@pytest.mark.parametrize(("config", "args", "expected"), SELECTION_CASES)
def test_selection(
    cli: Any, tmp_path: Path, config: str, args: list[str], expected: list[str]
) -> None:
    repo = make_repo(tmp_path / "r", {WF: UNPINNED, ".repo-harden.toml": config + "\n"})
    assert _rules(cli, repo, *args) == expected


def test_equal_configs_share_one_rule_selection() -> None:
    """An audit makes a rule selection for every repository: with the same `select` and
    `ignore`, they share one, which decides each code once, instead of one per repository.
    A repository's config cannot make the shared ones hold memory: a long list of
    selectors gets a selection of its own, dropped with the repository."""
    from repo_harden.engine.config import Config
    from repo_harden.engine.run import SHARED_SELECTORS, RuleSelection

    first = Config(exclude=("docs/**",), select=("PIN",), ignore=("PIN002",))
    second = Config(exclude=("src/**",), select=("PIN",), ignore=("PIN002",))
    assert first is not second
    selection = RuleSelection.from_config(first)
    assert selection is RuleSelection.from_config(second)
    assert selection.enabled("PIN001")
    assert not selection.enabled("PIN002")
    assert not selection.enabled("DL001")
    assert set(selection._decided) == {"PIN001", "PIN002", "DL001"}
    other = RuleSelection.from_config(Config(select=("DL",)))
    assert other is not selection
    assert other.enabled("DL001")
    hostile = Config(select=("PIN",) * (SHARED_SELECTORS + 1))
    assert RuleSelection.from_config(hostile) is not RuleSelection.from_config(hostile)
    assert RuleSelection.from_config(hostile).enabled("PIN001")


def test_severity_remap_and_fail_on(cli: Any, tmp_path: Path) -> None:
    config = '[severity]\nPIN001 = "warning"\nPIN002 = "note"\n'
    repo = make_repo(tmp_path / "r", {WF: UNPINNED, ".repo-harden.toml": config})
    result = cli("scan", "--ignore", "OWN", "--format", "json", cwd=repo)
    assert {f["rule"]: f["severity"] for f in result.json()["findings"]} == {
        "PIN001": "warning",
        "PIN002": "note",
    }
    assert result.code == 1
    assert cli("scan", "--ignore", "OWN", "--fail-on", "error", cwd=repo).code == 0
    assert cli("scan", "--ignore", "OWN", "--fail-on", "note", cwd=repo).code == 1
    (repo / ".repo-harden.toml").write_text('fail-on = "error"\n' + config)
    assert cli("scan", "--ignore", "OWN", cwd=repo).code == 0


def _waiver(rule: str = "PIN001", path: str = WF, expires: str = FUTURE, **extra: str) -> str:
    fields = {"rule": rule, "path": path, "owner": "@acme/security", "reason": "vendored"}
    fields.update(extra)
    body = "".join(f'{key} = "{value}"\n' for key, value in fields.items() if value)
    return f"[[waivers]]\n{body}expires = {expires}\n"


def test_active_waiver_hides_only_its_rule_and_path(cli: Any, tmp_path: Path) -> None:
    other = ".github/workflows/other.yml"
    repo = make_repo(
        tmp_path / "r",
        {WF: UNPINNED, other: UNPINNED, ".repo-harden.toml": _waiver()},
    )
    result = cli("scan", "--ignore", "OWN", "--format", "json", cwd=repo)
    found = [(f["rule"], f["path"]) for f in result.json()["findings"]]
    assert found == [("PIN002", WF), ("PIN002", other), ("PIN001", other)]
    assert "1 waived" in cli("scan", "--ignore", "OWN", cwd=repo).out


def test_waiver_path_may_be_a_glob(cli: Any, tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "r",
        {WF: UNPINNED, ".repo-harden.toml": _waiver(path=".github/workflows/*.yml")},
    )
    assert _rules(cli, repo) == ["PIN002"]


def test_expired_waiver_brings_findings_back_with_rh001(cli: Any, tmp_path: Path) -> None:
    config = "# waivers\n\n" + _waiver(expires=PAST)
    repo = make_repo(tmp_path / "r", {WF: UNPINNED, ".repo-harden.toml": config})
    findings = cli("scan", "--ignore", "OWN", "--format", "json", cwd=repo).json()["findings"]
    by_rule = {f["rule"]: f for f in findings}
    assert set(by_rule) == {"RH001", "PIN001", "PIN002"}
    assert by_rule["RH001"]["path"] == ".repo-harden.toml"
    assert by_rule["RH001"]["line"] == 3
    assert f"expired on {PAST}" in by_rule["RH001"]["message"]
    assert "@acme/security" in by_rule["RH001"]["message"]
    assert f"its waiver expired on {PAST}" in by_rule["PIN001"]["message"]


@pytest.mark.parametrize(
    ("waiver", "problem"),
    [
        (_waiver(owner=""), "missing `owner`"),
        (_waiver(reason=""), "missing `reason`"),
        (
            '[[waivers]]\nrule = "PIN001"\npath = "x"\nowner = "@a"\nreason = "r"\n',
            "missing `expires`",
        ),
        (_waiver().replace(f"expires = {FUTURE}", f'expires = "{FUTURE}"'), "TOML date"),
        (_waiver(rule="PIN999"), "unknown rule `PIN999`"),
        (_waiver(team="x"), "unknown field `team`"),
    ],
)
def test_incomplete_waiver_is_rh002_and_waives_nothing(
    cli: Any, tmp_path: Path, waiver: str, problem: str
) -> None:
    repo = make_repo(tmp_path / "r", {WF: UNPINNED, ".repo-harden.toml": waiver})
    findings = cli("scan", "--ignore", "OWN", "--format", "json", cwd=repo).json()["findings"]
    rh002 = [f for f in findings if f["rule"] == "RH002"]
    assert len(rh002) == 1
    assert problem in rh002[0]["message"]
    assert rh002[0]["line"] == 1
    assert "PIN001" in [f["rule"] for f in findings]


def test_waivers_in_pyproject(cli: Any, tmp_path: Path) -> None:
    waiver = _waiver().replace("[[waivers]]", "[[tool.repo-harden.waivers]]")
    repo = make_repo(
        tmp_path / "r", {WF: UNPINNED, "pyproject.toml": "[project]\nname='x'\n\n" + waiver}
    )
    assert _rules(cli, repo) == ["PIN002"]


INLINE_CASES = [
    (
        "on the line",
        "      - uses: actions/checkout@v4  # repo-harden: ignore[PIN001] vendored\n",
        [],
    ),
    (
        "the line above",
        "      # repo-harden: ignore[PIN001] vendored\n      - uses: actions/checkout@v4\n",
        [],
    ),
    (
        "two codes",
        "      - uses: actions/checkout@v4  # repo-harden: ignore[PIN002, PIN001] ok\n",
        [],
    ),
    (
        "another rule",
        "      - uses: actions/checkout@v4  # repo-harden: ignore[PIN002] why\n",
        ["PIN001"],
    ),
    (
        "two lines above is too far",
        "      # repo-harden: ignore[PIN001] vendored\n      - run: echo\n      - uses: actions/checkout@v4\n",
        ["PIN001"],
    ),
    (
        "no reason",
        "      - uses: actions/checkout@v4  # repo-harden: ignore[PIN001]\n",
        ["PIN001", "RH002"],
    ),
    (
        "unknown code",
        "      - uses: actions/checkout@v4  # repo-harden: ignore[PIN01] typo\n",
        ["PIN001", "RH002"],
    ),
]


@pytest.mark.parametrize(
    ("steps", "expected"), [c[1:] for c in INLINE_CASES], ids=[c[0] for c in INLINE_CASES]
)
def test_inline_ignores(cli: Any, tmp_path: Path, steps: str, expected: list[str]) -> None:
    repo = make_repo(tmp_path / "r", {WF: workflow(steps)})
    assert sorted(_rules(cli, repo)) == expected


def test_inline_ignore_count_in_summary(cli: Any, tmp_path: Path) -> None:
    steps = "      - uses: actions/checkout@v4  # repo-harden: ignore[PIN001] vendored\n"
    repo = make_repo(tmp_path / "r", {WF: workflow(steps)})
    result = cli("scan", "--ignore", "OWN", cwd=repo)
    assert result.code == 0
    assert "1 ignored inline" in result.out


def test_waivers_command_lists_every_exception(cli: Any, tmp_path: Path) -> None:
    config = _waiver() + "\n" + _waiver(rule="PIN002", expires=PAST) + "\n" + _waiver(owner="")
    steps = "      - uses: actions/checkout@v4  # repo-harden: ignore[PIN001] pinned by mirror\n"
    repo = make_repo(tmp_path / "r", {WF: workflow(steps), ".repo-harden.toml": config})
    result = cli("waivers", cwd=repo)
    assert result.code == 0
    assert "Waivers in .repo-harden.toml: 3" in result.out
    assert "owner @acme/security" in result.out
    # Counted from today, as the command counts: a run may cross midnight after import.
    today = datetime.date.today()
    assert f"expires in {(datetime.date.fromisoformat(FUTURE) - today).days} days" in result.out
    assert f"EXPIRED {(today - datetime.date.fromisoformat(PAST)).days} days ago" in result.out
    assert "invalid: missing `owner`" in result.out
    assert f"{WF}:6  PIN001  pinned by mirror" in result.out
    document = cli("waivers", "--format", "json", cwd=repo).json()
    assert [w["status"] for w in document["waivers"]] == ["active", "expired", "invalid"]
    assert document["waivers"][0]["expires"] == FUTURE
    assert document["inline"] == [
        {"path": WF, "line": 6, "rules": ["PIN001"], "reason": "pinned by mirror", "problems": []}
    ]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("selct = []\n", "unknown setting 'selct'"),
        ('select = ["XYZ"]\n', "'XYZ' matches no rule"),
        ("select = 'PIN'\n", "select must be a list of strings"),
        ('fail-on = "sometimes"\n', "expected error, warning, note or never"),
        ('[severity]\nPIN001 = "loud"\n', "severity.PIN001"),
        ("[rules.PIN001]\ntrusted = []\n", "unknown option 'trusted'"),
        ('[rules.PIN001]\ntrusted-owners = "actions"\n', "must be a list"),
        ("[rules.PIN002]\nx = 1\n", "unknown option 'x'"),
        # rules whose modules a scan of a workflow alone does not import: checked all the same
        ("[rules.LCK001]\nexempt = []\n", "unknown option 'exempt'"),
        ("[rules.BP001]\nx = 1\n", "[rules.BP001]: unknown option 'x' (known: none)"),
        ("select = [\n", "not valid TOML"),
    ],
)
def test_config_errors_exit_2_with_one_line(
    cli: Any, tmp_path: Path, config: str, message: str
) -> None:
    repo = make_repo(tmp_path / "r", {WF: UNPINNED, ".repo-harden.toml": config})
    result = cli("scan", cwd=repo)
    assert result.code == 2
    assert result.err.startswith("repo-harden: error: ")
    assert message in result.err
    assert "Traceback" not in result.err
    assert result.err.count("\n") == 1


def test_explicit_config_file(cli: Any, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {WF: UNPINNED})
    (tmp_path / "strict.toml").write_text('ignore = ["PIN002"]\n')
    assert _rules(cli, repo, "--config", str(tmp_path / "strict.toml")) == ["PIN001"]
    missing = cli("scan", "--config", str(tmp_path / "nope.toml"), cwd=repo)
    assert missing.code == 2
    assert "no such config file" in missing.err


def test_a_hook_honours_an_ignore_that_also_names_rules_it_does_not_run(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pinned-actions hook loads only PIN rules; an ignore naming DL003 too is still
    valid there, so the hook agrees with the scan."""
    from repo_harden.hooks.pinned_actions import main as pinned_actions_hook

    steps = "      - uses: actions/checkout@v4  # repo-harden: ignore[PIN001,DL003] mirror\n"
    repo = make_repo(tmp_path / "r", {WF: workflow(steps)})
    assert cli("scan", "--select", "PIN", cwd=repo).code == 0
    monkeypatch.chdir(repo)
    assert pinned_actions_hook([WF]) == 0


def test_a_narrow_select_still_reports_a_file_it_could_not_read(cli: Any, tmp_path: Path) -> None:
    """`--select PIN` must not let a broken workflow pass: RH000 stays on, like ruff's
    syntax errors, unless an ignore names it."""
    repo = make_repo(
        tmp_path / "repo",
        {
            ".github/workflows/ci.yml": "on: [push\njobs: {\n",
            "Dockerfile": "FROM node:20\n",
        },
    )
    narrow = cli("scan", "--select", "PIN", "--format", "json", cwd=repo)
    assert narrow.code == 1
    found = sorted((f["rule"], f["path"]) for f in narrow.json()["findings"])
    assert found == [("PIN002", "Dockerfile"), ("RH000", ".github/workflows/ci.yml")]
    for hidden in ("RH000", "RH"):
        quiet = cli("scan", "--select", "PIN", "--ignore", hidden, "--format", "json", cwd=repo)
        assert "RH000" not in {f["rule"] for f in quiet.json()["findings"]}
