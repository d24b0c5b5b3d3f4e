"""One codec between an `Item` and its record: the JSON contract (`items` of `inventory
--format json`, field names that never change meaning) and what the audit's cache keeps.
Reading checks every field's type, as a cache file is input too."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from repo_harden.inventory.model import KINDS, Item
from repo_harden.inventory.purl import purl_of


class ItemRecordError(ValueError):
    """A cached record is not what this codec writes."""


_FIELDS = ("name", "ref", "version", "sha", "digest", "job", "ecosystem", "what")


def item_record(item: Item, repository: str | None = None) -> dict[str, Any]:
    """The JSON contract: `repository`, `path`, `line`, `kind`, `name`, `ref`, `version`,
    `sha`, `digest`, `via`, then what the kind adds (`purl`, `job`, `triggers`...)."""
    record: dict[str, Any] = {
        "repository": repository,
        "path": item.path,
        "line": item.line,
        "kind": item.kind,
        "name": item.name,
        "ref": item.ref,
        "version": item.version,
        "sha": item.sha,
        "digest": item.digest,
        "via": list(item.via),
        "purl": purl_of(item),
        "job": item.job,
        "triggers": list(item.triggers),
        "ecosystem": item.ecosystem,
        "verified": item.verified,
        "what": item.what,
    }
    if repository is None:
        del record["repository"]
    return record


def item_from_record(record: object) -> Item:
    if not isinstance(record, Mapping):
        raise ItemRecordError("an item is not a JSON object")
    kind, path = record.get("kind"), record.get("path")
    line, verified = record.get("line"), record.get("verified")
    if kind not in KINDS or not isinstance(path, str):
        raise ItemRecordError("an item's `kind` or `path` is not known")
    if not (line is None or (isinstance(line, int) and not isinstance(line, bool))):
        raise ItemRecordError("an item's `line` is not a number")
    texts = {key: record.get(key) for key in _FIELDS}
    if not isinstance(texts["name"], str) or any(
        value is not None and not isinstance(value, str) for value in texts.values()
    ):
        raise ItemRecordError("an item's texts are not strings")
    if verified is not None and not isinstance(verified, bool):
        raise ItemRecordError("an item's `verified` is not a boolean")
    return Item(
        kind=str(kind),
        path=path,
        line=line,
        via=_strings(record.get("via")),
        triggers=_strings(record.get("triggers")),
        verified=verified,
        **texts,  # type: ignore[arg-type]
    )


def _strings(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ItemRecordError("an item's list is not a list of strings")
    return tuple(value)
