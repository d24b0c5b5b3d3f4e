"""Known vulnerabilities of Python packages, from an OSV service through pip-audit (LCK006).

`pip_audit_source()` builds the `AdvisorySource` that `scan --online` and the org audit put
in `RepoSettings.advisories`. pip-audit is imported when the first versions are looked
up, never before: offline runs and hooks never load it, and neither does an online run
that finds no locked Python dependency.

The OSV endpoint is the API's base URL: `https://api.osv.dev` by default, or a mirror's
(`--osv-url`, `REPO_HARDEN_OSV_URL`). pip-audit's `OsvService` takes the full query URL
as its `osv_url` argument (pip-audit 2.10 and later), so nothing of pip-audit is copied
or patched to point it elsewhere.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from repo_harden.core.advisory import Advisory, AdvisorySource, PackageVersion
from repo_harden.core.errors import UsageError

if TYPE_CHECKING:
    from repo_harden.advisories.pip_audit import OsvLookup

OSV_API = "https://api.osv.dev"
OSV_URL_VARIABLE = "REPO_HARDEN_OSV_URL"
QUERY_PATH = "/v1/query"
TIMEOUT_SECONDS = 15  # pip-audit's own default


def pip_audit_source(
    osv_url: str | None = None, *, timeout: int = TIMEOUT_SECONDS
) -> AdvisorySource:
    """Known vulnerabilities from the OSV API at `osv_url` (its base URL; None: OSV's
    own), asked through pip-audit with `timeout` seconds for each answer.

    One source may serve many repositories and threads: it asks once for each distinct
    package version and remembers the answer. A failure raises `AdvisoryError` with a
    one-line reason, and is not remembered. Raises `UsageError` for a URL that is not
    http(s)."""
    return PipAuditSource(osv_query_url(osv_url), timeout)


def osv_url_setting(option: str | None, environ: Mapping[str, str]) -> str | None:
    """The OSV API to use: the `--osv-url` option, else `REPO_HARDEN_OSV_URL`, else None
    (OSV's own). Checked, so that a bad URL stops the run before it starts."""
    if option:
        osv_query_url(option, named="--osv-url")
        return option
    value = environ.get(OSV_URL_VARIABLE) or None
    if value is not None:
        osv_query_url(value, named=OSV_URL_VARIABLE)
    return value


def osv_query_url(base: str | None, *, named: str = "--osv-url") -> str:
    """The query endpoint of the OSV API at `base` (`https://osv.example/api` asks
    `https://osv.example/api/v1/query`); a URL that ends in `/v1/query` is kept."""
    parts = urlsplit((base or OSV_API).strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{named}: expected an http or https URL, not {shown_url(base or '')!r}")
    path = parts.path.rstrip("/")
    if not path.endswith(QUERY_PATH):
        path += QUERY_PATH
    return urlunsplit(parts._replace(path=path))


def shown_url(url: str) -> str:
    """A URL as messages may show it: without credentials (`https://user:secret@host`)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


class PipAuditSource:
    """An `AdvisorySource` backed by pip-audit's OSV service; see `pip_audit_source`."""

    def __init__(self, query_url: str, timeout: int) -> None:
        self.query_url = query_url
        self.timeout = timeout
        self._known: dict[PackageVersion, tuple[Advisory, ...]] = {}
        self._lookup: OsvLookup | None = None
        # One lookup at a time, across threads: each version is asked exactly once, and no
        # more requests are in flight than one lookup sends.
        self._asking = threading.Lock()

    def __repr__(self) -> str:
        return f"PipAuditSource({shown_url(self.query_url)!r})"

    def advisories(
        self, packages: Collection[PackageVersion]
    ) -> Mapping[PackageVersion, tuple[Advisory, ...]]:
        wanted = list(dict.fromkeys(packages))
        with self._asking:
            missing = [package for package in wanted if package not in self._known]
            if missing:
                self._known.update(self._osv().look_up(missing))
            return {package: self._known[package] for package in wanted}

    def _osv(self) -> OsvLookup:
        if self._lookup is None:
            from repo_harden.advisories.pip_audit import OsvLookup

            self._lookup = OsvLookup(self.query_url, self.timeout)
        return self._lookup
