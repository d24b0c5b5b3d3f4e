"""The audit's SQLite cache (`--cache-dir`).

- Git objects are immutable by SHA, so trees (as flat listings) and blobs are kept for ever,
  content-addressed: many repositories share the same workflow files.
- ETags and the bodies they stand for, so a repeated REST request can be conditional (a 304
  costs no rate limit).
- Each repository's result, under a key made of its head commit, its settings, the config
  and the tool's version: a re-audit of an unchanged repository costs no request beyond the
  listing, and an audit that was interrupted resumes where it stopped.
- A history of finished audits per scope (the targets and rule selection), as digests, so
  a report can say what changed since the previous audit of the same targets.
- Each repository's inventory (`repo-harden inventory`), under its head commit and the
  tool's version, the same way.
- Facts looked up about other repositories (what a tag points at, a file at a commit),
  with the time they were learned: each kind of fact has its own lifetime.
  Pins use them too (`repo-harden fix` shares the cache with the audit).

One connection, shared by the worker threads under a lock; WAL mode and a busy timeout, so
shards of one audit may share a cache folder.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from repo_harden.core.record import record

# 2: results keep their exceptions; the audit history.
SCHEMA_VERSION = "2"
HISTORY_KEPT = 10  # audits remembered per scope (each is a few MB at 100,000 findings)
CACHE_FOLDER = "repo-harden"
_TABLES = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS blobs (oid TEXT PRIMARY KEY, kind TEXT NOT NULL, data BLOB)",
    "CREATE TABLE IF NOT EXISTS trees (oid TEXT PRIMARY KEY, entries TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS etags (url TEXT PRIMARY KEY, etag TEXT NOT NULL, body TEXT)",
    "CREATE TABLE IF NOT EXISTS results "
    "(repository TEXT PRIMARY KEY, key TEXT NOT NULL, document TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS history (id INTEGER PRIMARY KEY AUTOINCREMENT, "
    "scope TEXT NOT NULL, finished TEXT NOT NULL, digest TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS history_scope ON history (scope, id)",
    "CREATE TABLE IF NOT EXISTS inventories "
    "(repository TEXT PRIMARY KEY, key TEXT NOT NULL, document TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS facts (kind TEXT NOT NULL, key TEXT NOT NULL, "
    "value TEXT NOT NULL, learned REAL NOT NULL, PRIMARY KEY (kind, key))",
)
_CACHED_TABLES = ("blobs", "trees", "etags", "results", "history", "inventories", "facts")


def cache_file(cache_dir: Path | None, api_url: str, environ: Mapping[str, str]) -> Path:
    """The cache of one GitHub host, in `cache_dir` (default: the user's cache folder,
    `$XDG_CACHE_HOME/repo-harden` or `~/.cache/repo-harden`), shared by the audit and fix."""
    from urllib.parse import urlsplit

    folder = cache_dir
    if folder is None:
        base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        folder = Path(base) / CACHE_FOLDER
    parts = urlsplit(api_url)  # the host and port alone: never credentials in a file name
    host = f"{parts.hostname}_{parts.port}" if parts.port else (parts.hostname or "github")
    host = host.replace(":", "_")  # an IPv6 address
    return Path(folder) / f"audit-{host}.sqlite3"


@record
class TreeEntry:
    """A file of a repository's tree: git's mode, type (`blob`, `commit` for a submodule)
    and object id, and the size GitHub reports."""

    path: str
    mode: int
    type: str
    oid: str
    size: int


@record
class StoredBlob:
    """A blob's content: `text` (decoded), `binary` (no data kept) or `raw` (bytes, fetched
    over REST because GraphQL truncated the text)."""

    kind: str
    data: str | bytes | None


ETAGS_PER_WRITE = 200  # ETags kept before one transaction writes them
# The tables an audit looks a row up in for each request or git object. One that was empty
# when the store was opened holds only what this run put in it: whatever else is asked is
# known to be absent without asking SQLite (a cold audit of 1,000 repositories asked it
# some 2,000 times, each under the lock its threads share). Another audit sharing the file
# may add rows meanwhile; this one does without them (a request more, never a wrong answer).
_LOOKED_UP = ("blobs", "trees", "etags")
BUSY_TIMEOUT_MS = 30000  # how long to wait for another audit's lock on the file


def open_store(path: Path | None, note: Callable[[str], None], *, shared: bool = False) -> Store:
    """The cache at `path`, or, when it cannot be used, a fresh one or none: a cache only
    saves requests, so its trouble is a note (`note`), never the end of the audit. A file
    that is not a database (corrupt, truncated) is moved aside and started afresh; one that
    is read-only, locked or in a folder we cannot make gives way to a cache in memory.
    `shared`: other processes of the same audit write to it meanwhile (`--jobs`)."""
    if path is None:
        return Store(None)
    try:
        return Store(path, note, shared=shared)
    except sqlite3.DatabaseError as error:
        if "not a database" not in str(error) and "malformed" not in str(error):
            note(f"the audit cache {path} cannot be used ({error}); auditing without it")
            return Store(None)
        aside = path.with_name(f"{path.name}.corrupt")
        try:
            path.replace(aside)
            store = Store(path, note, shared=shared)
        except (OSError, sqlite3.Error):
            note(f"the audit cache {path} is not a database; auditing without a cache")
            return Store(None)
        note(f"the audit cache {path} was not a database; moved to {aside.name}, started afresh")
        return store
    except OSError as error:
        note(f"the audit cache {path} cannot be used ({error.strerror}); auditing without it")
        return Store(None)


class Store:
    """The cache. `path` None keeps it in memory, for one run. Once the file fails mid-run
    (disk full, locked too long), the store forgets it and the audit goes on uncached.
    `shared`: the processes of one audit (`--jobs`) use the file at once, so a git object
    one of them read is looked up by the others, even in a file that was empty."""

    def __init__(
        self,
        path: Path | None,
        note: Callable[[str], None] | None = None,
        *,
        now: Callable[[], float] = time.time,
        shared: bool = False,
    ) -> None:
        self._now = now
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        target = str(path) if path is not None else ":memory:"
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._note = note
        # ETags are written in batches: one per REST answer, each its own commit, kept the
        # audit's threads queueing for the lock. Losing the last batch costs one request each.
        self._etags: dict[str, tuple[str, str | None]] = {}
        self._etags_lock = threading.Lock()
        try:
            with self._lock:
                self._db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_MS)}")
                if path is not None:
                    self._db.execute("PRAGMA journal_mode = WAL")
                    self._db.execute("PRAGMA synchronous = NORMAL")
                self._create()
                self._empty_at_open = {
                    table: not shared
                    and self._db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is None
                    for table in _LOOKED_UP
                }
        except BaseException:
            self._db.close()
            raise
        self._put: dict[str, set[str]] = {table: set() for table in _LOOKED_UP}

    def _create(self) -> None:
        for statement in _TABLES:
            self._db.execute(statement)
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is not None and row[0] != SCHEMA_VERSION:
            for table in _CACHED_TABLES:
                self._db.execute(f"DELETE FROM {table}")
        self._db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))

    def close(self) -> None:
        self.flush()
        with self._lock:
            self._db.close()

    def _one(self, sql: str, *keys: str) -> tuple[Any, ...] | None:
        with self._lock:
            try:
                row: tuple[Any, ...] | None = self._db.execute(sql, keys).fetchone()
            except sqlite3.Error as error:
                self._give_up(error)
                return None
            return row

    def _all(self, sql: str, *keys: str) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(sql, keys).fetchall()
            except sqlite3.Error as error:
                self._give_up(error)
                return []

    def _many(self, sql: str, rows: Iterable[tuple[object, ...]]) -> None:
        with self._lock:
            try:
                self._db.execute("BEGIN")
                try:
                    self._db.executemany(sql, rows)
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.Error as error:
                self._give_up(error)

    def _give_up(self, error: sqlite3.Error) -> None:
        """Go on in memory (called under the lock): the rest of the audit is not cached."""
        self._db.close()
        self._db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self._create()
        if self._note is not None:
            self._note(f"the audit cache failed ({error}); the rest of the audit is not cached")

    def _may_hold(self, table: str, key: str) -> bool:
        """Whether `table` may have a row for `key` (see `_LOOKED_UP`)."""
        return not self._empty_at_open[table] or key in self._put[table]

    def _putting(self, table: str, keys: Iterable[str]) -> None:
        self._put[table].update(keys)  # before the rows are written: a reader then asks

    # Objects ---------------------------------------------------------------------------

    def blob(self, oid: str) -> StoredBlob | None:
        if not self._may_hold("blobs", oid):
            return None
        row = self._one("SELECT kind, data FROM blobs WHERE oid = ?", oid)
        return StoredBlob(row[0], row[1]) if row is not None else None

    def put_blobs(self, blobs: Mapping[str, StoredBlob]) -> None:
        self._putting("blobs", blobs)
        rows = [(oid, blob.kind, blob.data) for oid, blob in blobs.items()]
        self._many("INSERT OR REPLACE INTO blobs VALUES (?, ?, ?)", rows)

    def tree(self, oid: str) -> list[TreeEntry] | None:
        if not self._may_hold("trees", oid):
            return None
        row = self._one("SELECT entries FROM trees WHERE oid = ?", oid)
        if row is None:
            return None
        return [TreeEntry(*entry) for entry in json.loads(row[0])]

    def put_tree(self, oid: str, entries: Iterable[TreeEntry]) -> None:
        self._putting("trees", (oid,))
        listing = [[e.path, e.mode, e.type, e.oid, e.size] for e in entries]
        self._many("INSERT OR REPLACE INTO trees VALUES (?, ?)", [(oid, json.dumps(listing))])

    # Conditional requests ----------------------------------------------------------------

    def etag(self, url: str) -> tuple[str, str | None] | None:
        with self._etags_lock:
            pending = self._etags.get(url)
        if pending is not None:
            return pending
        if not self._may_hold("etags", url):
            return None
        row = self._one("SELECT etag, body FROM etags WHERE url = ?", url)
        return (row[0], row[1]) if row is not None else None

    def put_etag(self, url: str, etag: str, body: str | None) -> None:
        self._putting("etags", (url,))
        with self._etags_lock:
            self._etags[url] = (etag, body)
            full = len(self._etags) >= ETAGS_PER_WRITE
        if full:
            self.flush()

    def flush(self) -> None:
        """Write what is kept for a batch (the ETags learned since the last write)."""
        with self._etags_lock:
            pending, self._etags = self._etags, {}
        if pending:
            rows = [(url, etag, body) for url, (etag, body) in pending.items()]
            self._many("INSERT OR REPLACE INTO etags VALUES (?, ?, ?)", rows)

    # Results -----------------------------------------------------------------------------

    def result(self, repository: str, key: str) -> dict[str, Any] | None:
        row = self._one("SELECT key, document FROM results WHERE repository = ?", repository)
        if row is None or row[0] != key:
            return None
        document: dict[str, Any] = json.loads(row[1])
        return document

    def put_result(self, repository: str, key: str, document: Mapping[str, Any]) -> None:
        self.put_results([(repository, key, document)])

    def results(self, keys: Mapping[str, str]) -> dict[str, dict[str, Any]]:
        """The stored results of many repositories (`repository -> key`) in one query: those
        stored under their key (a page of an audit)."""
        found: dict[str, dict[str, Any]] = {}
        names = list(keys)
        for start in range(0, len(names), 500):  # SQLite's limit on variables is 999
            batch = names[start : start + 500]
            marks = ", ".join("?" * len(batch))
            sql = f"SELECT repository, key, document FROM results WHERE repository IN ({marks})"
            for repository, key, document in self._all(sql, *batch):
                if keys.get(repository) == key:
                    found[repository] = json.loads(document)
        return found

    def put_results(self, rows: Iterable[tuple[str, str, Mapping[str, Any]]]) -> None:
        """Store results in one transaction (a page's)."""
        encoded = [(repository, key, json.dumps(document)) for repository, key, document in rows]
        if encoded:
            self._many("INSERT OR REPLACE INTO results VALUES (?, ?, ?)", encoded)

    # History ------------------------------------------------------------------------------

    def previous_audit(self, scope: str) -> tuple[str, Any] | None:
        """When the last audit of `scope` finished, and its digest (parsed JSON)."""
        row = self._one(
            "SELECT finished, digest FROM history WHERE scope = ? ORDER BY id DESC LIMIT 1", scope
        )
        if row is None:
            return None
        try:
            return row[0], json.loads(row[1])
        except ValueError:
            return None  # a damaged row: as if there were no previous audit

    def put_audit(self, scope: str, finished: str, digest: Mapping[str, Any]) -> None:
        """Remember a finished audit; only the latest `HISTORY_KEPT` of a scope are kept."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.execute(
                    "INSERT INTO history (scope, finished, digest) VALUES (?, ?, ?)",
                    (scope, finished, json.dumps(digest, separators=(",", ":"))),
                )
                self._db.execute(
                    "DELETE FROM history WHERE scope = ? AND id NOT IN "
                    "(SELECT id FROM history WHERE scope = ? ORDER BY id DESC LIMIT ?)",
                    (scope, scope, HISTORY_KEPT),
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # Inventories -------------------------------------------------------------------------

    def inventory(self, repository: str, key: str) -> dict[str, Any] | None:
        sql = "SELECT key, document FROM inventories WHERE repository = ?"
        row = self._one(sql, repository)
        if row is None or row[0] != key:
            return None
        document: dict[str, Any] = json.loads(row[1])
        return document

    def put_inventory(self, repository: str, key: str, document: Mapping[str, Any]) -> None:
        rows = [(repository, key, json.dumps(document))]
        self._many("INSERT OR REPLACE INTO inventories VALUES (?, ?, ?)", rows)

    # Facts -------------------------------------------------------------------------------

    def fact(self, kind: str, key: str, max_age: float | None) -> str | None:
        """The value of a fact learned at most `max_age` seconds ago (None: at any time)."""
        row = self._one("SELECT value, learned FROM facts WHERE kind = ? AND key = ?", kind, key)
        if row is None or (max_age is not None and self._now() - float(row[1]) > max_age):
            return None
        return str(row[0])

    def put_fact(self, kind: str, key: str, value: str) -> None:
        self.put_facts(kind, {key: value})

    def put_facts(self, kind: str, values: Mapping[str, str]) -> None:
        learned = self._now()
        rows = [(kind, key, value, learned) for key, value in values.items()]
        self._many("INSERT OR REPLACE INTO facts VALUES (?, ?, ?, ?)", rows)
