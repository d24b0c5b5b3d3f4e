"""pub (Dart, Flutter): a `pubspec.yaml` with dependencies, locked by `pubspec.lock`; a
`resolution: workspace` member by its workspace root's."""

from __future__ import annotations

from repo_harden.core.parsed import ParsedFiles
from repo_harden.ecosystems.ecosystem import Declaration, Ecosystem, named_hint
from repo_harden.ecosystems.tree import Tree, ancestors, folder_of, join
from repo_harden.readers.yaml import YAML, fields, mapping_items, scalar


def declares(parsed: ParsedFiles, tree: Tree, path: str) -> Declaration | None:
    root = parsed.read(YAML, path)
    keys = {key.value: key.at for key, value in mapping_items(root) if fields(value)}
    declared = [keys[name] for name in ("dependencies", "dev_dependencies") if name in keys]
    return Declaration(declared[0]) if declared else None


def covers(parsed: ParsedFiles, tree: Tree, path: str) -> bool:
    folder = folder_of(path)
    if tree.has(join(folder, "pubspec.lock")):
        return True
    resolution = scalar(fields(parsed.read(YAML, path)).get("resolution"))
    in_workspace = resolution is not None and resolution.value == "workspace"
    return in_workspace and any(
        tree.has(join(above, "pubspec.lock")) for above in ancestors(folder)
    )


ECOSYSTEM = Ecosystem(
    name="pub",
    manifests=("pubspec.yaml",),
    lockfiles=("pubspec.lock",),
    lock_command="dart pub get",
    declares=declares,
    covers=covers,
    hint=named_hint("pubspec.lock"),
    purl_type="pub",
)
