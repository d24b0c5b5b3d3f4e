"""The scan cache: the findings of an earlier scan, reused while nothing they depend on changed.

An entry is keyed by what decides a run's findings besides the files: repo-harden's version
and code, the checkout's folder, the config, the selected rules and the files asked for. It
holds the findings and a digest of every file the checks read (and of the list of paths,
when a check asked for it): a scan reuses it only when each of those is unchanged.

The cache lives in the user's cache folder, never in the scanned repository, so that a
repository cannot ship findings of its own. It is only ever a saving: a folder that is a
symbolic link, an entry that cannot be read or is not ours, a write that fails, all mean
that the scan runs in full.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Collection, Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TypeGuard

from repo_harden import __version__
from repo_harden.core.declare import Check
from repo_harden.core.digests import content_hex
from repo_harden.core.model import Finding, Severity
from repo_harden.core.snapshot import RepoSnapshot
from repo_harden.engine.config import Config
from repo_harden.engine.run import CheckRun

CACHE_FOLDER = "repo-harden"  # in $XDG_CACHE_HOME or ~/.cache, as the audit's cache
SCAN_FOLDER = "scan"
FORMAT = 3  # the layout of an entry; a change makes older entries unknown
MAX_ENTRIES = 100  # entries kept: the most recently written (a checkout, config, selection)
_BUILT_IN = "repo_harden.checks."
_SEVERITIES = {severity.value: severity for severity in Severity}
_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_FOLDER = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NO_FOLLOW
# Entries are opened relative to a folder opened without following links (POSIX; os.replace
# takes the same folders as os.rename).
_SUPPORTED = hasattr(os, "O_NOFOLLOW") and {os.open, os.stat, os.rename, os.unlink} <= (
    os.supports_dir_fd
)


def default_cache_folder(environ: Mapping[str, str]) -> Path | None:
    """`$XDG_CACHE_HOME/repo-harden`, or `~/.cache/repo-harden`; None when neither is an
    absolute path (no home folder: `~` would be a folder of the scanned checkout)."""
    base = Path(environ.get("XDG_CACHE_HOME") or "")
    if not base.is_absolute():  # unset, or relative, which the XDG spec says to ignore
        try:
            base = Path("~").expanduser() / ".cache"
        except RuntimeError:  # no home folder
            return None
    return base / CACHE_FOLDER if base.is_absolute() else None


class ScanMemory:
    """One entry of the cache: a `CheckRunMemory` for the engine. `problem` says why the
    cache could not be used (None when it could, or when nothing was tried yet)."""

    def __init__(self, folder: Path, key: str) -> None:
        self.folder = folder
        self.key = key
        self.problem: str | None = None
        self.recalled = False  # whether the last `recall` found a valid entry

    def recall(self, snapshot: RepoSnapshot) -> CheckRun | None:
        document = self._load()
        run = _valid_run(document, snapshot) if document is not None else None
        self.recalled = run is not None
        return run

    def remember(self, snapshot: RepoSnapshot, run: CheckRun) -> None:
        document = {
            "format": FORMAT,
            "key": self.key,
            "listing": listing_digest(snapshot) if run.listed else None,
            "files": [[path, file_digest(snapshot, path)] for path in run.read],
            "findings": [_finding_record(finding) for finding in run.findings],
            "checked": list(run.checked),
        }
        self._store(json.dumps(document, separators=(",", ":")))

    def _load(self) -> dict[str, object] | None:
        folder = self._open_folder(create=False)
        if folder is None:
            return None
        try:
            entry = os.open(self.key, os.O_RDONLY | _NO_FOLLOW, dir_fd=folder)
        except OSError:
            return None  # none yet, or a link: the scan runs in full
        finally:
            os.close(folder)
        try:
            with os.fdopen(entry, "rb") as opened:
                document = json.loads(opened.read())
        except (OSError, ValueError):
            return None  # corrupt: ignored, and replaced by this scan's
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            return None
        return document if document.get("key") == self.key else None

    def _store(self, text: str) -> None:
        folder = self._open_folder(create=True)
        if folder is None:
            return
        temporary = f".{self.key}.{os.getpid()}.tmp"
        try:
            _write_new(folder, temporary, text.encode("utf-8"))
            os.replace(temporary, self.key, src_dir_fd=folder, dst_dir_fd=folder)
            _prune(folder, MAX_ENTRIES)
        except OSError as error:
            where = self.folder / SCAN_FOLDER
            self.problem = f"the scan cache could not be written in {where} ({error.strerror})"
            with contextlib.suppress(OSError):
                os.unlink(temporary, dir_fd=folder)
        finally:
            os.close(folder)

    def _open_folder(self, *, create: bool) -> int | None:
        """A descriptor of `<folder>/scan`, neither of them reached through a symbolic link:
        what a link points at is never written (nor read)."""
        try:
            if create:
                self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            base = os.open(self.folder, _FOLDER)
        except OSError as error:
            if create:
                self.problem = _folder_problem(self.folder, error)
            return None
        try:
            if create:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(SCAN_FOLDER, mode=0o700, dir_fd=base)
            return os.open(SCAN_FOLDER, _FOLDER, dir_fd=base)
        except OSError as error:
            if create:
                self.problem = _folder_problem(self.folder / SCAN_FOLDER, error)
            return None
        finally:
            os.close(base)


def scan_memory(
    folder: Path,
    *,
    root: Path,
    config: Config,
    checks: Sequence[Check],
    wanted: Collection[str] | None,
) -> ScanMemory | None:
    """The cache entry of this scan, or None when a check is a plugin (whose code changes
    would go unseen) or the system cannot open files without following links."""
    if not _SUPPORTED or any(not check.run.__module__.startswith(_BUILT_IN) for check in checks):
        return None
    return ScanMemory(folder, run_key(root, config, checks, wanted))


def run_key(
    root: Path, config: Config, checks: Sequence[Check], wanted: Collection[str] | None
) -> str:
    """What decides a run's findings, besides the files it reads, as one digest."""
    parts = [
        FORMAT,
        __version__,
        code_digest(),
        str(root),
        repr(config),  # every setting: options, shell inputs, excludes, policy
        sorted(check.rule.code for check in checks),
        None if wanted is None else list(wanted),
    ]
    text = json.dumps(parts, ensure_ascii=True)  # ascii: a name that is not UTF-8 encodes
    return content_hex(text.encode("ascii"))


@cache
def code_digest() -> str:
    """repo-harden's own code, by each module's size and modification time: a changed
    module (an upgrade, or an edit in a checkout) makes every older entry unknown."""
    import repo_harden
    import repo_harden.checks

    stamps: list[str] = []
    # The rules are a package of their own in a checkout (`checks/`), inside ours installed.
    packages = [*repo_harden.__path__, *repo_harden.checks.__path__]
    for folder in dict.fromkeys(os.path.realpath(path) for path in packages):
        if Path(folder, "__init__.py").is_file():  # not a checkout's root, added for `checks/`
            stamps.extend(_module_stamps(folder, f"{folder}/"))
    text = "\n".join(sorted(stamps))
    return content_hex(text.encode("utf-8", "surrogatepass"))


def _module_stamps(folder: str, prefix: str) -> Iterator[str]:
    try:
        listing = list(os.scandir(folder))
    except OSError:
        return
    for entry in listing:
        if entry.name.startswith((".", "__pycache__")):
            continue
        try:
            if entry.is_dir():
                yield from _module_stamps(entry.path, f"{prefix}{entry.name}/")
            elif entry.name.endswith(".py"):
                info = entry.stat()
                yield f"{prefix}{entry.name}\0{info.st_size}\0{info.st_mtime_ns}"
        except OSError:
            continue


def file_digest(snapshot: RepoSnapshot, path: str) -> str:
    """A digest of what the checks got for `path`: its text, or why there was none."""
    text = snapshot.read_text(path)
    if text is None:
        return "absent:" + (snapshot.unreadable_reason(path) or "")
    return content_hex(text.encode("utf-8", "surrogatepass"))


def listing_digest(snapshot: RepoSnapshot) -> str:
    joined = "\0".join(snapshot.paths())
    return content_hex(joined.encode("utf-8", "surrogatepass"))


def _valid_run(document: dict[str, object], snapshot: RepoSnapshot) -> CheckRun | None:
    """The run the entry holds, if every file it read is unchanged in `snapshot`."""
    files, findings, listing = document.get("files"), document.get("findings"), None
    checked = document.get("checked")
    if not (isinstance(files, list) and isinstance(findings, list) and _paths(checked)):
        return None
    if document.get("listing") is not None:
        listing = document["listing"]
        if listing != listing_digest(snapshot):
            return None
    read = []
    for item in files:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
            return None
        if item[1] != file_digest(snapshot, item[0]):
            return None
        read.append(item[0])
    found = [_finding(record) for record in findings]
    if any(finding is None for finding in found):
        return None
    valid = [finding for finding in found if finding is not None]
    return CheckRun(
        findings=valid, read=tuple(read), listed=listing is not None, checked=tuple(checked)
    )


def _paths(value: object) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(path, str) for path in value)


def _finding_record(finding: Finding) -> list[object]:
    severity = finding.severity.value if finding.severity is not None else None
    return [
        finding.rule,
        finding.path,
        finding.line,
        finding.column,
        finding.message,
        finding.fingerprint,
        severity,
    ]


def _finding(record: object) -> Finding | None:
    """A finding from its record, or None when the record is not one we wrote."""
    if not isinstance(record, list) or len(record) != 7:
        return None
    rule, path, line, column, message, fingerprint, severity = record
    texts = (rule, path, message, fingerprint)
    if not all(isinstance(text, str) for text in texts):
        return None
    if not all(value is None or type(value) is int for value in (line, column)):
        return None
    if severity is not None and severity not in _SEVERITIES:
        return None
    return Finding(
        rule=rule,
        path=path,
        line=line,
        column=column,
        message=message,
        fingerprint=fingerprint,
        severity=_SEVERITIES[severity] if severity is not None else None,
    )


def _write_new(folder: int, name: str, data: bytes) -> None:
    """Write a new file in `folder`; never through a link, never over an existing file."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(name, dir_fd=folder)  # left by an earlier process of the same id
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NO_FOLLOW
    descriptor = os.open(name, flags, 0o600, dir_fd=folder)
    with os.fdopen(descriptor, "wb") as opened:
        opened.write(data)


def _prune(folder: int, keep: int) -> None:
    """Delete all but the `keep` most recently written entries, and what a process that
    stopped half-way left an hour ago or more."""
    import time

    entries, stale = [], time.time() - 3600
    for name in os.listdir(folder):
        with contextlib.suppress(OSError):
            info = os.stat(name, dir_fd=folder, follow_symlinks=False)
            if name.endswith(".tmp") and info.st_mtime < stale:
                os.unlink(name, dir_fd=folder)
            elif not name.startswith("."):
                entries.append((info.st_mtime_ns, name))
    for _, name in sorted(entries, reverse=True)[keep:]:
        with contextlib.suppress(OSError):
            os.unlink(name, dir_fd=folder)


def _folder_problem(folder: Path, error: OSError) -> str:
    if folder.is_symlink():
        return f"the scan cache folder {folder} is a symbolic link: it is not used"
    return f"the scan cache folder {folder} could not be used ({error.strerror})"
