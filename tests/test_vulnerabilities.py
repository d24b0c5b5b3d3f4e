"""LCK006: locked Python dependencies looked up in a fake OSV API on loopback, through the
real pip-audit code and real HTTP, in files uv, Poetry and pip's tools wrote. Offline runs
and hooks never ask and never import pip-audit; a failing service is reported, not fatal."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from repo_harden.advisories.osv_url import osv_query_url
from repo_harden.advisories.source import pip_audit_source
from repo_harden.core.advisory import AdvisoryError, PackageVersion
from repo_harden.core.errors import UsageError
from repo_harden.core.parsed import ParsedFiles
from repo_harden.ecosystems.registry import for_lockfile
from repo_harden.sources.memory import MemoryRepo
from tests.conftest import TESTS, make_repo, workflow
from tests.fake_osv import FakeOsv

FIXTURES = TESTS / "fixtures" / "vulnerable"
JINJA2 = (
    "jinja2 2.10 has 2 known vulnerabilities: PYSEC-2019-217 (CVE-2019-10906, "
    "GHSA-462w-v97r-4m45; fixed in 2.10.1), PYSEC-2021-66 (CVE-2020-28493, "
    "GHSA-g3rq-g295-4j3m; fixed in 2.11.3); upgrade to 2.11.3"
)
REQUESTS = (
    "requests 2.19.1 has a known vulnerability: PYSEC-2018-28 (CVE-2018-18074, "
    "GHSA-x84v-xcm2-53pg; fixed in 2.20.0); upgrade to 2.20.0"
)
UV_LOCKED = [
    ("certifi", "2026.10.18"),
    ("chardet", "3.0.4"),
    ("idna", "2.7"),
    ("jinja2", "2.10"),
    ("markupsafe", "3.0.4"),
    ("requests", "2.19.1"),
    ("urllib3", "1.23"),
]
POETRY_LOCKED = [*UV_LOCKED[:-1], ("urllib3", "1.22")]
Located = list[tuple[str, int | None, str]]


@pytest.fixture
def osv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeOsv]:
    """The fake OSV API. No GitHub token: LCK006 needs none. pip-audit keeps its (unused:
    OSV is asked with POST, which is never cached) cache folder under tmp_path."""
    for name in ("GITHUB_TOKEN", "GH_TOKEN", "REPO_HARDEN_OSV_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with FakeOsv() as fake:
        yield fake


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def scan_online(cli: Any, repo: Path, osv: FakeOsv, *args: str) -> Any:
    return cli(
        "scan", "--online", "--osv-url", osv.url, "--select", "LCK006", "--format", "json",
        *args, cwd=repo,
    )  # fmt: skip


def located(result: Any) -> Located:
    assert result.code in (0, 1), result.err
    return [(f["path"], f["line"], f["message"]) for f in result.json()["findings"]]


# Each lockfile format, as its tool wrote it: the finding is on the pin's line (the
# requirement, or the `[[package]]` entry).
LOCKFILE_CASES = [
    ("uv/requirements.txt", "requirements.txt", 15, 142, UV_LOCKED),
    ("uv/uv.lock", "uv.lock", 32, 172, UV_LOCKED),  # the virtual project is not asked about
    ("uv/pylock.toml", "pylock.toml", 28, 163, UV_LOCKED),
    ("poetry/poetry.lock", "poetry.lock", 54, 243, POETRY_LOCKED),
    ("pdm/pdm.lock", "pdm.lock", 44, 187, UV_LOCKED),
    ("pipenv/Pipfile.lock", "Pipfile.lock", 41, 206, UV_LOCKED),  # at the package's key
]


@pytest.mark.parametrize(
    ("source", "path", "jinja2_line", "requests_line", "asked"),
    LOCKFILE_CASES,
    ids=[case[1] for case in LOCKFILE_CASES],
)
def test_vulnerable_locked_versions_are_reported_at_their_pin(
    cli: Any,
    osv: FakeOsv,
    tmp_path: Path,
    *,
    source: str,
    path: str,
    jinja2_line: int,
    requests_line: int,
    asked: list[tuple[str, str]],
) -> None:
    repo = make_repo(tmp_path / "repo", {path: fixture(source)})
    result = scan_online(cli, repo, osv)
    assert result.code == 1
    assert located(result) == [(path, jinja2_line, JINJA2), (path, requests_line, REQUESTS)]
    assert osv.asked() == asked


def test_each_distinct_version_is_asked_once(cli: Any, osv: FakeOsv, tmp_path: Path) -> None:
    files = {name: fixture(f"uv/{name}") for name in ("uv.lock", "pylock.toml", "requirements.txt")}
    files["tools/poetry.lock"] = fixture("poetry/poetry.lock")
    repo = make_repo(tmp_path / "repo", files)
    result = scan_online(cli, repo, osv)
    assert len(located(result)) == 8  # jinja2 and requests in each of the four files
    assert osv.asked() == sorted({*UV_LOCKED, *POETRY_LOCKED})


def test_a_version_without_advisories_gives_nothing(cli: Any, osv: FakeOsv, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"requirements.txt": "MarkupSafe==3.0.4\n"})
    result = scan_online(cli, repo, osv)
    assert (result.code, located(result)) == (0, [])
    assert osv.asked() == [("markupsafe", "3.0.4")]


def test_only_exact_pins_from_an_index_are_asked_about(
    cli: Any, osv: FakeOsv, tmp_path: Path
) -> None:
    requirements = (
        "-r base.txt\n"
        "-c constraints.txt\n"
        "-e .\n"
        "./vendor/tool\n"
        "flask>=2\n"
        "jinja2==2.*\n"
        "tool @ git+https://github.com/acme/tool@6f1e0c3d2b4a59687c8e7f1a2b3c4d5e6f708192\n"
        "requests===2.19.1 ; python_version >= '3.8'\n"
    )
    files = {
        "requirements.txt": requirements,
        "base.txt": "py==1.11.0\n",
        "constraints.txt": "jinja2==2.10\n",
    }
    repo = make_repo(tmp_path / "repo", files)
    found = {(path, line) for path, line, _ in located(scan_online(cli, repo, osv))}
    assert found == {("requirements.txt", 8), ("base.txt", 1), ("constraints.txt", 1)}
    assert osv.asked() == [("jinja2", "2.10"), ("py", "1.11.0"), ("requests", "2.19.1")]


def test_an_advisory_no_release_fixes(cli: Any, osv: FakeOsv, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"requirements.txt": "py==1.11.0\n"})
    assert located(scan_online(cli, repo, osv)) == [
        (
            "requirements.txt",
            1,
            "py 1.11.0 has a known vulnerability: PYSEC-2022-42969 (CVE-2022-42969, "
            "GHSA-w596-4wvx-j9j6; no fixed release); no release fixes it yet: replace the "
            "dependency or mitigate, and waive the finding with a reason and an expiry date",
        )
    ]


def test_an_inline_ignore_with_a_reason_suppresses_it(
    cli: Any, osv: FakeOsv, tmp_path: Path
) -> None:
    requirements = "jinja2==2.10  # repo-harden: ignore[LCK006] no sandboxed templates here\n"
    repo = make_repo(tmp_path / "repo", {"requirements.txt": requirements})
    assert located(scan_online(cli, repo, osv)) == []


@pytest.mark.parametrize(
    ("path", "text"),
    [("uv.lock", "[[package]\nname = 'x'\n"), ("Pipfile.lock", '{"default": {"jinja2": ')],
)
def test_a_lockfile_that_cannot_be_read_is_rh000(
    cli: Any, osv: FakeOsv, tmp_path: Path, path: str, text: str
) -> None:
    repo = make_repo(tmp_path / "repo", {path: text})
    result = scan_online(cli, repo, osv, "--select", "LCK006,RH000")
    assert [(f["rule"], f["path"]) for f in result.json()["findings"]] == [("RH000", path)]
    assert osv.queries == []


# Offline and in hooks: no request, and pip-audit is never imported ---------------------


def _imported(command: list[str], repo: Path, osv: FakeOsv) -> set[str]:
    """Run `command` in `repo` with `-X importtime` (as PYTHONPROFILEIMPORTTIME) and the
    OSV URL in the environment, and return every module it imported."""
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1", "REPO_HARDEN_OSV_URL": osv.url}
    result = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, check=False)
    assert result.returncode in (0, 1), result.stdout + result.stderr  # LCK004: no hashes
    assert "Traceback" not in result.stderr
    return {line.split("|")[-1].strip() for line in result.stderr.splitlines() if "|" in line}


def test_offline_scans_and_hooks_never_ask_nor_import_pip_audit(
    osv: FakeOsv, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "repo", {"requirements.txt": "MarkupSafe==3.0.4\n"})
    scripts = Path(sys.executable).parent
    for command in (
        [sys.executable, "-m", "repo_harden", "scan", "--select", "LCK"],
        [str(scripts / "repo-harden-lockfiles"), "requirements.txt"],
        [str(scripts / "repo-harden-hook"), "requirements.txt"],
        # online, but no rule that looks anything up
        [sys.executable, "-m", "repo_harden", "scan", "--online", "--select", "LCK003"],
    ):
        imported = _imported(command, repo, osv)
        assert "repo_harden.checks.lockfiles.requirement_pins" in imported, command
        assert not {name for name in imported if name.startswith("pip_audit")}, command
        assert "repo_harden.advisories.pip_audit" not in imported, command
    assert osv.queries == []


# A service that fails: reported under LCK006, the rest of the scan as usual ------------


def test_a_failing_service_is_reported_and_the_scan_goes_on(
    cli: Any, osv: FakeOsv, tmp_path: Path
) -> None:
    osv.status = 500
    files = {
        "requirements.txt": fixture("uv/requirements.txt"),
        "uv.lock": fixture("uv/uv.lock"),
        ".github/workflows/ci.yml": workflow("      - uses: actions/checkout@v4\n"),
    }
    repo = make_repo(tmp_path / "repo", files)
    result = scan_online(cli, repo, osv, "--select", "LCK006,PIN001")
    assert result.code == 1
    reason = f"{osv.url}/v1/query answered HTTP 500 Internal Server Error"
    found = [(f["rule"], f["path"], f["line"], f["message"]) for f in result.json()["findings"]]
    assert found == [
        ("PIN001", ".github/workflows/ci.yml", 6, found[0][3]),
        ("LCK006", "requirements.txt", None, _not_checked("requirements.txt", reason)),
        ("LCK006", "uv.lock", None, _not_checked("uv.lock", reason)),
    ]
    assert result.err == ""


def _not_checked(path: str, reason: str) -> str:
    return (
        f"{path} was not checked for known vulnerabilities: {reason}; run the scan again "
        "later, or use a mirror of the OSV API (--osv-url)"
    )


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_an_unreachable_service_says_so(cli: Any, osv: FakeOsv, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"requirements.txt": "jinja2==2.10\n"})
    url = f"http://127.0.0.1:{_closed_port()}"
    result = cli("scan", "--online", "--osv-url", url, "--select", "LCK006", cwd=repo)
    assert result.code == 1
    reason = f"could not reach {url}/v1/query: Connection refused"
    assert result.out.splitlines()[0] == (
        f"requirements.txt: LCK006 {_not_checked('requirements.txt', reason)}"
    )
    assert "Traceback" not in result.err


def test_a_slow_service_times_out(osv: FakeOsv) -> None:
    osv.delay = 2.0
    source = pip_audit_source(osv.url, timeout=1)
    with pytest.raises(AdvisoryError) as raised:
        source.advisories([PackageVersion("jinja2", "2.10")])
    assert str(raised.value) == f"{osv.url}/v1/query did not answer within 1 s"


def test_a_transient_failure_is_asked_again(osv: FakeOsv) -> None:
    """A 503 and a 502 before the answer: the third try gets it, and the advisory is found."""
    osv.transient = [(503, None), (502, None)]
    source = pip_audit_source(osv.url)
    found = source.advisories([PackageVersion("jinja2", "2.10")])
    assert [advisory.id for advisory in found[PackageVersion("jinja2", "2.10")]] != []
    assert len(osv.queries) == 3
    assert osv.asked()[-1] == ("jinja2", "2.10")


def test_a_rate_limit_is_waited_out_as_retry_after_asks(osv: FakeOsv) -> None:
    osv.transient = [(429, "1")]
    source = pip_audit_source(osv.url)
    started = time.monotonic()
    found = source.advisories([PackageVersion("jinja2", "2.10")])
    assert time.monotonic() - started >= 1.0
    assert found[PackageVersion("jinja2", "2.10")] != ()
    assert len(osv.queries) == 2


def test_a_service_that_keeps_failing_is_asked_four_times_then_reported(
    osv: FakeOsv,
) -> None:
    osv.status = 500
    source = pip_audit_source(osv.url)
    with pytest.raises(AdvisoryError) as raised:
        source.advisories([PackageVersion("jinja2", "2.10")])
    assert str(raised.value) == f"{osv.url}/v1/query answered HTTP 500 Internal Server Error"
    assert osv.asked() == [("jinja2", "2.10")] * 4


def test_a_source_that_keeps_failing_stops_asking_for_the_rest_of_the_run(
    osv: FakeOsv,
) -> None:
    """An org audit shares one source: an OSV that keeps failing costs its retries for the
    first lookups, not once per repository. A success in between starts the count again."""
    osv.status = 500
    source = pip_audit_source(osv.url)
    reasons = []
    for number in range(6):
        with pytest.raises(AdvisoryError) as raised:
            source.advisories([PackageVersion("jinja2", f"2.{number}")])
        reasons.append(str(raised.value))
        if number == 0:
            osv.status = 200
            assert source.advisories([PackageVersion("markupsafe", "3.0.4")])
            osv.status = 500
    failed = f"{osv.url}/v1/query answered HTTP 500 Internal Server Error"
    assert reasons[:4] == [failed] * 4  # 1, then a success, then 3 in a row
    assert reasons[4:] == [f"{failed} (not asked again in this run)"] * 2
    asked = [version for name, version in osv.asked() if name == "jinja2"]
    assert asked == [version for number in range(4) for version in [f"2.{number}"] * 4]


def test_credentials_in_the_url_are_never_shown(cli: Any, osv: FakeOsv, tmp_path: Path) -> None:
    osv.status = 503
    repo = make_repo(tmp_path / "repo", {"requirements.txt": "jinja2==2.10\n"})
    url = osv.url.replace("http://", "http://mirror-user:s3cret-passw0rd@")
    result = cli("scan", "--online", "--osv-url", url, "--select", "LCK006", cwd=repo)
    assert f"{osv.url}/v1/query answered HTTP 503" in result.out
    assert "s3cret-passw0rd" not in result.out + result.err
    assert repr(pip_audit_source(url)) == f"PipAuditSource('{osv.url}/v1/query')"


# The source the org audit shares between repositories ----------------------------------


def test_a_source_asks_once_for_each_version_however_often_it_is_asked(osv: FakeOsv) -> None:
    source = pip_audit_source(osv.url)
    jinja2, equal = PackageVersion("jinja2", "2.10"), PackageVersion("jinja2", "2.10.0")
    first = source.advisories([jinja2, equal, PackageVersion("markupsafe", "3.0.4")])
    again = source.advisories([jinja2])
    assert [a.id for a in first[jinja2]] == ["PYSEC-2019-217", "PYSEC-2021-66"]
    assert first[equal] == first[jinja2] == again[jinja2]
    assert osv.asked() == [("jinja2", "2.10"), ("markupsafe", "3.0.4")]
    advisory = first[jinja2][0]
    assert (advisory.aliases, advisory.fixed_in) == (
        ("CVE-2019-10906", "GHSA-462w-v97r-4m45"),
        ("2.10.1",),
    )


def test_threads_sharing_a_source_ask_once_for_each_version(osv: FakeOsv) -> None:
    source = pip_audit_source(osv.url)
    packages = [PackageVersion(name, version) for name, version in UV_LOCKED]
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda _: source.advisories(packages), range(4)))
    assert all(answer == answers[0] for answer in answers)
    assert osv.asked() == UV_LOCKED


def test_a_version_that_is_not_pep_440_has_no_advisories(osv: FakeOsv) -> None:
    odd = PackageVersion("jinja2", "not-a-version")
    assert pip_audit_source(osv.url).advisories([odd]) == {odd: ()}
    assert osv.queries == []


# The command line ----------------------------------------------------------------------


def test_scan_online_end_to_end_without_a_github_token(
    cli: Any, osv: FakeOsv, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "repo", {"requirements.txt": fixture("uv/requirements.txt")})
    result = cli("scan", "--online", "--osv-url", osv.url, "--select", "LCK", cwd=repo)
    assert result.code == 1, result.err
    assert result.out.splitlines()[:2] == [
        f"requirements.txt:15:1: LCK006 {JINJA2}",
        f"requirements.txt:142:1: LCK006 {REQUESTS}",
    ]


def test_the_osv_url_may_come_from_the_environment(
    cli: Any, osv: FakeOsv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPO_HARDEN_OSV_URL", osv.url)
    repo = make_repo(tmp_path / "repo", {"requirements.txt": "requests==2.19.1\n"})
    result = cli("scan", "--online", "--select", "LCK006", cwd=repo)
    assert result.out.startswith(f"requirements.txt:1:1: LCK006 {REQUESTS}\n")


def test_rules_that_read_github_still_need_a_token(cli: Any, osv: FakeOsv, tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"requirements.txt": "requests==2.19.1\n"})
    result = cli("scan", "--online", "--osv-url", osv.url, "--select", "LCK006,BP", cwd=repo)
    assert result.code == 2
    assert result.err == (
        "repo-harden: error: --online needs a GitHub token: set GITHUB_TOKEN or GH_TOKEN; "
        "BP001-BP012 read live settings from GitHub (LCK006 needs no token: "
        "`--online --select LCK006`)\n"
    )
    assert osv.queries == []


@pytest.mark.parametrize(
    ("args", "environ", "error"),
    [
        (("--osv-url", "http://127.0.0.1:1"), {}, "--osv-url needs --online"),
        (("--online", "--osv-url", "ftp://osv.example"), {}, "--osv-url: expected an http"),
        (("--online",), {"REPO_HARDEN_OSV_URL": "osv.example"}, "REPO_HARDEN_OSV_URL: expected"),
    ],
)
def test_osv_url_usage_errors(
    cli: Any,
    osv: FakeOsv,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    args: tuple[str, ...],
    environ: dict[str, str],
    error: str,
) -> None:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    result = cli("scan", *args, "--select", "LCK006", cwd=make_repo(tmp_path / "repo", {}))
    assert result.code == 2
    assert error in result.err
    assert len(result.err.splitlines()) == 1


@pytest.mark.parametrize(
    ("base", "query_url"),
    [
        (None, "https://api.osv.dev/v1/query"),
        ("https://osv.example.com", "https://osv.example.com/v1/query"),
        ("https://osv.example.com/", "https://osv.example.com/v1/query"),
        ("https://mirror.example.com/osv/", "https://mirror.example.com/osv/v1/query"),
        ("http://127.0.0.1:8080/v1/query", "http://127.0.0.1:8080/v1/query"),
        ("https://osv.example.com/api?tenant=7", "https://osv.example.com/api/v1/query?tenant=7"),
    ],
)
def test_osv_query_url(base: str | None, query_url: str) -> None:
    assert osv_query_url(base) == query_url


@pytest.mark.parametrize("base", ["osv.example.com", "file:///tmp/osv", "https://"])
def test_osv_query_url_rejects_what_is_not_http(base: str) -> None:
    with pytest.raises(UsageError, match="expected an http or https URL"):
        osv_query_url(base)


# Which entries of a lockfile stand for an index release ---------------------------------

UV_LOCK = """version = 1
revision = 3

[[package]]
name = "Jinja2"
version = "2.10"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }

[[package]]
name = "tool"
version = "1.0"
source = { git = "https://github.com/acme/tool?rev=v1#6f1e0c3d2b4a59687c8e7f1a2b3c4d5e6f708192" }

[[package]]
name = "wheel-from-url"
version = "1.0"
source = { url = "https://example.com/wheel_from_url-1.0-py3-none-any.whl" }
"""
POETRY_LOCK = """[[package]]
name = "requests"
version = "2.19.1"
files = []

[package.source]
type = "legacy"
url = "https://mirror.example.com/simple"
reference = "mirror"

[[package]]
name = "tool"
version = "1.0"
files = []

[package.source]
type = "git"
url = "https://github.com/acme/tool.git"
reference = "main"
resolved_reference = "6f1e0c3d2b4a59687c8e7f1a2b3c4d5e6f708192"

[[package]]
name = "local"
version = "0.1.0"
files = []

[package.source]
type = "directory"
url = "../local"

[metadata]
lock-version = "2.1"
"""
PYLOCK = """lock-version = "1.0"
created-by = "uv"

[[packages]]
name = "py"
version = "1.11.0"
index = "https://pypi.org/simple"

[[packages]]
name = "tool"
version = "1.0"
vcs = { type = "git", url = "https://github.com/acme/tool", commit-id = "6f1e0c3d2b4a59687c8e7f1a2b3c4d5e6f708192" }

[[packages]]
name = "local"
directory = { path = "local", editable = true }
"""

PDM_LOCK = """[metadata]
lock_version = "4.5.0"

[[package]]
name = "jinja2"
version = "2.10"
groups = ["default"]

[[package]]
name = "tool"
version = "1.0"
git = "https://github.com/acme/tool"
revision = "6f1e0c3d2b4a59687c8e7f1a2b3c4d5e6f708192"

[[package]]
name = "wheel-file"
version = "2.0"
url = "https://example.com/wheel_file-2.0-py3-none-any.whl"

[[package]]
name = "local"
version = "0.1.0"
path = "./local"
"""


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        ("uv.lock", UV_LOCK, [("jinja2", "2.10", 4)]),
        ("pdm.lock", PDM_LOCK, [("jinja2", "2.10", 4)]),
        ("sub/poetry.lock", POETRY_LOCK, [("requests", "2.19.1", 1)]),
        ("pylock.dev.toml", PYLOCK, [("py", "1.11.0", 4)]),
    ],
)
def test_locked_packages_are_index_releases(
    path: str, text: str, expected: list[tuple[str, str, int]]
) -> None:
    ecosystem = for_lockfile(path.rpartition("/")[2])
    assert ecosystem is not None and ecosystem.locked_packages is not None
    found = ecosystem.locked_packages(ParsedFiles(MemoryRepo({path: text})), path)
    assert [(p.name, p.version, p.at.line if p.at else None) for p in found] == expected
