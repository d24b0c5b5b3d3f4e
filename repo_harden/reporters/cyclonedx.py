"""`inventory --format cyclonedx`: one CycloneDX 1.6 SBOM (JSON) per repository, made with
cyclonedx-python-lib, which is imported here only (`pip install 'repo-harden[sbom]'`).

The repository is the SBOM's subject (`metadata.component`); each distinct input is a
component with its package URL: locked packages as libraries, images as containers,
actions, reusable workflows and pre-commit hooks as libraries of GitHub (`pkg:github`),
downloads as files. Where it is named (`path:line`, and the chain that reaches it) is in
the component's `repo-harden:*` properties.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from repo_harden.core.extras import CYCLONEDX, SBOM, require
from repo_harden.inventory.model import DOWNLOAD, IMAGE, Item
from repo_harden.inventory.purl import purl_of

if TYPE_CHECKING:
    from cyclonedx.model.component import Component


def render_sbom(repository: str, items: Sequence[Item]) -> str:
    """The SBOM of one repository's items, as JSON."""
    require(SBOM, "--format cyclonedx", [CYCLONEDX])
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.output.json import JsonV1Dot6

    from repo_harden import __version__

    bom = Bom()
    root = Component(name=repository, type=ComponentType.APPLICATION, bom_ref=repository)
    bom.metadata.component = root
    bom.metadata.tools.components.add(
        Component(name="repo-harden", version=__version__, type=ComponentType.APPLICATION)
    )
    components: dict[str, Component] = {}
    for item in items:
        key = _key(item)
        component = components.get(key)
        if component is None:
            component = components[key] = _component(item, key)
            bom.components.add(component)
        _add_occurrence(component, item)
    bom.register_dependency(root, components.values())  # each input is the repository's own
    return str(JsonV1Dot6(bom).output_as_string(indent=2)) + "\n"


def _key(item: Item) -> str:
    """One component per distinct input: its kind, name, ref or version, and commit."""
    parts = (item.kind, item.name, item.ref or item.version or "", item.sha or item.digest or "")
    return "|".join(parts)


def _component(item: Item, key: str) -> Component:
    from cyclonedx.model import HashAlgorithm, HashType, Property
    from cyclonedx.model.component import Component, ComponentType
    from packageurl import PackageURL

    purl = purl_of(item)
    kind = {IMAGE: ComponentType.CONTAINER, DOWNLOAD: ComponentType.FILE}.get(
        item.kind, ComponentType.LIBRARY
    )
    hashes = []
    if item.digest and item.digest.startswith("sha256:"):
        hashes.append(HashType(alg=HashAlgorithm.SHA_256, content=item.digest[7:]))
    return Component(
        name=item.name,
        version=item.version or item.ref or None,
        type=kind,
        bom_ref=key,
        purl=PackageURL.from_string(purl) if purl else None,
        hashes=hashes,
        properties=[Property(name="repo-harden:kind", value=item.kind)]
        + ([Property(name="repo-harden:commit", value=item.sha)] if item.sha else []),
    )


def _add_occurrence(component: Component, item: Item) -> None:
    from cyclonedx.model import Property

    where = f"{item.path}:{item.line}" if item.line else item.path
    if item.via:
        where += " via " + " > ".join(item.via)
    component.properties.add(Property(name="repo-harden:location", value=where))
