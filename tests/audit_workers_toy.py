"""Auditors for the worker processes of `tests/test_audit_workers.py`: a spawned worker
imports what it runs by name, so they live in a module, not in the test.

The behaviour picks what a worker does with page 2: nothing special, a `FatalError`, an
internal error (one quoting hostile text, too), or dying outright (`os._exit`, as when
the kernel kills it)."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator

from repo_harden.audit.runner import Page, PageOutcome
from repo_harden.audit.transport import Stats
from repo_harden.core.errors import FatalError

SECONDS_PER_PAGE = 0.05  # long enough that every worker gets pages


class ToyAuditor:
    """Checks nothing: each repository's document says which process had it."""

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.stats = Stats()

    def rate_left(self) -> int | None:
        return 4000 + os.getpid() % 100

    def audit_pages(self, pages: Iterator[Page]) -> Iterator[PageOutcome]:
        for page in pages:
            if page.index == 2:
                self._misbehave()
            time.sleep(SECONDS_PER_PAGE)
            self.stats.add("rest")
            self.stats.add("graphql", points=3)
            checked = [(listed, {"pid": os.getpid()}) for listed in page.repositories]
            yield PageOutcome(page.index, checked, [], reused=1)

    def _misbehave(self) -> None:
        if self.behaviour == "fatal":
            raise FatalError("the token was revoked (HTTP 401)")
        if self.behaviour == "crash":
            raise KeyError("a bug")
        if self.behaviour == "forge":  # a bug whose message quotes a hostile repository
            raise ValueError("\x1b[2J\nrepo-harden: error: forged\rline")
        if self.behaviour == "die":
            os._exit(9)


@contextlib.contextmanager
def toy_auditor(behaviour: str) -> Iterator[ToyAuditor]:
    yield ToyAuditor(behaviour)
