"""What a command may do with a workflow's `GITHUB_TOKEN`, in the scopes of `permissions:`.

`gh` subcommands map to the scopes they write; `git push` writes contents with the
credentials `actions/checkout` leaves behind; commands that read or transform text
need none. Anything else given the token (`gh api`, `curl`, a script) may do anything
with it, and says so with None.
"""

from __future__ import annotations

import re

from repo_harden.core.lazy import lazy_compile
from repo_harden.shell.analyser import Command

TOKEN_WORDS = lazy_compile(
    r"GITHUB_TOKEN|GH_TOKEN|github\.token|GITHUB_API_URL|api\.github\.com|\bgh\s|\bgit\s+push\b",
    re.IGNORECASE,
)
_GH_SCOPES = {
    "release": frozenset({"contents"}),
    "pr": frozenset({"pull-requests", "contents"}),
    "issue": frozenset({"issues"}),
    "label": frozenset({"issues"}),
    "workflow": frozenset({"actions"}),
    "run": frozenset({"actions"}),
    "cache": frozenset({"actions"}),
    "secret": frozenset({"secrets"}),
    "variable": frozenset({"actions"}),
    "repo": frozenset({"contents"}),
    "attestation": frozenset(),
    "auth": frozenset(),
    "extension": frozenset(),
    "help": frozenset(),
    "version": frozenset(),
}
# Commands that only print, test or transform text and files: the token is safe in them.
_INERT = frozenset(
    {
        "echo", "printf", "cat", "cd", "pushd", "popd", "mkdir", "ls", "export", "test", "[",
        "[[", "true", "false", ":", "sed", "grep", "egrep", "awk", "jq", "yq", "cut", "tr",
        "head", "tail", "wc", "sort", "uniq", "date", "sleep", "rm", "cp", "mv", "touch",
        "chmod", "set", "shift", "exit", "return", "read", "basename", "dirname", "tee",
        "find", "xargs", "env", "local", "declare", "unset", "shopt", "trap", "wait", "pwd",
        "sha256sum", "shasum", "md5sum", "base64", "gzip", "gunzip", "tar", "unzip", "zip",
        "ln", "diff", "cmp", "which", "command", "type", "realpath", "readlink", "stat",
    }
)  # fmt: skip


def scopes_written(command: Command) -> frozenset[str] | None:
    """The scopes a command may write with the token (none for text tools); None when it
    could do anything with it."""
    words = command.words
    name = command.program
    if not words or name in _INERT:
        return frozenset()  # a bare assignment, or a text tool
    if not name:
        return None  # a command whose name is computed
    if name == "git":
        subcommand = next((w.text for w in words[1:] if not w.text.startswith("-")), "")
        return frozenset({"contents"}) if subcommand == "push" else frozenset()
    if name == "gh":
        subcommand = next((w.text for w in words[1:] if not w.text.startswith("-")), "")
        return _GH_SCOPES.get(subcommand)
    return None
