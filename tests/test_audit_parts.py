"""The audit's parts on their own: the GraphQL it sends (validated against GitHub's public
schema), the rate-limit governor, the SQLite store, and files read from blobs."""

from __future__ import annotations

import sqlite3
from functools import cache
from pathlib import Path

import pytest
from graphql import GraphQLSchema, build_schema, parse, validate

from repo_harden.audit import queries
from repo_harden.audit.github_snapshot import GitHubSnapshot, decoded
from repo_harden.audit.listing import in_shard, parse_shard
from repo_harden.audit.settings import rest_classic
from repo_harden.audit.store import Store, StoredBlob, TreeEntry
from repo_harden.audit.transport import Governor, RateLimitWaitTooLong
from repo_harden.core.branch_policy import Origin
from repo_harden.core.errors import UsageError
from repo_harden.readers.protection import read_classic
from repo_harden.readers.settings_tree import from_json

SCHEMA = Path(__file__).parent / "data" / "github" / "schema.graphql"


@cache
def github_schema() -> GraphQLSchema:
    return build_schema(SCHEMA.read_text(encoding="utf-8"))


def assert_valid(query: str) -> None:
    errors = validate(github_schema(), parse(query))
    assert not errors, [error.message for error in errors]


# GraphQL -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["organization", "user"])
def test_listing_queries_are_valid_against_githubs_schema(kind: str) -> None:
    assert_valid(queries.owner_listing(kind))


def test_batch_queries_are_valid_against_githubs_schema() -> None:
    names = ["acme/api", 'we"ird/na\\me']
    assert_valid(queries.named_repositories(names))
    assert_valid(queries.trees([(name, "a" * 40) for name in names])[0])
    assert_valid(queries.trees([("acme/api", "b" * 40)], levels=1)[0])
    assert_valid(queries.blobs([(name, "c" * 40) for name in names])[0])
    assert_valid(queries.files_at([("acme/api", "d" * 40, ".github/workflows/ci.yml")])[0])


def test_batches_of_one_size_are_one_text() -> None:
    """Repositories and objects are variables: GitHub parses and validates a batch's text
    once, however many batches an audit sends (the names never reach the text)."""
    first = queries.trees([("acme/api", "a" * 40), ("acme/web", "b" * 40)])
    second = queries.trees([('we"ird/na\\me', "c" * 40), ("x/y", "d" * 40)])
    assert first[0] == second[0]
    assert "we" not in second[0]
    assert second[1] == {
        "o0": 'we"ird',
        "n0": "na\\me",
        "x0": "c" * 40,
        "o1": "x",
        "n1": "y",
        "x1": "d" * 40,
    }
    assert queries.blobs([("a/b", "e" * 40)])[0] == queries.blobs([("c/d", "f" * 40)])[0]


def test_an_invalid_query_is_caught_by_the_validation() -> None:
    errors = validate(github_schema(), parse("query { repository(owner: 1) { nope } }"))
    assert errors


def test_tree_query_reads_as_many_levels_as_asked() -> None:
    assert queries.trees([("a/b", "0" * 40)], levels=3)[0].count("entries") == 3


# Classic protection from GraphQL -----------------------------------------------------------


def test_a_graphql_protection_rule_reads_as_rest_classic_protection() -> None:
    rule = {
        "allowsForcePushes": False,
        "allowsDeletions": True,
        "isAdminEnforced": True,
        "requiresApprovingReviews": True,
        "requiredApprovingReviewCount": 2,
        "requiresCodeOwnerReviews": True,
        "dismissesStaleReviews": False,
        "requireLastPushApproval": False,
        "requiresStatusChecks": True,
        "requiredStatusCheckContexts": ["ci"],
        "requiredStatusChecks": [{"context": "lint"}],
        "bypassPullRequestAllowances": {
            "nodes": [{"actor": {"__typename": "Team", "slug": "release"}}]
        },
    }
    source = read_classic(from_json(rest_classic(rule)), Origin("classic"))
    assert source.approvals.value == 2
    assert source.code_owner_review.value is True
    assert source.blocks_force_pushes.value is True
    assert source.blocks_deletion.value is False
    assert source.enforce_admins is not None
    assert source.enforce_admins.value is True
    assert source.status_checks.value == ("ci", "lint")
    assert source.bypass_actors is not None
    assert [actor.name for actor in source.bypass_actors] == ["release"]


def test_a_rule_without_reviews_requires_no_pull_request() -> None:
    source = read_classic(
        from_json(rest_classic({"requiresApprovingReviews": False})), Origin("classic")
    )
    assert source.pull_request.value is False
    assert source.approvals.value == 0


# Governor --------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def governor(clock: Clock, max_wait: float = 600) -> Governor:
    return Governor(4, max_wait, sleep=clock.sleep, now=lambda: clock.now)


def test_retry_after_pauses_every_request() -> None:
    clock = Clock()
    pace = governor(clock)
    assert pace.observe("core", 403, {"retry-after": "30"}) is True
    with pace.slot("graphql"):  # another resource waits too: secondary limits are global
        pass
    assert clock.slept == [30]


def test_a_spent_budget_waits_for_its_reset() -> None:
    clock = Clock()
    pace = governor(clock)
    reset = int(clock.now) + 120
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}
    assert pace.observe("core", 403, headers) is True
    with pace.slot("graphql"):  # GraphQL has its own budget
        pass
    assert clock.slept == []
    with pace.slot("core"):
        pass
    assert clock.slept == [pytest.approx(121)]


def test_graphql_reports_its_budget_in_its_body() -> None:
    clock = Clock()
    pace = governor(clock)
    pace.observe_graphql_budget({"remaining": 0, "resetAt": "1970-01-12T13:47:00Z"})
    assert pace.budgets["graphql"].remaining == 0
    assert pace.budgets["graphql"].reset_at == 1_000_020.0
    with pace.slot("graphql"):
        pass
    assert clock.slept == [pytest.approx(21)]


def test_a_successful_answer_is_not_a_rate_limit() -> None:
    clock = Clock()
    pace = governor(clock)
    assert pace.observe("core", 200, {"x-ratelimit-remaining": "4999"}) is False
    assert pace.budgets["core"].remaining == 4999


def test_waiting_past_the_ceiling_fails_instead_of_hanging() -> None:
    clock = Clock()
    pace = governor(clock, max_wait=60)
    pace.observe("core", 429, {"retry-after": "3600"})
    with pytest.raises(RateLimitWaitTooLong, match="--max-wait"), pace.slot("core"):
        pass
    assert clock.slept == []


# Store -----------------------------------------------------------------------------------


def test_the_store_keeps_objects_etags_and_results_across_runs(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "audit.sqlite3"
    store = Store(path)
    entry = TreeEntry("a/b.yml", 0o100644, "blob", "1" * 40, 12)
    store.put_tree("t" * 40, [entry])
    store.put_blobs(
        {"1" * 40: StoredBlob("text", "on: push\n"), "2" * 40: StoredBlob("raw", b"\0")}
    )
    store.put_etag("/repos/a/b/rules/branches/main", 'W/"x"', "[]")
    store.put_result("a/b", "key-1", {"findings": []})
    store.close()
    again = Store(path)
    assert again.tree("t" * 40) == [entry]
    assert again.blob("1" * 40) == StoredBlob("text", "on: push\n")
    assert again.blob("2" * 40) == StoredBlob("raw", b"\0")
    assert again.etag("/repos/a/b/rules/branches/main") == ('W/"x"', "[]")
    assert again.result("a/b", "key-1") == {"findings": []}
    assert again.result("a/b", "key-2") is None  # another head commit, config or version
    again.close()


def _statements(store: Store) -> list[str]:
    """The SQL the store runs from here on."""
    ran: list[str] = []
    store._db.set_trace_callback(ran.append)
    return ran


def test_a_store_empty_when_opened_answers_for_what_it_lacks_without_sqlite(
    tmp_path: Path,
) -> None:
    """A cold audit looks up an ETag for each request and a tree or blob for each object:
    in tables that were empty when it began, only its own rows can be."""
    path = tmp_path / "audit.sqlite3"
    store = Store(path)
    ran = _statements(store)
    assert store.etag("/repos/a/b/actions/permissions") is None
    assert store.tree("t" * 40) is None
    assert store.blob("1" * 40) is None
    assert ran == []
    entry = TreeEntry("a.yml", 0o100644, "blob", "1" * 40, 3)
    store.put_tree("t" * 40, [entry])
    store.put_blobs({"1" * 40: StoredBlob("text", "on:")})
    store.put_etag("/repos/a/b/actions/permissions", 'W/"e"', "{}")
    store.flush()
    ran.clear()
    assert store.tree("t" * 40) == [entry]  # what this run put is asked for
    assert store.blob("1" * 40) == StoredBlob("text", "on:")
    assert store.etag("/repos/a/b/actions/permissions") == ('W/"e"', "{}")
    assert len([sql for sql in ran if sql.startswith("SELECT")]) == 3
    store.close()

    again = Store(path)  # not empty now: every lookup asks
    ran = _statements(again)
    assert again.blob("2" * 40) is None
    assert again.etag("/repos/a/c/actions/permissions") is None
    assert len(ran) == 2
    again.close()


def test_a_cache_of_another_schema_version_is_emptied(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite3"
    store = Store(path)
    store.put_result("a/b", "k", {"findings": []})
    store.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = 'old' WHERE key = 'schema'")
    again = Store(path)
    assert again.result("a/b", "k") is None
    again.close()


# Files from blobs --------------------------------------------------------------------------


def snapshot(files: dict[str, tuple[int, StoredBlob]]) -> GitHubSnapshot:
    entries = [
        TreeEntry(path, mode, "blob", f"{index:040d}", 10)
        for index, (path, (mode, _)) in enumerate(files.items())
    ]
    blobs = {f"{index:040d}": blob for index, (_, blob) in enumerate(files.values())}
    return GitHubSnapshot("acme/api", entries, blobs, None)


def test_blobs_read_as_a_checkout_reads_files() -> None:
    regular, link = 0o100644, 0o120000
    repo = snapshot(
        {
            "a.yml": (regular, StoredBlob("text", "\ufeffon: push\n")),
            "bin.dat": (regular, StoredBlob("binary", None)),
            "latin1.txt": (regular, StoredBlob("raw", b"caf\xe9")),
            "inside.yml": (link, StoredBlob("text", "a.yml")),
            "outside.yml": (link, StoredBlob("text", "../../etc/passwd")),
            "loop": (link, StoredBlob("text", "loop")),
        }
    )
    assert repo.read_text("a.yml") == "on: push\n"
    assert repo.read_text("bin.dat") is None
    assert repo.unreadable_reason("bin.dat") == "it is a binary file"
    assert repo.read_text("latin1.txt") is None
    assert repo.unreadable_reason("latin1.txt") == "it is not valid UTF-8 (byte 3)"
    assert repo.read_text("inside.yml") == "on: push\n"
    assert repo.read_text("outside.yml") is None
    assert "outside the repository" in str(repo.unreadable_reason("outside.yml"))
    assert repo.read_text("loop") is None
    assert repo.unreadable_reason("loop") == "it is a symbolic link that loops"


def test_a_file_over_the_size_limit_is_not_read() -> None:
    entry = TreeEntry("big.json", 0o100644, "blob", "9" * 40, 50 * 1024 * 1024)
    repo = GitHubSnapshot("acme/api", [entry], {}, None)
    assert repo.read_text("big.json") is None
    assert "too large" in str(repo.unreadable_reason("big.json"))


def test_a_nul_in_text_is_binary() -> None:
    assert decoded(StoredBlob("text", "a\0b")) == (None, "it is a binary file")


# Shards ----------------------------------------------------------------------------------


def test_shards_split_every_repository_into_exactly_one_share() -> None:
    names = [f"acme/repo-{i}" for i in range(500)]
    shares = [[n for n in names if in_shard(n, (k, 4))] for k in range(1, 5)]
    assert sorted(n for share in shares for n in share) == sorted(names)
    assert all(60 < len(share) < 190 for share in shares)  # roughly even


@pytest.mark.parametrize("value", ["0/3", "4/3", "a/b", "3"])
def test_a_bad_shard_is_a_usage_error(value: str) -> None:
    with pytest.raises(UsageError, match="--shard"):
        parse_shard(value)
