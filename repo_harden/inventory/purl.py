"""Package URLs (https://github.com/package-url/purl-spec): how each item is named for
tools that read SBOMs, and how a `--package` query names a package.

Names are written as each type's registry compares them: Python's normalized names,
Composer's and GitHub's in lower case, npm's scope as the namespace (`%40scope`).
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from repo_harden.core.lazy import lazy_compile
from repo_harden.inventory.model import (
    ACTION,
    IMAGE,
    PACKAGE,
    PRE_COMMIT_HOOK,
    REUSABLE_WORKFLOW,
    Item,
)

_PYTHON_SEPARATORS = lazy_compile(r"[-_.]+")
_GITHUB_URL = lazy_compile(
    r"^(?:https?://|git@|ssh://git@)github\.com[/:]([^/]+)/([^/#?]+?)(?:\.git)?/?$"
)


def normal_name(purl_type: str, name: str) -> str:
    """A package's name as its registry compares names."""
    if purl_type == "pypi":
        return _PYTHON_SEPARATORS.sub("-", name).lower()
    if purl_type in ("composer", "github", "nuget", "hex"):
        return name.lower()
    return name


def _segment(text: str) -> str:
    return quote(text, safe=".-_~")


def package_purl(purl_type: str, name: str, version: str | None, **qualifiers: str) -> str:
    """`pkg:type/namespace/name@version?qualifiers`: the namespace is every segment of the
    name but the last (npm's scope, a Go module's host and path, a Composer vendor)."""
    segments = normal_name(purl_type, name).split("/")
    path = "/".join(_segment(part) for part in segments if part)
    text = f"pkg:{purl_type}/{path}"
    if version:
        text += f"@{_segment(version)}"
    if qualifiers:
        text += "?" + "&".join(
            f"{key}={_segment(value)}" for key, value in sorted(qualifiers.items())
        )
    return text


def github_repository(url: str) -> str | None:
    """`owner/name` of a github.com URL (a pre-commit hook repository), else None."""
    found = _GITHUB_URL.match(url.strip())
    return f"{found.group(1)}/{found.group(2)}" if found else None


def purl_of(item: Item) -> str | None:
    """The item's package URL; None for downloads, and for hooks not on github.com."""
    if item.kind == PACKAGE and item.ecosystem:
        return package_purl(item.ecosystem, item.name, item.version)
    if item.kind in (ACTION, REUSABLE_WORKFLOW):
        owner, _, rest = item.name.partition("/")
        repository, _, subpath = rest.partition("/")
        if not owner or not repository or item.name.startswith("./"):
            return None
        found = package_purl("github", f"{owner}/{repository}", item.ref)
        return f"{found}#{subpath}" if subpath else found
    if item.kind == PRE_COMMIT_HOOK:
        repository_name = github_repository(item.name)
        return package_purl("github", repository_name, item.ref) if repository_name else None
    if item.kind == IMAGE:
        return _image_purl(item)
    return None


def _image_purl(item: Item) -> str:
    registry, name = split_registry(item.name)
    qualifiers = {}
    if registry != "docker.io":
        qualifiers["repository_url"] = registry
    if item.digest and item.ref:
        qualifiers["tag"] = item.ref
    return package_purl("docker", name, item.digest or item.ref, **qualifiers)


def split_registry(image: str) -> tuple[str, str]:
    """(`docker.io`, `library/node`) for `node`; (`ghcr.io`, `o/app`) for `ghcr.io/o/app`."""
    first, slash, rest = image.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, name = first.lower(), rest
    else:
        registry, name = "docker.io", image
    if registry in ("index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"):
        registry = "docker.io"
    if registry == "docker.io" and "/" not in name:
        name = f"library/{name}"
    return registry, name


def parse_package_query(text: str) -> tuple[str, str, str]:
    """(type, name, version constraint) of `pkg:npm/left-pad@1.3.0`, `pkg:pypi/requests<2.32`
    or `pkg:npm/@scope/name@^1.2`; the constraint is "" when none is given. Raises
    ValueError with the reason."""
    if not text.startswith("pkg:") or "/" not in text:
        raise ValueError("expected a package URL such as pkg:npm/left-pad@1.3.0")
    purl_type, _, rest = text[4:].partition("/")
    rest = rest.split("#", 1)[0].split("?", 1)[0].strip("/")
    start = _constraint_start(rest)
    name, constraint = rest[:start], rest[start:].removeprefix("@").strip()
    name = "/".join(unquote(part) for part in name.split("/"))
    if not purl_type or not name:
        raise ValueError("the package URL names no type or no package")
    return purl_type.lower(), name, unquote(constraint)


def _constraint_start(rest: str) -> int:
    for index, char in enumerate(rest):
        if char == "@" and index > 0 and rest[index - 1] != "/":
            return index
        if char in "<>=!~^ ":
            return index
    return len(rest)
