"""The fake GitHub behaves as GitHub does where an org audit depends on it: real git object
ids, GraphQL executed against GitHub's schema, pagination, rate limits and conditional
requests, faults, GitHub App tokens. Every REST answer is held to GitHub's OpenAPI shapes."""

from __future__ import annotations

import base64
import http.client
import json
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest

from tests.conftest import git, make_repo
from tests.fake_github import (
    ADMIN,
    CORE,
    GRAPHQL,
    READ,
    FakeGitHub,
    FakeRuleset,
    Token,
    assert_github_shapes,
    assert_graphql_valid,
    classic_protection,
    git_hash,
    strict_rules,
)
from tests.fake_github_graphql import TIMEOUT_MESSAGE, github_schema
from tests.github_openapi import github_shapes

TOKEN = "ghp_fakeAUDIT0123456789abcdefghijklmnopq"
READER = "ghp_fakeREADER0123456789abcdefghijklmno"
Json = Any

ALLOWANCE = (
    "nodes { actor { __typename ... on User { login } ... on Team { slug } ... on App { slug } } }"
)
REPO_FRAGMENT = f"""
fragment Repo on Repository {{
  nameWithOwner isArchived isFork isEmpty viewerCanAdminister
  defaultBranchRef {{
    name
    target {{ oid ... on Commit {{ tree {{ oid }} }} }}
    branchProtectionRule {{
      pattern allowsDeletions allowsForcePushes blocksCreations dismissesStaleReviews
      isAdminEnforced lockAllowsFetchAndMerge lockBranch requireLastPushApproval
      requiredApprovingReviewCount requiredDeploymentEnvironments requiredStatusCheckContexts
      requiresApprovingReviews requiresCodeOwnerReviews requiresCommitSignatures
      requiresConversationResolution requiresDeployments requiresLinearHistory
      requiresStatusChecks requiresStrictStatusChecks restrictsPushes restrictsReviewDismissals
      pushAllowances(first: 25) {{ {ALLOWANCE} }}
      bypassPullRequestAllowances(first: 25) {{ {ALLOWANCE} }}
      bypassForcePushAllowances(first: 25) {{ {ALLOWANCE} }}
      reviewDismissalAllowances(first: 25) {{ {ALLOWANCE} }}
      requiredStatusChecks {{ context app {{ slug }} }}
    }}
  }}
  codeowners {{ errors {{ path line column kind message source suggestion }} }}
}}"""
ORG_LISTING = (
    """query($login: String!, $after: String) {
  rateLimit { cost remaining resetAt limit used }
  organization(login: $login) {
    repositories(first: 100, after: $after, orderBy: {field: NAME, direction: ASC}) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { ...Repo }
    }
  }
}"""
    + REPO_FRAGMENT
)
USER_LISTING = (
    """query($login: String!, $after: String) {
  user(login: $login) {
    repositories(first: 100, after: $after, ownerAffiliations: [OWNER]) {
      pageInfo { hasNextPage endCursor }
      nodes { ...Repo }
    }
  }
}"""
    + REPO_FRAGMENT
)


def _levels(depth: int) -> str:
    inner = f" object {{ ... on Tree {{ {_levels(depth - 1)} }} }}" if depth > 1 else ""
    return f"oid entries {{ name type mode oid size{inner} }}"


def trees_query(requests: list[tuple[str, str]], depth: int = 4) -> str:
    parts = [
        f'''t{i}: repository(owner: "{name.split("/")[0]}", name: "{name.split("/")[1]}") {{
      object(oid: "{oid}") {{ ... on Tree {{ {_levels(depth)} }} }} }}'''
        for i, (name, oid) in enumerate(requests)
    ]
    return "query { rateLimit { cost remaining resetAt limit used }\n" + "\n".join(parts) + "}"


def blobs_query(requests: list[tuple[str, str]]) -> str:
    parts = [
        f'''b{i}: repository(owner: "{name.split("/")[0]}", name: "{name.split("/")[1]}") {{
      object(oid: "{oid}") {{ ... on Blob {{ oid byteSize isBinary isTruncated text }} }} }}'''
        for i, (name, oid) in enumerate(requests)
    ]
    return "query { rateLimit { cost remaining resetAt limit used }\n" + "\n".join(parts) + "}"


def batch_query(names: list[str]) -> str:
    parts = [
        f'r{i}: repository(owner: "{n.split("/")[0]}", name: "{n.split("/")[1]}") {{ ...Repo }}'
        for i, n in enumerate(names)
    ]
    return "query {\n" + "\n".join(parts) + "\n}" + REPO_FRAGMENT


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub({TOKEN: Token(ADMIN), READER: Token(READ, 404)}) as fake:
        yield fake
    assert_github_shapes(fake)


class Answer:
    def __init__(self, status: int, headers: Mapping[str, str], raw: bytes) -> None:
        self.status = status
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.raw = raw

    def json(self) -> Json:
        return json.loads(self.raw)


def call(
    fake: FakeGitHub,
    method: str,
    path: str,
    body: Json = None,
    *,
    token: str | None = TOKEN,
    headers: Mapping[str, str] | None = None,
) -> Answer:
    split = urlsplit(fake.url)
    connection = http.client.HTTPConnection(split.netloc, timeout=30)
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"bearer {token}"
    payload = None if body is None else json.dumps(body).encode()
    if payload is not None:
        sent["Content-Type"] = "application/json"
    try:
        connection.request(method, split.path + path, body=payload, headers=sent)
        response = connection.getresponse()
        return Answer(response.status, dict(response.getheaders()), response.read())
    finally:
        connection.close()


def graphql(
    fake: FakeGitHub, query: str, variables: Mapping[str, Json] | None = None, **kw: Any
) -> Answer:
    return call(
        fake, "POST", "/graphql", {"query": query, "variables": dict(variables or {})}, **kw
    )


# Git object ids ---------------------------------------------------------------------------

CHECKOUT_FILES: dict[str, str | bytes] = {
    "README.md": "# demo\n",
    "foo.txt": "a file named like a folder, plus a dot\n",
    "foo/bar.txt": "in a folder that sorts after foo.txt\n",
    "foo-bar": "a dash sorts before the folder\n",
    "foo0": "a zero sorts after the folder\n",
    ".github/workflows/ci.yml": "on: push\n",
    "a/b/c/d/e.txt": "deep\n",
    "image.png": b"\x89PNG\r\n\x1a\n\0\0binary",
    "empty.txt": b"",
    "ünïcode.txt": "named in UTF-8\n",
}


def test_object_ids_are_gits(tmp_path: Path, github: FakeGitHub) -> None:
    """A checkout made with real git, loaded into the fake: the same blob, tree and folder
    ids as git's, executable files and symlinks included; the REST tree lists what
    `git ls-tree` lists."""
    checkout = make_repo(tmp_path / "repo", CHECKOUT_FILES, commit=False)
    (checkout / "run.sh").write_text("#!/bin/sh\necho hi\n", encoding="utf-8")
    (checkout / "run.sh").chmod(0o755)
    (checkout / "link").symlink_to("README.md")
    git(checkout, "add", "-A")
    git(checkout, "commit", "-q", "-m", "initial")

    repo = github.add_repo_from_checkout("acme/demo", checkout)
    snapshot = repo.git()
    assert snapshot is not None
    assert snapshot.tree_oid == git(checkout, "rev-parse", "HEAD^{tree}").strip()
    assert repo.modes == {"run.sh": "100755", "link": "120000"}
    for path, entry in snapshot.paths.items():
        assert entry.oid == git(checkout, "rev-parse", f"HEAD:{path}").strip(), path
    for path in CHECKOUT_FILES:
        assert snapshot.paths[path].oid == git(checkout, "hash-object", path).strip()

    # The same files given to the fake directly: the same ids.
    direct = github.add_repo("acme/direct", files=CHECKOUT_FILES)
    direct.files["run.sh"] = b"#!/bin/sh\necho hi\n"
    direct.files["link"] = b"README.md"
    direct.modes = {"run.sh": "100755", "link": "120000"}
    again = direct.git()
    assert again is not None and again.tree_oid == snapshot.tree_oid

    listed = call(github, "GET", "/repos/acme/demo/git/trees/main?recursive=1").json()
    expected = []
    for line in git(checkout, "ls-tree", "-r", "-t", "-z", "HEAD").split("\0"):
        if line:
            meta, path = line.split("\t", 1)
            mode, kind, oid = meta.split()
            expected.append((path, mode, kind, oid))
    assert sorted((t["path"], t["mode"], t["type"], t["sha"]) for t in listed["tree"]) == sorted(
        expected
    )
    assert listed["sha"] == snapshot.tree_oid and listed["truncated"] is False

    answer = graphql(
        github,
        """{ repository(owner: "acme", name: "demo") {
          defaultBranchRef { target { oid ... on Commit { tree { oid } } } }
          root: object(expression: "HEAD:") { oid }
          file: object(expression: "main:foo/bar.txt") { ... on Blob { oid text } }
        } }""",
    ).json()["data"]["repository"]
    assert answer["defaultBranchRef"]["target"]["oid"] == snapshot.commit_oid
    assert answer["defaultBranchRef"]["target"]["tree"]["oid"] == snapshot.tree_oid
    assert answer["root"]["oid"] == snapshot.tree_oid
    assert answer["file"]["text"] == CHECKOUT_FILES["foo/bar.txt"]
    assert_graphql_valid(github)


def test_git_hash_is_gits_own(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"hello\n")
    assert git_hash("blob", b"hello\n") == git(tmp_path, "hash-object", "f").strip()


def test_a_new_commit_when_files_change(github: FakeGitHub) -> None:
    repo = github.add_repo("acme/api", files={"a.txt": "one\n"})
    first = repo.git()
    assert first is not None and repo.git() is first  # unchanged: the same objects
    repo.files["a.txt"] = b"two\n"
    second = repo.git()
    assert second is not None
    assert second.commit_oid != first.commit_oid and second.tree_oid != first.tree_oid
    assert second.revision == first.revision + 1
    repo.modes["a.txt"] = "100755"
    third = repo.git()
    assert third is not None and third.tree_oid != second.tree_oid
    repo.files.clear()
    assert repo.git() is None
    empty = graphql(
        github, '{ repository(owner: "acme", name: "api") { isEmpty defaultBranchRef { name } } }'
    ).json()
    assert empty == {"data": {"repository": {"isEmpty": True, "defaultBranchRef": None}}}


# GraphQL: listing, batches, errors ---------------------------------------------------------


def test_org_listing_paginates_over_250_repositories(github: FakeGitHub) -> None:
    github.add_synthetic_org("acme", 250)
    github.add_repo("other/unrelated")
    names: list[str] = []
    after = None
    costs = []
    while True:
        answer = graphql(github, ORG_LISTING, {"login": "acme", "after": after})
        assert answer.status == 200 and answer.headers["x-ratelimit-resource"] == GRAPHQL
        body = answer.json()
        assert "errors" not in body
        page = body["data"]["organization"]["repositories"]
        assert page["totalCount"] == 250
        names += [node["nameWithOwner"] for node in page["nodes"]]
        costs.append(body["data"]["rateLimit"]["cost"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert names == sorted(github.repos)[: len(names)] and len(names) == 250
    # GitHub's formula: 1 + 4 allowance connections x 100 repositories = 401 -> 4 points
    assert costs == [4, 4, 4]
    budget = github.rate_limit(GRAPHQL)
    assert budget.used == 12 == github.counters.graphql_points
    assert github.counters.graphql == 3 and github.counters.rest == 0
    assert body["data"]["rateLimit"]["remaining"] == 5000 - 12
    assert int(answer.headers["x-ratelimit-remaining"]) == 5000 - 12
    assert_graphql_valid(github)


def test_cursors_survive_a_deletion_between_pages(github: FakeGitHub) -> None:
    github.add_synthetic_org("acme", 150)
    first = graphql(github, ORG_LISTING, {"login": "acme"}).json()
    page = first["data"]["organization"]["repositories"]
    last_seen = page["nodes"][-1]["nameWithOwner"]
    github.delete_repo(last_seen)  # GitHub's cursors hold a key, not a position
    github.delete_repo("acme/repo-0000")
    rest = graphql(
        github, ORG_LISTING, {"login": "acme", "after": page["pageInfo"]["endCursor"]}
    ).json()
    names = [n["nameWithOwner"] for n in rest["data"]["organization"]["repositories"]["nodes"]]
    assert names == [f"acme/repo-{i:04d}" for i in range(100, 150)]


def test_user_listing_and_unknown_owners(github: FakeGitHub) -> None:
    github.add_user("octocat")
    for n in range(3):
        github.add_repo(f"octocat/r{n}", files={"README.md": "hi\n"})
    body = graphql(github, USER_LISTING, {"login": "octocat"}).json()
    nodes = body["data"]["user"]["repositories"]["nodes"]
    assert [n["nameWithOwner"] for n in nodes] == ["octocat/r0", "octocat/r1", "octocat/r2"]
    missing = graphql(github, ORG_LISTING, {"login": "octocat"}).json()
    assert missing["data"]["organization"] is None
    assert missing["errors"][0]["type"] == "NOT_FOUND"
    assert missing["errors"][0]["path"] == ["organization"]
    assert missing["errors"][0]["message"] == (
        "Could not resolve to an Organization with the login of 'octocat'."
    )


def test_an_invalid_query_is_rejected_and_recorded(github: FakeGitHub) -> None:
    github.add_repo("acme/api")
    answer = graphql(github, '{ repository(owner: "acme", name: "api") { nameWithOwner bogus } }')
    assert answer.status == 200
    body = answer.json()
    assert "data" not in body
    [error] = body["errors"]
    assert error["message"] == "Field 'bogus' doesn't exist on type 'Repository'"
    assert error["locations"] == [{"line": 1, "column": 58}]
    assert error["extensions"]["code"] == "undefinedField"
    assert github.counters.graphql_points == 0  # never executed: nothing spent
    assert [q.errors for q in github.graphql_invalid] == [body["errors"]]
    with pytest.raises(AssertionError):
        assert_graphql_valid(github)
    github.graphql_invalid.clear()

    syntax = graphql(github, "{ repository(owner: ").json()
    assert syntax["errors"][0]["message"].startswith("Syntax Error")
    unbounded = graphql(github, '{ organization(login: "acme") { repositories { totalCount } } }')
    assert unbounded.json()["errors"] == [
        {
            "type": "MISSING_PAGINATION_BOUNDARIES",
            "path": ["organization", "repositories"],
            "message": "You must provide a `first` or `last` value to properly paginate the "
            "`repositories` connection.",
        }
    ]
    excessive = graphql(
        github, '{ organization(login: "acme") { repositories(first: 101) { totalCount } } }'
    ).json()
    assert excessive["errors"][0]["type"] == "EXCESSIVE_PAGINATION"
    missing_variable = graphql(github, ORG_LISTING, {}).json()
    assert "login" in missing_variable["errors"][0]["message"]
    assert len(github.graphql_invalid) == 4


def test_a_missing_repository_in_a_batch(github: FakeGitHub) -> None:
    github.add_repo("acme/api", files={"a": "1"})
    github.add_repo("acme/web", files={"a": "1"})
    query = batch_query(["acme/api", "acme/gone", "acme/WEB"])
    body = graphql(github, query).json()
    assert body["data"]["r0"]["nameWithOwner"] == "acme/api"
    assert body["data"]["r1"] is None
    assert body["data"]["r2"]["nameWithOwner"] == "acme/web"  # names are case-insensitive
    assert body["errors"] == [
        {
            "type": "NOT_FOUND",
            "path": ["r1"],
            "locations": [{"line": 3, "column": 1}],
            "message": "Could not resolve to a Repository with the name 'acme/gone'.",
        }
    ]
    assert_graphql_valid(github)


def test_one_alias_of_a_batch_fails(github: FakeGitHub) -> None:
    for name in ("acme/a", "acme/b", "acme/c"):
        github.add_repo(name, files={"x": "1"})
    github.fail_repository("acme/b", times=1)
    body = graphql(github, batch_query(["acme/a", "acme/b", "acme/c"])).json()
    assert body["data"]["r1"] is None and body["data"]["r2"]["nameWithOwner"] == "acme/c"
    assert body["errors"] == [
        {"path": ["r1"], "locations": [{"line": 3, "column": 1}], "message": TIMEOUT_MESSAGE}
    ]
    again = graphql(github, batch_query(["acme/b"])).json()
    assert "errors" not in again  # `times=1`: the next query is answered


def test_trees_blobs_and_truncated_text(github: FakeGitHub) -> None:
    big = ("line of text\n" * 100).encode()
    repo = github.add_repo(
        "acme/api",
        files={
            "a/b/c/d/deep.txt": "five levels down\n",
            "bin": b"\x00\x01\x02",
            "big.txt": big,
            "small.txt": "small\n",
        },
    )
    snapshot = repo.git()
    assert snapshot is not None
    tree = graphql(github, trees_query([("acme/api", snapshot.tree_oid)], depth=4)).json()
    root = tree["data"]["t0"]["object"]
    assert [e["name"] for e in root["entries"]] == ["a", "big.txt", "bin", "small.txt"]
    assert root["entries"][0]["mode"] == 0o40000 and root["entries"][1]["mode"] == 0o100644
    level4 = root["entries"][0]["object"]["entries"][0]["object"]["entries"][0]["object"]
    assert level4["entries"][0]["name"] == "d"
    assert "object" not in level4["entries"][0]  # four levels asked: the fifth is not read
    assert root["entries"][1]["size"] == len(big)

    github.blob_text_limit = 100
    oids = {path: snapshot.paths[path].oid for path in ("bin", "big.txt", "small.txt")}
    blobs = graphql(github, blobs_query([("acme/api", oid) for oid in oids.values()])).json()
    binary, truncated, small = (blobs["data"][f"b{i}"]["object"] for i in range(3))
    assert binary == {
        "oid": oids["bin"],
        "byteSize": 3,
        "isBinary": True,
        "isTruncated": False,
        "text": None,
    }
    assert truncated["isTruncated"] is True and truncated["text"] == big[:100].decode()
    assert small["text"] == "small\n" and small["isTruncated"] is False
    assert blobs["data"]["rateLimit"]["cost"] == 1

    rest = call(github, "GET", f"/repos/acme/api/git/blobs/{oids['big.txt']}").json()
    assert rest["encoding"] == "base64" and rest["size"] == len(big)
    assert base64.b64decode(rest["content"]) == big
    assert all(len(line) <= 60 for line in rest["content"].splitlines())
    assert call(github, "GET", "/repos/acme/api/git/blobs/" + "0" * 40).status == 404
    assert_graphql_valid(github)


def test_branch_protection_rule_and_codeowners(github: FakeGitHub) -> None:
    github.add_repo(
        "acme/api",
        files={".github/CODEOWNERS": "* @acme/devs\n"},
        classic=classic_protection(
            approvals=2, bypass_users=["octocat"], bypass_teams=["admins"], contexts=("ci",)
        ),
    )
    github.add_repo("acme/bare", files={"README.md": "hi\n"})
    errors = [
        {
            "line": 1,
            "column": 3,
            "kind": "Unknown owner",
            "source": "* @ghost",
            "suggestion": None,
            "message": "Unknown owner on line 1",
            "path": "CODEOWNERS",
        }
    ]
    github.add_repo("acme/broken", files={"CODEOWNERS": "* @ghost\n"}, codeowners_errors=errors)
    body = graphql(github, batch_query(["acme/api", "acme/bare", "acme/broken"])).json()
    assert "errors" not in body
    api = body["data"]["r0"]
    rule = api["defaultBranchRef"]["branchProtectionRule"]
    assert rule["pattern"] == "main" and rule["requiredApprovingReviewCount"] == 2
    assert rule["requiresApprovingReviews"] and rule["requiresCodeOwnerReviews"]
    assert rule["isAdminEnforced"] and not rule["allowsForcePushes"]
    assert rule["requiredStatusCheckContexts"] == ["ci"]
    assert rule["requiredStatusChecks"] == [{"context": "ci", "app": None}]
    assert rule["bypassPullRequestAllowances"]["nodes"] == [
        {"actor": {"__typename": "User", "login": "octocat"}},
        {"actor": {"__typename": "Team", "slug": "admins"}},
    ]
    assert rule["pushAllowances"]["nodes"] == [] and not rule["restrictsPushes"]
    assert api["codeowners"] == {"errors": []}
    assert body["data"]["r1"]["defaultBranchRef"]["branchProtectionRule"] is None
    assert body["data"]["r1"]["codeowners"] is None  # no CODEOWNERS file
    assert body["data"]["r2"]["codeowners"] == {"errors": errors}

    # A token that cannot administer: GitHub answers null, and says why.
    reader = graphql(github, batch_query(["acme/api"]), token=READER).json()["data"]["r0"]
    assert reader["viewerCanAdminister"] is False
    assert reader["defaultBranchRef"]["branchProtectionRule"] is None
    assert call(github, "GET", "/repos/acme/api/codeowners/errors").json() == {"errors": []}
    assert call(github, "GET", "/repos/acme/bare/codeowners/errors").status == 404
    assert_graphql_valid(github)


def test_graphql_cost_is_githubs_formula(github: FakeGitHub) -> None:
    github.add_repo("acme/api")
    cheap = graphql(github, "{ rateLimit { cost remaining used limit nodeCount } }").json()
    assert cheap["data"]["rateLimit"] == {
        "cost": 1,
        "remaining": 4999,
        "used": 1,
        "limit": 5000,
        "nodeCount": 0,
    }
    # 1 request for the repositories, 100 for each repository's 50 issues: 101 -> 1 point;
    # labels under issues: 100 x 50 = 5000 more requests -> 51 points.
    nested = """{ rateLimit { cost nodeCount } organization(login: "acme") {
      repositories(first: 100) { nodes { issues(first: 50) { nodes {
        labels(first: 10) { nodes { name } } } } } } } }"""
    limit = graphql(github, nested).json()["data"]["rateLimit"]
    assert limit == {"cost": 51, "nodeCount": 100 + 5000 + 50000}
    # The fake has no issues: a field it cannot answer is recorded, and fails
    # `assert_github_shapes`, rather than passing for GitHub's answer.
    [lacking] = github.graphql_unsupported
    assert (
        lacking.errors[0]["message"]
        == "Cannot return null for non-nullable field Repository.issues."
    )
    github.graphql_unsupported.clear()


# REST: rate limits and conditional requests -----------------------------------------------


def test_etag_and_304_spend_nothing(github: FakeGitHub) -> None:
    github.add_repo("acme/api")
    first = call(github, "GET", "/repos/acme/api")
    assert first.status == 200 and first.headers["x-ratelimit-resource"] == CORE
    assert (
        first.headers["x-ratelimit-used"] == "1"
        and first.headers["x-ratelimit-remaining"] == "4999"
    )
    etag = first.headers["etag"]
    again = call(github, "GET", "/repos/acme/api", headers={"If-None-Match": etag})
    assert again.status == 304 and again.raw == b""
    assert again.headers["etag"] == etag and again.headers["x-ratelimit-remaining"] == "4999"
    assert github.counters.not_modified == 1 and github.counters.rest == 1
    github.repos["acme/api"].archived = True  # changed: the tag no longer matches
    changed = call(github, "GET", "/repos/acme/api", headers={"If-None-Match": etag})
    assert changed.status == 200 and changed.headers["etag"] != etag
    assert changed.headers["x-ratelimit-remaining"] == "4998"
    # Another token sees other permissions, so another body and another tag.
    other = call(github, "GET", "/repos/acme/api", token=READER, headers={"If-None-Match": etag})
    assert other.status == 200
    limits = call(github, "GET", "/rate_limit").json()
    assert limits["resources"]["core"]["used"] == 3  # /rate_limit itself is free
    assert limits["resources"]["graphql"]["used"] == 0


def test_primary_rate_limit_exhausted_then_restored(github: FakeGitHub) -> None:
    github.add_repo("acme/api")
    github.exhaust(CORE, reset_in=1.0)
    refused = call(github, "GET", "/repos/acme/api")
    assert refused.status == 403 and refused.headers["x-ratelimit-remaining"] == "0"
    assert refused.json()["message"].startswith("API rate limit exceeded")
    reset = int(refused.headers["x-ratelimit-reset"])
    assert time.time() < reset <= time.time() + 2
    assert graphql(github, "{ rateLimit { remaining } }").status == 200  # another budget

    github.exhaust(GRAPHQL, reset_in=1.0)
    limited = graphql(github, "{ rateLimit { remaining } }")
    assert limited.status == 200 and limited.headers["x-ratelimit-remaining"] == "0"
    assert limited.json()["errors"][0]["type"] == "RATE_LIMITED"
    assert github.counters.primary_limited == 2

    time.sleep(max(0.0, reset - time.time()) + 0.05)
    assert call(github, "GET", "/repos/acme/api").headers["x-ratelimit-remaining"] == "4999"
    assert graphql(github, "{ rateLimit { remaining } }").json() == {
        "data": {"rateLimit": {"remaining": 4999}}
    }


def test_secondary_rate_limit_holds_for_retry_after(github: FakeGitHub) -> None:
    github.add_repo("acme/api")
    github.secondary_rate_limit(retry_after=1, after=1)
    assert call(github, "GET", "/repos/acme/api").status == 200
    refused = call(github, "GET", "/repos/acme/api")
    assert refused.status == 403 and refused.headers["retry-after"] == "1"
    assert "secondary rate limit" in refused.json()["message"]
    assert graphql(github, "{ rateLimit { cost } }").status == 403  # every request waits
    time.sleep(1.05)
    assert call(github, "GET", "/repos/acme/api").status == 200
    assert github.counters.secondary_limited == 2

    github.secondary_rate_limit(retry_after=60, resource=GRAPHQL)
    assert call(github, "GET", "/repos/acme/api").status == 200  # only GraphQL is limited
    assert graphql(github, "{ rateLimit { cost } }").headers["retry-after"] == "60"


# Faults ----------------------------------------------------------------------------------


def test_rest_server_errors_and_graphql_timeouts(github: FakeGitHub) -> None:
    github.add_repo("acme/api", files={"a": "1"})
    github.fail(
        "GET",
        r"/repos/acme/api$",
        500,
        {"message": "Server Error", "documentation_url": ""},
        times=1,
    )
    assert call(github, "GET", "/repos/acme/api").status == 500
    assert call(github, "GET", "/repos/acme/api").status == 200

    github.fail_graphql_timeout(times=1, query=r"\bt0:", after=1)
    tree_query = trees_query([("acme/api", "0" * 40)])
    assert graphql(github, tree_query).status == 200  # `after=1`: the first is answered
    assert graphql(github, "{ rateLimit { cost } }").status == 200  # not a tree query
    timeout = graphql(github, tree_query)
    assert timeout.status == 502
    assert timeout.json() == {"data": None, "errors": [{"message": TIMEOUT_MESSAGE}]}
    assert graphql(github, tree_query).status == 200
    assert github.counters.faults == 2


def test_a_repository_deleted_during_the_audit(github: FakeGitHub) -> None:
    github.add_repo("acme/api", files={"a": "1"})
    github.delete_after("acme/api", requests=2)
    assert call(github, "GET", "/repos/acme/api").status == 200
    assert graphql(github, batch_query(["acme/api"])).json()["data"]["r0"] is not None
    assert call(github, "GET", "/repos/acme/api").status == 404
    gone = graphql(github, batch_query(["acme/api"])).json()
    assert gone["data"]["r0"] is None and gone["errors"][0]["type"] == "NOT_FOUND"
    seen: list[str] = []
    github.on_request(lambda request: seen.append(request.path))
    call(github, "GET", "/repos/acme/other")
    assert seen == ["/repos/acme/other"]


def test_delay_under_concurrency(github: FakeGitHub) -> None:
    """16 clients at once with 200 ms added to each answer: served side by side, every
    count exact."""
    github.add_synthetic_org("acme", 16)
    github_schema()  # built once per process: not part of what is timed
    github.delay = 0.2
    results: list[int] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        statuses = [
            call(github, "GET", f"/repos/acme/repo-{n:04d}").status,
            graphql(github, batch_query([f"acme/repo-{n:04d}"])).status,
        ]
        with lock:
            results.extend(statuses)

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    assert results == [200] * 32
    assert elapsed < 16 * 2 * 0.2 / 2  # far from one at a time
    assert github.counters.rest == 16 and github.counters.graphql == 16
    assert github.rate_limit(CORE).used == 16 and len(github.exchanges) == 32


# GitHub App authentication ----------------------------------------------------------------


def _key_pair() -> tuple[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def test_app_installation_tokens_through_pygithub(github: FakeGitHub) -> None:
    from github import Auth, Github, GithubException

    private, public = _key_pair()
    github.add_app(4242, public, {77: ADMIN, 78: READ})
    github.add_repo("acme/api", classic=classic_protection())
    auth = Auth.AppAuth(4242, private).get_installation_auth(77)
    with Github(auth=auth, base_url=github.url, retry=None) as client:
        repo = client.get_repo("acme/api")
        assert repo.full_name == "acme/api"
        _, protection = client.requester.requestJsonAndCheck(
            "GET", "/repos/acme/api/branches/main/protection"
        )
        assert protection["enforce_admins"]["enabled"] is True
    minted = github.requests("/app/installations/{installation_id}/access_tokens")
    assert [e.status for e in minted] == [201]
    token = minted[0].body["token"]
    assert token.startswith("ghs_") and github.tokens[token].role == ADMIN
    assert minted[0].authorization is not None and minted[0].authorization.startswith("Bearer ")
    assert github.requests("/repos/{owner}/{repo}")[0].authorization == f"token {token}"
    assert github.counters.app_tokens == 1

    # A key that is not the app's, an unknown installation, an expired token.
    other_private, _ = _key_pair()
    forged = Auth.AppAuth(4242, other_private).get_installation_auth(77)
    with (
        Github(auth=forged, base_url=github.url, retry=None) as client,
        pytest.raises(GithubException) as raised,
    ):
        client.get_repo("acme/api")
    assert raised.value.status == 401
    assert raised.value.data["message"] == "A JSON web token could not be decoded"
    unknown = Auth.AppAuth(4242, private).get_installation_auth(99)
    with (
        Github(auth=unknown, base_url=github.url, retry=None) as client,
        pytest.raises(GithubException) as raised,
    ):
        client.get_repo("acme/api")
    assert raised.value.status == 404
    github.tokens[token].expires_at = time.time() - 1
    assert call(github, "GET", "/repos/acme/api", token=token).status == 401


def test_short_lived_installation_tokens_are_renewed(github: FakeGitHub) -> None:
    from github import Auth, Github

    private, public = _key_pair()
    github.add_app("4242", public)
    github.add_repo("acme/api")
    github.installation_token_ttl = 10  # under PyGithub's 20 s margin: renewed each time
    auth = Auth.AppAuth(4242, private).get_installation_auth(1)
    with Github(auth=auth, base_url=github.url, retry=None) as client:
        client.get_repo("acme/api")
        client.get_repo("acme/api")
    assert github.counters.app_tokens == 2


def test_graphql_beside_enterprise_servers_rest_prefix() -> None:
    from github import Auth, Github

    with FakeGitHub({TOKEN: Token()}, prefix="/api/v3") as fake:
        fake.add_repo("acme/api", files={"a": "1"})
        with Github(auth=Auth.Token(TOKEN), base_url=fake.url, retry=None) as client:
            assert client.requester.graphql_url.endswith("/api/graphql")
            _, data = client.requester.graphql_query(
                '{ repository(owner: "acme", name: "api") { nameWithOwner } }', {}
            )
        assert data == {"data": {"repository": {"nameWithOwner": "acme/api"}}}
        assert [e.path for e in fake.exchanges] == ["/graphql"]
    assert_github_shapes(fake)


# The synthetic organization ----------------------------------------------------------------


def test_synthetic_org_is_deterministic_and_planted(github: FakeGitHub) -> None:
    org = github.add_synthetic_org("acme", 120, seed=7)
    with FakeGitHub() as twin:
        again = twin.add_synthetic_org("acme", 120, seed=7)
        assert again.repos == org.repos
        for name in org.names(lambda r: not r.empty):
            mine, theirs = github.repos[name].git(), twin.repos[name].git()
            assert mine is not None and theirs is not None
            assert mine.tree_oid == theirs.tree_oid
    assert org.repos != github.add_synthetic_org("other", 120, seed=8).repos

    facts = org.repos
    assert facts["acme/repo-0001"].empty and github.repos["acme/repo-0001"].git() is None
    assert facts["acme/repo-0002"].archived and github.repos["acme/repo-0002"].archived
    assert facts["acme/repo-0003"].fork and github.repos["acme/repo-0003"].fork
    assert "acme/repo-0002" not in org.audited and "acme/repo-0003" not in org.audited
    for name, fact in facts.items():
        files = github.repos[name].files
        workflow = files.get(".github/workflows/ci.yml", b"").decode()
        for action in fact.unpinned_actions:
            assert f"uses: {action}\n" in workflow
        assert ("@v4\n" in workflow) == bool(fact.unpinned_actions)
        assert fact.package_json_without_lockfile == (
            "package.json" in files and "package-lock.json" not in files
        )
        for path in fact.curl_pipe_shell:
            assert b"| bash" in files[path] or b"| sh" in files[path]
        assert fact.codeowners == github.repos[name].has_codeowners()
        assert (github.repos[name].classic is not None) == (
            fact.protection in ("classic", "weak-classic")
        )
    # Every kind of problem is there, and workflows repeat across repositories.
    for planted in (
        lambda r: bool(r.unpinned_actions),
        lambda r: r.workflow == "ci-pinned",
        lambda r: r.package_json_without_lockfile,
        lambda r: r.unpinned_requirements,
        lambda r: bool(r.curl_pipe_shell),
        lambda r: r.codeowners_errors > 0,
        lambda r: r.protection == "ruleset",
        lambda r: r.protection is None,
        lambda r: r.symlink,
    ):
        assert org.names(planted)
    workflows = {
        github.repos[n].files[".github/workflows/ci.yml"]
        for n in org.names(lambda r: r.workflow is not None)
    }
    assert len(workflows) <= 4 < len(org.names(lambda r: r.workflow is not None))

    # The audit's view of it over GraphQL: the same facts.
    body = graphql(github, batch_query(org.names()[:40])).json()
    assert "errors" not in body
    for node in body["data"].values():
        fact = facts[node["nameWithOwner"]]
        assert node["isEmpty"] == fact.empty and node["isArchived"] == fact.archived
        rule = node["defaultBranchRef"] and node["defaultBranchRef"]["branchProtectionRule"]
        assert (rule is not None) == (fact.protection in ("classic", "weak-classic"))
        if fact.protection == "ruleset":
            rules = call(github, "GET", f"/repos/{node['nameWithOwner']}/rules/branches/main")
            assert [r["type"] for r in rules.json()] == [r["type"] for r in strict_rules()]
    assert_graphql_valid(github)


def test_the_planted_problems_are_what_a_scan_finds(cli: Any, tmp_path: Path) -> None:
    """Each synthetic repository, checked out and scanned: the local findings are exactly
    the planted facts (other rules may add findings; these must agree)."""
    fake = FakeGitHub()  # state only: no server needed
    org = fake.add_synthetic_org("acme", 30, seed=3)
    expected_rules = {"PIN001", "DL001", "LCK001", "LCK003", "OWN001"}
    for name in org.names(lambda r: not r.empty):
        fact, repo = org.repos[name], fake.repos[name]
        checkout = make_repo(tmp_path / name, {}, commit=False)
        for path, content in repo.files.items():
            target = checkout / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if repo.modes.get(path) == "120000":
                target.symlink_to(content.decode())
            else:
                target.write_bytes(content)
        git(checkout, "add", "-A")
        result = cli("scan", "--format", "json", cwd=checkout)
        found = {
            (f["rule"], f["path"]) for f in result.json()["findings"] if f["rule"] in expected_rules
        }
        planted = {("PIN001", ".github/workflows/ci.yml")} if fact.unpinned_actions else set()
        planted |= {("DL001", path) for path in fact.curl_pipe_shell}
        if fact.package_json_without_lockfile:
            planted.add(("LCK001", "package.json"))
        if fact.unpinned_requirements:
            planted.add(("LCK003", "requirements.txt"))
        if not fact.codeowners:
            planted.add(("OWN001", ""))
        assert found == planted, name


def test_rulesets_and_protection_rest_still_served(github: FakeGitHub) -> None:
    github.add_repo("acme/api", rulesets=[FakeRuleset(7, "main", strict_rules())])
    assert call(github, "GET", "/repos/acme/api/rulesets/7").status == 200
    assert call(github, "GET", "/repos/acme/api/branches/main/protection").status == 404


def test_the_validator_knows_post_endpoints() -> None:
    shapes = github_shapes()
    path = "/app/installations/1/access_tokens"
    token = {"token": "ghs_x", "expires_at": "2030-01-01T00:00:00Z", "permissions": {}}
    assert shapes.validate("POST", path, 201, token).endswith("/access_tokens")
    with pytest.raises(jsonschema.ValidationError):
        shapes.validate("POST", path, 201, {"token": "ghs_x"})
    with pytest.raises(AssertionError, match="not in GitHub's OpenAPI description"):
        shapes.validate("GET", path, 200, {})
