"""The audit pipeline, one listing page (up to 100 repositories) at a time:

1. keep the repositories asked for (archived, forks and empty ones are skipped with the
   reason; `--shard` keeps its share);
2. read each one's settings (worker threads);
3. reuse the stored result of a repository whose head commit, settings, config and tool
   version have not changed;
4. read the others' trees and the blobs the checks' patterns name, batched across
   repositories;
5. run every check on each `GitHubSnapshot` through `judge`, as `scan` does, and store the
   result at once, so an interrupted audit resumes here;
6. record the page's outcome (`PageOutcome`): findings to the spool, each repository's
   status.

Steps 2-5 run in this process, or, with `--jobs N`, in N worker processes that each run
them on the pages they take (`audit.workers`); the listing and step 6 stay here, so the
report is the same either way.

A repository that cannot be read is `failed`, with the reason, and the others go on.
"""

from __future__ import annotations

import datetime
import hashlib
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

from repo_harden import __version__
from repo_harden.audit import listing as listings
from repo_harden.audit.content import (
    GRAPHQL_BATCHES_IN_FLIGHT,
    BlobRequest,
    Failures,
    read_blobs,
    read_trees,
)
from repo_harden.audit.git_api import TransportGitApi
from repo_harden.audit.github_snapshot import GitHubSnapshot
from repo_harden.audit.listing import ListedRepository
from repo_harden.audit.settings import ActionsReading, CachedApi, read_settings
from repo_harden.audit.spool import SpooledFindings
from repo_harden.audit.store import Store, StoredBlob, TreeEntry
from repo_harden.audit.transport import Stats, Transport
from repo_harden.checks import CHECK_MODULES
from repo_harden.core.advisory import AdvisorySource
from repo_harden.core.errors import ConfigError
from repo_harden.core.globs import PathMatcher
from repo_harden.core.lazy import load_deferred
from repo_harden.core.model import Finding, Rule, fingerprint
from repo_harden.core.record import field, record, replace
from repo_harden.core.snapshot import RepoSettings
from repo_harden.engine.catalogue import catalogue
from repo_harden.engine.config import (
    CONFIG_FILE,
    PYPROJECT,
    Config,
    config_path_in,
    snapshot_config,
)
from repo_harden.engine.engine_rules import UNPARSEABLE
from repo_harden.engine.exemptions import inline_exemptions, waiver_exemptions
from repo_harden.engine.judge import judged, selected_checks
from repo_harden.engine.overrides import Overrides, apply_overrides
from repo_harden.engine.policy import Reported
from repo_harden.engine.records import (
    AUDITED,
    FAILED,
    SKIPPED,
    Exemption,
    RecordError,
    RepositoryStatus,
    exemption_from_record,
    exemption_record,
    finding_record,
    reported_from_record,
)
from repo_harden.engine.run import RuleSelection
from repo_harden.github.client import GitHubError
from repo_harden.github.git_refs import GitHubRefs, git_hosts


@record
class AuditOptions:
    organizations: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    repositories: tuple[str, ...] = ()
    include_archived: bool = False
    include_forks: bool = False
    shard: tuple[int, int] | None = None
    config: Config | None = None  # --config: one config for every repository
    config_text: str = ""
    overrides: Overrides = field(default_factory=Overrides)  # --select, --ignore, --exclude
    today: datetime.date = field(default_factory=datetime.date.today)
    advisories: AdvisorySource | None = None  # LCK006's known vulnerabilities


@record(frozen=False)
class AuditResult:
    # On disk, read back for the report: an audit's memory must not grow with its findings.
    reported: SpooledFindings = field(default_factory=SpooledFindings)
    repositories: list[RepositoryStatus] = field(default_factory=list)
    exemptions: list[Exemption] = field(default_factory=list)  # waivers and inline ignores
    files_checked: int = 0
    suppressed_inline: int = 0
    waived: int = 0
    not_shown: int = 0
    crashes: list[str] = field(default_factory=list)
    reused: int = 0  # repositories whose stored result was still valid

    @property
    def failed(self) -> list[RepositoryStatus]:
        return [repo for repo in self.repositories if repo.status == FAILED]


# The rules that read a repository's Actions settings, a REST request each (GraphQL has
# none): WF101-WF104 judge them all; the other workflow rules read the token's defaults.
ACTIONS_SETTINGS_RULES = CHECK_MODULES["repo_harden.checks.trust_boundaries.actions_settings"]
ACTIONS_SETTINGS_READERS = tuple(
    code
    for module, codes in CHECK_MODULES.items()
    if module.startswith("repo_harden.checks.trust_boundaries.")
    for code in codes
)

PAGES_AHEAD = 2  # listing pages read (settings, trees, files) while the checks run


@record
class Page:
    """A listing page's repositories to read, numbered in listing order from 0."""

    index: int
    repositories: list[ListedRepository]


@record
class PageOutcome:
    """A page, read and checked: what the process that reports needs of it."""

    index: int
    checked: list[tuple[ListedRepository, dict[str, Any]]]  # in listing order
    failed: list[tuple[ListedRepository, str]]  # and why
    reused: int = 0  # results taken from the store
    crashes: list[str] = field(default_factory=list)


@record
class _Prepared:
    """A listing page, read: what the checks of its repositories need."""

    index: int
    candidates: list[ListedRepository]
    failures: Failures  # repository -> why it could not be read
    settings: dict[str, RepoSettings]
    trees: dict[str, list[TreeEntry]]
    blobs: dict[str, StoredBlob]


class Workers(Protocol):
    """Processes that read and check the pages (`audit.workers.WorkerPool`)."""

    def outcomes(self, pages: Iterator[Page]) -> Iterator[PageOutcome]: ...

    def stats(self) -> list[Stats]: ...

    def rates_left(self) -> list[int]: ...


class Progress(Protocol):
    """What the audit tells as it goes; the command line draws it on a terminal."""

    def update(self, result: AuditResult, stats: Stats, rate_left: int | None) -> None: ...


class Audit:
    def __init__(
        self,
        transport: Transport,
        store: Store,
        options: AuditOptions,
        *,
        concurrency: int,
        progress: Progress | None = None,
        note: Callable[[str], None] | None = None,
        workers: Workers | None = None,
    ) -> None:
        self.transport = transport
        self._workers = workers
        self.store = store
        self.options = options
        self.found = catalogue(())
        load_deferred()  # no lazy module may load for the first time in a worker thread
        self.rules: dict[str, Rule] = dict(self.found.rules)
        self.result = AuditResult(reported=SpooledFindings(self.rules, note))
        self._api = CachedApi(transport, store)
        # One source for every repository: a ref many repositories pin is asked once.
        self._git_refs = GitHubRefs(
            TransportGitApi(transport), hosts=git_hosts(transport.api_url), cache=store
        )
        # Twice as many workers as requests in flight (the governor keeps to `concurrency`):
        # a worker between two requests, storing an answer, leaves its slot to another.
        self._pool = ThreadPoolExecutor(max_workers=2 * concurrency, thread_name_prefix="audit")
        # GraphQL batches are heavy: a few at a time (GitHub asks for restraint with them).
        self._batch_pool = ThreadPoolExecutor(
            max_workers=min(GRAPHQL_BATCHES_IN_FLIGHT, concurrency), thread_name_prefix="batch"
        )
        # A page's files are read while its settings are asked; the pages' files one page
        # after the other, so an object several pages hold is asked once, by the first.
        self._content_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="content")
        self._progress = progress
        self._wanted = PathMatcher(
            [p for check in self.found.checks.values() for p in check.patterns]
            + [CONFIG_FILE, PYPROJECT]
        )
        self._org_config_key = hashlib.sha256(options.config_text.encode()).hexdigest()
        self._chooser = listings.Chooser(options)
        self._reads_actions = actions_reading(options)

    def run(self) -> AuditResult:
        try:
            pages = self._kept_pages()
            if self._workers is not None:
                outcomes = self._workers.outcomes(pages)
            else:
                outcomes = self.audit_pages(pages)
            for outcome in outcomes:
                self._finish_page(outcome)
        finally:
            self._content_pool.shutdown(wait=True, cancel_futures=True)
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._batch_pool.shutdown(wait=True, cancel_futures=True)
        self.result.repositories.sort(key=lambda repo: repo.name.lower())
        return self.result

    # Listing ------------------------------------------------------------------------

    def _pages(self) -> Iterator[list[ListedRepository]]:
        def failed(name: str, reason: str) -> None:
            self._status(ListedRepository(name), FAILED, reason)

        yield from listings.listed_pages(self.transport, self._chooser.targets, failed)

    def _keep(self, listed: ListedRepository) -> bool:
        return self._chooser.keep(listed, lambda why: self._status(listed, SKIPPED, why))

    def _kept_pages(self) -> Iterator[Page]:
        """The listing's pages, each with the repositories to read (pages with none left out)."""
        index = 0
        for listed_page in self._pages():
            kept = [listed for listed in listed_page if self._keep(listed)]
            if kept:
                yield Page(index, kept)
                index += 1

    # Pages, read ahead ------------------------------------------------------------------

    def audit_pages(self, pages: Iterator[Page]) -> Iterator[PageOutcome]:
        """Each page of `pages` read and checked, in order (what a worker process runs)."""
        for prepared in self._prepared_pages(pages):
            yield self._judged(prepared)

    def _prepared_pages(self, pages: Iterator[Page]) -> Iterator[_Prepared]:
        """`pages` with their settings and files read, in order. A thread takes and reads up
        to `PAGES_AHEAD` pages ahead while this one checks: the requests of the next pages
        overlap the checks of this one (an audit spends most of its time waiting for
        answers, the rest checking)."""
        ahead: queue.Queue[Future[_Prepared] | BaseException | None] = queue.Queue(PAGES_AHEAD)
        stop = threading.Event()
        reading = ThreadPoolExecutor(max_workers=PAGES_AHEAD, thread_name_prefix="page")

        def put(item: Future[_Prepared] | BaseException | None) -> bool:
            while not stop.is_set():
                try:
                    ahead.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        def list_pages() -> None:
            try:
                for page in pages:
                    if stop.is_set() or not put(reading.submit(self._prepare, page)):
                        return
                put(None)
            except BaseException as error:  # the reader of the queue raises it
                put(error)

        lister = threading.Thread(target=list_pages, name="listing", daemon=True)
        lister.start()
        finished = False
        try:
            while (item := ahead.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                yield item.result()
            finished = True
        finally:
            stop.set()
            # Stopped early (an error, ^C): pages being read are left to their daemon threads.
            reading.shutdown(wait=finished, cancel_futures=True)
            lister.join(timeout=None if finished else 1.0)

    def _prepare(self, page: Page) -> _Prepared:
        """A page's settings and, at the same time, its trees and the files the checks read
        (those of a repository whose result is stored come from the store, asking nothing)."""
        candidates = page.repositories
        failures: Failures = {}
        roots = {listed.full_name: str(listed.tree) for listed in candidates}

        def content() -> tuple[dict[str, list[TreeEntry]], dict[str, StoredBlob]]:
            run = self._batch_pool.map
            trees = read_trees(self.transport, self.store, roots, failures, run)
            wanted = self._blob_requests(trees)
            return trees, read_blobs(self.transport, self.store, wanted, failures, run)

        reading = self._content_pool.submit(content)
        settings = self._settings(candidates, failures)
        trees, blobs = reading.result()
        return _Prepared(page.index, candidates, failures, settings, trees, blobs)

    def _judged(self, page: _Prepared) -> PageOutcome:
        """Check a page's repositories (or take their stored results) in listing order, and
        store the new results together (an interrupted audit resumes at the next page)."""
        failures = page.failures
        checked: list[tuple[ListedRepository, dict[str, Any]]] = []
        crashes: list[str] = []
        reused = 0
        keys = {
            listed.full_name: self._result_key(listed, page.settings[listed.full_name])
            for listed in page.candidates
            if listed.full_name not in failures
        }
        stored = self.store.results(keys)
        new: list[tuple[str, str, dict[str, Any]]] = []
        for listed in page.candidates:
            name = listed.full_name
            if name in failures:
                continue
            document = stored.get(name)
            if document is not None:
                reused += 1
                checked.append((listed, document))
                continue
            trees, settings = page.trees[name], page.settings[name]
            document = self._check(
                listed, trees, page.blobs, settings, failures=failures, crashes=crashes
            )
            if document is not None:
                new.append((name, keys[name], document))
                checked.append((listed, document))
        self.store.put_results(new)
        self.store.flush()
        failed = [(listed, failures[listed.full_name]) for listed in page.candidates
                  if listed.full_name in failures]  # fmt: skip
        return PageOutcome(page.index, checked, failed, reused, crashes)

    def _finish_page(self, outcome: PageOutcome) -> None:
        """Record a page's outcome: its findings to the spool, each repository's status."""
        self.result.reused += outcome.reused
        self.result.crashes.extend(outcome.crashes)
        for listed, document in outcome.checked:
            self._record(listed, document)
        for listed, reason in outcome.failed:
            self._status(listed, FAILED, reason)
        if self._progress is not None:
            self._progress.update(self.result, self.stats, self.rate_left())

    def _settings(
        self, candidates: Sequence[ListedRepository], failures: Failures
    ) -> dict[str, RepoSettings]:
        def read(listed: ListedRepository) -> tuple[str, RepoSettings | str]:
            try:
                settings = read_settings(self._api, listed, actions=self._reads_actions)
                return listed.full_name, replace(
                    settings, advisories=self.options.advisories, git_refs=self._git_refs
                )
            except GitHubError as error:
                return listed.full_name, f"reading its settings: {error}"

        settings: dict[str, RepoSettings] = {}
        for name, read_or_error in self._pool.map(read, candidates):
            if isinstance(read_or_error, str):
                failures[name] = read_or_error
            else:
                settings[name] = read_or_error
        return settings

    def _result_key(self, listed: ListedRepository, settings: RepoSettings) -> str:
        parts = [
            __version__,
            listed.head,
            repr(settings),
            self._org_config_key,
            self.options.overrides.select,
            self.options.overrides.ignore,
            self.options.overrides.exclude,
            self.options.today.isoformat(),  # waivers expire, advisories are published
            sorted(self.found.codes),
        ]
        return hashlib.sha256(repr(parts).encode()).hexdigest()

    def _blob_requests(self, trees: Mapping[str, Sequence[TreeEntry]]) -> Iterable[BlobRequest]:
        for repository, entries in trees.items():
            for entry in entries:
                if entry.type == "blob" and self._wanted.matches(entry.path):
                    yield BlobRequest(repository, entry.oid, entry.size)

    def _fetcher(
        self, repository: str, failures: Failures
    ) -> Callable[[TreeEntry], StoredBlob | None]:
        """A blob a check reads beyond its patterns (a file included with `-r`)."""

        def fetch(entry: TreeEntry) -> StoredBlob | None:
            request = BlobRequest(repository, entry.oid, entry.size)
            return read_blobs(self.transport, self.store, [request], failures).get(entry.oid)

        return fetch

    # Checking -----------------------------------------------------------------------------

    def _check(
        self,
        listed: ListedRepository,
        entries: Sequence[TreeEntry],
        blobs: dict[str, StoredBlob],
        settings: RepoSettings,
        *,
        failures: Failures,
        crashes: list[str],
    ) -> dict[str, Any] | None:
        name = listed.full_name
        fetch = self._fetcher(name, failures)
        snapshot = GitHubSnapshot(name, entries, dict(blobs), settings, fetch)
        try:
            config, config_path = self._config(snapshot)
            bad_config = None
        except ConfigError as error:
            # The repository's owners must fix it, not the auditor: its files are still
            # checked, with the default config, and the config is RH000 (not a crash).
            config, config_path = apply_overrides(Config(), self.options.overrides), ""
            bad_config = str(error)
        checks = selected_checks(self.found, config)
        outcome, run = judged(
            snapshot,
            checks,
            found=self.found,
            config=config,
            config_path=config_path,
            today=self.options.today,
        )
        if name in failures:  # a file a check needed could not be read
            return None
        if run.crashes:
            crashes.extend(f"{name}: {crash}" for crash in run.crashes)
            failures[name] = "repo-harden crashed on it (an internal error, reported above)"
            return None
        if bad_config is not None:
            outcome.reported.insert(0, self._config_finding(snapshot, bad_config))
        exemptions = waiver_exemptions(config.waivers, config_path) + inline_exemptions(
            snapshot.paths(),
            snapshot.read_text,
            self.found.codes,
            self._wanted,
            frozenset(config.foreign_ignores),
        )
        return {
            "files": len(snapshot.paths()),
            "findings": [finding_record(item) for item in outcome.reported],
            "suppressed_inline": outcome.suppressed_inline,
            "waived": outcome.waived,
            "exceptions": [exemption_record(exemption) for exemption in exemptions],
            "not_shown": outcome.not_shown,
        }

    def _config_finding(self, snapshot: GitHubSnapshot, error: str) -> Reported:
        path = config_path_in(set(snapshot.paths()), snapshot.read_text) or CONFIG_FILE
        message = (
            f"the repo-harden config is invalid, so the defaults were used: "
            f"{error.removeprefix(f'{snapshot.name}/')}"
        )
        finding = Finding(
            UNPARSEABLE.code,
            path,
            None,
            None,
            message,
            fingerprint(UNPARSEABLE.code, path, message),
        )
        return Reported(finding, self.rules[UNPARSEABLE.code], UNPARSEABLE.severity)

    def _config(self, snapshot: GitHubSnapshot) -> tuple[Config, str]:
        if self.options.config is not None:
            config = self.options.config
            source = config.source.name if config.source is not None else ""
        else:
            config, source = snapshot_config(snapshot, self.found.checks, self.found.codes)
        return apply_overrides(config, self.options.overrides), source

    # Results ------------------------------------------------------------------------------

    def _record(self, listed: ListedRepository, document: Mapping[str, Any]) -> None:
        name = listed.full_name
        findings = []
        for stored in document["findings"]:
            try:
                findings.append(reported_from_record(stored, self.rules, name))
            except RecordError:
                continue  # written by this version (the cache key says so): never in practice
        self.result.reported.add(findings)  # to disk: the objects go when this returns
        for stored in document.get("exceptions", ()):
            try:
                self.result.exemptions.append(exemption_from_record(stored, name))
            except RecordError:
                continue  # as above
        self.result.files_checked += int(document["files"])
        self.result.suppressed_inline += int(document["suppressed_inline"])
        self.result.waived += int(document["waived"])
        self.result.not_shown += int(document.get("not_shown", 0))
        self._status(listed, AUDITED, None)

    def _status(self, listed: ListedRepository, status: str, reason: str | None) -> None:
        self.result.repositories.append(
            RepositoryStatus(listed.full_name, status, reason, head=listed.head, url=listed.url)
        )

    @property
    def stats(self) -> Stats:
        """What the audit cost, its worker processes' requests included."""
        if self._workers is None:
            return self.transport.stats
        return Stats.summed([self.transport.stats, *self._workers.stats()])

    def rate_left(self) -> int | None:
        """The smallest rate-limit budget left that an answer told (worker processes' too)."""
        budgets = self.transport.governor.budgets
        known = [b.remaining for b in budgets.values() if b.remaining is not None]
        if self._workers is not None:
            known += self._workers.rates_left()
        return min(known) if known else None


def actions_reading(options: AuditOptions) -> ActionsReading:
    """How much of each repository's Actions settings the rules that may run read."""
    if may_run(ACTIONS_SETTINGS_RULES, options):
        return "all"
    return "token" if may_run(ACTIONS_SETTINGS_READERS, options) else "none"


def may_run(codes: Sequence[str], options: AuditOptions) -> bool:
    """Whether a rule of `codes` may run on some repository. Not when `--select` (or the one
    `--config`) leaves them all out: a repository's own config can then only ignore more.
    Nor when `--ignore` names each one: no repository's `select` can be more specific than
    a whole code, and ties go to ignore."""
    codes = [code for code in codes if code not in options.overrides.ignore]
    if not codes:
        return False
    if options.config is None and not options.overrides.select:
        return True  # each repository's config selects
    config = apply_overrides(options.config or Config(), options.overrides)
    selection = RuleSelection.from_config(config)
    return any(selection.enabled(code) for code in codes)
