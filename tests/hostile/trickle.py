"""A loopback server that answers every request with headers, then one byte of body at a
time, slowly: each byte comes well within any read timeout, the whole answer never."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType


class TrickleServer:
    def __init__(self, interval: float = 0.2, redirect_to: str | None = None) -> None:
        self.interval = interval
        self.redirect_to = redirect_to
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)  # accept() wakes up to see `_stop`
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.requests = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> TrickleServer:
        self._start(self._serve)
        return self

    def _start(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        self._threads.append(thread)
        thread.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Stopped and joined before the socket is closed: a thread still in accept() on a
        # closed socket could take a later server's connection on a reused descriptor.
        self._stop.set()
        for thread in list(self._threads):
            thread.join(timeout=10)
        self._listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection.settimeout(5)
            self.requests += 1
            self._start(self._answer, connection)

    def _answer(self, connection: socket.socket) -> None:
        with connection:
            try:
                connection.recv(65536)
                if self.redirect_to is not None:
                    connection.sendall(
                        b"HTTP/1.1 301 Moved Permanently\r\n"
                        + f"Location: {self.redirect_to}/graphql\r\n".encode()
                        + b"Content-Length: 0\r\n\r\n"
                    )
                    return
                connection.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 1000000\r\n\r\n"
                )
                deadline = time.monotonic() + 120  # the test is long over by then
                while not self._stop.is_set() and time.monotonic() < deadline:
                    connection.sendall(b" ")
                    self._stop.wait(self.interval)
            except OSError:
                return
