"""Mix (Elixir): a `mix.exs` with deps, locked by `mix.lock`; an umbrella's apps are
locked by the umbrella's."""

from __future__ import annotations

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.parsed import ParsedFiles
from repo_harden.ecosystems.ecosystem import Declaration, Ecosystem, named_hint
from repo_harden.ecosystems.tree import Tree, ancestors, folder_of, join
from repo_harden.readers.documents import position_at

_DEP = lazy_compile(r"\{\s*:[a-z_][a-z0-9_]*\s*,")


def declares(parsed: ParsedFiles, tree: Tree, path: str) -> Declaration | None:
    text = parsed.text(path) or ""
    found = _DEP.search(text)
    return Declaration(position_at(text, found.start())) if found else None


def covers(parsed: ParsedFiles, tree: Tree, path: str) -> bool:
    folder = folder_of(path)
    if tree.has(join(folder, "mix.lock")):
        return True
    return any(
        tree.has(join(root, "mix.lock"))
        and "apps_path" in (parsed.text(join(root, "mix.exs")) or "")
        for root in ancestors(folder)
    )


ECOSYSTEM = Ecosystem(
    name="mix",
    manifests=("mix.exs",),
    lockfiles=("mix.lock",),
    lock_command="mix deps.get",
    declares=declares,
    covers=covers,
    hint=named_hint("mix.lock"),
    purl_type="hex",
)
