"""A repository held in memory as a `RepoSnapshot`: files given as texts. What rule tables
and plugin authors test checks with: no disk, no git, the same findings as a checkout of
those files."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from repo_harden.core.snapshot import RepoSettings


class MemoryRepo:
    """Files by repo-relative POSIX path; a `bytes` value is read as a checkout reads it
    (binary with a NUL byte, else UTF-8, else not readable)."""

    def __init__(
        self,
        files: Mapping[str, str | bytes],
        name: str = "memory",
        settings: RepoSettings | None = None,
    ) -> None:
        self.name = name
        self.settings = settings
        self._files = dict(files)
        self._problems: dict[str, str] = {}

    def paths(self) -> Sequence[str]:
        return sorted(self._files)

    def read_text(self, path: str) -> str | None:
        content = self._files.get(path)
        if content is None or isinstance(content, str):
            return content
        if b"\0" in content[:8192]:
            self._problems[path] = "it is a binary file"
            return None
        try:
            return content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            self._problems[path] = f"it is not valid UTF-8 (byte {error.start})"
            return None

    def unreadable_reason(self, path: str) -> str | None:
        return self._problems.get(path)
