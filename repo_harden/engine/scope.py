"""What a scan reads: the one rule, written once for `scan`, the hooks, the audit and
`scan --list-files`.

A scan reads every file of the checkout (the files git tracks, plus untracked ones it does
not ignore; every file outside git), except:
- vendored and generated trees, by default: a folder named in `DEFAULT_EXCLUDES` at any
  depth, and any virtualenv (a folder that holds a `pyvenv.cfg`); `default-excludes =
  false` in the config reads them too;
- test fixtures, when the config says `exclude-fixtures = true`: folders named in
  `FIXTURE_FOLDERS` at any depth;
- the config's `exclude` globs and `--exclude`.
Each remaining file goes to the rules whose patterns match it, wherever it is; a workflow
is only a workflow in `.github/workflows/`, where GitHub runs it.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Collection

from repo_harden.core.globs import PathMatcher
from repo_harden.core.record import record
from repo_harden.engine.config import Config

# Folders of code the repository did not write: installed dependencies, vendored copies,
# virtualenvs and the tools' own downloads.
DEFAULT_EXCLUDES = (
    "node_modules",
    "bower_components",
    "jspm_packages",
    "vendor",
    "third_party",
    "Pods",
    ".terraform",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    "__pypackages__",
    "site-packages",
    ".git",
)
FIXTURE_FOLDERS = ("testdata", "test-data", "test_data", "fixtures", "__fixtures__")
VIRTUALENV_MARK = "pyvenv.cfg"


@record
class Exclusion:
    """Why a path is not read: `kind` is `default`, `virtualenv`, `fixtures` or `config`,
    `by` the folder name, virtualenv or glob that excludes it."""

    kind: str
    by: str

    def describe(self) -> str:
        return {
            "default": f"vendored or generated (`{self.by}/`, a default exclude)",
            "virtualenv": f"in the virtualenv `{self.by}/`",
            "fixtures": f"test fixtures (`{self.by}/`, `exclude-fixtures`)",
            "config": f"excluded by `{self.by}`",
        }[self.kind]


class Scope:
    """Which paths a scan reads under a config. Virtualenvs are found by their
    `pyvenv.cfg`: looked up in `known` (the listed files) when given, else asked of
    `exists` once per folder."""

    def __init__(
        self,
        config: Config,
        *,
        known: Collection[str] | None = None,
        exists: Callable[[str], bool] | None = None,
    ) -> None:
        self._globs = PathMatcher(config.exclude)
        self._globs_list = config.exclude
        self._defaults = frozenset(DEFAULT_EXCLUDES) if config.default_excludes else frozenset()
        self._fixtures = frozenset(FIXTURE_FOLDERS) if config.exclude_fixtures else frozenset()
        self._known = known
        self._exists = exists if config.default_excludes else None
        self._venv: dict[str, bool] = {}
        self._answers: dict[str, Exclusion | None] = {}

    def __bool__(self) -> bool:
        """False when nothing can be excluded (no default, no fixture, no glob)."""
        return bool(self._globs or self._defaults or self._fixtures)

    def excludes(self, path: str) -> bool:
        return self.why_excluded(path) is not None

    def why_excluded(self, path: str) -> Exclusion | None:
        # Asked again each time a check reads the file: answered once per path.
        if path not in self._answers:
            self._answers[path] = self._why_excluded(path)
        return self._answers[path]

    def _why_excluded(self, path: str) -> Exclusion | None:
        folders = path.split("/")[:-1]
        for name in folders:
            if name in self._defaults:
                return Exclusion("default", name)
            if name in self._fixtures:
                return Exclusion("fixtures", name)
        venv = self._virtualenv(folders)
        if venv is not None:
            return Exclusion("virtualenv", venv)
        if self._globs and self._globs.matches(path):
            glob = next(g for g in self._globs_list if PathMatcher([g]).matches(path))
            return Exclusion("config", glob)
        return None

    def _virtualenv(self, folders: list[str]) -> str | None:
        if not self._defaults or (self._known is None and self._exists is None):
            return None
        for depth in range(1, len(folders) + 1):
            folder = "/".join(folders[:depth])
            if folder not in self._venv:
                mark = posixpath.join(folder, VIRTUALENV_MARK)
                if self._known is not None:
                    self._venv[folder] = mark in self._known
                else:
                    assert self._exists is not None
                    self._venv[folder] = self._exists(mark)
            if self._venv[folder]:
                return folder
        return None
