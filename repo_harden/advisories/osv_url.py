"""Where the OSV API is: `--osv-url`, `REPO_HARDEN_OSV_URL`, or OSV's own; and URLs as
messages may show them."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

from repo_harden.core.errors import UsageError
from repo_harden.core.urls import shown_url

OSV_API = "https://api.osv.dev"
OSV_URL_VARIABLE = "REPO_HARDEN_OSV_URL"
QUERY_PATH = "/v1/query"


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
