"""A total deadline for a blocking call, such as one HTTP request.

A read timeout bounds each wait for a byte, not the request: a server that trickles one
byte every few seconds holds it forever. `within` runs the call in a daemon thread and
stops waiting at the deadline; the abandoned call ends when its socket does, and never
keeps the process from exiting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
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
