"""The GitHub client: PyGithub talking HTTP to the fake GitHub on loopback. Errors, retries,
pagination, GitHub Enterprise Server's path prefix, and a token that never shows."""

from __future__ import annotations

import importlib
import logging
import socket
import traceback
from collections.abc import Iterator

import jsonschema
import pytest

from repo_harden.frontend.online import OnlineOptions, repository_from_remote
from repo_harden.github.client import GitHubClient, GitHubError, token_from_env
from tests.fake_github import (
    ADMIN,
    BRANCH_NOT_PROTECTED,
    FakeGitHub,
    FakeRepo,
    FakeRuleset,
    Token,
    assert_github_shapes,
    classic_protection,
    ruleset_json,
    strict_rules,
)
from tests.github_openapi import github_shapes

TOKEN = "ghp_fakeTOKEN0123456789abcdefghijklmnop"


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub({TOKEN: Token(ADMIN)}) as fake:
        fake.add_repo("acme/api")
        yield fake
    assert_github_shapes(fake)


def client(fake: FakeGitHub, token: str = TOKEN, **options: float) -> GitHubClient:
    return GitHubClient(token, fake.url, backoff=0, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"GITHUB_TOKEN": "a", "GH_TOKEN": "b"}, "a"),
        ({"GH_TOKEN": "b"}, "b"),
        ({"GITHUB_TOKEN": "  ", "GH_TOKEN": " b\n"}, "b"),
        ({}, None),
    ],
)
def test_token_from_env(environ: dict[str, str], expected: str | None) -> None:
    assert token_from_env(environ) == expected


REMOTES = [
    ("https://github.com/acme/api.git", "acme/api"),
    ("https://github.com/acme/api", "acme/api"),
    ("https://x-access-token:ghs_secret@github.com/acme/api.git", "acme/api"),
    ("git@github.com:acme/api.git", "acme/api"),
    ("ssh://git@github.com/acme/api.git", "acme/api"),
    ("ssh://git@ghe.example.com:2222/acme/my.api", "acme/my.api"),
    ("https://ghe.example.com/acme/api.git\n", "acme/api"),
    ("/srv/git/api.git", None),
    ("git@github.com:api.git", None),
    ("", None),
]


@pytest.mark.parametrize(("url", "expected"), REMOTES)
def test_repository_from_remote(url: str, expected: str | None) -> None:
    assert repository_from_remote(url) == expected


def test_repository_and_raw_json(github: FakeGitHub) -> None:
    with client(github) as api:
        info = api.repository("acme/api")
        assert (info.full_name, info.default_branch, info.archived) == ("acme/api", "main", False)
        assert api.get("/repos/acme/api/rulesets") == []
    assert github.exchanges[0].authorization == f"token {TOKEN}"


def test_not_found_is_an_error_with_its_status(github: FakeGitHub) -> None:
    with client(github) as api, pytest.raises(GitHubError) as raised:
        api.repository("acme/missing")
    assert raised.value.status == 404
    assert str(raised.value) == "reading the repository acme/missing: HTTP 404 Not Found"


def test_pagination_follows_link_headers(github: FakeGitHub) -> None:
    repo = github.repos["acme/api"]
    repo.rulesets = [FakeRuleset(n, f"r{n}", strict_rules()) for n in range(1, 251)]
    with client(github) as api:
        listed = api.get_pages("/repos/acme/api/rulesets")
    assert [item["id"] for item in listed] == list(range(1, 251))  # type: ignore[index]
    pages = github.requests("/repos/{owner}/{repo}/rulesets")
    assert [e.query.get("page", "1") for e in pages] == ["1", "2", "3"]


def test_server_errors_are_retried_then_reported(github: FakeGitHub) -> None:
    github.fail("GET", "/rulesets$", 500, times=1)
    with client(github) as api:
        assert api.get("/repos/acme/api/rulesets") == []
    assert [e.status for e in github.requests("/repos/{owner}/{repo}/rulesets")] == [500, 200]

    github.exchanges.clear()
    github.fail("GET", "/rulesets$", 500, {"message": "Server Error", "documentation_url": "x"})
    with client(github, retries=2) as api, pytest.raises(GitHubError) as raised:
        api.get("/repos/acme/api/rulesets")
    assert raised.value.status == 500
    assert str(raised.value) == "GET /repos/acme/api/rulesets: HTTP 500 Server Error"
    assert len(github.exchanges) == 3


def test_enterprise_server_path_prefix() -> None:
    with FakeGitHub({TOKEN: Token()}, prefix="/api/v3") as fake:
        fake.add_repo("acme/api", default_branch="trunk")
        fake.repos["acme/api"].rulesets = [FakeRuleset(n, f"r{n}") for n in range(1, 151)]
        with client(fake) as api:
            assert api.repository("acme/api").default_branch == "trunk"
            assert len(api.get_pages("/repos/acme/api/rulesets")) == 150
    assert_github_shapes(fake)


def test_unreachable_server_is_one_error_without_the_token() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    api = GitHubClient(TOKEN, f"http://127.0.0.1:{port}", retries=0, timeout=2)
    with pytest.raises(GitHubError) as raised:
        api.get("/repos/acme/api")
    assert "GitHub could not be reached" in str(raised.value)
    assert raised.value.status is None
    assert TOKEN not in "".join(traceback.format_exception(raised.value))


def test_the_token_never_shows(github: FakeGitHub, caplog: pytest.LogCaptureFixture) -> None:
    """A server that repeats the token in its error bodies, PyGithub logging at DEBUG:
    the token is in no message, no exception, no traceback and no log record."""
    github.echo_token = True
    wrong = "ghp_wrongTOKEN9876543210zyxwvutsrqponm"
    importlib.import_module("github")  # it sets its logger's level when first imported
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="github")
    # PyGithub logs the message of a rate-limit answer: here it holds the token.
    limited = {"message": f"API rate limit exceeded for {TOKEN}", "documentation_url": ""}
    github.fail("GET", "/rulesets$", 403, limited)
    errors = []
    for token, path in ((wrong, "/repos/acme/api"), (TOKEN, "/repos/acme/api/rulesets")):
        with client(github, token) as api, pytest.raises(GitHubError) as raised:
            api.get(path)
        errors.append(raised.value)
        assert repr(api) == f"GitHubClient({github.url!r})"
    assert [e.status for e in github.exchanges] == [401, 403]
    assert f"(token {wrong})" in github.exchanges[0].body["message"]  # the server did echo it
    assert str(errors[0]) == "GET /repos/acme/api: HTTP 401 Bad credentials (token ***)"
    assert (
        str(errors[1]) == "GET /repos/acme/api/rulesets: HTTP 403 API rate limit exceeded for ***"
    )
    for error in errors:
        assert error.__context__ is None and error.__cause__ is None
        shown = "".join(traceback.format_exception(error)) + repr(error) + error.api_message
        assert TOKEN not in shown and wrong not in shown
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "rate limit error: API rate limit exceeded for ***" in logged
    assert TOKEN not in logged and wrong not in logged
    assert TOKEN not in repr(OnlineOptions(TOKEN, "acme/api"))


def test_the_fake_cannot_drift_from_github() -> None:
    """The validator the fake is held to is not vacuous: a wrong shape, an undocumented
    endpoint or success status fail; OpenAPI's `nullable` and GitHub's recorded 404 pass."""
    shapes = github_shapes()
    path = "/repos/acme/api/branches/release/v1/protection"  # a branch name with a slash
    assert shapes.validate("GET", path, 200, classic_protection()).endswith("/protection")
    wrong = classic_protection()
    wrong["enforce_admins"] = True  # GitHub sends {"enabled": true, "url": ...}
    with pytest.raises(jsonschema.ValidationError):
        shapes.validate("GET", path, 200, wrong)
    with pytest.raises(AssertionError, match="not in GitHub's OpenAPI description"):
        shapes.validate("GET", "/repos/acme/api/protection", 200, {})
    with pytest.raises(AssertionError, match="never answers 201"):
        shapes.validate("GET", "/repos/acme/api/rulesets", 201, [])
    deploy_key = {"actor_id": None, "actor_type": "DeployKey", "bypass_mode": "always"}
    ruleset = ruleset_json(
        FakeRepo("acme", "api"),
        FakeRuleset(1, "r", strict_rules(), bypass_actors=[deploy_key]),
        "http://127.0.0.1",
        Token(ADMIN),
        full=True,
    )
    shapes.validate("GET", "/repos/acme/api/rulesets/1", 200, ruleset)
    shapes.validate("GET", path, 404, BRANCH_NOT_PROTECTED)
    assert BRANCH_NOT_PROTECTED["message"] == "Branch not protected"
