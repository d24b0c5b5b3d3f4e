"""PIN005: pre-commit hook repositories pinned to a commit, not a tag."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from repo_harden.core.declare import CheckContext, OptionSpec, check
from repo_harden.core.lazy import lazy_compile
from repo_harden.core.model import Finding, Severity
from repo_harden.readers.precommit import PRE_COMMIT_CONFIG, PRE_COMMIT_PATTERNS, HookRepository

_COMMIT = lazy_compile(r"[0-9a-fA-F]{40}")
_SCP_PATH = lazy_compile(r"^[^@/\s]+@[^:/\s]+:(?P<path>.+)$")


@check(
    "PIN005",
    "unpinned-pre-commit-hook",
    Severity.ERROR,
    PRE_COMMIT_PATTERNS,
    options=(
        OptionSpec(
            "trusted-owners",
            "owners (`acme`) or repositories (`acme/hooks`) whose hooks may be used by tag",
        ),
    ),
    per_file=True,
)
def unpinned_pre_commit_hook(ctx: CheckContext) -> Iterator[Finding]:
    """A `.pre-commit-config.yaml` hook repository is not pinned to a full commit SHA.

    ## What it does
    Finds each repository of `.pre-commit-config.yaml` whose `rev:` is a tag
    or a branch (or missing) rather than a full 40-character commit SHA.
    `repo: local` and `repo: meta` run nothing from elsewhere and are fine.

    ## Why is this bad?
    pre-commit runs the hook repository's code on every developer's machine
    and in CI, with their credentials at hand. A tag is a pointer that the
    repository's owners, or whoever takes over their account, can move to
    other code: the next `pre-commit install` or cache refresh runs it. A
    commit SHA cannot be moved.

    ## Example
    ```yaml title=".pre-commit-config.yaml"
    repos:
      - repo: https://github.com/psf/black
        rev: 24.3.0
        hooks:
          - id: black
    ```

    ## Fix
    Pin the commit and keep the version in the comment that
    `pre-commit autoupdate --freeze` writes (and reads when it updates):
    ```yaml title=".pre-commit-config.yaml"
    repos:
      - repo: https://github.com/psf/black
        rev: 552baf822992936134cbd31a38f69c8cfe7c0f05  # frozen: 24.3.0
        hooks:
          - id: black
    ```
    `repo-harden fix` (or `pre-commit autoupdate --freeze`) writes it for you.
    Owners you trust to keep their tags can be allowed:
    ```toml
    [tool.repo-harden.rules.PIN005]
    trusted-owners = ["acme"]
    ```
    """
    trusted = {entry.lower() for entry in ctx.string_list_option("trusted-owners")}
    for path in ctx.files:
        config = ctx.parsed.read(PRE_COMMIT_CONFIG, path)
        for repository in config.repositories if config is not None else ():
            if repository.is_local or _is_trusted(repository.url.value, trusted):
                continue
            message = unpinned_rev_message(repository)
            if message is not None:
                where = repository.rev or repository.url
                subject = f"{repository.url.value}@{repository.rev.value if repository.rev else ''}"
                yield ctx.finding(path, where.at, message, subject)


def unpinned_rev_message(repository: HookRepository) -> str | None:
    """What is wrong with a hook repository's `rev:`, or None when it is a full commit SHA."""
    url = repository.url.value.strip()
    if repository.rev is None:
        return f"hook repository `{url}` has no `rev:`; pin it to a full 40-character commit SHA"
    rev = repository.rev.value.strip()
    if _COMMIT.fullmatch(rev):
        return None
    return (
        f"hook repository `{url}` is pinned to `{rev}`, a tag or branch that can be moved to "
        f"other code; pin it to a full 40-character commit SHA: "
        f"`rev: <commit-sha>  # frozen: {rev}` (`repo-harden fix` writes it)"
    )


def _is_trusted(url: str, trusted: set[str]) -> bool:
    if not trusted:
        return False
    scp = _SCP_PATH.match(url.strip()) if "://" not in url else None
    path = scp.group("path") if scp else urlsplit(url.strip()).path
    names = [part for part in path.strip("/").removesuffix(".git").split("/") if part]
    if len(names) < 2:
        return False
    return names[-2].lower() in trusted or f"{names[-2]}/{names[-1]}".lower() in trusted
