"""LCK003 and LCK004: pip requirements and constraints files that pin every dependency to
one version and one set of hashes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from repo_harden.core.declare import CheckContext, check
from repo_harden.core.lazy import lazy_import
from repo_harden.core.model import Finding, Severity
from repo_harden.readers.file_kinds import REQUIREMENTS_PATTERNS

if TYPE_CHECKING:
    from repo_harden.readers import requirements
else:
    requirements = lazy_import("repo_harden.readers.requirements")


@check("LCK003", "unpinned-requirement", Severity.ERROR, REQUIREMENTS_PATTERNS)
def unpinned_requirement(ctx: CheckContext) -> Iterator[Finding]:
    """A requirement is not pinned to one exact version.

    ## What it does
    Reads `requirements*.txt`, `constraints*.txt` (and `.txt` files in
    `requirements/` or `constraints/` folders) the way pip reads them, line
    continuations, comments and per-line options included, and follows their
    `-r` and `-c` includes. It reports each requirement that can install
    different code tomorrow:
    - a name with a range, or no version at all (`flask>=2`, `flask`,
      `flask==2.*`), where only `==` with a full version or `===` pins;
    - a VCS requirement whose reference is not a full commit hash
      (`git+https://github.com/org/repo@v1.0`);
    - a URL to an archive with neither a `#sha256=` fragment nor `--hash`.

    Local paths (`-e .`, `./pkg`) are part of the repository and are left
    alone, and so are `*.in` files, the input of a compiler such as
    pip-compile.

    ## Why is this bad?
    pip resolves a range to the newest matching release when it runs, so each
    install can bring a new version nobody reviewed, and a malicious release
    reaches every build as soon as it is published. A tag or branch of a VCS
    repository can be moved to other code the same way.

    ## Example
    ```text title="requirements.txt"
    requests>=2.31
    git+https://github.com/acme/tool@main#egg=tool
    ```

    ## Fix
    Pin every requirement, ideally by compiling the file from its loose input
    with hashes (`pip-compile --generate-hashes requirements.in` or `uv pip
    compile --generate-hashes requirements.in -o requirements.txt`):
    ```text title="requirements.txt"
    requests==2.32.3
    tool @ git+https://github.com/acme/tool@6f1e0c3d2b4a59687c8e7f1a2b3c4d5e6f708192
    ```

    ## References
    - https://pip.pypa.io/en/stable/topics/repeatable-installs/
    """
    for reached in requirements.reached_files(ctx.parsed, list(ctx.files)):
        for requirement in reached.file.requirements:
            reason = requirement.unpinned_reason
            if reason is not None:
                message = _unpinned_message(requirement, reason)
                yield ctx.finding(reached.file.path, requirement.at, message, requirement.text)


def _unpinned_message(requirement: requirements.Requirement, reason: str) -> str:
    written = requirement.text
    if requirement.is_vcs:
        return (
            f"`{written}` is {reason}: a tag or branch can be moved to other code; "
            "pin the full commit hash (`@<40-hex commit>`)"
        )
    if requirement.url is not None:
        return (
            f"`{written}` is {reason}, so the file behind it can change; add "
            "`#sha256=<hash>` to the URL or `--hash=sha256:<hash>` to the line"
        )
    return (
        f"`{written}` is not pinned ({reason}): each install may pick a newer release; "
        "pin one version with `==` (`pip-compile` or `uv pip compile` writes a pinned file)"
    )


@check("LCK004", "missing-requirement-hashes", Severity.WARNING, REQUIREMENTS_PATTERNS)
def missing_requirement_hashes(ctx: CheckContext) -> Iterator[Finding]:
    """Pinned requirements have no `--hash`, so pip does not check what it downloads.

    ## What it does
    In requirements files (not constraints files), looks at each pinned
    requirement (`==` or a pinned URL) that pip could check by hash: everything
    but editables, local paths and VCS requirements. When none of them has a
    `--hash`, it reports the file once, at its first such requirement; when
    some do, pip runs in hash-checking mode and refuses every requirement
    without one, so each of those is reported. pip refuses hash-checking for a
    file that also holds a VCS requirement, an editable or a local folder: the
    message then says to move those to a file of their own first.

    ## Why is this bad?
    A version number says which release to install, not which bytes. Without
    hashes, pip installs whatever the index serves under that name and
    version: a file replaced on a compromised index or mirror, or a new wheel
    added to an old release, is installed without complaint. With a hash on
    every line, pip refuses anything that differs from what was reviewed.

    ## Example
    ```text title="requirements.txt"
    requests==2.32.3
    urllib3==2.2.2
    ```

    ## Fix
    Generate the hashes with the pins (`pip-compile --generate-hashes
    requirements.in`, or `uv pip compile --generate-hashes requirements.in -o
    requirements.txt`), and install with `pip install --require-hashes -r
    requirements.txt`:
    ```text title="requirements.txt"
    requests==2.32.3 \\
        --hash=sha256:70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6
    urllib3==2.2.2 \\
        --hash=sha256:e3cf4b26f3e08f2b2bbf45a3c03b8f6f6d93c6e0b8d1f7e2c6a3e9d5b4c8a7f1
    ```

    ## References
    - https://pip.pypa.io/en/stable/topics/secure-installs/#hash-checking-mode
    """
    for reached in requirements.reached_files(ctx.parsed, list(ctx.files)):
        if reached.constraint:
            continue
        written = reached.file.requirements
        hashable = [r for r in written if r.unpinned_reason is None and r.hash_checkable]
        unhashed = [r for r in hashable if not r.is_hashed]
        if not unhashed:
            continue
        path = reached.file.path
        apart = _apart([r.text for r in written if r.blocks_hash_checking])
        if len(unhashed) == len(hashable):
            message = _none_hashed(len(unhashed), apart)
            yield ctx.finding(path, unhashed[0].at, message, "no-hashes")
            continue
        for requirement in unhashed:
            message = (
                f"`{requirement.text}` has no `--hash` while other requirements here do: pip "
                f"then runs in hash-checking mode and refuses it; {apart}add its hashes "
                "(`pip-compile --generate-hashes` writes them all)"
            )
            yield ctx.finding(path, requirement.at, message, requirement.text)


def _apart(unhashable: list[str]) -> str:
    """pip cannot hash VCS checkouts, editables or folders, and refuses hash-checking mode
    for a file that holds one: the advice must move them out first."""
    if not unhashable:
        return ""
    names = ", ".join(f"`{text}`" for text in unhashable[:3])
    more = f" and {len(unhashable) - 3} more" if len(unhashable) > 3 else ""
    return (
        f"pip cannot hash {names}{more} (a VCS checkout, an editable or a folder), so move it "
        "to a file of its own (installed by another `pip install`), then "
    )


def _none_hashed(count: int, apart: str) -> str:
    plural = "requirements have" if count > 1 else "requirement has"
    return (
        f"none of the {count} pinned {plural} a `--hash`, so pip installs whatever the index "
        f"serves under those versions; {apart}generate hashes (`pip-compile "
        "--generate-hashes` or `uv pip compile --generate-hashes`) and install with "
        "`--require-hashes`"
    )
