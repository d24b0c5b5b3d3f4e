"""`audit --jobs N`: N worker processes read and check the listing's pages, so the checks'
CPU (and the parsing of GitHub's answers) spreads over the cores.

This process lists the repositories once and puts each page on a queue all workers take
from: a worker takes a page when it has room, so a slow one holds up nobody. Each worker is
a whole audit without its listing (its own connections, its share of `--concurrency`, the
same cache file) and sends back each page's `PageOutcome`. This process takes them in
listing order, so the spool, the report and the stored results are those one process
would make.

A worker that meets a `FatalError` (a token that stops working, a rate limit waited out)
sends its message, which ends the audit here as it would in one process; one that dies
(killed, out of memory) ends it with its exit code. The results stored so far stay: a
re-run resumes. Workers ignore Ctrl-C from the moment they start: this process ends them.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import signal
import threading
import traceback
from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING, Protocol

from repo_harden.core.errors import FatalError
from repo_harden.core.escape import shown
from repo_harden.core.record import record

if TYPE_CHECKING:
    from multiprocessing.context import SpawnProcess
    from multiprocessing.queues import Queue

    from repo_harden.audit.runner import Page, PageOutcome
    from repo_harden.audit.transport import Stats

POLL_SECONDS = 0.2  # how often a blocked queue operation looks for the end of the audit
PAGES_QUEUED = 1  # pages waiting for a worker, per worker (each also reads ahead its own)


class PageAuditor(Protocol):
    """What a worker runs: an audit without its listing."""

    @property
    def stats(self) -> Stats: ...

    def rate_left(self) -> int | None: ...

    def audit_pages(self, pages: Iterator[Page]) -> Iterator[PageOutcome]: ...


# Made in the worker, from pickled arguments: a module-level function (or a partial of one).
OpenAuditor = Callable[[], contextlib.AbstractContextManager[PageAuditor]]


class WorkerCrash(RuntimeError):
    """A worker process failed with an internal error (its traceback is the message)."""


@record
class _Report:
    """A worker's message: a page's outcome, or its end (`outcome` None), with what its
    requests have cost so far."""

    worker: int
    outcome: PageOutcome | None
    counts: dict[str, int]
    points: int
    rate_left: int | None
    error: str | None = None  # a FatalError's message
    crash: str | None = None  # an internal error's traceback


class _Ended(BaseException):
    """SIGTERM: the parent ends this worker (an error elsewhere, Ctrl-C)."""


def _ended(signum: int, frame: object) -> None:
    raise _Ended


def _work(open_auditor: OpenAuditor, worker: int, inbox: Queue[Page | None],
          outbox: Queue[_Report]) -> None:  # fmt: skip
    """A worker process: audit the pages taken from `inbox` until it says None. Ended by
    SIGTERM, it still closes what it opened: pip-audit's `pip --version`, if running, ends
    first (killed with its reader, pip wrote a traceback on the terminal)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent ends the workers on Ctrl-C
    signal.signal(signal.SIGTERM, _ended)
    try:
        with open_auditor() as auditor:
            for outcome in auditor.audit_pages(iter(inbox.get, None)):
                outbox.put(_report(worker, auditor, outcome))
            outbox.put(_report(worker, auditor, None))
    except _Ended:
        outbox.cancel_join_thread()  # nobody reads it any more
    except FatalError as error:
        outbox.put(_Report(worker, None, {}, 0, None, error=str(error)))
    except BaseException:
        # Printed by the parent. It may quote a repository's content: each line is escaped
        # and indented, so no line of it passes for one of ours.
        lines = traceback.format_exc().splitlines()
        crash = "\n".join(f"  | {shown(line)}" for line in lines)
        outbox.put(_Report(worker, None, {}, 0, None, crash=crash))


def _report(worker: int, auditor: PageAuditor, outcome: PageOutcome | None) -> _Report:
    counts, points = auditor.stats.snapshot()
    return _Report(worker, outcome, counts, points, auditor.rate_left())


class WorkerPool:
    """`jobs` worker processes, started by `outcomes` and ended when it returns."""

    def __init__(self, jobs: int, open_auditor: OpenAuditor) -> None:
        self.jobs = jobs
        self._open_auditor = open_auditor
        self._latest: dict[int, _Report] = {}

    def stats(self) -> list[Stats]:
        """What each worker's requests have cost, as last reported."""
        from repo_harden.audit.transport import Stats

        parts = []
        for report in list(self._latest.values()):
            stats = Stats()
            stats.counts.update(report.counts)
            stats.graphql_points = report.points
            parts.append(stats)
        return parts

    def rates_left(self) -> list[int]:
        return [r.rate_left for r in list(self._latest.values()) if r.rate_left is not None]

    def outcomes(self, pages: Iterator[Page]) -> Generator[PageOutcome, None, None]:
        """Each page of `pages` read and checked by the workers, in listing order (closing
        it early ends the workers)."""
        context = multiprocessing.get_context("spawn")  # never fork a process with threads
        inbox: Queue[Page | None] = context.Queue(PAGES_QUEUED * self.jobs)
        outbox: Queue[_Report] = context.Queue()
        processes = [
            context.Process(
                target=_work,
                args=(self._open_auditor, worker, inbox, outbox),
                name=f"repo-harden audit worker {worker + 1}",
                daemon=True,
            )
            for worker in range(self.jobs)
        ]
        with _sigint_ignored():  # inherited: Ctrl-C cannot reach a worker as it starts
            for process in processes:
                process.start()
        handing = _Handing(pages, inbox, self.jobs)
        finished = False
        try:
            yield from self._in_order(handing, processes, outbox)
            finished = True
        finally:
            handing.stop.set()
            _end(processes, finished=finished)
            handing.thread.join(timeout=1.0)
            for channel in (inbox, outbox):
                channel.cancel_join_thread()  # what is left in them is not waited for
                channel.close()

    def _in_order(self, handing: _Handing, processes: list[SpawnProcess],
                  outbox: Queue[_Report]) -> Iterator[PageOutcome]:  # fmt: skip
        waiting: dict[int, PageOutcome] = {}
        following = 0
        done: set[int] = set()
        while len(done) < len(processes):
            report = _next_report(outbox, handing, processes, done)
            if report is None:
                continue
            if report.error is not None:
                raise FatalError(report.error)
            if report.crash is not None:
                raise WorkerCrash(f"an audit worker process failed:\n{report.crash}")
            self._latest[report.worker] = report
            if report.outcome is None:
                done.add(report.worker)
                continue
            waiting[report.outcome.index] = report.outcome
            while following in waiting:
                yield waiting.pop(following)
                following += 1
        handing.raise_failure()
        if waiting or following != handing.handed:
            raise WorkerCrash(f"audit workers returned {following} of {handing.handed} pages")


def _next_report(outbox: Queue[_Report], handing: _Handing, processes: list[SpawnProcess],
                 done: set[int]) -> _Report | None:  # fmt: skip
    """The next report, or None after `POLL_SECONDS` with none (having checked that the
    listing and the workers are still well)."""
    try:
        return outbox.get(timeout=POLL_SECONDS)
    except queue.Empty:
        pass
    handing.raise_failure()
    for worker, process in enumerate(processes):
        if worker in done or process.is_alive():
            continue
        try:  # its last words may still be on their way
            return outbox.get(timeout=1.0)
        except queue.Empty:
            raise WorkerCrash(
                f"audit worker {worker + 1} ended unexpectedly (exit code {process.exitcode}); "
                "the repositories finished so far are cached, and a re-run resumes"
            ) from None
    return None


class _Handing:
    """A thread that lists the pages and hands them to the workers; a listing error is
    raised in the reader's thread (`raise_failure`)."""

    def __init__(self, pages: Iterator[Page], inbox: Queue[Page | None], jobs: int) -> None:
        self.stop = threading.Event()
        self.handed = 0
        self._failure: BaseException | None = None
        self._pages, self._inbox, self._jobs = pages, inbox, jobs
        self.thread = threading.Thread(target=self._hand, name="listing", daemon=True)
        self.thread.start()

    def _hand(self) -> None:
        try:
            for page in self._pages:
                if not self._put(page):
                    return
                self.handed += 1
            for _ in range(self._jobs):  # one end for each worker
                if not self._put(None):
                    return
        except BaseException as error:
            self._failure = error

    def _put(self, item: Page | None) -> bool:
        while not self.stop.is_set():
            try:
                self._inbox.put(item, timeout=POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """SIGINT ignored in this process for the moment (from the main thread, the only one
    that may set handlers). A process started meanwhile keeps ignoring it: Python leaves an
    ignored SIGINT ignored, so a Ctrl-C while a worker imports is no traceback of its own."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


ENDING_SECONDS = 5.0  # for a worker to close what it opened once told to end


def _end(processes: list[SpawnProcess], *, finished: bool) -> None:
    """Let the workers exit when they have finished, or end them (an error, Ctrl-C): SIGTERM,
    then SIGKILL for one that has not ended in `ENDING_SECONDS`."""
    for process in processes:
        process.join(timeout=ENDING_SECONDS if finished else 0)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=ENDING_SECONDS)
        if process.is_alive():
            process.kill()
            process.join()
