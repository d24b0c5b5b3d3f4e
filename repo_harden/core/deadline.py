"""A total deadline for a blocking call, such as one HTTP request.

A read timeout bounds each wait for a byte, not the request: a server that trickles one
byte every few seconds holds it forever.
- `within` runs the call in a daemon thread and stops waiting at the deadline; the
  abandoned call ends when its socket does, and never keeps the process from exiting.
- `Watchdog` lets the call run in the caller's thread and, at the deadline, calls what
  ends it (shutting its socket down): one thread for every call.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from typing import TypeVar

T = TypeVar("T")


class DeadlineExceeded(TimeoutError):
    """The call did not finish within its deadline."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no complete answer within {seconds:g} s")
        self.seconds = seconds


def within(seconds: float, call: Callable[[], T]) -> T:
    """`call()`'s result or exception, or `DeadlineExceeded` after `seconds`."""
    outcome: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as error:  # handed to the waiting thread as it is
            failure.append(error)

    worker = threading.Thread(target=run, name="deadline", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise DeadlineExceeded(seconds)
    if failure:
        raise failure[0]
    return outcome[0]


class Watchdog:
    """One thread that ends every call passing its deadline, for calls that can be ended from
    outside (a socket shut down wakes the thread blocked on it).

    `within` costs a thread per call; an audit sends thousands of requests, and starting a
    thread was a quarter of a request's CPU. Here a call runs in the caller's thread, and a
    watch costs a heap entry: the watchdog wakes only when the earliest deadline passes, and
    its thread ends when nothing is left to watch.
    """

    def __init__(self) -> None:
        self._deadlines: list[tuple[float, int]] = []  # a heap; watches done stay until on top
        self._live: dict[int, Watch] = {}
        self._count = 0
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def __len__(self) -> int:
        """The watches held: those in flight, and those done that are not on top yet."""
        with self._wake:
            return len(self._deadlines)

    def watch(self, seconds: float, expire: Callable[[], None]) -> Watch:
        """Call `expire()` (from the watchdog's thread) unless the watch is `done()` within
        `seconds`."""
        at = time.monotonic() + seconds
        with self._wake:
            self._count += 1
            key = self._count
            watch = self._live[key] = Watch(self, key, expire)
            self._forget_done()
            heapq.heappush(self._deadlines, (at, key))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="watchdog", daemon=True)
                self._thread.start()
            elif self._deadlines[0][1] == key:  # sooner than what the watchdog waits for
                self._wake.notify()
        return watch

    def _done(self, key: int) -> None:
        with self._wake:
            self._live.pop(key, None)

    def _forget_done(self) -> None:
        """Drop the watches done from the top of the heap: calls end in about the order they
        start, so the heap holds about as many entries as there are calls in flight. A call
        that hangs keeps those done after it until its deadline: at most one deadline's
        worth of calls."""
        while self._deadlines and self._deadlines[0][1] not in self._live:
            heapq.heappop(self._deadlines)

    def _run(self) -> None:
        while True:
            with self._wake:
                self._forget_done()
                now = time.monotonic()
                expired = []
                while self._deadlines and self._deadlines[0][0] <= now:
                    watch = self._live.pop(heapq.heappop(self._deadlines)[1], None)
                    if watch is not None:
                        watch.expired = True  # before it is ended: the call sees it so
                        expired.append(watch)
                if not expired:
                    if not self._deadlines:  # nothing to watch: the next watch starts one
                        self._thread = None
                        return
                    self._wake.wait(self._deadlines[0][0] - now)
                    continue
            for watch in expired:
                with suppress(Exception):  # one failed ending must not stop the watching
                    watch.expire()


class Watch:
    """One call under a `Watchdog`: `done()` once it has ended, in time or not; `expired`
    once the watchdog has ended it."""

    def __init__(self, watchdog: Watchdog, key: int, expire: Callable[[], None]) -> None:
        self._watchdog = watchdog
        self._key = key
        self.expire = expire
        self.expired = False

    def done(self) -> None:
        self._watchdog._done(self._key)
