"""Terraform: a root module whose `*.tf` files require providers, locked by
`.terraform.lock.hcl`. A folder with no backend, `cloud` or provider block is a child
module, which is not locked."""

from __future__ import annotations

import re

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.parsed import ParsedFiles
from repo_harden.ecosystems.ecosystem import Declaration, Ecosystem, named_hint
from repo_harden.ecosystems.tree import Tree, folder_of, join
from repo_harden.readers.documents import position_at

_REQUIRED_PROVIDERS = lazy_compile(r"^[ \t]*required_providers\s*\{", re.MULTILINE)
_ROOT_MODULE = lazy_compile(
    r"^[ \t]*(backend\s+\"|cloud\s*\{|provider\s+\"[^\"]+\"\s*\{)", re.MULTILINE
)


def declares(parsed: ParsedFiles, tree: Tree, path: str) -> Declaration | None:
    text = parsed.text(path) or ""
    found = _REQUIRED_PROVIDERS.search(text)
    if found is None or not _root_module(parsed, tree, folder_of(path)):
        return None
    return Declaration(position_at(text, found.start()))


def _root_module(parsed: ParsedFiles, tree: Tree, folder: str) -> bool:
    siblings = [join(folder, n) for n in tree.names_in(folder) if n.endswith(".tf")]
    return any(_ROOT_MODULE.search(parsed.text(sibling) or "") for sibling in siblings)


def covers(parsed: ParsedFiles, tree: Tree, path: str) -> bool:
    return tree.has(join(folder_of(path), ".terraform.lock.hcl"))


ECOSYSTEM = Ecosystem(
    name="terraform",
    manifests=("*.tf",),
    lockfiles=(".terraform.lock.hcl",),
    lock_command="terraform init",
    declares=declares,
    covers=covers,
    hint=named_hint(".terraform.lock.hcl"),
    purl_type="terraform",
)
