"""What the audit dashboard is built from: each repository's audited commit and web address,
every exception, the trend since the previous audit of the same targets (kept in the
cache), posture per control; through the JSON report and `merge`, and into the page.
The page itself, in a real browser, is tested in test_dashboard_browser.py."""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from repo_harden.audit.store import HISTORY_KEPT, Store
from repo_harden.core.model import Finding
from repo_harden.engine.catalogue import catalogue
from repo_harden.engine.policy import Reported
from repo_harden.engine.records import (
    AUDITED,
    SKIPPED,
    Drift,
    Exemption,
    RecordError,
    RepositoryStatus,
    Trend,
    exemption_from_record,
    exemption_record,
    status_from_record,
    trend_from_record,
    trend_record,
)
from repo_harden.engine.trend import compare, digest
from repo_harden.reporters import Report
from repo_harden.reporters.dashboard import dashboard_data, posture, safe_web_url
from repo_harden.reporters.html import render_html, script_json
from tests import test_audit
from tests.conftest import CliResult
from tests.fake_github import FakeGitHub, classic_protection

osv = test_audit.osv  # the audit's fixtures: a fake OSV and a fake GitHub on loopback
fake = test_audit.fake
audit = test_audit.audit

EVIL_SCRIPT = "</script><script>window.__pwned = 1</script>"
EVIL_IMG = '<img src=x onerror="window.__pwned = 2">'
EVIL_REF = "</script><script>window.__pwned=3</script>"
PINNED = test_audit.PINNED


def workflow(*steps: str) -> str:
    """A workflow with a read-only token (WF001), its `permissions:` last so that lines keep
    their numbers."""
    lines = "".join(f"      {step}\n" for step in steps)
    return (
        f"on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n{lines}"
        "permissions:\n  contents: read\n"
    )


def waivers_config(today: datetime.date) -> str:
    soon = today + datetime.timedelta(days=10)
    gone = today - datetime.timedelta(days=5)
    return (
        "[[waivers]]\n"
        'rule = "DL001"\npath = ".github/workflows/ci.yml"\nowner = "@acme/platform"\n'
        f"reason = '{EVIL_IMG}'\nexpires = {soon.isoformat()}\n\n"
        "[[waivers]]\n"
        'rule = "LCK001"\npath = "package.json"\nowner = "@acme/web"\n'
        f'reason = "a published library"\nexpires = {gone.isoformat()}\n'
    )


def dashboard_org(fake: FakeGitHub) -> None:
    """A small organization with something in every section of the dashboard, and hostile
    text where a repository can put it: an action ref, an inline ignore's reason, a
    waiver's reason."""
    today = datetime.date.today()
    fake.add_repo(
        "acme/web",
        files={
            ".github/workflows/ci.yml": workflow(
                "- uses: actions/checkout@v4",
                f"- uses: evil/action@{EVIL_REF}",
                f"# repo-harden: ignore[PIN001] {EVIL_SCRIPT}",
                "- uses: actions/setup-python@v5",
                "- run: curl -fsSL https://get.example.com/install.sh | bash",
            ),
            "package.json": '{"name": "web", "dependencies": {"left-pad": "^1.3.0"}}\n',
            ".repo-harden.toml": waivers_config(today),
        },
    )
    fake.add_repo(
        "acme/api",
        files={
            ".github/workflows/ci.yml": workflow(f"- uses: {PINNED}"),
            ".github/CODEOWNERS": "* @acme/api\n",
        },
        classic=classic_protection(),
    )
    fake.add_repo(
        "acme/lib",
        files={"Dockerfile": "FROM python:3.12\n", ".github/workflows/ci.yml": workflow()},
    )
    fake.add_repo("acme/old", files={"README.md": "x"}, archived=True)


def change_org(fake: FakeGitHub) -> None:
    """Between two audits: acme/web gets protected, acme/api allows force pushes, acme/lib
    takes an unpinned action."""
    fake.repos["acme/web"].classic = classic_protection()
    fake.repos["acme/api"].classic = classic_protection(force_pushes=True)
    fake.repos["acme/lib"].files[".github/workflows/ci.yml"] = workflow(
        "- uses: actions/cache@v4"
    ).encode()


# The audit collects what the dashboard needs -------------------------------------------------


def test_an_audit_reports_each_repositorys_commit_address_and_exceptions(
    cli: Any, fake: FakeGitHub, tmp_path: Path
) -> None:
    dashboard_org(fake)
    document = audit(cli, fake, tmp_path, "--org", "acme", "--format", "json").json()
    repositories = {r["name"]: r for r in document["repositories"]}
    web = repositories["acme/web"]
    assert web["status"] == AUDITED
    assert re.fullmatch(r"[0-9a-f]{40}", web["head"])
    snapshot = fake.repos["acme/web"].git()
    assert snapshot is not None and web["head"] == snapshot.commit_oid
    assert web["url"] == "https://github.example/acme/web"
    assert repositories["acme/old"]["status"] == SKIPPED
    assert repositories["acme/old"]["url"] == "https://github.example/acme/old"
    exceptions = [e for e in document["exceptions"] if e["repository"] == "acme/web"]
    by_kind = {(e["kind"], tuple(e["rules"])): e for e in exceptions}
    today = datetime.date.today()
    waiver = by_kind["waiver", ("DL001",)]
    assert waiver["owner"] == "@acme/platform"
    assert waiver["reason"] == EVIL_IMG
    assert waiver["expires"] == (today + datetime.timedelta(days=10)).isoformat()
    assert waiver["config"] == ".repo-harden.toml"
    assert waiver["line"] == 1
    assert (
        by_kind["waiver", ("LCK001",)]["expires"]
        == (today - datetime.timedelta(days=5)).isoformat()
    )
    inline = by_kind["inline", ("PIN001",)]
    assert inline == {
        "kind": "inline", "rules": ["PIN001"], "path": ".github/workflows/ci.yml", "line": 8,
        "owner": "", "reason": EVIL_SCRIPT, "expires": None, "config": "", "problems": [],
        "repository": "acme/web",
    }  # fmt: skip
    assert "trend" not in document  # a first audit has nothing to compare with
    assert "PIN001" in document["selected_rules"]


def test_exceptions_survive_the_cache(cli: Any, fake: FakeGitHub, tmp_path: Path) -> None:
    dashboard_org(fake)
    cold = audit(cli, fake, tmp_path, "--org", "acme", "--format", "json")
    warm = audit(cli, fake, tmp_path, "--org", "acme", "--format", "json")
    assert "4 repositories unchanged" in warm.err or "3 repositories unchanged" in warm.err
    assert warm.json()["exceptions"] == cold.json()["exceptions"]
    assert warm.json()["repositories"] == cold.json()["repositories"]


def test_a_second_audit_reports_what_changed_since_the_first(
    cli: Any, fake: FakeGitHub, tmp_path: Path
) -> None:
    dashboard_org(fake)
    first = audit(cli, fake, tmp_path, "--org", "acme", "--format", "json").json()
    change_org(fake)
    second = audit(cli, fake, tmp_path, "--org", "acme", "--format", "json").json()
    trend = second["trend"]
    assert trend["compared"] == 3  # acme/old was skipped both times
    assert datetime.datetime.fromisoformat(trend["previous"]).tzinfo is not None
    assert trend["new"] == {"PIN": 1, "BP": 1}  # acme/lib's action, acme/api's force push
    assert trend["fixed"]["BP"] >= 1  # acme/web: BP001 and the rules it stood for
    drift = {d["repository"]: d for d in trend["drift"]}
    assert drift["acme/api"] == {"repository": "acme/api", "worse": ["BP003"], "better": []}
    assert "BP001" in drift["acme/web"]["better"]
    assert "acme/lib" not in drift
    new = {(n["repository"], n["fingerprint"]) for n in trend["new_findings"]}
    lib_pin = [
        f for f in second["findings"] if f["repository"] == "acme/lib" and f["rule"] == "PIN001"
    ]
    assert (lib_pin[0]["repository"], lib_pin[0]["fingerprint"]) in new
    old_keys = {(f["repository"], f["fingerprint"]) for f in first["findings"]}
    assert not new & old_keys


def test_a_trend_compares_only_the_same_targets(cli: Any, fake: FakeGitHub, tmp_path: Path) -> None:
    dashboard_org(fake)
    audit(cli, fake, tmp_path, "--org", "acme", "--format", "json")
    other = audit(cli, fake, tmp_path, "--repo", "acme/web", "--format", "json").json()
    assert "trend" not in other
    selected = audit(cli, fake, tmp_path, "--org", "acme", "--select", "BP", "--format", "json")
    assert "trend" not in selected.json()
    asked = selected.json()["selected_rules"]
    assert "BP001" in asked and "PIN001" not in asked


def test_no_cache_keeps_no_history(cli: Any, fake: FakeGitHub, tmp_path: Path) -> None:
    dashboard_org(fake)
    for _ in range(2):
        result = audit(cli, fake, tmp_path, "--org", "acme", "--no-cache", "--format", "json")
    assert "trend" not in result.json()


def test_merge_joins_exceptions_and_trends_of_shards(
    cli: Any, fake: FakeGitHub, tmp_path: Path
) -> None:
    dashboard_org(fake)
    paths: list[str] = []
    for _ in range(2):  # twice, so that each shard has a trend
        paths = []
        for shard in ("1/2", "2/2"):
            path = tmp_path / f"shard-{shard[0]}.json"
            audit(cli, fake, tmp_path, "--org", "acme", "--shard", shard, "--format", "json",
                  "-o", str(path))  # fmt: skip
            paths.append(str(path))
        change_org(fake)
    whole = [json.loads(Path(p).read_text()) for p in paths]
    merged: CliResult = cli("merge", *paths, "--format", "json", cwd=tmp_path)
    document = merged.json()
    assert sorted(map(json.dumps, document["exceptions"])) == sorted(
        json.dumps(e) for shard in whole for e in shard["exceptions"]
    )
    assert document["trend"]["compared"] == sum(s["trend"]["compared"] for s in whole)
    drifts = [d for s in whole for d in s["trend"]["drift"]]
    assert sorted(document["trend"]["drift"], key=json.dumps) == sorted(drifts, key=json.dumps)
    assert {r["name"]: r["head"] for r in document["repositories"]} == {
        r["name"]: r["head"] for s in whole for r in s["repositories"]
    }
    page = cli("merge", *paths, "--format", "html", "-o", "m.html", cwd=tmp_path)
    assert page.code == merged.code
    data = embedded_data((tmp_path / "m.html").read_text(encoding="utf-8"))
    assert data["trend"]["compared"] == document["trend"]["compared"]
    assert len(data["exceptions"]) == len(document["exceptions"])


def test_merge_reads_reports_written_before_these_fields(cli: Any, tmp_path: Path) -> None:
    old = {
        "tool": "repo-harden",
        "version": "0.1.0",
        "findings": [],
        "repositories": [{"name": "acme/a", "status": "audited", "reason": None}],
    }
    (tmp_path / "old.json").write_text(json.dumps(old))
    result = cli("merge", "old.json", "--format", "json", cwd=tmp_path)
    assert result.code == 0
    assert result.json()["repositories"] == [
        {"name": "acme/a", "status": "audited", "reason": None, "head": None, "url": None}
    ]
    assert "exceptions" not in result.json()
    assert "trend" not in result.json()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("exceptions", {"x": 1}, "`exceptions` is not a list"),
        ("exceptions", [{"kind": "amnesty"}], "unknown exception kind 'amnesty'"),
        ("trend", [], "`trend` is not a JSON object"),
        ("trend", {"previous": "x", "compared": -1}, "`compared` is missing or not a count"),
    ],
)
def test_merge_refuses_bad_dashboard_fields(
    cli: Any, tmp_path: Path, field: str, value: object, message: str
) -> None:
    document = {"tool": "repo-harden", "findings": [], field: value}
    (tmp_path / "bad.json").write_text(json.dumps(document))
    result = cli("merge", "bad.json", cwd=tmp_path)
    assert result.code == 2
    assert f"bad.json: not a repo-harden JSON report: {message}" in result.err
    assert "Traceback" not in result.err


# The page -----------------------------------------------------------------------------------


def embedded_data(page: str) -> Any:
    match = re.search(
        r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S
    )
    assert match is not None
    return json.loads(match[1])


def test_the_page_embeds_hostile_text_as_inert_json(
    cli: Any, fake: FakeGitHub, tmp_path: Path
) -> None:
    dashboard_org(fake)
    result = audit(cli, fake, tmp_path, "--org", "acme", "--format", "html", "-o", "r.html")
    assert result.code == 1, result.err
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("</script>") == 2  # the data's and the dashboard's own
    assert "<img" not in page
    assert "window.__pwned" not in page.split('id="report-data">')[0]
    data = embedded_data(page)
    assert any(EVIL_REF in text for text in data["strings"])  # the finding's message
    assert EVIL_SCRIPT in [x[6] for x in data["exceptions"]]  # the inline ignore's reason
    assert EVIL_IMG in [x[6] for x in data["exceptions"]]  # the waiver's reason


def test_script_json_cannot_close_its_element() -> None:
    text = script_json({"a": "</script><!-- \u2028\u2029 & <b>", "b": [1, "é"]})
    assert not re.search(r"[<>&\u2028\u2029]", text)
    assert json.loads(text) == {"a": "</script><!-- \u2028\u2029 & <b>", "b": [1, "é"]}


def test_the_page_allows_only_its_own_script_and_style_and_no_connection() -> None:
    page = render_html(small_report())
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy is not None
    assert "default-src 'none'" in policy[1]
    script = re.search(r"<script>(.*)</script>\n</body>", page, re.S)
    style = re.search(r"<style>(.*)</style>", page, re.S)
    assert script is not None and style is not None
    for text, directive in ((script[1], "script-src"), (style[1], "style-src")):
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        assert f"{directive} 'sha256-{digest}'" in policy[1]
    assert not re.search(r"<(link|img|iframe)\b|@import|src=\"http", page)


def test_links_are_made_only_to_web_addresses() -> None:
    assert safe_web_url("https://ghe.example.com/acme/api/") == "https://ghe.example.com/acme/api"
    assert safe_web_url("javascript:alert(1)") is None
    assert safe_web_url("data:text/html,x") is None
    assert safe_web_url("https:///acme") is None
    report = small_report(url="javascript:alert(1)//acme/web")
    data = dashboard_data(report)
    assert "javascript" not in json.dumps(data["repos"]) and data["web"] is None


# Posture ------------------------------------------------------------------------------------

RULES = dict(catalogue(()).rules)


def reported(repository: str, code: str, path: str = "", line: int | None = None) -> Reported:
    rule = RULES[code]
    finding = Finding(code, path, line, None, f"{code} here", f"{repository}-{code}-{path}-{line}")
    return Reported(finding, rule, rule.severity, repository=repository)


def small_report(url: str | None = None, **fields: Any) -> Report:
    repositories = [
        RepositoryStatus(
            "acme/web", AUDITED, head="a" * 40, url=url or "https://github.com/acme/web"
        ),
        RepositoryStatus("acme/api", AUDITED, head="b" * 40),
        RepositoryStatus("acme/unknown", AUDITED),
        RepositoryStatus("acme/old", SKIPPED, "archived"),
    ]
    found = [
        reported("acme/web", "PIN001", ".github/workflows/ci.yml", 3),
        reported("acme/web", "PIN001", ".github/workflows/ci.yml", 9),
        reported("acme/web", "BP001"),
        reported("acme/api", "BP003"),
        reported("acme/unknown", "BP012"),
    ]
    return Report(reported=found, rules=RULES, repositories=repositories, **fields)


def test_posture_counts_audited_repositories_that_meet_fail_or_cannot_be_judged() -> None:
    shares = {
        p.control.label: (p.met, p.failed, p.unknown, p.checked) for p in posture(small_report())
    }
    assert shares["Actions pinned to a commit"] == (2, 1, 0, True)
    assert shares["Default branch protected, with reviews"] == (1, 1, 1, True)
    assert shares["No force push to the default branch"] == (0, 2, 1, True)
    assert shares["Images pinned by digest"] == (3, 0, 0, True)


def test_a_control_whose_rules_were_not_asked_is_not_checked() -> None:
    report = small_report(selected_rules=("BP001", "BP002", "BP003", "BP012"))
    checked = {p.control.label: p.checked for p in posture(report)}
    assert checked["Actions pinned to a commit"] is False
    assert checked["No force push to the default branch"] is True


def test_the_data_is_compact_each_text_once() -> None:
    data = dashboard_data(small_report())
    assert data["strings"].count(".github/workflows/ci.yml") == 1
    assert data["findings"]["line"] == [3, 9, 0, 0, 0]
    assert data["web"] == "https://github.com"
    assert data["repos"]["url"] == [None, None, None, None]  # all under the common host
    assert data["repos"]["head"][:3] == ["a" * 40, "b" * 40, None]


# Trend and the store's history ----------------------------------------------------------------


def test_compare_counts_new_and_fixed_per_family_over_repositories_audited_both_times() -> None:
    before = digest(
        [reported("a/x", "PIN001", "w.yml", 1), reported("a/x", "BP001"), reported("a/y", "DL001")],
        [
            RepositoryStatus("a/x", AUDITED),
            RepositoryStatus("a/y", AUDITED),
            RepositoryStatus("a/z", "failed"),
        ],
    )
    after = digest(
        [reported("a/x", "PIN001", "w.yml", 2), reported("a/x", "BP003"), reported("a/z", "DL001")],
        [
            RepositoryStatus("a/x", AUDITED),
            RepositoryStatus("a/y", "failed"),
            RepositoryStatus("a/z", AUDITED),
        ],
    )
    trend = compare(before, "2026-01-01T00:00:00+00:00", after)
    assert trend.compared == 1  # a/y failed now, a/z failed then: neither says what changed
    assert trend.new == {"PIN": 1, "BP": 1}
    assert trend.fixed == {"PIN": 1, "BP": 1}
    assert trend.drift == (Drift("a/x", ("BP003",), ("BP001",)),)
    assert trend.appeared == ("a/z",) and trend.disappeared == ("a/y",)


def test_the_store_keeps_a_bounded_history_per_scope(tmp_path: Path) -> None:
    store = Store(tmp_path / "audit.sqlite3")
    for number in range(HISTORY_KEPT + 5):
        store.put_audit("org acme", f"2026-01-{number:02d}", {"acme/a": ["audited", [str(number)]]})
    store.put_audit("org other", "2026-02-01", {})
    assert store.previous_audit("org acme") == (
        f"2026-01-{HISTORY_KEPT + 4:02d}",
        {"acme/a": ["audited", [str(HISTORY_KEPT + 4)]]},
    )
    assert store.previous_audit("nobody") is None
    store.close()
    with sqlite3.connect(tmp_path / "audit.sqlite3") as db:
        kept = db.execute("SELECT count(*) FROM history WHERE scope = 'org acme'").fetchone()[0]
    assert kept == HISTORY_KEPT


def test_a_cache_of_the_first_schema_loses_its_results_and_gains_a_history(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite3"
    with sqlite3.connect(path) as db:  # a cache written by the version before the history
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("INSERT INTO meta VALUES ('schema', '1')")
        db.execute(
            "CREATE TABLE results (repository TEXT PRIMARY KEY, key TEXT NOT NULL, "
            "document TEXT NOT NULL)"
        )
        db.execute("""INSERT INTO results VALUES ('a/b', 'k', '{"findings": []}')""")
    store = Store(path)
    assert store.result("a/b", "k") is None  # its documents have no exceptions: read again
    store.put_audit("s", "t", {})
    assert store.previous_audit("s") == ("t", {})
    store.close()


# Records --------------------------------------------------------------------------------------


def test_dashboard_records_read_back_as_written() -> None:
    exemption = Exemption(
        "waiver", ("PIN001",), "a/*.yml", 4, "@o", "r", datetime.date(2027, 1, 2),
        config=".repo-harden.toml", problems=("x",), repository="acme/a",
    )  # fmt: skip
    assert exemption_from_record(json.loads(json.dumps(exemption_record(exemption)))) == exemption
    trend = Trend(
        "2026-01-01T00:00:00+00:00", 3, {"PIN": 2}, {"BP": 1},
        (Drift("acme/a", ("BP003",), ()),), frozenset({("acme/a", "f1")}), ("acme/n",), (),
    )  # fmt: skip
    assert trend_from_record(json.loads(json.dumps(trend_record(trend)))) == trend
    status = RepositoryStatus("acme/a", AUDITED, None, "c" * 40, "https://github.com/acme/a")
    assert status_from_record({"name": "acme/a", "status": "audited", "reason": None,
                               "head": "c" * 40, "url": "https://github.com/acme/a"}) == status  # fmt: skip


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"kind": "waiver"}, "`rules` is missing or not a list"),
        ({"kind": "inline", "rules": [1]}, "`rules` holds something other than strings"),
        (
            {
                "kind": "waiver",
                "rules": [],
                "path": "p",
                "line": None,
                "owner": "",
                "reason": "",
                "expires": "soon",
                "config": "",
                "problems": [],
            },
            "`expires` is not a date: 'soon'",
        ),
    ],
)
def test_a_bad_exception_record_is_named(record: object, message: str) -> None:
    with pytest.raises(RecordError, match=re.escape(message)):
        exemption_from_record(record)
