"""A fake OSV API on loopback: `POST /v1/query` answers from the records in `data/osv/`
(abridged copies of what api.osv.dev serves), so that LCK006 runs the real pip-audit code
over real HTTP without reaching the internet.

Like OSV, it matches a query's PyPI package (by normalized name) and version against each
record's `affected` entries: the version listed in `versions`, or inside an `ECOSYSTEM`
range (`introduced` ... `fixed` or `last_affected`). An affected version gets
`{"vulns": [records]}`, any other `{}`. A malformed query gets OSV's 400. It does not
speak `/v1/querybatch`: pip-audit never asks it.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

RECORDS = Path(__file__).parent / "data" / "osv"


def load_records() -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in sorted(RECORDS.glob("*.json"))]


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def affects(record: dict[str, Any], name: str, version: str) -> bool:
    """OSV's matching for one PyPI package version."""
    for affected in record.get("affected", []):
        package = affected["package"]
        if package["ecosystem"] != "PyPI" or _normalized(package["name"]) != _normalized(name):
            continue
        if version in affected.get("versions", []):
            return True
        if any(_in_range(r, version) for r in affected.get("ranges", [])):
            return True
    return False


def _in_range(found: dict[str, Any], version: str) -> bool:
    if found["type"] != "ECOSYSTEM":
        return False
    try:
        current = Version(version)
        inside = False
        for event in found["events"]:
            if "introduced" in event:
                inside = inside or current >= Version(event["introduced"])
            elif _ends_before(event, current):
                inside = False
    except InvalidVersion:
        return False
    return inside


def _ends_before(event: dict[str, str], version: Version) -> bool:
    if "fixed" in event:
        return version >= Version(event["fixed"])
    return "last_affected" in event and version > Version(event["last_affected"])


@dataclass
class Query:
    path: str
    name: str
    version: str


@dataclass
class FakeOsv:
    """`with FakeOsv() as osv:` serves on `osv.url` until the block ends."""

    records: list[dict[str, Any]] = field(default_factory=load_records)
    status: int = 200  # anything else: every query fails with it
    # Answers given before any other, one per query: (status, Retry-After or None).
    transient: list[tuple[int, str | None]] = field(default_factory=list)
    delay: float = 0.0  # seconds before each answer (for timeouts)
    queries: list[Query] = field(default_factory=list)

    def __enter__(self) -> FakeOsv:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def asked(self) -> list[tuple[str, str]]:
        """(name, version) of every query, sorted."""
        return sorted((query.name, query.version) for query in self.queries)

    def answer(self, path: str, body: bytes) -> tuple[int, dict[str, Any], dict[str, str]]:
        """(status, JSON body, extra headers) for one request."""
        if self.transient:
            status, retry_after = self.transient.pop(0)
            self.queries.append(Query(path, "", ""))
            headers = {} if retry_after is None else {"Retry-After": retry_after}
            return status, {"code": 14, "message": "Unavailable"}, headers
        return (*self._answer(path, body), {})

    def _answer(self, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        if path != "/v1/query":
            return 404, {"code": 5, "message": "Not Found"}
        try:
            query = json.loads(body)
            package = query["package"]
            name, version = package["name"], query["version"]
            if package["ecosystem"] != "PyPI" or not isinstance(version, str):
                raise ValueError(package)
        except (ValueError, KeyError, TypeError):
            return 400, {"code": 3, "message": "Invalid query."}
        self.queries.append(Query(path, name, version))
        if self.status != 200:
            return self.status, {"code": 13, "message": "Internal Server Error"}
        found = [record for record in self.records if affects(record, name, version)]
        return 200, {"vulns": found} if found else {}


def _handler(osv: FakeOsv) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, answer, headers = osv.answer(self.path, body)
            time.sleep(osv.delay)
            data = json.dumps(answer).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the client gave up waiting (the timeout tests)
                pass

        def do_GET(self) -> None:
            self.do_POST()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
