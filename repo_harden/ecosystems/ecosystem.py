"""What every package manager declares, in one place: `Ecosystem`, and the facts its
functions report (`Drift`, `LockedPackage`), about a manifest and lockfile `Pair`.

Each module of this package describes one package manager with an `ECOSYSTEM` and
`repo_harden.ecosystems` lists them. A rule never names a package manager: LCK001 asks
the ecosystems of a manifest whether a lockfile covers it, LCK002 asks the ecosystem of a
lockfile how it has drifted, LCK006 and the inventory ask which packages it locks.
"""

from __future__ import annotations

from collections.abc import Callable

from repo_harden.core.model import Position
from repo_harden.core.parsed import ParsedFiles
from repo_harden.core.record import record
from repo_harden.ecosystems.tree import Tree, folder_of


@record
class Drift:
    """One way a lockfile disagrees with its manifest, as the package manager sees it.

    `name` is the dependency as the manifest names it; `problem` completes the
    sentence "... lockfile is out of sync: ...". `at` is where the manifest declares
    it, when it still does.
    """

    name: str
    problem: str
    at: Position | None = None
    fix: str | None = None  # a command that fits this drift better than the tool's usual one


@record
class LockedPackage:
    """A package a lockfile pins to one release of a package index; `at` is its entry."""

    name: str
    version: str
    at: Position | None


@record
class Pair:
    """A manifest and the lockfile that locks it; `member` is the manifest's folder
    relative to the lockfile's ("." when they are side by side)."""

    manifest: str
    lockfile: str
    member: str

    @property
    def lock_name(self) -> str:
        return self.lockfile.rpartition("/")[2]


@record
class Declaration:
    """A manifest declares dependencies to lock; `at` is the line that best stands for them."""

    at: Position | None


# What each function is given: the run's parsed files, the repository's paths, and a path.
ManifestQuestion = Callable[[ParsedFiles, Tree, str], bool]


@record
class Ecosystem:
    """A package manager.

    - `manifests`, `lockfiles`: file-name globs (`package.json`, `pylock.*.toml`).
    - `lock_command`: what makes a missing lockfile (LCK001's advice).
    - `declares(parsed, tree, manifest)`: the manifest's dependencies, None when it declares
      nothing to lock; ecosystems that share a manifest name share this function.
    - `covers(parsed, tree, manifest)`: one of this manager's lockfiles locks the manifest,
      beside it or at the root of the workspace it belongs to.
    - `chosen(parsed, tree, manifest)`: the manifest asks for this manager (npm's
      `packageManager`, the pyproject's tool tables), so its `lock_command` is the advice.
    - `hint(parsed, tree, manifest)`: how LCK001 names the lockfile it expects (None: never
      suggested, such as pip-tools' compiled requirements).
    - `drift(parsed, tree, pair)`: what the manager's frozen install would refuse (LCK002);
      `fix_command` is its usual remedy. None: not judged.
    - `workspace_members(parsed, tree, lockfile)`: the members' manifests a root lockfile
      also locks.
    - `locked_packages(parsed, lockfile)`: what it pins, for LCK006 and the inventory;
      `purl_type` names the packages' registry as package URLs do (`npm`, `pypi`).
    """

    name: str
    manifests: tuple[str, ...]
    lockfiles: tuple[str, ...]
    lock_command: str
    declares: Callable[[ParsedFiles, Tree, str], Declaration | None]
    covers: ManifestQuestion
    chosen: ManifestQuestion | None = None
    hint: Callable[[ParsedFiles, Tree, str], str] | None = None
    drift: Callable[[ParsedFiles, Tree, Pair], list[Drift]] | None = None
    fix_command: str | None = None
    workspace_members: Callable[[ParsedFiles, Tree, str], list[str]] | None = None
    locked_packages: Callable[[ParsedFiles, str], list[LockedPackage]] | None = None
    purl_type: str | None = None


def lockfile_beside(lockfiles: tuple[str, ...]) -> ManifestQuestion:
    """`covers` for a manager whose lockfile sits beside its manifest."""

    def covers(parsed: ParsedFiles, tree: Tree, manifest: str) -> bool:
        return tree.first_present(folder_of(manifest), lockfiles) is not None

    return covers


def named_hint(lockfile: str) -> Callable[[ParsedFiles, Tree, str], str]:
    def hint(parsed: ParsedFiles, tree: Tree, manifest: str) -> str:
        return f"`{lockfile}`"

    return hint
