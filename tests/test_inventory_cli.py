"""`repo-harden inventory` end to end: on real checkouts, and for an organization against the
fake GitHub on loopback (PyGithub over HTTP, GraphQL executed against GitHub's schema, REST
answers checked against GitHub's OpenAPI shapes)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult, make_repo, workflow
from tests.fake_github import LOG_DOWNLOAD, FakeGitHub, assert_github_shapes

TOKEN = "test-token"
DIGEST = "sha256:" + "ab" * 32
CHANGED_FILES_SHA = "0e58ed8671d6b60d0890c21b07f8835ace038e67"
BAD_SHA = "f" * 40

CI = """\
on: [push, pull_request]
jobs:
  build:
    runs-on: ubuntu-latest
    container: node:18-alpine
    steps:
      - uses: actions/checkout@v4
      - run: curl -fsSL https://get.example.com/install.sh | bash
  deploy:
    uses: org/shared/.github/workflows/deploy.yml@{shared}
"""
SHARED_WORKFLOW = """\
on: workflow_call
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: org/deploy@v1
"""
DEPLOY_ACTION = """\
runs:
  using: composite
  steps:
    - uses: tj-actions/changed-files@v35
"""
NODE_ACTION = "runs:\n  using: node20\n  main: dist/index.js\n"
PACKAGE_LOCK = json.dumps(
    {
        "name": "web",
        "lockfileVersion": 3,
        "packages": {
            "": {"name": "web"},
            "node_modules/left-pad": {
                "version": "1.3.0",
                "resolved": "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz",
            },
        },
    },
    indent=2,
)
PNPM_LOCK = (
    "lockfileVersion: '9.0'\n\npackages:\n\n  left-pad@1.3.0:\n    resolution: {integrity: x}\n"
)
UV_LOCK = (
    'version = 1\n\n[[package]]\nname = "requests"\nversion = "2.31.0"\n'
    'source = { registry = "https://pypi.org/simple" }\n'
)
POETRY_LOCK = '[[package]]\nname = "requests"\nversion = "2.32.3"\nfiles = []\n'


def log_of(sha: str) -> str:
    return (
        "2025-03-14T10:00:00.0000000Z ##[group]Run actions\n"
        "2025-03-14T10:00:01.0000000Z Download action repository 'actions/checkout@v4' "
        f"(SHA:{'3' * 40})\n"
        "2025-03-14T10:00:01.0000000Z Download action repository "
        f"'tj-actions/changed-files@v35' (SHA:{sha})\n"
    )


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeGitHub]:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    with FakeGitHub() as server:
        yield server
        assert not server.graphql_invalid, "the inventory sent a query GitHub's schema rejects"
        assert_github_shapes(server)


def an_org(fake: FakeGitHub) -> str:
    """acme: api (a chain to the compromised action), web (images, npm), svc (pnpm), data
    (uv and Poetry), broken (cannot be read), old (archived); and the actions they use."""
    shared = fake.add_release("org/shared", "v2", {".github/workflows/deploy.yml": SHARED_WORKFLOW})
    fake.add_release("org/deploy", "v1", {"action.yml": DEPLOY_ACTION})
    fake.add_release("tj-actions/changed-files", "v35", {"action.yml": NODE_ACTION})
    fake.add_release("actions/checkout", "v4", {"action.yml": NODE_ACTION})
    fake.add_repo("acme/api", files={".github/workflows/ci.yml": CI.format(shared=shared)})
    fake.add_repo(
        "acme/web",
        files={
            "Dockerfile": f"FROM node:18.20.4@{DIGEST}\nFROM nginx:1.27\n",
            "package-lock.json": PACKAGE_LOCK,
        },
    )
    fake.add_repo("acme/svc", files={"pnpm-lock.yaml": PNPM_LOCK})
    fake.add_repo(
        "acme/data",
        files={
            "uv.lock": UV_LOCK,
            "legacy/poetry.lock": POETRY_LOCK,
            "requirements.txt": "requests==2.31.0\nflask>=2\n",
        },
    )
    fake.add_repo("acme/broken", files={"Dockerfile": "FROM node:18\n"})
    fake.add_repo("acme/old", files={"Dockerfile": "FROM node:18\n"}, archived=True)
    fake.fail_repository("acme/broken", "Something went wrong while executing your query.")
    return shared


def inventory(cli: Any, fake: FakeGitHub, tmp_path: Path, *args: str) -> CliResult:
    result: CliResult = cli(
        "inventory",
        "--api-url",
        fake.url,
        "--cache-dir",
        str(tmp_path / "cache"),
        *args,
        cwd=tmp_path,
    )
    return result


def answers(result: CliResult) -> dict[str, tuple[str, str | None]]:
    return {r["name"]: (r["status"], r.get("answer")) for r in result.json()["repositories"]}


def test_which_repositories_use_the_compromised_action_and_did_it_run(
    cli: Any, fake: FakeGitHub, tmp_path: Path
) -> None:
    shared = an_org(fake)
    ci = ".github/workflows/ci.yml"
    inside = fake.add_run("acme/api", ci, "2025-03-14T10:00:00Z", [log_of(BAD_SHA), None])
    fake.add_run("acme/api", ci, "2025-03-15T08:00:00Z", [None], event="pull_request",
                 from_fork=True)  # fmt: skip
    fake.add_run("acme/api", ci, "2025-03-20T10:00:00Z", [log_of(CHANGED_FILES_SHA)])
    result = inventory(
        cli, fake, tmp_path, "--org", "acme", "--uses", "tj-actions/changed-files@v35",
        "--ran-between", "2025-03-14..2025-03-16", "--format", "json",
    )  # fmt: skip
    assert result.code == 3, result.err  # acme/broken could not be read: the answer is incomplete
    document = result.json()
    [match] = document["items"]
    changed_files = fake.repos["tj-actions/changed-files"].history
    assert changed_files is not None
    assert match == {
        "repository": "acme/api",
        "path": ci,
        "line": 10,
        "kind": "action",
        "name": "tj-actions/changed-files",
        "ref": "v35",
        "version": None,
        "sha": changed_files.tags["v35"].commit,
        "digest": None,
        "via": [f"org/shared/.github/workflows/deploy.yml@{shared}", "org/deploy@v1"],
        "purl": "pkg:github/tj-actions/changed-files@v35",
        "job": "deploy",
        "triggers": ["pull_request", "push"],
        "ecosystem": None,
        "verified": None,
        "what": "step",
    }
    assert answers(result) == {
        "acme/api": ("audited", "affected"),
        "acme/broken": ("failed", "unknown"),
        "acme/data": ("audited", "not-affected"),
        "acme/old": ("skipped", "unknown"),
        "acme/svc": ("audited", "not-affected"),
        "acme/web": ("audited", "not-affected"),
    }
    runs = {run["id"]: run for run in document["runs"]}
    assert set(runs) == {inside.id, inside.id + 1}  # the run of the 20th is outside the window
    assert runs[inside.id]["logs"] == "kept"
    assert runs[inside.id]["downloaded"] == [
        {"name": "tj-actions/changed-files", "ref": "v35", "sha": BAD_SHA}
    ]
    expired = runs[inside.id + 1]
    assert (expired["logs"], expired["downloaded"], expired["from_fork"]) == ("expired", [], True)
    assert expired["event"] == "pull_request"
    downloads = fake.requests(LOG_DOWNLOAD + "/{job_id}")
    assert downloads and all(exchange.authorization is None for exchange in downloads)
    asked = {e.path for e in fake.exchanges if "/actions/" in e.path}
    assert all(path.startswith("/repos/acme/api/") for path in asked)  # only what matched


def test_the_text_answer_names_every_repository(cli: Any, fake: FakeGitHub, tmp_path: Path) -> None:
    an_org(fake)
    result = inventory(cli, fake, tmp_path, "--org", "acme", "--uses", "tj-actions/changed-files")
    assert result.code == 3
    assert "1 repository affected, 3 not affected, 2 unknown" in result.out
    assert "  affected: acme/api (1 match)" in result.out
    assert "  unknown: acme/broken: " in result.out
    assert "  unknown: acme/old: archived (use --include-archived)" in result.out
    assert "> org/deploy@v1" in result.out


def test_an_image_by_tag_and_by_digest_and_a_package_in_four_lockfiles(
    cli: Any, fake: FakeGitHub, tmp_path: Path
) -> None:
    an_org(fake)
    by_tag = inventory(
        cli, fake, tmp_path, "--org", "acme", "--image", "node:18*", "--format", "json"
    )
    found = {(i["repository"], i["path"], i["ref"], i["digest"]) for i in by_tag.json()["items"]}
    assert found == {
        ("acme/api", ".github/workflows/ci.yml", "18-alpine", None),
        ("acme/web", "Dockerfile", "18.20.4", DIGEST),
    }
    by_digest = inventory(
        cli, fake, tmp_path, "--org", "acme", "--image", f"@{DIGEST}", "--format", "json"
    )
    assert [i["name"] for i in by_digest.json()["items"]] == ["node"]
    npm = inventory(
        cli,
        fake,
        tmp_path,
        "--org",
        "acme",
        "--package",
        "pkg:npm/left-pad@1.3.0",
        "--format",
        "csv",
    )
    assert npm.code == 3  # matches, and acme/broken unread
    rows = npm.out.splitlines()
    assert rows[0].startswith("repository,path,line,kind,name,ref,version")
    assert sorted(row.split(",")[:2] for row in rows[1:]) == [
        ["acme/svc", "pnpm-lock.yaml"],
        ["acme/web", "package-lock.json"],
    ]
    pypi = inventory(
        cli,
        fake,
        tmp_path,
        "--org",
        "acme",
        "--package",
        "pkg:pypi/requests<2.32",
        "--format",
        "json",
    )
    assert [(i["path"], i["version"]) for i in pypi.json()["items"]] == [
        ("requirements.txt", "2.31.0"),
        ("uv.lock", "2.31.0"),
    ]
    every = inventory(
        cli, fake, tmp_path, "--org", "acme", "--package", "pkg:pypi/requests", "--format", "json"
    )
    paths = {i["path"] for i in every.json()["items"]}
    assert paths == {"requirements.txt", "uv.lock", "legacy/poetry.lock"}


def test_a_warm_inventory_costs_only_the_listing(
    cli: Any, fake: FakeGitHub, tmp_path: Path
) -> None:
    an_org(fake)
    fake.repository_faults.clear()
    cold = inventory(cli, fake, tmp_path, "--org", "acme", "--format", "json")
    assert cold.code == 0, cold.err  # acme/old is archived: skipped, and said so
    before = (fake.counters.graphql, fake.counters.rest)
    warm = inventory(cli, fake, tmp_path, "--org", "acme", "--format", "json")
    assert (fake.counters.graphql - before[0], fake.counters.rest - before[1]) == (1, 0)
    assert warm.json()["items"] == cold.json()["items"]
    assert "5 repositories unchanged since the cached inventory" in warm.err


# Refs: one resolver with `fix` and PIN003/PIN004 -----------------------------------------

WF = ".github/workflows/ci.yml"
DEPLOY_STEP = "      - uses: org/deploy@{ref}\n"


def graphql_asking_refs(fake: FakeGitHub) -> int:
    """GraphQL queries sent so far that look a ref up (a tag or a branch by name)."""
    return sum(
        1 for e in fake.exchanges if e.path == "/graphql" and b"refs/tags/" in e.request_body
    )


def age_the_cache(cache: Path, seconds: float) -> None:
    [database] = cache.glob("*.sqlite3")
    with sqlite3.connect(database) as db:
        db.execute("UPDATE facts SET learned = learned - ?", (seconds,))
    db.close()


def test_the_inventory_and_fix_share_what_they_learn_of_refs(
    cli: Any, fake: FakeGitHub, tmp_path: Path
) -> None:
    deploy = fake.add_release("org/deploy", "v1", {"action.yml": DEPLOY_ACTION})
    deploy_2 = fake.add_release("org/deploy", "v2", {"action.yml": DEPLOY_ACTION})
    changed_files = fake.add_release("tj-actions/changed-files", "v35", {"action.yml": NODE_ACTION})
    access = ("--api-url", fake.url, "--cache-dir", str(tmp_path / "cache"))
    # The inventory resolves org/deploy@v1 and tj-actions/changed-files@v35 ...
    first = make_repo(tmp_path / "first", {WF: workflow(DEPLOY_STEP.format(ref="v1"))})
    listed = cli("inventory", "--online", *access, "--format", "json", cwd=first)
    assert listed.code == 0, listed.err
    assert {(i["name"], i["sha"]) for i in listed.json()["items"]} == {
        ("org/deploy", deploy),
        ("tj-actions/changed-files", changed_files),
    }
    # ... and `fix`, offline, pins from what it learned.
    asked = len(fake.exchanges)
    fixed = cli("fix", "--offline", *access, cwd=first)
    assert fixed.code == 0, fixed.out
    assert f"uses: org/deploy@{deploy} # v1\n" in (first / WF).read_text()
    assert len(fake.exchanges) == asked
    # `fix` resolves org/deploy@v2; the inventory then asks for no ref, only for the file.
    second = make_repo(tmp_path / "second", {WF: workflow(DEPLOY_STEP.format(ref="v2"))})
    pinned = make_repo(tmp_path / "pinned", {WF: workflow(DEPLOY_STEP.format(ref="v2"))})
    assert cli("fix", *access, cwd=pinned).code == 0
    refs_asked, graphql = graphql_asking_refs(fake), fake.counters.graphql
    again = cli("inventory", "--online", *access, "--format", "json", cwd=second)
    assert again.code == 0, again.err
    assert ("org/deploy", deploy_2) in {(i["name"], i["sha"]) for i in again.json()["items"]}
    assert (graphql_asking_refs(fake), fake.counters.graphql) == (refs_asked, graphql + 1)


def test_offline_the_inventory_trusts_a_ref_for_a_day_and_fix_for_longer(
    cli: Any, fake: FakeGitHub, tmp_path: Path
) -> None:
    deploy = fake.add_release("org/deploy", "v1", {"action.yml": NODE_ACTION})
    access = ("--api-url", fake.url, "--cache-dir", str(tmp_path / "cache"))
    repo = make_repo(tmp_path / "repo", {WF: workflow(DEPLOY_STEP.format(ref="v1"))})
    assert cli("inventory", "--online", *access, cwd=repo).code == 0
    offline = cli("inventory", *access, "--uses", "org/deploy", "--format", "json", cwd=repo)
    assert [i["sha"] for i in offline.json()["items"]] == [deploy]
    age_the_cache(tmp_path / "cache", 2 * 24 * 3600)
    # A tag may have moved since: an incident answer does not name a commit from then.
    stale = cli("inventory", *access, "--uses", "org/deploy", "--format", "json", cwd=repo)
    assert [i["sha"] for i in stale.json()["items"]] == [None]
    [unread] = stale.json()["repositories"][0]["unread"]
    assert unread == "org/deploy@v1: not followed (offline: use --online to read it from GitHub)"
    # `fix --offline` (and the fix-pins hook) pins from an older cache.
    assert cli("fix", "--offline", *access, cwd=repo).code == 0
    assert f"uses: org/deploy@{deploy} # v1\n" in (repo / WF).read_text()


def test_a_repository_github_does_not_show_is_asked_about_once_a_day(
    cli: Any, fake: FakeGitHub, tmp_path: Path
) -> None:
    access = ("--api-url", fake.url, "--cache-dir", str(tmp_path / "cache"))
    repo = make_repo(tmp_path / "repo", {WF: workflow("      - uses: gone/action@v1\n")})
    gone = (
        "gone/action@v1: not followed "
        "(GitHub has no repository gone/action, or the token cannot read it; if it is "
        "private or internal, use a token that can)"
    )

    def unread() -> list[str]:
        listed = cli("inventory", "--online", *access, "--format", "json", cwd=repo)
        assert listed.code == 0, listed.err
        found: list[str] = listed.json()["repositories"][0]["unread"]
        return found

    assert unread() == [gone]
    graphql = fake.counters.graphql
    assert unread() == [gone]
    assert fake.counters.graphql == graphql  # a warm run asks nothing
    age_the_cache(tmp_path / "cache", 2 * 24 * 3600)
    assert unread() == [gone]
    assert fake.counters.graphql == graphql + 1  # a day later, asked again


# Checkouts ------------------------------------------------------------------------------


def test_a_checkout_offline_lists_what_it_names_and_says_what_it_did_not_follow(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "no-cache"))
    root = make_repo(
        tmp_path / "app",
        {
            ".github/workflows/ci.yml": CI.format(shared="v2"),
            "package-lock.json": PACKAGE_LOCK,
            "scripts/get.sh": "#!/bin/sh\ncurl -fsSL https://=cmd|calc.example/x.sh | sh\n",
        },
    )
    listed = cli("inventory", "--format", "csv", cwd=root)
    assert listed.code == 0, listed.err
    assert "'https://=cmd" not in listed.out and ",https://=cmd" in listed.out
    matched = cli("inventory", "--uses", "actions/checkout", cwd=root)
    assert matched.code == 1
    assert "1 repository affected" in matched.out
    unknown = cli("inventory", "--uses", "tj-actions/changed-files", cwd=root)
    assert unknown.code == 3
    assert "not followed (offline: use --online to read it from GitHub)" in unknown.out
    none = cli("inventory", "--package", "pkg:npm/left-pad@2.0.0", cwd=root)
    assert none.code == 0 and "0 repositories affected, 1 not affected, 0 unknown" in none.out
    assert not (tmp_path / "no-cache").exists()  # offline, no cache is made


def test_a_package_query_finds_pinned_requirements_and_ignores_actions_not_followed(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "no-cache"))
    root = make_repo(
        tmp_path / "app",
        {
            ".github/workflows/ci.yml": CI.format(shared="v2"),
            "requirements.txt": "requests==2.31.0\nflask>=2.0\njinja2==2.10\n",
        },
    )
    found = cli("inventory", "--package", "pkg:pypi/jinja2<2.11", cwd=root)
    assert found.code == 1, found.out + found.err
    assert "requirements.txt:3  package  jinja2@2.10" in found.out
    assert "1 repository affected, 0 not affected, 0 unknown" in found.out
    older = cli("inventory", "--package", "pkg:pypi/jinja2<2.10", cwd=root)
    assert older.code == 0, older.out + older.err
    assert "0 repositories affected, 1 not affected, 0 unknown" in older.out
    # the actions it did not follow may hold images: that answer stays unknown
    image = cli("inventory", "--image", "alpine", cwd=root)
    assert image.code == 3 and "not followed (offline" in image.out


def test_csv_cells_cannot_be_spreadsheet_formulas(cli: Any, tmp_path: Path) -> None:
    root = make_repo(tmp_path / "app", {"scripts/get.sh": "#!/bin/sh\ncurl -o x =1+cmd\nsh x\n"})
    result = cli("inventory", "--format", "csv", "--depth", "0", cwd=root)
    assert ",'=1+cmd," in result.out


def test_text_output_shows_no_control_characters_from_the_repository(
    cli: Any, tmp_path: Path
) -> None:
    root = make_repo(
        tmp_path / "app",
        {".github/workflows/x.yml": 'on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n'
         '      - uses: "evil/\\e[31mred@v1"\n'},
    )  # fmt: skip
    result = cli("inventory", "--depth", "0", cwd=root)
    assert "\x1b" not in result.out and "evil/\\x1b[31mred@v1" in result.out


def test_a_cyclonedx_sbom_per_repository(cli: Any, tmp_path: Path) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    root = make_repo(
        tmp_path / "app",
        {"package-lock.json": PACKAGE_LOCK, "Dockerfile": f"FROM node:20@{DIGEST}\n"},
    )
    result = cli("inventory", "--depth", "0", "--format", "cyclonedx", cwd=root)
    assert result.code == 0, result.err
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(result.out) is None
    sbom = json.loads(result.out)
    assert sbom["metadata"]["component"]["name"] == "app"
    purls = sorted(component.get("purl") for component in sbom["components"])
    assert purls == [
        f"pkg:docker/library/node@{DIGEST}?tag=20",
        "pkg:npm/left-pad@1.3.0",
    ]
    other = make_repo(tmp_path / "other", {"uv.lock": UV_LOCK})
    several = cli(
        "inventory", str(root), str(other), "--depth", "0", "--format", "cyclonedx",
        "-o", str(tmp_path / "sboms"), cwd=tmp_path,
    )  # fmt: skip
    assert several.code == 0, several.err
    assert sorted(p.name for p in (tmp_path / "sboms").iterdir()) == [
        "app.cdx.json",
        "other.cdx.json",
    ]
    refused = cli("inventory", str(root), str(other), "--format", "cyclonedx", cwd=tmp_path)
    assert refused.code == 2 and "give a folder with -o" in refused.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--package", "left-pad"], "expected a package URL"),
        (["--ran-between", "2025-03-14..2025-03-15", "--uses", "a/b"], "add --online"),
        (["--ran-between", "2025-03-14..2025-03-15"], "needs a query"),
        (["--ran-between", "soon", "--uses", "a/b"], "expected FROM..TO"),
        (["--org", "acme", "."], "not both"),
    ],
)
def test_usage_errors_are_one_line(cli: Any, tmp_path: Path, args: list[str], message: str) -> None:
    root = make_repo(tmp_path / "app", {"README": "x\n"})
    result = cli("inventory", *args, cwd=root)
    assert result.code == 2
    assert message in result.err and "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1
