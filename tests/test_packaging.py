"""What a wheel ships: every package of the source tree, so that a normal (not editable)
install has all of repo-harden. An editable install would hide a missing one."""

from __future__ import annotations

import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from repo_harden.core.extras import EXTRAS

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_of_the_source_tree_is_listed_for_the_wheel() -> None:
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(settings["tool"]["setuptools"]["packages"])
    folders = settings["tool"]["setuptools"]["package-dir"]
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "repo_harden").rglob("__init__.py")
    }
    for package, folder in folders.items():  # repo_harden.checks and .hooks: their own folders
        found.update(
            ".".join((package, *init.parent.relative_to(ROOT / folder).parts))
            for init in (ROOT / folder).rglob("__init__.py")
        )
    assert found == listed


def test_the_dashboards_script_and_style_ship_in_the_wheel() -> None:
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = set(settings["tool"]["setuptools"]["package-data"]["repo_harden.reporters"])
    assets = {path.name for path in (ROOT / "repo_harden" / "reporters").glob("*.[cj]s*")}
    assert assets == {"dashboard.js", "dashboard.css"}
    assert shipped == assets


def test_the_extras_the_messages_name_are_the_extras_pyproject_declares() -> None:
    """`repo_harden.core.extras` names each extra's packages in its one-line message, and
    finds them by module: both must be what `pyproject.toml` lists and what pip installs."""
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = settings["project"]["optional-dependencies"]
    base = {
        canonicalize_name(Requirement(line).name) for line in settings["project"]["dependencies"]
    }
    modules = packages_distributions()  # every package of every extra is in the dev venv
    for extra, packages in EXTRAS.items():
        listed = {canonicalize_name(Requirement(line).name) for line in declared[extra]}
        assert {canonicalize_name(name) for name in packages} == listed, extra
        assert not listed & base, extra
        for package, module in packages.items():
            owners = {canonicalize_name(name) for name in modules.get(module, [])}
            assert canonicalize_name(package) in owners, (package, module)
