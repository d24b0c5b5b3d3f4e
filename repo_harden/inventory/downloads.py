"""Downloaded tools: each `curl` and `wget` of the shell a file runs (workflow steps,
composite actions, scripts, Dockerfile `RUN`s, Makefiles), with whether a checksum or
signature check follows it (`repo_harden.shell.fetches`, as DL002 follows them); and a
Dockerfile's `ADD <url>`, verified when it has `--checksum`."""

from __future__ import annotations

from collections.abc import Iterator

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.parsed import ParsedFiles
from repo_harden.inventory.model import DOWNLOAD, Item
from repo_harden.readers.file_kinds import is_dockerfile_path
from repo_harden.shell.analyser import ShellScript

DOWNLOAD_WORDS = lazy_compile(r"\b(curl|wget)\b")


def downloads_of(parsed: ParsedFiles, path: str) -> list[Item]:
    found = list(_fetched(parsed, path))
    if is_dockerfile_path(path):
        found += _added(parsed, path)
    return found


def _fetched(parsed: ParsedFiles, path: str) -> Iterator[Item]:
    from repo_harden.shell.blocks import scripts_of
    from repo_harden.shell.fetches import checked_downloads

    groups: dict[object, list[ShellScript]] = {}
    for block in scripts_of(parsed, path):
        if block.dialect == "sh" and (block.group in groups or block.mentions(DOWNLOAD_WORDS)):
            groups.setdefault(block.group, []).append(block.shell)
    for scripts in groups.values():
        for fetched in checked_downloads(scripts):
            url = fetched.download.url
            if url is None:
                continue
            what = fetched.download.command.program
            yield Item(DOWNLOAD, path, url.at.line, url.text, verified=fetched.verified, what=what)


def _added(parsed: ParsedFiles, path: str) -> list[Item]:
    from repo_harden.shell.blocks import dockerfile_of

    dockerfile = dockerfile_of(parsed, path)
    found = []
    for instruction in dockerfile.instructions if dockerfile else ():
        words = instruction.exec_form or tuple(instruction.words)
        if instruction.keyword != "ADD" or instruction.heredocs or len(words) < 2:
            continue
        checked = "checksum" in instruction.flags
        for word in words[:-1]:
            source, _ = instruction.expand(word.text)
            if source.lower().startswith(("http://", "https://", "git@", "git://", "ssh://")):
                found.append(
                    Item(DOWNLOAD, path, word.at.line, source, verified=checked, what="ADD")
                )
    return found
