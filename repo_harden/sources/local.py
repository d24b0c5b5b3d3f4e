"""A checkout on disk as a `RepoSnapshot`: the files git knows, or every file of a folder."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.snapshot import MAX_FILE_BYTES, RepoSettings

__all__ = ["MAX_FILE_BYTES", "LocalRepo", "find_root", "git_toplevel", "root_outside_git"]
_SNIFF_BYTES = 8192
_UNDECODABLE = lazy_compile("[\udc80-\udcff]")


class LocalRepo:
    """A local checkout. Paths are read lazily: a hook that checks one file lists nothing."""

    def __init__(self, root: Path, name: str | None = None) -> None:
        self.root = root.resolve()
        self.name = name or self.root.name
        self.settings: RepoSettings | None = None
        self._paths: list[str] | None = None
        self._problems: dict[str, str] = {}
        self._texts: dict[str, str | None] = {}
        self._real_folders: dict[str, str] = {}
        self._root_text = str(self.root)
        self._root_prefix = self._root_text.rstrip("/") + "/"

    def paths(self) -> Sequence[str]:
        if self._paths is None:
            listed = _git_files(self.root)
            self._paths = listed if listed is not None else _walk_files(self.root)
        return self._paths

    def read_text(self, path: str) -> str | None:
        """Read once: the checks and the inline-ignore scan share the text."""
        if path not in self._texts:
            self._texts[path] = self._decode(path)
        return self._texts[path]

    def _decode(self, path: str) -> str | None:
        undecodable = _UNDECODABLE.search(path)
        if undecodable is not None:  # git and os.walk give such names surrogate-escaped
            byte = ord(undecodable.group()) - 0xDC00
            self._problems[path] = (
                f"its name is not valid UTF-8 (byte 0x{byte:02x}), so it was not read"
            )
            return None
        data = self._read_bytes(path)
        if data is None:
            return None
        if b"\0" in data[:_SNIFF_BYTES]:
            self._problems[path] = "it is a binary file"
            return None
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            self._problems[path] = f"it is not valid UTF-8 (byte {error.start})"
            return None

    def unreadable_reason(self, path: str) -> str | None:
        return self._problems.get(path)

    def _inside_root(self, file: str, info: os.stat_result) -> bool:
        """Whether the file, after symlinks, is still in the checkout. Folders are resolved
        once each; only a file that is itself a link is resolved on its own."""
        parent = file.rpartition("/")[0]
        folder = self._real_folders.get(parent)
        if folder is None:
            folder = self._real_folders[parent] = os.path.realpath(parent)
        real = os.path.realpath(file) if stat.S_ISLNK(info.st_mode) else folder
        return real == self._root_text or real.startswith(self._root_prefix)

    def _read_bytes(self, path: str) -> bytes | None:
        # Paths as strings and os calls: pathlib's objects cost more than the reads themselves
        # when a scan reads thousands of small files.
        file = f"{self._root_text}/{path}"
        try:
            if not self._inside_root(file, os.lstat(file)):
                self._problems[path] = "it is a symbolic link that points outside the repository"
                return None
            info = os.stat(file)  # noqa: PTH116
            if not stat.S_ISREG(info.st_mode):
                if not stat.S_ISDIR(info.st_mode):  # a FIFO would block the read forever
                    self._problems[path] = "it is not a regular file"
                return None
            size = info.st_size
            if size > MAX_FILE_BYTES:
                self._problems[path] = (
                    f"it is too large ({size / 1048576:.1f} MiB; "
                    f"the limit is {MAX_FILE_BYTES // 1048576} MiB)"
                )
                return None
            with open(file, "rb") as opened:  # noqa: PTH123
                return opened.read()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            pass
        except OSError as error:
            if error.errno == errno.ELOOP:
                self._problems[path] = "it is a symbolic link that loops"
            else:
                self._problems[path] = f"it could not be read ({error.strerror})"
        return None


def find_root(start: Path) -> Path:
    """The top of the git checkout that holds `start`; outside git, the folder the rules
    should see as the checkout (see `root_outside_git`)."""
    start = start.resolve()
    top = git_toplevel(start)
    return top if top is not None else root_outside_git(start)


def git_toplevel(start: Path) -> Path | None:
    """The top of the git checkout that holds `start`, or None when it is in none."""
    start = start.resolve()
    folder = start if start.is_dir() else start.parent
    if (folder / ".git").exists():
        return folder
    output = git_output(folder, "rev-parse", "--show-toplevel")
    top = output.decode("utf-8", "surrogateescape").strip() if output is not None else ""
    return Path(top).resolve() if top else None


def root_outside_git(start: Path) -> Path:
    """Rules read paths as the checkout names them (`.github/workflows/ci.yml`), so a
    workflow given alone must not become `ci.yml`: the folder above a `.github` folder
    that holds `start`; else `start` itself when it is a folder; else the current folder
    when it holds the file, or the file's own folder."""
    parts = start.parts
    if ".github" in parts:
        return Path(*parts[: parts.index(".github")])
    if start.is_dir():
        return start
    here = Path.cwd().resolve()
    return here if start.is_relative_to(here) else start.parent


def _git_files(root: Path) -> list[str] | None:
    """Tracked files plus untracked ones git does not ignore; None outside a checkout."""
    if not (root / ".git").exists():
        return None
    output = git_output(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    if output is None:
        return None
    names = dict.fromkeys(output.decode("utf-8", "surrogateescape").split("\0"))
    prefix = f"{root}/"
    return [name for name in names if name and _listed(prefix + name)]


_SIGKILL = 9  # POSIX's number (the `signal` module's name for it costs an import)


def git_output(folder: Path, *arguments: str) -> bytes | None:
    """What `git ARGUMENTS` run in `folder` prints, or None when git is missing or fails
    (its error output is dropped). Started with `posix_spawn` where there is one: the
    `subprocess` module costs a cold scan 2 ms to import, more than git takes to list it."""
    command = ["git", "-C", str(folder), *arguments]
    if not hasattr(os, "posix_spawnp"):  # Windows
        import subprocess

        try:
            done = subprocess.run(command, capture_output=True, check=False)
        except OSError:
            return None
        return done.stdout if done.returncode == 0 else None
    read_end, write_end = os.pipe()
    null = os.open(os.devnull, os.O_RDWR)
    try:
        redirects = [
            (os.POSIX_SPAWN_DUP2, null, 0),
            (os.POSIX_SPAWN_DUP2, write_end, 1),
            (os.POSIX_SPAWN_DUP2, null, 2),
        ]
        pid = os.posix_spawnp("git", command, os.environ, file_actions=redirects)
    except OSError:
        os.close(read_end)
        return None
    finally:
        os.close(write_end)
        os.close(null)
    try:
        with os.fdopen(read_end, "rb") as pipe:
            output = pipe.read()
    except BaseException:  # Ctrl-C: git does not outlive us
        os.kill(pid, _SIGKILL)
        os.waitpid(pid, 0)
        raise
    _, status = os.waitpid(pid, 0)
    return output if os.waitstatus_to_exitcode(status) == 0 else None


def _listed(file: str) -> bool:
    """Whether git's file is still there. One in a folder we may not enter is kept, so that
    reading it reports it (RH000) rather than it vanishing from the scan."""
    try:
        os.lstat(file)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:
        return True
    return True


def _walk_files(root: Path) -> list[str]:
    found: list[str] = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(name for name in subfolders if name != ".git")
        relative = Path(folder).relative_to(root).as_posix()
        prefix = "" if relative == "." else f"{relative}/"
        found.extend(prefix + name for name in sorted(files))
    return found
