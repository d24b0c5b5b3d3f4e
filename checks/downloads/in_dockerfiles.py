"""DL005: a Dockerfile `ADD`s from the network without a checksum."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from repo_harden.core.declare import CheckContext, check
from repo_harden.core.lazy import lazy_compile
from repo_harden.core.model import Finding, Severity
from repo_harden.readers.file_kinds import DOCKERFILE_PATTERNS, is_dockerfile_path

if TYPE_CHECKING:
    from repo_harden.readers.dockerfile import Instruction

_COMMIT = lazy_compile(r"^[0-9a-fA-F]{40}$")


@check("DL005", "remote-add-without-checksum", Severity.ERROR, DOCKERFILE_PATTERNS, per_file=True)
def remote_add_without_checksum(ctx: CheckContext) -> Iterator[Finding]:
    """A Dockerfile `ADD`s a file from a URL without `--checksum`, or a git repository
    without a commit.

    ## What it does
    Finds `ADD https://...` without `--checksum=sha256:...`, and
    `ADD https://github.com/o/r.git#ref` (or `git@...`) whose ref is not a
    full commit SHA. `ARG` and `ENV` values in the source are expanded first.

    ## Why is this bad?
    The image is built from whatever the server returns that day. Unlike
    `RUN curl`, `ADD` gives no chance to check the file afterwards, and a
    rebuilt image can silently differ from the one that was reviewed. A branch
    or tag of a repository can be moved to other code.

    ## Example
    ```dockerfile title="Dockerfile"
    FROM scratch
    ADD https://github.com/krallin/tini/releases/download/v0.19.0/tini /tini
    ADD https://github.com/acme/tools.git#main /src/tools
    ```

    ## Fix
    ```dockerfile title="Dockerfile"
    FROM scratch
    ADD --checksum=sha256:93dcc18adc78c65a028a84799ecf8ad40c936fdfc5f2a57b1acda5a8117fa82c \\
        https://github.com/krallin/tini/releases/download/v0.19.0/tini /tini
    ADD https://github.com/acme/tools.git#4f8d9e2c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e /src/tools
    ```

    ## References
    - https://docs.docker.com/reference/dockerfile/#add---checksum
    """
    from repo_harden.shell.blocks import dockerfile_of

    for path in ctx.files:
        if not is_dockerfile_path(path):
            continue  # `Dockerfile.dockerignore` and the like match the patterns, not the name
        dockerfile = dockerfile_of(ctx.parsed, path)
        for instruction in dockerfile.instructions if dockerfile else ():
            if instruction.keyword == "ADD":
                yield from _remote_sources(ctx, path, instruction)


def _remote_sources(ctx: CheckContext, path: str, instruction: Instruction) -> Iterator[Finding]:
    words = instruction.exec_form or tuple(instruction.words)
    if instruction.heredocs or len(words) < 2:
        return
    checksum = "checksum" in instruction.flags
    for word in words[:-1]:
        source, _ = instruction.expand(word.text)
        problem = _remote_problem(source, checksum)
        if problem is not None:
            yield ctx.finding(path, word.at, f"`ADD {word.text}` {problem}", word.text)


def _remote_problem(source: str, checksum: bool) -> str | None:
    lower = source.lower()
    if lower.startswith(("git@", "git://", "ssh://")) or (
        lower.startswith(("http://", "https://")) and ".git" in lower.split("#", 1)[0][-5:]
    ):
        reference = source.split("#", 1)[1].split(":", 1)[0] if "#" in source else ""
        if _COMMIT.match(reference) or checksum:
            return None
        return (
            "adds a git repository by a branch or tag that can move; name a full commit: "
            "`ADD <repository>.git#<40-hex-commit>`"
        )
    if lower.startswith(("http://", "https://")) and not checksum:
        return (
            "downloads a file whose content is not checked; add "
            "`--checksum=sha256:<digest>` (or download it in a `RUN` and verify it)"
        )
    return None
