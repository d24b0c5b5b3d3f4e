"""Inline script metadata (PEP 723): the `# /// script` block of a Python file, whose
`dependencies` `pipx run` and `uv run` install before they run the script.

Read line by line, as the specification's reference regular expression reads it: a
block opens with `# /// TYPE`, every line until `# ///` is a comment (`#` alone, or `# `
and text), and the content, with that prefix removed, is TOML.
"""

from __future__ import annotations

from repo_harden.core.lazy import lazy_compile
from repo_harden.readers.documents import load_toml

_OPEN = lazy_compile(r"^# /// ([a-zA-Z0-9-]+)$")
_CLOSE = "# ///"


def metadata_block(text: str, kind: str = "script") -> str | None:
    """The TOML of the first `# /// kind` block, or None when there is none (or it is never
    closed). Linear in the text: each line is looked at once."""
    content: list[str] | None = None
    found: str | None = None
    for line in text.splitlines():
        if content is None:
            opened = _OPEN.match(line)
            if opened is not None and opened.group(1) == kind:
                content = []
            continue
        if line == _CLOSE:
            found = "".join(content)  # the last `# ///` closes the block, as the spec says
            content.append(line[2:] + "\n")
            continue
        if line == "#" or line.startswith("# "):
            content.append(line[2:] + "\n")
            continue
        break  # the first line that is not a comment ends the block
    return found


def script_dependencies(text: str) -> tuple[str, ...]:
    """The `dependencies` of a script's `# /// script` block; () when it has none, or when
    the block is not valid TOML (the runner then refuses to run it)."""
    block = metadata_block(text)
    if block is None:
        return ()
    import tomllib

    try:
        document = load_toml(block)
    except tomllib.TOMLDecodeError:
        return ()
    dependencies = document.get("dependencies")
    if not isinstance(dependencies, list):
        return ()
    return tuple(item for item in dependencies if isinstance(item, str))
