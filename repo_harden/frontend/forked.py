"""`scan --jobs`: the parts of a scan run in processes forked from this one.

A forked child has everything the scan has set up (imports, config, the list of files)
without starting anew: it runs its part, writes the result to a pipe and exits; this
process runs the first part meanwhile, then reads the others in order. Results are plain
data (tuples, lists, dicts, strings, numbers), sent with `marshal`, which needs no import.

Forking is used only where it is safe: on Linux (elsewhere a fork without exec may break
system libraries), from a process with no other Python thread (one could hold a lock the
child would wait on forever). A part whose child fails (killed, out of memory, a fork
refused) is run here instead: a scan never loses a part. Ctrl-C reaches the children too
and ends them; this process then kills any left and reaps them all.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

_Plain = TypeVar("_Plain")

# A process gets at least this many files: below, forking and sending the findings back
# cost more than the files take (a workflow takes about half a millisecond to check).
SMALLEST_PART = 20


def can_fork() -> bool:
    """Whether forking this process is safe: Linux, and no Python thread but this one."""
    if sys.platform != "linux" or not hasattr(os, "fork"):
        return False
    threading = sys.modules.get("threading")
    return threading is None or threading.active_count() == 1


class ForkedParts:
    """A `Spread` (see `repo_harden.engine.parts`) over forked processes: `parts` is 1 where
    forking is not safe, and the work runs here in order."""

    smallest_part = SMALLEST_PART

    def __init__(self, parts: int) -> None:
        self.parts = parts if parts > 1 and can_fork() else 1

    def map(self, work: Callable[[int], _Plain], count: int) -> list[_Plain]:
        if count == 1 or self.parts == 1:
            return [work(index) for index in range(count)]
        for stream in (sys.stdout, sys.stderr):  # None when the descriptor was closed
            if stream is not None:
                stream.flush()  # a child exits without flushing, but holds copies of buffers
        children: list[_Child | None] = []
        try:
            children = [_Child.start(work, index) for index in range(1, count)]
            results = [work(0)]
            for index, child in enumerate(children, start=1):
                done = child.result() if child is not None else None
                results.append(done[0] if done is not None else work(index))
            return results
        finally:
            for child in children:
                if child is not None:
                    child.end()


class _Child:
    """A forked process running one part: its pid, and the pipe its result comes on."""

    def __init__(self, pid: int, reading: int) -> None:
        self.pid = pid
        self.reading = reading

    @classmethod
    def start(cls, work: Callable[[int], Any], index: int) -> _Child | None:
        """Fork a child that runs `work(index)`; None when the system refuses a process."""
        reading, writing = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(reading)
            os.close(writing)
            return None
        if pid == 0:
            os.close(reading)
            _run_child(work, index, writing)
        os.close(writing)
        return cls(pid, reading)

    def result(self) -> tuple[Any] | None:
        """The child's result (in a tuple: None is a result too), once it has exited; None
        when it failed."""
        chunks = []
        while chunk := os.read(self.reading, 1 << 20):
            chunks.append(chunk)
        os.close(self.reading)
        self.reading = -1
        _, status = os.waitpid(self.pid, 0)
        self.pid = 0
        if os.waitstatus_to_exitcode(status) != 0:
            return None
        return (marshal.loads(b"".join(chunks)),)

    def end(self) -> None:
        """Kill the child if it still runs (this process is failing or interrupted), and
        reap it; close the pipe."""
        if self.reading >= 0:
            os.close(self.reading)
            self.reading = -1
        if self.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, 9)  # SIGKILL, without importing signal
            os.waitpid(self.pid, 0)
            self.pid = 0


def _run_child(work: Callable[[int], Any], index: int, writing: int) -> NoReturn:
    """In the child: run the part, send the result, and exit without the interpreter's
    teardown (no atexit handler, no flushing of what the parent had buffered). Any failure,
    Ctrl-C included, is an exit status of 1: the parent runs the part itself."""
    status = 1
    try:
        data = memoryview(marshal.dumps(work(index)))
        while data:
            data = data[os.write(writing, data) :]
        status = 0
    except BaseException:  # reported by the exit status
        pass
    finally:
        os._exit(status)
