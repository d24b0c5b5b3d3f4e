"""pip-audit, asked about the versions a repository locks. Imported only by
`repo_harden.advisories.source` when it first looks something up: importing pip-audit costs
about half a second (it asks pip for its version in a subprocess).

pip-audit's `Auditor` reads a `DependencySource`; here that is the locked versions
themselves, with nothing to resolve or install. Its `OsvService` asks one version per
request (OSV's `POST /v1/query`; pip-audit never uses `/v1/querybatch`), so the versions
are shared among a few threads, each with its own `Auditor`. The Auditor folds records
that are aliases of one another, as the `pip-audit` command does, and `_advisories`
folds what it leaves under one id.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import requests
from packaging.version import InvalidVersion, Version
from pip_audit._audit import Auditor
from pip_audit._dependency_source import DependencySource
from pip_audit._fix import ResolvedFixVersion
from pip_audit._service import ConnectionError as OsvConnectionError
from pip_audit._service import (
    Dependency,
    OsvService,
    ResolvedDependency,
    ServiceError,
    VulnerabilityResult,
)
from urllib3.util.retry import Retry

from repo_harden.core.advisory import Advisory, AdvisoryError, PackageVersion
from repo_harden.core.deadline import DeadlineExceeded, within
from repo_harden.core.urls import shown_url

WORKERS = 8  # requests in flight at once
# A query that meets a busy or failing service is asked again: after 429 or a 5xx up to
# three times (waiting about 0.25, 0.5, then 1 s with jitter, or what Retry-After asks, up
# to a minute), after a refused connection twice. A read timeout is not asked again: the
# caller already waited `timeout` seconds.
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
STATUS_RETRIES = 3
CONNECT_RETRIES = 2
BACKOFF_SECONDS = 0.125
RETRY_AFTER_CAP_SECONDS = 60.0

Answer = list[tuple[Dependency, list[VulnerabilityResult]]]


class LockedVersions(DependencySource):
    """Versions a lockfile pins, for pip-audit to look up as they are."""

    def __init__(self, dependencies: Sequence[Dependency]) -> None:
        self.dependencies = dependencies

    def collect(self) -> Iterator[Dependency]:
        yield from self.dependencies

    def fix(self, fix_version: ResolvedFixVersion) -> None:
        raise NotImplementedError("LCK006 reports vulnerable versions; the lockfile's tool fixes")


class OsvLookup:
    """pip-audit's OSV service at one query URL."""

    def __init__(self, query_url: str, timeout: int) -> None:
        self.shown = shown_url(query_url)
        self.timeout = timeout
        self.service = OsvService(timeout=timeout, osv_url=query_url)
        _retry_transient_failures(self.service.session)

    def look_up(
        self, packages: Sequence[PackageVersion]
    ) -> dict[PackageVersion, tuple[Advisory, ...]]:
        """The advisories of each package version; a version that is not PEP 440 has
        none that OSV could match. Raises `AdvisoryError`."""
        found: dict[PackageVersion, tuple[Advisory, ...]] = dict.fromkeys(packages, ())
        asked: dict[Dependency, list[PackageVersion]] = {}
        for package in packages:
            resolved = _dependency(package)
            if resolved is not None:  # "1.0" and "1.0.0" are one version: asked once
                asked.setdefault(resolved, []).append(package)
        dependencies = list(asked)
        shares = [dependencies[start::WORKERS] for start in range(WORKERS)]
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            for answer in pool.map(self._audit, [share for share in shares if share]):
                for dependency, results in answer:
                    advisories = _advisories(results)
                    for package in asked[dependency]:
                        found[package] = advisories
        return found

    def _audit(self, dependencies: Sequence[Dependency]) -> Answer:
        answer: Answer = []
        for dependency in dependencies:
            answer += self._query(dependency)
        return answer

    def _query(self, dependency: Dependency) -> Answer:
        """One query, within a total deadline: `timeout` for each try, whatever the pace of
        the bytes (a read timeout alone lets a server trickle its answer for ever), plus the
        waits that Retry-After asks between tries."""
        deadline = self.timeout * (STATUS_RETRIES + 1) + RETRY_AFTER_CAP_SECONDS * STATUS_RETRIES
        auditor = Auditor(self.service)
        try:
            return within(deadline, lambda: list(auditor.audit(LockedVersions([dependency]))))
        except DeadlineExceeded:
            raise AdvisoryError(
                f"{self.shown} did not answer in full within {deadline:g} s"
            ) from None
        except (ServiceError, requests.RequestException, *_NOT_OSV) as error:
            raise AdvisoryError(self._failure(error)) from None

    def _failure(self, error: Exception) -> str:
        """Why the service could not answer, in one line that names it without secrets."""
        if isinstance(error, ServiceError):
            return self._service_failure(error)
        if isinstance(error, requests.RequestException):
            return self._request_failure(error)
        return f"{self.shown} answered with records that are not OSV ({error!r})"

    def _service_failure(self, error: ServiceError) -> str:
        cause = error.__cause__
        if isinstance(cause, requests.HTTPError) and cause.response is not None:
            status = f"HTTP {cause.response.status_code} {cause.response.reason}".rstrip()
            return f"{self.shown} answered {status}"
        if isinstance(error, OsvConnectionError):  # pip-audit's word for a connect timeout
            return f"could not connect to {self.shown} within {self.timeout} s"
        return f"{self.shown} failed: {error or type(error).__name__}"

    def _request_failure(self, error: requests.RequestException) -> str:
        if isinstance(error, requests.JSONDecodeError):
            return f"{self.shown} did not answer with JSON"
        if isinstance(error, requests.Timeout):
            return f"{self.shown} did not answer within {self.timeout} s"
        return f"could not reach {self.shown}: {_reason(error)}"


class _CappedRetry(Retry):
    """urllib3's retry, with a service's Retry-After honoured up to a cap."""

    def get_retry_after(self, response: object) -> float | None:
        asked = super().get_retry_after(response)  # type: ignore[arg-type]
        return None if asked is None else min(asked, RETRY_AFTER_CAP_SECONDS)


def _retry_transient_failures(session: requests.Session) -> None:
    """Make every adapter of pip-audit's session (CacheControl's, for http and https)
    ask again after a transient failure. OSV's query is a POST that reads and changes
    nothing, so it is safe to repeat. After the last try, the failing answer is returned
    and pip-audit raises on it, so the message still names the status."""
    retry = _CappedRetry(
        total=None,
        connect=CONNECT_RETRIES,
        read=False,  # re-raised as it is, so the message says "did not answer"
        status=STATUS_RETRIES,
        other=False,
        redirect=5,
        allowed_methods=None,  # every method, POST included
        status_forcelist=RETRIED_STATUSES,
        backoff_factor=BACKOFF_SECONDS,
        backoff_jitter=BACKOFF_SECONDS,
        raise_on_status=False,
    )
    for adapter in session.adapters.values():
        if isinstance(adapter, requests.adapters.HTTPAdapter):
            adapter.max_retries = retry


# What pip-audit raises reading an answer that is JSON but not OSV records.
_NOT_OSV = (KeyError, TypeError, ValueError, AttributeError)


def _dependency(package: PackageVersion) -> ResolvedDependency | None:
    try:
        return ResolvedDependency(name=package.name, version=Version(package.version))
    except InvalidVersion:
        return None


def _advisories(results: Sequence[VulnerabilityResult]) -> tuple[Advisory, ...]:
    """One advisory per id. pip-audit names a result by its PYSEC alias when it has one,
    so OSV's PYSEC record and the GHSA record of the same vulnerability may both come
    back as `PYSEC-...`: they are one advisory, with their aliases and fixes joined."""
    joined: dict[str, VulnerabilityResult] = {}
    for result in results:
        known = joined.get(result.id)
        joined[result.id] = result if known is None else _joined(known, result)
    return tuple(_advisory(result) for result in joined.values())


def _joined(known: VulnerabilityResult, other: VulnerabilityResult) -> VulnerabilityResult:
    fixes = sorted({*known.fix_versions, *other.fix_versions})
    from dataclasses import replace  # pip-audit's own dataclass; pip-audit imported it already

    return replace(known.merge_aliases(other), fix_versions=fixes)


def _advisory(result: VulnerabilityResult) -> Advisory:
    return Advisory(
        id=result.id,
        aliases=tuple(sorted(result.aliases - {result.id})),
        fixed_in=tuple(str(version) for version in sorted(result.fix_versions)),
        summary=result.description,
    )


def _reason(error: requests.RequestException) -> str:
    """The innermost OS-level reason (`Connection refused`, `Name or service not known`),
    else the kind of error: urllib3's own messages repeat the URL and are long."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OSError) and seen.strerror:
            return seen.strerror
        seen = seen.__cause__ or seen.__context__ or _first_exception(seen.args)
    return type(error).__name__


def _first_exception(args: tuple[object, ...]) -> BaseException | None:
    return next((arg for arg in args if isinstance(arg, BaseException)), None)
