"""Where package managers are told to download from: the index and registry settings of
pip (`pip.conf`, requirements options), uv (`uv.toml`, `[tool.uv]`), Pipenv and
Poetry sources, npm and pnpm (`.npmrc`), and yarn (`.yarnrc`, `.yarnrc.yml`).

Each reader returns `IndexSetting`s: a setting's key as the tool spells it, one
value, and where it is written.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from urllib.parse import urlsplit

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.model import Position
from repo_harden.core.record import record
from repo_harden.readers.documents import TomlDocument, string, strings, table
from repo_harden.readers.yaml import Node, fields, mapping_items, scalar, sequence_items

_INI_SECTION = lazy_compile(r"^\s*\[([^\]]+)\]\s*$")
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


@record
class IndexSetting:
    key: str
    value: str
    at: Position | None


def is_plain_http(url: str) -> bool:
    """An `http://` URL to anything but this machine."""
    if not url.lower().startswith("http://"):
        return False
    host = (urlsplit(url).hostname or "").lower()
    return host not in _LOOPBACK and not host.endswith(".localhost")


def ini_settings(text: str) -> Iterator[IndexSetting]:
    """`key = value` settings of an INI file (pip.conf, .npmrc), one per value: pip splits
    a setting's value on whitespace, across indented continuation lines."""
    key: str | None = None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")) or _INI_SECTION.match(line):
            key = None
            continue
        if line[0].isspace() and key is not None:
            yield from _values(key, stripped, number, line)
            continue
        setting = _ini_setting(stripped)
        if setting is None:
            key = None
            continue
        key = setting[0].strip().lower().replace("_", "-")
        yield from _values(key, setting[1], number, line)


def _ini_setting(line: str) -> tuple[str, str] | None:
    """`key = value` or `key: value` (stripped), split at the first `=` or `:`, without a
    regex that backtracks over a long run of spaces."""
    cut = min((at for at in (line.find("="), line.find(":")) if at != -1), default=-1)
    if cut <= 0 or line[0] in "#;":
        return None
    return line[:cut].rstrip(), line[cut + 1 :].lstrip()


def _values(key: str, values: str, number: int, line: str) -> Iterator[IndexSetting]:
    for value in values.split():
        yield IndexSetting(key, value, Position(number, line.find(value) + 1))


def yarnrc_settings(text: str) -> Iterator[IndexSetting]:
    """yarn classic's `.yarnrc`: `key "value"` or `key value` lines."""
    for number, line in enumerate(text.splitlines(), 1):
        words = line.strip().split(None, 1)
        if len(words) == 2 and not words[0].startswith("#"):
            value = words[1].strip().strip('"')
            yield IndexSetting(
                words[0].strip('"'), value, Position(number, line.find(words[1]) + 1)
            )


def yarnrc_yml_settings(root: Node | None) -> Iterator[IndexSetting]:
    """yarn berry's `.yarnrc.yml`: registries, the plain-http allowlist, strict SSL."""
    values = fields(root)
    yield from _yaml_scalar("npmRegistryServer", values.get("npmRegistryServer"))
    yield from _yaml_scalar("enableStrictSsl", values.get("enableStrictSsl"))
    for item in sequence_items(values.get("unsafeHttpWhitelist")):
        yield from _yaml_scalar("unsafeHttpWhitelist", item)
    for scope, settings in mapping_items(values.get("npmScopes")):
        server = fields(settings).get("npmRegistryServer")
        yield from _yaml_scalar(f"npmScopes.{scope.value}.npmRegistryServer", server)
    for registry, _ in mapping_items(values.get("npmRegistries")):
        yield IndexSetting("npmRegistries", registry.value.strip("/"), registry.at)


def _yaml_scalar(key: str, node: Node | None) -> Iterator[IndexSetting]:
    found = scalar(node)
    if found is not None:
        yield IndexSetting(key, found.value, found.at)


def uv_settings(document: TomlDocument, prefix: tuple[str, ...]) -> Iterator[IndexSetting]:
    """uv's index settings in `uv.toml` (prefix ()) or `pyproject.toml` (("tool", "uv")),
    its `pip` table included."""
    for base in (prefix, (*prefix, "pip")):
        settings = table(document.root, *base)
        for key in ("index-url", "extra-index-url", "find-links", "allow-insecure-host"):
            for value in _one_or_many(settings.get(key)):
                yield IndexSetting(key, value, document.locate((*base, key), value))
        strategy = string(settings.get("index-strategy"))
        if strategy is not None:
            yield IndexSetting(
                "index-strategy", strategy, document.locate((*base, "index-strategy"))
            )
    for index in _tables(table(document.root, *prefix).get("index")):
        url = string(index.get("url"))
        if url is not None:
            explicit = index.get("explicit") is True
            key = "index.url (explicit)" if explicit else "index.url"
            yield IndexSetting(key, url, document.locate((*prefix, "index", "url"), url))


def source_settings(document: TomlDocument, key_path: tuple[str, ...]) -> Iterator[IndexSetting]:
    """Pipfile `[[source]]` and Poetry `[[tool.poetry.source]]`: URL and `verify_ssl`."""
    for source in _tables(table(document.root, *key_path[:-1]).get(key_path[-1])):
        url = string(source.get("url"))
        if url is not None:
            at = document.locate((*key_path, "url"), url)
            yield IndexSetting("url", url, at)
            if source.get("verify_ssl") is False:
                yield IndexSetting("verify_ssl", "false", at)


def _one_or_many(value: object) -> tuple[str, ...]:
    single = string(value)
    return (single,) if single is not None else strings(value)


def _tables(value: object) -> list[Mapping[str, object]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []
