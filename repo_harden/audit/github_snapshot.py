"""A repository on GitHub, at the head of its default branch, as a `RepoSnapshot`: the checks
run on it unchanged, and find what they would find in a checkout of that commit.

Files read as a checkout reads them: a binary (a NUL byte in its first 8 KiB, or GitHub's
`isBinary`), text that is not UTF-8 and files over 10 MiB are unreadable with the same
reasons; a symbolic link is followed inside the repository and refused when it points out.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, MutableMapping, Sequence

from repo_harden.audit.store import StoredBlob, TreeEntry
from repo_harden.core.snapshot import RepoSettings
from repo_harden.sources.local import MAX_FILE_BYTES

SYMLINK_MODE = 0o120000
_SNIFF_BYTES = 8192
_MAX_LINK_HOPS = 40


class GitHubSnapshot:
    def __init__(
        self,
        name: str,
        entries: Sequence[TreeEntry],
        blobs: MutableMapping[str, StoredBlob],
        settings: RepoSettings | None,
        fetch: Callable[[TreeEntry], StoredBlob | None] | None = None,
    ) -> None:
        """`blobs` holds the files the checks' patterns name; a check that reads another
        file (a requirements file included with `-r`) gets it through `fetch`."""
        self.name = name
        self.settings = settings
        self._entries = {entry.path: entry for entry in entries}
        self._paths = [entry.path for entry in entries]
        self._blobs = blobs
        self._fetch = fetch
        self._problems: dict[str, str] = {}

    def paths(self) -> Sequence[str]:
        return self._paths

    def read_text(self, path: str) -> str | None:
        entry = self._follow(path)
        if entry is None or entry.type != "blob":
            return None
        if entry.size > MAX_FILE_BYTES:
            self._problems[path] = (
                f"it is too large ({entry.size / 1048576:.1f} MiB; "
                f"the limit is {MAX_FILE_BYTES // 1048576} MiB)"
            )
            return None
        blob = self._blob(entry)
        if blob is None:
            return None
        text, problem = decoded(blob)
        if problem is not None:
            self._problems[path] = problem
        return text

    def unreadable_reason(self, path: str) -> str | None:
        return self._problems.get(path)

    def _follow(self, path: str) -> TreeEntry | None:
        """The entry at `path`, through symbolic links that stay in the repository."""
        entry = self._entries.get(path)
        for _ in range(_MAX_LINK_HOPS):
            if entry is None or entry.mode != SYMLINK_MODE:
                return entry
            blob = self._blob(entry)
            target = blob.data if blob is not None else None
            if isinstance(target, bytes):
                target = target.decode("utf-8", "replace")
            if not isinstance(target, str):
                return None
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(entry.path), target))
            if target.startswith("/") or resolved == ".." or resolved.startswith("../"):
                self._problems[path] = "it is a symbolic link that points outside the repository"
                return None
            entry = self._entries.get(resolved)
        self._problems[path] = "it is a symbolic link that loops"
        return None

    def _blob(self, entry: TreeEntry) -> StoredBlob | None:
        blob = self._blobs.get(entry.oid)
        if blob is None and self._fetch is not None:
            blob = self._fetch(entry)
            if blob is not None:
                self._blobs[entry.oid] = blob
        return blob


def decoded(blob: StoredBlob) -> tuple[str | None, str | None]:
    """A blob's text, or why it has none."""
    data = blob.data
    if blob.kind == "binary" or (data is not None and _looks_binary(data)):
        return None, "it is a binary file"
    if isinstance(data, bytes):
        try:
            return data.decode("utf-8-sig"), None
        except UnicodeDecodeError as error:
            return None, f"it is not valid UTF-8 (byte {error.start})"
    return (data.removeprefix("\ufeff"), None) if isinstance(data, str) else (None, None)


def _looks_binary(data: str | bytes) -> bool:
    head = data[:_SNIFF_BYTES]
    return b"\0" in head if isinstance(head, bytes) else "\0" in head
