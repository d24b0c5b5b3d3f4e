"""Dockerfile rules: DL005 (`ADD` from the network without a checksum) and the
Dockerfile part of PIN002 (`FROM` and `COPY --from` images not pinned by digest)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from repo_harden.core.declare import check
from repo_harden.core.model import CheckContext, Finding, Position, Severity
from repo_harden.readers.file_kinds import DOCKERFILE_PATTERNS

if TYPE_CHECKING:
    from repo_harden.readers.dockerfile import Dockerfile, DockerWord, Instruction

_COMMIT = re.compile(r"^[0-9a-fA-F]{40}$")
_WHOLE_VARIABLE = re.compile(r"^\$(\{[A-Za-z_]\w*\}|[A-Za-z_]\w*)$")


@check("DL005", "remote-add-without-checksum", Severity.ERROR, DOCKERFILE_PATTERNS)
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
    ```dockerfile
    ADD https://github.com/krallin/tini/releases/download/v0.19.0/tini /tini
    ADD https://github.com/acme/tools.git#main /src/tools
    ```

    ## Fix
    ```dockerfile
    ADD --checksum=sha256:93dcc18adc78c65a028a84799ecf8ad40c936fdfc5f2a57b1acda5a8117fa82c \\
        https://github.com/krallin/tini/releases/download/v0.19.0/tini /tini
    ADD https://github.com/acme/tools.git#4f8d9e2c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e /src/tools
    ```

    ## References
    - https://docs.docker.com/reference/dockerfile/#add---checksum
    """
    from repo_harden.shell.blocks import dockerfile_of

    for path in ctx.files:
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


def base_images(dockerfile: Dockerfile) -> Iterator[tuple[Position, str, str]]:
    """(where, image, what) for each image a Dockerfile pulls: `FROM` (not `scratch`, not an
    earlier stage) and `COPY --from`. An image that is a variable with no known value, or
    whose digest is a variable, cannot be judged and is left out."""
    for stage in dockerfile.stages:
        if stage.image is not None:
            image = _judged(stage.instruction, stage.image, dockerfile, stage.index)
            if image is not None:
                yield stage.image.at, image, "Dockerfile base image"
    for instruction in dockerfile.instructions:
        source = instruction.flags.get("from")
        if instruction.keyword == "COPY" and source is not None:
            image = _judged(instruction, source, dockerfile, instruction.stage + 1)
            if image is not None:
                yield source.at, image, "`COPY --from` image"


def _judged(
    instruction: Instruction, word: DockerWord, dockerfile: Dockerfile, stage: int
) -> str | None:
    expanded, known = instruction.expand(word.text)
    if expanded.lower() == "scratch" or dockerfile.stage_named(expanded, stage):
        return None
    if known:
        return expanded
    digest = expanded.rpartition("@")[2]
    if _WHOLE_VARIABLE.match(word.text) or ("$" in digest and "@" in expanded):
        return None
    return expanded
