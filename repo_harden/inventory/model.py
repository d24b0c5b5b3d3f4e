"""What an inventory lists: `Item`, one supply-chain input of a repository, where it is named
and what leads to it (its record is in `repo_harden.inventory.records`).

An item's `path` and `line` are always in the repository itself: for an input reached
through a composite action or a reusable workflow, they are those of the repository's
own `uses:` that leads to it, and `via` is the chain of references in between.
"""

from __future__ import annotations

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.record import field, record, replace

ACTION = "action"
REUSABLE_WORKFLOW = "reusable-workflow"
IMAGE = "image"
DOWNLOAD = "download"
PACKAGE = "package"
PRE_COMMIT_HOOK = "pre-commit-hook"
KINDS = (ACTION, REUSABLE_WORKFLOW, IMAGE, DOWNLOAD, PACKAGE, PRE_COMMIT_HOOK)
FOLLOWED_KINDS = (ACTION, REUSABLE_WORKFLOW)  # what the transitive reading opens
# What an action or reusable workflow that is followed can hold: one that could not be
# followed leaves only these unknown (no lockfile nor pre-commit config is read there).
FOLLOWED_HOLD_KINDS = (ACTION, REUSABLE_WORKFLOW, IMAGE, DOWNLOAD)

FULL_SHA = lazy_compile(r"[0-9a-fA-F]{40}")


@record
class Item:
    """One input. `ref` is the ref as written (actions, reusable workflows, pre-commit
    hooks) or an image's tag; `version` a package's; `sha` the commit a ref names when
    pinned or known, `digest` an image's. `job` and `triggers` are those of the workflow
    that runs it; `what` says where it was named (`step`, `Dockerfile base image`...)."""

    kind: str
    path: str
    line: int | None
    name: str
    ref: str | None = None
    version: str | None = None
    sha: str | None = None
    digest: str | None = None
    via: tuple[str, ...] = ()
    job: str | None = None
    triggers: tuple[str, ...] = ()
    ecosystem: str | None = None  # a package's registry, as package URLs name it
    verified: bool | None = None  # a download: a checksum or signature is checked
    what: str | None = None

    @property
    def reference(self) -> str:
        """How a `uses:` would name it: `owner/repo/path@ref`, `node:20@sha256:...`."""
        if self.kind == IMAGE:
            tag = f":{self.ref}" if self.ref else ""
            digest = f"@{self.digest}" if self.digest else ""
            return f"{self.name}{tag}{digest}"
        if self.kind == PACKAGE:
            return f"{self.name}@{self.version}"
        return f"{self.name}@{self.ref}" if self.ref else self.name

    def reached_through(self, root: Item) -> Item:
        """This input of a file that `root` opens, as the repository reaches it: at the
        root's place, run by its job, with the root added to the chain."""
        return replace(
            self,
            path=root.path,
            line=root.line,
            job=root.job,
            triggers=root.triggers,
            via=(*root.via, root.reference),
        )


@record
class Unread:
    """Something the inventory could not read (a file, a reference it could not follow),
    and the kinds of item it may have held: a query about those kinds cannot say the
    repository is unaffected."""

    what: str
    kinds: tuple[str, ...] = KINDS


@record(frozen=False)
class Inventory:
    """A repository's items, and what could not be read (each with the kinds it may hold)."""

    items: list[Item] = field(default_factory=list)
    unread: list[Unread] = field(default_factory=list)
