"""`pyproject.toml`, read once per run, and what uv, Poetry, PDM, pylock and pip-tools share
about it: whether it declares dependencies (PEP 621, PEP 735 groups, Poetry's tables,
uv's `dev-dependencies`), which tool locks it, and the uv workspace it may belong to."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from repo_harden.core.model import Position
from repo_harden.core.parsed import ParsedFiles, Reading
from repo_harden.core.record import record
from repo_harden.ecosystems.ecosystem import Declaration, ManifestQuestion
from repo_harden.ecosystems.tree import Tree, ancestors, folder_of, join, relative, workspace_member
from repo_harden.readers.documents import TOML, DocumentError, TomlDocument, string, strings, table

PYTHON_MANIFESTS = ("pyproject.toml",)


def python_name(name: str) -> str:
    """A distribution name in its PEP 503 normal form, as `packaging` gives it (imported on
    first use: `packaging.utils` loads `packaging.tags`, a fifth of a hook's start-up)."""
    from packaging.utils import canonicalize_name

    return canonicalize_name(name)


@record
class Declared:
    """One declared requirement: `group` is "" for the main dependencies, `extra:NAME`
    for an optional-dependencies extra, `group:NAME` for a dependency group."""

    name: str
    written: str
    specifier: str
    group: str
    at: Position | None
    identity: str = ""  # name, extras, specifier, URL and marker, normalised: equal when equal


@record
class Pyproject:
    path: str
    document: TomlDocument

    @property
    def data(self) -> Mapping[str, object]:
        return self.document.root

    @property
    def name(self) -> str | None:
        found = string(table(self.data, "project").get("name"))
        found = found or string(table(self.data, "tool", "poetry").get("name"))
        return python_name(found) if found else None

    @property
    def dynamic_dependencies(self) -> bool:
        return "dependencies" in strings(table(self.data, "project").get("dynamic"))

    @property
    def poetry_dependencies(self) -> dict[str, object]:
        """Poetry's own dependency tables, every group, without `python`."""
        poetry = table(self.data, "tool", "poetry")
        found = {k: v for k, v in table(poetry, "dependencies").items() if k != "python"}
        found.update(table(poetry, "dev-dependencies"))
        for group in table(poetry, "group").values():
            found.update(table(group, "dependencies"))
        return found

    @property
    def declares_dependencies(self) -> bool:
        project = table(self.data, "project")
        return bool(
            strings(project.get("dependencies"))
            or any(strings(v) for v in table(project, "optional-dependencies").values())
            or any(strings(v) for v in table(self.data, "dependency-groups").values())
            or self.poetry_dependencies
            or strings(table(self.data, "tool", "uv").get("dev-dependencies"))
        )

    @property
    def lock_tool(self) -> str:
        """The tool whose lock command fits this project: poetry, pdm or uv."""
        tool = table(self.data, "tool")
        if "poetry" in tool and (self.poetry_dependencies or "poetry" in self._backend):
            return "poetry"
        if "pdm" in tool or "pdm" in self._backend:
            return "pdm"
        return "uv"

    @property
    def _backend(self) -> str:
        return string(table(self.data, "build-system").get("build-backend")) or ""

    def uv_workspace(self) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        """(members, exclude) globs of a uv workspace root, or None."""
        uv = table(self.data, "tool", "uv")
        if "workspace" not in uv:
            return None
        workspace = table(uv, "workspace")
        return strings(workspace.get("members")), strings(workspace.get("exclude"))

    def dependency_groups(self) -> dict[str, tuple[list[Declared], tuple[str, ...]]]:
        """PEP 735 `[dependency-groups]` by normalised name: each group's own requirements
        and the groups it includes (`{include-group = "test"}`), normalised too."""
        found: dict[str, tuple[list[Declared], tuple[str, ...]]] = {}
        for group, values in table(self.data, "dependency-groups").items():
            name = python_name(group)
            own = self._parse(strings(values), f"group:{name}", ("dependency-groups", group))
            entries = values if isinstance(values, list) else []
            includes = tuple(
                python_name(included)
                for entry in entries
                if isinstance(entry, Mapping)
                and isinstance(included := entry.get("include-group"), str)
            )
            found[name] = (own, includes)
        return found

    def legacy_dev_dependencies(self) -> list[Declared]:
        """uv's `[tool.uv] dev-dependencies`, which uv locks as part of the `dev` group."""
        legacy = strings(table(self.data, "tool", "uv").get("dev-dependencies"))
        return self._parse(legacy, "group:dev", ("tool", "uv", "dev-dependencies"))

    def declared(self) -> list[Declared]:
        """The PEP 621 requirements and PEP 735 groups (uv's `dev-dependencies` as the
        `dev` group), parsed with `packaging`."""
        project = table(self.data, "project")
        found = self._parse(strings(project.get("dependencies")), "", ("project", "dependencies"))
        for extra, values in table(project, "optional-dependencies").items():
            extra_at = ("project", "optional-dependencies", extra)
            found += self._parse(strings(values), f"extra:{python_name(extra)}", extra_at)
        for group, values in table(self.data, "dependency-groups").items():
            group_at = ("dependency-groups", group)
            found += self._parse(strings(values), f"group:{python_name(group)}", group_at)
        legacy = strings(table(self.data, "tool", "uv").get("dev-dependencies"))
        found += self._parse(legacy, "group:dev", ("tool", "uv", "dev-dependencies"))
        return found

    def _parse(self, written: Iterable[str], group: str, where: tuple[str, ...]) -> list[Declared]:
        from packaging.requirements import InvalidRequirement, Requirement

        found = []
        for text in written:
            try:
                parsed = Requirement(text)
            except InvalidRequirement as error:
                at = self.document.locate(where, text)
                raise DocumentError(f"invalid requirement `{text}`: {error}", at) from None
            at = self.document.locate(where, text)
            name = python_name(parsed.name)
            identity = "|".join(
                (name, ",".join(sorted(parsed.extras)), str(parsed.specifier), parsed.url or "")
            )
            identity += f"|{parsed.marker}" if parsed.marker is not None else "|"
            found.append(Declared(name, text, str(parsed.specifier), group, at, identity))
        return found

    def locate_dependency(self, name: str) -> Position | None:
        """Where a dependency is declared, PEP 621 or Poetry style, found by its name."""
        for declared in self._declared_quietly():
            if declared.name == name:
                return declared.at
        poetry = table(self.data, "tool", "poetry")
        for key_path, values in self._poetry_tables(poetry):
            for key in values:
                if python_name(key) == name:
                    return self.document.locate((*key_path, key))
        return None

    def _declared_quietly(self) -> list[Declared]:
        try:
            return self.declared()
        except DocumentError:
            return []

    @staticmethod
    def _poetry_tables(
        poetry: Mapping[str, object],
    ) -> Iterator[tuple[tuple[str, ...], Mapping[str, object]]]:
        yield ("tool", "poetry", "dependencies"), table(poetry, "dependencies")
        yield ("tool", "poetry", "dev-dependencies"), table(poetry, "dev-dependencies")
        for group, values in table(poetry, "group").items():
            yield ("tool", "poetry", "group", group, "dependencies"), table(values, "dependencies")

    def dependencies_at(self) -> Position | None:
        """The line that best stands for "the dependencies" of this project."""
        for key_path in (
            ("project", "dependencies"),
            ("tool", "poetry", "dependencies"),
            ("dependency-groups",),
            ("project", "optional-dependencies"),
            ("project",),
        ):
            found = self.document.locate(key_path)
            if found is not None:
                return found
        return None


def read_pyproject(path: str, document: TomlDocument) -> Pyproject:
    return Pyproject(path, document)


def _pyproject_of(parsed: ParsedFiles, path: str) -> Pyproject | None:
    document = parsed.read(TOML, path)
    return Pyproject(path, document) if document is not None else None


PYPROJECT = Reading("pyproject", _pyproject_of)
"""A pyproject.toml, as a `Pyproject`."""


def declares(parsed: ParsedFiles, tree: Tree, path: str) -> Declaration | None:
    project = parsed.read(PYPROJECT, path)
    if project is None or not project.declares_dependencies:
        return None
    return Declaration(project.dependencies_at())


def chosen_by(tool: str) -> ManifestQuestion:
    """Whether the project's tables ask for `tool` (poetry, pdm, or uv by default)."""

    def chosen(parsed: ParsedFiles, tree: Tree, path: str) -> bool:
        project = parsed.read(PYPROJECT, path)
        return project is not None and project.lock_tool == tool

    return chosen


def uv_workspace_root(parsed: ParsedFiles, tree: Tree, folder: str) -> str | None:
    """The folder of the uv workspace (with a uv.lock) that `folder` is a member of."""
    for root in ancestors(folder):
        root_manifest = join(root, "pyproject.toml")
        if not tree.has(join(root, "uv.lock")) or not tree.has(root_manifest):
            continue
        project = parsed.read(PYPROJECT, root_manifest)
        workspace = project.uv_workspace() if project else None
        member = relative(folder, root) or ""
        if workspace and workspace_member(workspace[0], member):
            return None if workspace_member(workspace[1], member) else root
    return None


def in_uv_workspace(parsed: ParsedFiles, tree: Tree, path: str) -> bool:
    return uv_workspace_root(parsed, tree, folder_of(path)) is not None
