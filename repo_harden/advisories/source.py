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

import contextlib
import signal
import threading
import time
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

from repo_harden.advisories.osv_url import osv_query_url
from repo_harden.core.advisory import Advisory, AdvisoryError, AdvisorySource, PackageVersion
from repo_harden.core.urls import shown_url

if TYPE_CHECKING:
    from repo_harden.advisories.pip_audit import OsvLookup

TIMEOUT_SECONDS = 15  # pip-audit's own default
# Lookups that fail in a row (each after its retries) before a source stops asking for the
# rest of the run: an unreachable service must not cost its retries once per repository.
FAILURES_BEFORE_GIVING_UP = 3
# How long the end of an audit waits for pip-audit to finish loading (see `loaded`).
LOAD_WAIT_SECONDS = 30.0


def pip_audit_source(
    osv_url: str | None = None, *, timeout: int = TIMEOUT_SECONDS
) -> AdvisorySource:
    """Known vulnerabilities from the OSV API at `osv_url` (its base URL; None: OSV's
    own), asked through pip-audit with `timeout` seconds for each answer.

    One source may serve many repositories and threads: it asks once for each distinct
    package version and remembers the answer. A failure raises `AdvisoryError` with a
    one-line reason, and is not remembered, until `FAILURES_BEFORE_GIVING_UP` lookups in a
    row have failed: then it raises at once, asking nothing more. Raises `UsageError` for
    a URL that is not http(s)."""
    return PipAuditSource(osv_query_url(osv_url), timeout)


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
        self._failures_in_a_row = 0
        self._given_up: str | None = None  # why it asks no more
        self._loading: threading.Event | None = None  # set once pip-audit has loaded

    def __repr__(self) -> str:
        return f"PipAuditSource({shown_url(self.query_url)!r})"

    def load_in_background(self) -> None:
        """Load pip-audit now, on a thread of its own: an org audit will look packages up,
        and loading it (half a second, with a `pip --version`) then overlaps the first
        requests instead of holding up the checks. A failure to load is left for the first
        lookup to report."""

        done = self._loading = threading.Event()

        def load() -> None:
            _ignore_interrupts_in_this_thread()
            try:
                with self._asking, contextlib.suppress(Exception):
                    self._osv()
            finally:
                done.set()

        threading.Thread(target=load, name="load-pip-audit", daemon=True).start()

    def loaded(self, timeout: float = LOAD_WAIT_SECONDS) -> None:
        """Wait, up to `timeout` seconds, for `load_in_background` to finish. Loading
        pip-audit runs `pip --version` with its output piped: an audit that ended first (an
        organization whose results were all cached) left that pip writing into a closed
        pipe, and pip's traceback for it on the terminal. An interruption meanwhile (Ctrl-C,
        the SIGTERM that ends a `--jobs` worker) is raised once it has finished."""
        if self._loading is None:
            return
        deadline = time.monotonic() + timeout
        interrupted: BaseException | None = None
        # An event, not `Thread.join`: a join that a signal handler's exception interrupts
        # takes the thread for ended (CPython 3.11), and the wait stopped short.
        while not self._loading.is_set() and (left := deadline - time.monotonic()) > 0:
            try:
                self._loading.wait(left)
            except BaseException as error:  # Ctrl-C, a worker's SIGTERM: pip still ends first
                interrupted = error
        if interrupted is not None:
            raise interrupted

    def advisories(
        self, packages: Collection[PackageVersion]
    ) -> Mapping[PackageVersion, tuple[Advisory, ...]]:
        wanted = list(dict.fromkeys(packages))
        with self._asking:
            missing = [package for package in wanted if package not in self._known]
            if missing:
                self._known.update(self._look_up(missing))
            return {package: self._known[package] for package in wanted}

    def _look_up(
        self, packages: list[PackageVersion]
    ) -> Mapping[PackageVersion, tuple[Advisory, ...]]:
        if self._given_up is not None:
            raise AdvisoryError(self._given_up)
        try:
            found = self._osv().look_up(packages)
        except AdvisoryError as error:
            self._failures_in_a_row += 1
            if self._failures_in_a_row >= FAILURES_BEFORE_GIVING_UP:
                self._given_up = f"{error} (not asked again in this run)"
            raise
        self._failures_in_a_row = 0
        return found

    def _osv(self) -> OsvLookup:
        if self._lookup is None:
            from repo_harden.advisories.pip_audit import OsvLookup

            self._lookup = OsvLookup(self.query_url, self.timeout)
        return self._lookup


def _ignore_interrupts_in_this_thread() -> None:
    """Block SIGINT in the calling thread, and so in the `pip --version` it starts: Ctrl-C
    at a terminal reaches the whole foreground process group, and that pip printed a
    KeyboardInterrupt traceback under the audit's one line. The process still gets the
    signal: the kernel hands it to a thread that does not block it."""
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
