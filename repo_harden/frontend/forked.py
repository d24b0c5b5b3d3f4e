"""`scan --jobs`: the chunks of a scan run in processes forked from this one.

A forked child has everything the scan has set up (imports, config, the list of files)
without starting anew. The chunks are numbered bytes in a pipe that every process reads
from, this one too: each takes the next chunk when it has finished one, so a process on a
busy core takes fewer. A child writes its results to a pipe of its own and exits; this
process reads them once it finds no chunk left. Results are plain data (tuples, lists,
dicts, strings, numbers), sent with `marshal`, which needs no import.

Forking is used only where it is safe: on Linux (elsewhere a fork without exec may break
system libraries), from a process with no other Python thread (one could hold a lock the
child would wait on forever). The chunks of a child that fails (killed, out of memory, a
fork refused) are worked here instead: a scan never loses one. Ctrl-C reaches the
children too and ends them; this process then kills any left and reaps them all.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any, NoReturn, TypeVar

from repo_harden.core.errors import ExitCode
from repo_harden.engine.parts import MOST_CHUNKS

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

    def map(self, work: Callable[[int], _Plain], count: int, processes: int) -> list[_Plain]:
        if processes < 2 or self.parts == 1 or count > MOST_CHUNKS:
            return [work(index) for index in range(count)]
        for stream in (sys.stdout, sys.stderr):  # None when the descriptor was closed
            if stream is not None:
                stream.flush()  # a child exits without flushing, but holds copies of buffers
        chunks, writing = os.pipe()
        os.write(writing, bytes(range(count)))  # within any pipe's buffer (MOST_CHUNKS)
        os.close(writing)  # so that a reader finds the end when no chunk is left
        children: list[_Child] = []
        try:
            for _ in range(1, min(processes, count)):
                child = _Child.start(work, chunks)
                if child is not None:
                    children.append(child)
            done = dict(_taken(work, chunks))
            for child in children:
                done.update(child.results())
            # the chunks a failed child had taken (or none took): here
            return [done[index] if index in done else work(index) for index in range(count)]
        finally:
            os.close(chunks)
            for child in children:
                child.end()


def _taken(work: Callable[[int], _Plain], chunks: int) -> Iterator[tuple[int, _Plain]]:
    """Each chunk this process takes from the pipe, worked, until none is left."""
    while taken := os.read(chunks, 1):
        yield taken[0], work(taken[0])


class _Child:
    """A forked process taking chunks: its pid, and the pipe its results come on."""

    def __init__(self, pid: int, reading: int) -> None:
        self.pid = pid
        self.reading = reading

    @classmethod
    def start(cls, work: Callable[[int], Any], chunks: int) -> _Child | None:
        """Fork a child that works the chunks it takes; None when the system refuses a
        process."""
        reading, writing = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(reading)
            os.close(writing)
            return None
        if pid == 0:
            os.close(reading)
            _run_child(work, chunks, writing)
        os.close(writing)
        return cls(pid, reading)

    def results(self) -> list[tuple[int, Any]]:
        """The chunks the child worked, with their results, once it has exited; none when
        it failed (the chunks it took are then worked here)."""
        data = []
        while chunk := os.read(self.reading, 1 << 20):
            data.append(chunk)
        os.close(self.reading)
        self.reading = -1
        _, status = os.waitpid(self.pid, 0)
        self.pid = 0
        code = os.waitstatus_to_exitcode(status)
        if code == ExitCode.INTERRUPTED:
            # Ctrl-C reached the child: the scan is interrupted, also when this process did
            # not raise it (seen here when the signal landed while it imported a module)
            raise KeyboardInterrupt
        if code != 0:
            return []
        results: list[tuple[int, Any]] = marshal.loads(b"".join(data))
        return results

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


def _run_child(work: Callable[[int], Any], chunks: int, writing: int) -> NoReturn:
    """In the child: work the chunks it takes, send the results, and exit without the
    interpreter's teardown (no atexit handler, no flushing of what the parent had
    buffered). Ctrl-C is an exit status of 130, which interrupts the scan; any other
    failure is 1: the parent works the chunks this child had taken."""
    status = 1
    try:
        data = memoryview(marshal.dumps(list(_taken(work, chunks))))
        while data:
            data = data[os.write(writing, data) :]
        status = 0
    except KeyboardInterrupt:
        status = ExitCode.INTERRUPTED
    except BaseException:  # reported by the exit status
        pass
    finally:
        os._exit(status)
