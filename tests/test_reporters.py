"""Reporters: the same findings in every format, and the exit code that goes with them.

One known repository (below) is scanned in each format; every line and column
in it was counted by hand. Only the RH and PIN families are selected, so that
rules added later do not change what these tests expect.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from repo_harden import __version__
from repo_harden.cli import main
from repo_harden.core.model import Finding, Severity, fingerprint
from repo_harden.engine.catalogue import catalogue
from repo_harden.engine.policy import Reported
from repo_harden.frontend.output import use_color
from repo_harden.reporters.annotations import annotation
from tests.conftest import DATA, CliResult, make_repo, workflow

Cli = Callable[..., CliResult]

SELECT = ("--select", "RH,PIN")
SHA = "11bd71901bbe5b1630ceea73d27597364c9af683"
WF = ".github/workflows/ci.yml"
ACTION = ".github/actions/setup/action.yml"
BLOB = ".github/workflows/blob.yml"

KNOWN_FILES: dict[str, str | bytes] = {
    WF: (
        "on: push\n"  # 1
        "jobs:\n"  # 2
        "  build:\n"  # 3
        "    runs-on: ubuntu-latest\n"  # 4
        "    container: node:20\n"  # 5  PIN002 at column 16
        "    steps:\n"  # 6
        "      - uses: actions/checkout@v4\n"  # 7  PIN001 at column 15
        "      - uses: actions/setup-python@0123456\n"  # 8  PIN001 (short SHA)
        f"      - uses: actions/cache@{SHA} # v4\n"  # 9  pinned: nothing
        "      - uses: ./local-action\n"  # 10 local: nothing
        "  call:\n"  # 11
        "    uses: acme/workflows/.github/workflows/ci.yml@main\n"  # 12 PIN001 at column 11
    ),
    ACTION: (
        "name: setup\n"  # 1
        "runs:\n"  # 2
        "  using: composite\n"  # 3
        "  steps:\n"  # 4
        "    - uses: docker://alpine:3.20\n"  # 5  PIN002 at column 13
    ),
    BLOB: b"\x00\x01binary\x00",  # RH000, with no line or column
}

# (rule, name, path, line, column, subject of the fingerprint, words the message must hold),
# in report order: by path, then line, then column.
KNOWN_FINDINGS: list[tuple[str, str, str, int | None, int | None, str, tuple[str, ...]]] = [
    (
        "PIN002",
        "unpinned-image",
        ACTION,
        5,
        13,
        "docker://alpine:3.20",
        ("step image `alpine:3.20`", "alpine:3.20@sha256:<digest>"),
    ),
    (
        "RH000",
        "unparseable-file",
        BLOB,
        None,
        None,
        "not checked: it is a binary file",
        ("not checked: it is a binary file",),
    ),
    (
        "PIN002",
        "unpinned-image",
        WF,
        5,
        16,
        "node:20",
        ("job container image `node:20`", "node:20@sha256:<digest>"),
    ),
    (
        "PIN001",
        "unpinned-action",
        WF,
        7,
        15,
        "actions/checkout@v4",
        ("`actions/checkout@v4`", "full 40-character commit SHA"),
    ),
    (
        "PIN001",
        "unpinned-action",
        WF,
        8,
        15,
        "actions/setup-python@0123456",
        ("short SHA `0123456`", "full 40-character commit SHA"),
    ),
    (
        "PIN001",
        "unpinned-action",
        WF,
        12,
        11,
        "acme/workflows/.github/workflows/ci.yml@main",
        ("`acme/workflows/.github/workflows/ci.yml@main`", "`main`"),
    ),
]

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture
def known_repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "known", KNOWN_FILES)


def scan(cli: Cli, repo: Path, *args: str) -> CliResult:
    return cli("scan", *SELECT, *args, cwd=repo)


# --- JSON -------------------------------------------------------------------------------


def test_json_document(cli: Cli, known_repo: Path) -> None:
    result = scan(cli, known_repo, "--format", "json")
    assert result.code == 1
    assert result.err == ""
    document = result.json()
    assert set(document) == {"tool", "version", "findings"}  # audits add `repositories`
    assert document["tool"] == "repo-harden"
    assert document["version"] == __version__
    findings = document["findings"]
    assert len(findings) == len(KNOWN_FINDINGS)
    for record, expected in zip(findings, KNOWN_FINDINGS, strict=True):
        rule, name, path, line, column, subject, words = expected
        assert list(record) == [
            "rule",
            "name",
            "severity",
            "path",
            "line",
            "column",
            "message",
            "fingerprint",
        ]
        assert record["rule"] == rule
        assert record["name"] == name
        assert record["severity"] == "error"
        assert record["path"] == path
        assert record["line"] == line
        assert record["column"] == column
        for word in words:
            assert word in record["message"]
        assert record["fingerprint"] == fingerprint(rule, path, subject)
        assert re.fullmatch(r"[0-9a-f]{32}", record["fingerprint"])


def test_json_fingerprints_survive_moved_lines(cli: Cli, tmp_path: Path) -> None:
    """Two new lines at the top move every finding down by two; no fingerprint changes."""
    before = scan(cli, make_repo(tmp_path / "before", KNOWN_FILES), "--format", "json")
    moved = dict(KNOWN_FILES)
    moved[WF] = "# a comment\n# and another\n" + str(KNOWN_FILES[WF])
    after = scan(cli, make_repo(tmp_path / "after", moved), "--format", "json")
    old = {f["fingerprint"]: f for f in before.json()["findings"]}
    new = {f["fingerprint"]: f for f in after.json()["findings"]}
    assert set(old) == set(new)
    assert len(old) == len(KNOWN_FINDINGS)  # and all distinct
    for key, finding in new.items():
        if finding["path"] == WF:
            assert finding["line"] == old[key]["line"] + 2
        else:
            assert finding["line"] == old[key]["line"]


def test_json_severity_follows_the_config(cli: Cli, tmp_path: Path) -> None:
    files = dict(KNOWN_FILES)
    files[".repo-harden.toml"] = '[severity]\nPIN001 = "warning"\nPIN002 = "note"\n'
    result = scan(cli, make_repo(tmp_path / "repo", files), "--format", "json")
    severities = {(f["rule"], f["severity"]) for f in result.json()["findings"]}
    assert severities == {("PIN001", "warning"), ("PIN002", "note"), ("RH000", "error")}


# --- SARIF ------------------------------------------------------------------------------


def sarif_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(
        (DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8")
    )
    return schema


def validate_sarif(document: object) -> None:
    schema = sarif_schema()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator_class(schema).validate(document)


def test_the_vendored_schema_rejects_broken_sarif() -> None:
    """The validation below means something: the schema does catch a broken document."""
    with pytest.raises(jsonschema.ValidationError):
        validate_sarif({"version": "2.1.0", "runs": [{"results": []}]})  # no tool
    with pytest.raises(jsonschema.ValidationError):
        validate_sarif({"version": "2.0.0", "runs": []})


def test_sarif_of_a_workflow_alone_lists_every_rule(cli: Cli, tmp_path: Path) -> None:
    """A scan imports only the rule modules that can find something; SARIF, which describes
    every rule, gets them all."""
    repo = make_repo(tmp_path / "r", {".github/workflows/ci.yml": "on: push\njobs: {}\n"})
    sarif = scan(cli, repo, "--format", "sarif")
    validate_sarif(sarif.json())
    (run,) = sarif.json()["runs"]
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]] == list(catalogue().rules)


def test_sarif_is_valid_and_complete(cli: Cli, known_repo: Path) -> None:
    sarif = scan(cli, known_repo, "--format", "sarif")
    assert sarif.code == 1
    document = sarif.json()
    validate_sarif(document)
    assert document["version"] == "2.1.0"
    (run,) = document["runs"]

    driver = run["tool"]["driver"]
    assert driver["name"] == "repo-harden"
    assert driver["version"] == __version__
    rules = driver["rules"]
    assert [rule["id"] for rule in rules] == list(catalogue().rules)
    for descriptor in rules:
        rule = catalogue().rules[descriptor["id"]]
        assert descriptor["name"] == rule.name
        assert descriptor["helpUri"].startswith("https://")
        assert descriptor["helpUri"].endswith(f"#{rule.code.lower()}-{rule.name}")
        assert descriptor["help"]["text"] == rule.doc
        assert "## Why is this bad?" in descriptor["help"]["markdown"]
        assert descriptor["shortDescription"]["text"] == rule.summary
        assert descriptor["defaultConfiguration"]["level"] == rule.severity.value

    findings = scan(cli, known_repo, "--format", "json").json()["findings"]
    results = run["results"]
    assert len(results) == len(findings) == len(KNOWN_FINDINGS)
    for result, finding in zip(results, findings, strict=True):
        assert result["ruleId"] == finding["rule"]
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] == "error"
        assert result["message"]["text"] == finding["message"]
        assert result["partialFingerprints"] == {"repoHarden/v1": finding["fingerprint"]}
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"] == {"uri": finding["path"], "uriBaseId": "%SRCROOT%"}
        if finding["line"] is None:
            assert "region" not in physical
        else:
            assert physical["region"] == {
                "startLine": finding["line"],
                "startColumn": finding["column"],
            }


def test_sarif_level_follows_the_config(cli: Cli, tmp_path: Path) -> None:
    files = dict(KNOWN_FILES)
    files[".repo-harden.toml"] = '[severity]\nPIN001 = "warning"\nPIN002 = "note"\n'
    document = scan(cli, make_repo(tmp_path / "repo", files), "--format", "sarif").json()
    validate_sarif(document)
    levels = {(r["ruleId"], r["level"]) for r in document["runs"][0]["results"]}
    assert levels == {("PIN001", "warning"), ("PIN002", "note"), ("RH000", "error")}


def test_sarif_without_findings_is_valid(cli: Cli, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {WF: workflow(f"      - uses: actions/cache@{SHA}\n")})
    result = scan(cli, repo, "--format", "sarif")
    assert result.code == 0
    document = result.json()
    validate_sarif(document)
    assert document["runs"][0]["results"] == []
    assert document["runs"][0]["tool"]["driver"]["rules"]  # the catalogue, all the same


# --- GitHub annotations -----------------------------------------------------------------

ANNOTATION = re.compile(
    r"^::(?P<command>error|warning|notice) "
    r"file=(?P<file>[^,:]+)(?:,line=(?P<line>\d+),col=(?P<col>\d+))?,title=(?P<title>[^,:]+)"
    r"::(?P<message>.*)$"
)


def test_github_annotations_match_the_findings(cli: Cli, known_repo: Path) -> None:
    result = scan(cli, known_repo, "--format", "github")
    assert result.code == 1
    *annotations, summary, hint = result.out.splitlines()
    assert summary == "Found 6 findings (6 errors) in 3 files."
    assert hint.startswith("Run `repo-harden rules CODE`")
    findings = scan(cli, known_repo, "--format", "json").json()["findings"]
    assert len(annotations) == len(findings)
    for line, finding in zip(annotations, findings, strict=True):
        match = ANNOTATION.match(line)
        assert match, line
        assert match["command"] == "error"
        assert match["file"] == finding["path"]
        if finding["line"] is None:
            assert match["line"] is None
        else:
            assert (int(match["line"]), int(match["col"])) == (finding["line"], finding["column"])
        assert match["title"] == f"{finding['rule']} {finding['name']}"
        assert match["message"] == finding["message"]


def test_github_annotations_put_errors_first(cli: Cli, tmp_path: Path) -> None:
    files = dict(KNOWN_FILES)
    files[".repo-harden.toml"] = '[severity]\nPIN001 = "note"\nPIN002 = "warning"\n'
    result = scan(cli, make_repo(tmp_path / "repo", files), "--format", "github")
    commands = [line.split(" ", 1)[0] for line in result.out.splitlines() if line[:2] == "::"]
    assert commands == ["::error"] + ["::warning"] * 2 + ["::notice"] * 3


def reported(
    *,
    path: str = "a.yml",
    line: int | None = 3,
    column: int | None = 7,
    message: str = "something is wrong",
    severity: Severity = Severity.ERROR,
    repository: str | None = None,
) -> Reported:
    rule = catalogue().rules["PIN001"]
    finding = Finding("PIN001", path, line, column, message, fingerprint("PIN001", path, "x"))
    return Reported(finding, rule, severity, repository)


# (what it shows, the Reported, the exact annotation). GitHub's own toolkit escapes `%`, CR
# and LF everywhere, and `:` and `,` in properties too, where they would end a property.
ANNOTATIONS = [
    (
        "plain",
        reported(),
        "::error file=a.yml,line=3,col=7,title=PIN001 unpinned-action::something is wrong",
    ),
    (
        "message escapes percent, CR and LF but keeps colon and comma",
        reported(message="100% sure: a, b\r\nnext line\n"),
        "::error file=a.yml,line=3,col=7,title=PIN001 unpinned-action"
        "::100%25 sure: a, b%0D%0Anext line%0A",
    ),
    (
        "message that looks like an escape is escaped again",
        reported(message="%0A is not a newline"),
        "::error file=a.yml,line=3,col=7,title=PIN001 unpinned-action::%250A is not a newline",
    ),
    (
        "file property escapes comma, colon, percent and newline",
        reported(path="dir,1/we:ird%\n.yml"),
        "::error file=dir%2C1/we%3Aird%25%0A.yml,line=3,col=7,title=PIN001 unpinned-action"
        "::something is wrong",
    ),
    (
        "title escapes the colon after the repository",
        reported(repository="acme/api"),
        "::error file=a.yml,line=3,col=7,title=acme/api%3A PIN001 unpinned-action"
        "::something is wrong",
    ),
    (
        "no line: no line or col",
        reported(line=None, column=None),
        "::error file=a.yml,title=PIN001 unpinned-action::something is wrong",
    ),
    (
        "repository-level: no file",
        reported(path="", line=None, column=None),
        "::error title=PIN001 unpinned-action::something is wrong",
    ),
    (
        "warning",
        reported(severity=Severity.WARNING),
        "::warning file=a.yml,line=3,col=7,title=PIN001 unpinned-action::something is wrong",
    ),
    (
        "note is a notice",
        reported(severity=Severity.NOTE),
        "::notice file=a.yml,line=3,col=7,title=PIN001 unpinned-action::something is wrong",
    ),
]


@pytest.mark.parametrize(
    ("item", "expected"),
    [pytest.param(item, expected, id=name) for name, item, expected in ANNOTATIONS],
)
def test_github_annotation(item: Reported, expected: str) -> None:
    line = annotation(item)
    assert line == expected
    assert "\n" not in line and "\r" not in line


def test_github_annotation_from_a_real_scan_is_escaped(cli: Cli, tmp_path: Path) -> None:
    """A path with a comma and a colon, end to end."""
    path = ".github/workflows/a,b:c.yml"
    repo = make_repo(tmp_path / "repo", {path: workflow("      - uses: actions/checkout@v4\n")})
    result = scan(cli, repo, "--format", "github")
    assert result.out.startswith(
        "::error file=.github/workflows/a%2Cb%3Ac.yml,line=6,col=15,"
        "title=PIN001 unpinned-action::`actions/checkout@v4` uses `v4`"
    )


# --- text -------------------------------------------------------------------------------


def test_text_lines_and_summary(cli: Cli, known_repo: Path) -> None:
    result = scan(cli, known_repo)
    assert result.code == 1
    findings = scan(cli, known_repo, "--format", "json").json()["findings"]
    lines = result.out.splitlines()
    assert len(lines) == len(findings) + 2
    for line, finding in zip(lines[:-2], findings, strict=True):
        where = finding["path"]
        if finding["line"] is not None:
            where += f":{finding['line']}:{finding['column']}"
        assert line == f"{where}: {finding['rule']} {finding['message']}"
    assert lines[0].startswith(f"{ACTION}:5:13: PIN002 step image `alpine:3.20`")
    assert lines[-2] == "Found 6 findings (6 errors) in 3 files."
    assert lines[-1] == "Run `repo-harden rules CODE` to read why a rule matters and how to fix it."
    assert not ANSI.search(result.out)


def test_text_summary_counts_each_severity(cli: Cli, tmp_path: Path) -> None:
    files = dict(KNOWN_FILES)
    files[".repo-harden.toml"] = '[severity]\nPIN001 = "warning"\nPIN002 = "note"\n'
    result = scan(cli, make_repo(tmp_path / "repo", files))
    assert "Found 6 findings (1 error, 3 warnings, 2 notes) in 3 files." in result.out


def test_text_without_findings(cli: Cli, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {WF: workflow(f"      - uses: actions/cache@{SHA}\n")})
    result = scan(cli, repo)
    assert result.code == 0
    assert result.out == "No findings in 1 file checked.\n"


@pytest.fixture
def run_with_env(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., CliResult]:
    """Like `cli`, but with the colour variables as given (None: unset)."""

    def run(*args: str, cwd: Path, env: dict[str, str | None]) -> CliResult:
        monkeypatch.chdir(cwd)
        for name in ("NO_COLOR", "FORCE_COLOR", "TERM"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            if value is not None:
                monkeypatch.setenv(name, value)
        code = main(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


# (environment, colour expected). stdout is captured, so it is never a terminal here.
COLOR_ENVIRONMENTS = [
    ({}, False),
    ({"NO_COLOR": "1"}, False),
    ({"FORCE_COLOR": "1"}, True),
    ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
]


@pytest.mark.parametrize(("env", "colored"), COLOR_ENVIRONMENTS)
def test_text_color(
    run_with_env: Callable[..., CliResult],
    known_repo: Path,
    env: dict[str, str | None],
    colored: bool,
) -> None:
    result = run_with_env("scan", *SELECT, cwd=known_repo, env=env)
    assert result.code == 1
    assert bool(ANSI.search(result.out)) is colored
    plain = run_with_env("scan", *SELECT, cwd=known_repo, env={"NO_COLOR": "1"})
    assert ANSI.sub("", result.out) == plain.out
    if colored:
        assert "\x1b[1;31mPIN001\x1b[0m" in result.out  # an error's code, in bold red


@pytest.mark.parametrize("fmt", ["json", "sarif", "github"])
def test_machine_formats_never_have_color(
    run_with_env: Callable[..., CliResult], known_repo: Path, fmt: str
) -> None:
    result = run_with_env(
        "scan", *SELECT, "--format", fmt, cwd=known_repo, env={"FORCE_COLOR": "1"}
    )
    assert not ANSI.search(result.out)


class FakeStream:
    def __init__(self, tty: bool) -> None:
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


# (environment, is the stream a terminal, colour expected)
USE_COLOR = [
    ({}, True, True),
    ({}, False, False),
    ({"TERM": "dumb"}, True, False),
    ({"NO_COLOR": "1"}, True, False),
    ({"NO_COLOR": ""}, True, True),  # no-color.org: set *and not empty*
    ({"FORCE_COLOR": "1"}, False, True),
    ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, False),
]


@pytest.mark.parametrize(("env", "tty", "expected"), USE_COLOR)
def test_use_color(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], tty: bool, expected: bool
) -> None:
    for name in ("NO_COLOR", "FORCE_COLOR", "TERM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert use_color(FakeStream(tty)) is expected


# --- --output ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_output_file_holds_what_stdout_would(
    cli: Cli, known_repo: Path, tmp_path: Path, fmt: str
) -> None:
    printed = scan(cli, known_repo, "--format", fmt)
    report = tmp_path / "out" / f"report.{fmt}"
    report.parent.mkdir()
    written = scan(cli, known_repo, "--format", fmt, "--output", str(report))
    assert written.code == printed.code == 1
    assert report.read_text(encoding="utf-8") == printed.out
    assert written.out == (
        "Found 6 findings (6 errors) in 3 files.\n"
        "Run `repo-harden rules CODE` to read why a rule matters and how to fix it.\n"
        f"Wrote the {fmt} report to {report}.\n"
    )


def test_output_file_has_no_color_even_when_forced(
    run_with_env: Callable[..., CliResult], known_repo: Path, tmp_path: Path
) -> None:
    report = tmp_path / "report.txt"
    run_with_env("scan", *SELECT, "-o", str(report), cwd=known_repo, env={"FORCE_COLOR": "1"})
    text = report.read_text(encoding="utf-8")
    assert "PIN001" in text
    assert not ANSI.search(text)


# --- exit codes -------------------------------------------------------------------------

UNPINNED = workflow("      - uses: actions/checkout@v4\n")
PINNED = workflow(f"      - uses: actions/checkout@{SHA} # v4\n")
AS_WARNING = '[severity]\nPIN001 = "warning"\n'
FAIL_ON_ERROR = 'fail-on = "error"\n'  # before any [table], or it would belong to it


@dataclass(frozen=True)
class ExitCase:
    id: str
    workflow: str
    config: str | None  # .repo-harden.toml, if any
    args: tuple[str, ...]
    code: int


EXIT_CODES = [
    ExitCase("no findings", PINNED, None, (), 0),
    ExitCase("an error", UNPINNED, None, (), 1),
    ExitCase("an error, fail-on never", UNPINNED, None, ("--fail-on", "never"), 0),
    ExitCase("an error, fail-on error", UNPINNED, None, ("--fail-on", "error"), 1),
    ExitCase("a warning, default fail-on (warning)", UNPINNED, AS_WARNING, (), 1),
    ExitCase("a warning, fail-on error", UNPINNED, AS_WARNING, ("--fail-on", "error"), 0),
    ExitCase("a warning, fail-on note", UNPINNED, AS_WARNING, ("--fail-on", "note"), 1),
    ExitCase("a warning, config fail-on error", UNPINNED, FAIL_ON_ERROR + AS_WARNING, (), 0),
    ExitCase(
        "config fail-on error, overridden by --fail-on warning",
        UNPINNED,
        FAIL_ON_ERROR + AS_WARNING,
        ("--fail-on", "warning"),
        1,
    ),
    ExitCase("an error, config fail-on never", UNPINNED, 'fail-on = "never"\n', (), 0),
    ExitCase("no findings, fail-on note", PINNED, None, ("--fail-on", "note"), 0),
]


@pytest.mark.parametrize("case", EXIT_CODES, ids=lambda case: case.id)
def test_exit_code(cli: Cli, tmp_path: Path, case: ExitCase) -> None:
    files = {WF: case.workflow}
    if case.config is not None:
        files[".repo-harden.toml"] = case.config
    repo = make_repo(tmp_path / "repo", files)
    result = scan(cli, repo, "--format", "json", *case.args)
    assert result.err == ""
    assert result.code == case.code
    findings = result.json()["findings"]
    # The exit code changed, not the report: the finding is still there.
    assert bool(findings) is (case.workflow == UNPINNED)


# Reports written a piece at a time (an org audit's report is never whole in memory) -------

HOSTILE_TEXTS = [
    'line one\nline two\r\n"quoted" \\ back',
    "caf\u00e9 \u2028 \u2029 </script> \x00 \t",
    "[\n  {\n    nested-looking text\n  }\n]",
]


class Pulled(list[Reported]):
    """Findings that count how many of them a reporter has taken so far."""

    def __init__(self, items: list[Reported]) -> None:
        super().__init__(items)
        self.taken = 0

    def __iter__(self) -> Any:
        for item in super().__iter__():
            self.taken += 1
            yield item


def _whole_json(report: Any) -> str:
    """The JSON report as one `json.dumps` writes it: what the pieces must add up to."""
    from repo_harden.engine.records import finding_record, repository_record

    document = {
        "tool": "repo-harden",
        "version": __version__,
        "findings": [finding_record(item) for item in report.reported],
        "repositories": [repository_record(repo) for repo in report.repositories],
    }
    return json.dumps(document, indent=2) + "\n"


@pytest.mark.parametrize("count", [0, 1, 5])
def test_json_written_piece_by_piece_is_what_one_dump_writes(count: int) -> None:
    from repo_harden.engine.records import RepositoryStatus
    from repo_harden.reporters import Report
    from repo_harden.reporters.json_report import json_chunks

    items = [
        reported(
            path=f"dir/{HOSTILE_TEXTS[i % 3][:9]}\udce9.yml",
            message=HOSTILE_TEXTS[i % 3],
            line=None if i % 2 else i,
            repository="acme/a",
        )
        for i in range(count)
    ]
    report = Report(
        reported=items,
        rules=dict(catalogue().rules),
        repositories=[RepositoryStatus("acme/a", "audited", None, head="0" * 40)],
    )
    assert "".join(json_chunks(report)) == _whole_json(report)


@pytest.mark.parametrize("format_name", ["json", "sarif", "text"])
def test_reports_take_their_findings_one_at_a_time(format_name: str) -> None:
    """The first finding is written before the second is read: the report never holds
    them all (an audit of 10,000 repositories has some 40,000)."""
    from repo_harden.engine.records import RepositoryStatus
    from repo_harden.reporters import Report, chunked_renderer, renderer

    findings = Pulled([reported(message=text, repository="acme/a") for text in HOSTILE_TEXTS])
    report = Report(
        reported=findings,
        rules=dict(catalogue().rules),
        repositories=[RepositoryStatus("acme/a", "audited")],
    )
    pieces = chunked_renderer(format_name)(report)
    written = ""
    while "line one" not in written:  # the first finding's message
        written += next(pieces)
    assert findings.taken == 1
    written += "".join(pieces)
    assert written == renderer(format_name)(report)


@pytest.mark.parametrize(
    "value",
    [
        {"rule": "PIN001", "line": 3, "column": None, "ok": True, "bad": False},
        {text: text for text in HOSTILE_TEXTS} | {"\udce9 lone": "\ud800", "big": 10**30},
        {"nested": {"a": [1, 2]}, "float": 1.5},  # not flat: json itself writes it
        {"number": 2.0},
        {},
        [1, "two"],
        "text",
    ],
)
def test_an_indented_item_is_what_json_dumps_writes(value: Any) -> None:
    from repo_harden.reporters.json_stream import indented

    assert indented(value) == json.dumps(value, indent=2)
