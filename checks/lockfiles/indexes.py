"""LCK005: package indexes and registries that invite dependency confusion or let a
network attacker swap packages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from repo_harden.core.declare import CheckContext, check
from repo_harden.core.lazy import lazy_import
from repo_harden.core.model import Finding, Severity
from repo_harden.readers.file_kinds import REQUIREMENTS_PATTERNS
from repo_harden.readers.yaml import YAML

if TYPE_CHECKING:
    from repo_harden.readers import documents, package_indexes, requirements
else:
    documents = lazy_import("repo_harden.readers.documents")
    package_indexes = lazy_import("repo_harden.readers.package_indexes")
    requirements = lazy_import("repo_harden.readers.requirements")

CONFIG_PATTERNS = (
    "pip.conf",
    "pip.ini",
    "uv.toml",
    "pyproject.toml",
    "Pipfile",
    ".npmrc",
    ".yarnrc",
    ".yarnrc.yml",
)
_URL_KEYS = frozenset(
    {
        "index-url",
        "extra-index-url",
        "find-links",
        "registry",
        "url",
        "index.url",
        "index.url (explicit)",
        "npmRegistryServer",
        "npmRegistries",
    }
)


@check("LCK005", "untrusted-package-index", Severity.ERROR, REQUIREMENTS_PATTERNS + CONFIG_PATTERNS)
def untrusted_package_index(ctx: CheckContext) -> Iterator[Finding]:
    """A package index invites dependency confusion or is reached without TLS.

    ## What it does
    Reports, in requirements files and package-manager configuration:
    - `--extra-index-url` (requirements files, `pip.conf`): pip looks for
      every package on every index and installs the highest version it finds;
    - plain-`http://` indexes, registries and `--find-links` (loopback hosts
      excepted), and direct `http://` requirement URLs;
    - TLS verification turned off: `--trusted-host`, uv's
      `allow-insecure-host`, `strict-ssl=false` in `.npmrc` or `.yarnrc`,
      `enableStrictSsl: false` and `unsafeHttpWhitelist` in `.yarnrc.yml`,
      `verify_ssl = false` on a Pipfile source;
    - uv's `index-strategy = "unsafe-best-match"` or `"unsafe-first-match"`
      with more than one index. uv's default strategy stops at the first index
      that has a package, which is why extra indexes are not reported for uv.

    Files read: `requirements*.txt` and `constraints*.txt` (with their
    includes), `pip.conf`, `pip.ini`, `uv.toml`, `[tool.uv]` and
    `[[tool.poetry.source]]` in `pyproject.toml`, Pipfile `[[source]]`,
    `.npmrc`, `.yarnrc` and `.yarnrc.yml`.

    ## Why is this bad?
    With an extra index, anyone can publish a package on PyPI under the name
    of one of your private packages, with a higher version, and pip installs
    theirs: this is dependency confusion, which reached Apple, Microsoft and
    PayPal build machines in 2021. Without TLS, anyone on the network path
    (a café Wi-Fi, a compromised proxy) can serve any package they like.

    ## Example
    ```text title="requirements.txt"
    --extra-index-url https://pypi.acme.internal/simple
    --trusted-host pypi.acme.internal
    acme-utils==1.4.0
    ```

    ## Fix
    Use one index that serves both your packages and a filtered mirror of the
    public ones (a proxy such as devpi, Artifactory or Nexus that prefers the
    private package), over HTTPS with a valid certificate:
    ```text title="requirements.txt"
    --index-url https://pypi.acme.internal/simple
    acme-utils==1.4.0 --hash=sha256:70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6
    ```
    With uv, keep the default `index-strategy` and mark private indexes
    `explicit = true` with a `[tool.uv.sources]` entry for each private
    package. In npm, give private packages a scope with its own registry
    (`@acme:registry=https://npm.acme.internal/`).

    ## References
    - https://docs.astral.sh/uv/configuration/indexes/#searching-across-multiple-indexes
    - https://pip.pypa.io/en/stable/cli/pip_install/#cmdoption-extra-index-url
    """
    requirement_files = [path for path in ctx.files if path.endswith(".txt")]
    for reached in requirements.reached_files(ctx.parsed, requirement_files):
        for option in reached.file.options:
            written = f"{option.name} {option.value}"
            message = _pip_message(option.name.lstrip("-"), option.value, written)
            if message:
                yield ctx.finding(
                    reached.file.path, option.at, message, f"{option.name} {option.value}"
                )
        for requirement in reached.file.requirements:
            if requirement.url is not None and package_indexes.is_plain_http(requirement.url):
                message = f"`{requirement.text}` is downloaded over plain HTTP; {_HTTP_FIX}"
                yield ctx.finding(reached.file.path, requirement.at, message, requirement.text)
    for path in ctx.files:
        if not path.endswith(".txt"):
            yield from _config_findings(ctx, path)


_HTTP_FIX = "anyone on the network path can replace what is downloaded; use an https:// URL"


def _pip_message(key: str, value: str, written: str) -> str | None:
    """What is wrong with a pip index option, written `--key value` or `key = value`."""
    if key == "extra-index-url":
        http = package_indexes.is_plain_http(value)
        also = (
            ", and it is plain HTTP, so anyone on the network path can replace what it serves"
            if http
            else ""
        )
        single = "a single https:// `--index-url`" if http else "a single `--index-url`"
        return (
            f"`{written}` makes pip take the highest version found on any index, so a "
            "package of the same name published on PyPI can replace yours (dependency "
            f"confusion){also}; use {single} that serves both"
        )
    if key == "trusted-host":
        return (
            f"`{written}` turns off TLS verification for {value}, so anyone on the "
            "network path can serve any package; remove it and fix the certificate"
        )
    if key in ("index-url", "find-links") and package_indexes.is_plain_http(value):
        return f"`{written}` is plain HTTP: {_HTTP_FIX}"
    return None


def _config_findings(ctx: CheckContext, path: str) -> Iterator[Finding]:
    name = path.rpartition("/")[2]
    for setting, message in _config_settings(ctx, path, name):
        yield ctx.finding(path, setting.at, message, f"{setting.key}\0{setting.value}")


def _config_settings(
    ctx: CheckContext, path: str, name: str
) -> Iterator[tuple[package_indexes.IndexSetting, str]]:
    if name in ("pip.conf", "pip.ini"):
        text = ctx.parsed.text(path) or ""
        for setting in package_indexes.ini_settings(text):
            message = _pip_message(setting.key, setting.value, f"{setting.key} = {setting.value}")
            if message:
                yield setting, message
    elif name in (".npmrc", ".yarnrc"):
        text = ctx.parsed.text(path) or ""
        settings = (
            package_indexes.ini_settings(text)
            if name == ".npmrc"
            else package_indexes.yarnrc_settings(text)
        )
        yield from _npm_findings(settings)
    elif name == ".yarnrc.yml":
        yield from _yarn_berry_findings(
            package_indexes.yarnrc_yml_settings(ctx.parsed.read(YAML, path))
        )
    else:
        yield from _toml_findings(ctx, path, name)


def _npm_findings(
    settings: Iterator[package_indexes.IndexSetting],
) -> Iterator[tuple[package_indexes.IndexSetting, str]]:
    for setting in settings:
        if setting.key in ("registry",) or setting.key.endswith(":registry"):
            if package_indexes.is_plain_http(setting.value):
                yield setting, f"`{setting.key}={setting.value}` is plain HTTP: {_HTTP_FIX}"
        elif setting.key == "strict-ssl" and setting.value.strip('"').lower() == "false":
            yield (
                setting,
                (
                    "`strict-ssl=false` turns off TLS verification of the registry, so anyone on "
                    "the network path can serve any package; remove it and fix the certificate"
                ),
            )


def _yarn_berry_findings(
    settings: Iterator[package_indexes.IndexSetting],
) -> Iterator[tuple[package_indexes.IndexSetting, str]]:
    for setting in settings:
        if setting.key == "enableStrictSsl" and setting.value.lower() == "false":
            message = "`enableStrictSsl: false` turns off TLS verification of the registry"
            yield setting, f"{message}; remove it and fix the certificate"
        elif setting.key == "unsafeHttpWhitelist":
            message = (
                f"`unsafeHttpWhitelist` lets yarn fetch from `{setting.value}` over plain HTTP"
            )
            yield setting, f"{message}: {_HTTP_FIX}"
        elif _is_registry(setting.key) and package_indexes.is_plain_http(setting.value):
            yield setting, f"`{setting.key}: {setting.value}` is plain HTTP: {_HTTP_FIX}"


def _is_registry(key: str) -> bool:
    return key in _URL_KEYS or key.endswith("npmRegistryServer")


def _toml_findings(
    ctx: CheckContext, path: str, name: str
) -> Iterator[tuple[package_indexes.IndexSetting, str]]:
    document = ctx.parsed.read(documents.TOML, path)
    if document is None:
        return
    if name == "Pipfile":
        settings = list(package_indexes.source_settings(document, ("source",)))
    elif name == "uv.toml":
        settings = list(package_indexes.uv_settings(document, ()))
    else:
        settings = [
            *package_indexes.uv_settings(document, ("tool", "uv")),
            *package_indexes.source_settings(document, ("tool", "poetry", "source")),
        ]
    indexes = [s for s in settings if s.key in ("index-url", "extra-index-url", "index.url")]
    for setting in settings:
        message = _toml_message(setting, len(indexes))
        if message:
            yield setting, message


def _toml_message(setting: package_indexes.IndexSetting, index_count: int) -> str | None:
    if setting.key == "allow-insecure-host":
        return (
            f"`allow-insecure-host` turns off TLS verification for `{setting.value}`, so anyone "
            "on the network path can serve any package; remove it and fix the certificate"
        )
    if setting.key == "verify_ssl":
        return "`verify_ssl = false` turns off TLS verification of this source; set it to true"
    if setting.key == "index-strategy" and setting.value.startswith("unsafe") and index_count > 0:
        return (
            f'`index-strategy = "{setting.value}"` makes uv consider every index for every '
            "package, so a package of the same name on PyPI can replace yours (dependency "
            "confusion); keep the default `first-index`"
        )
    if setting.key in _URL_KEYS and package_indexes.is_plain_http(setting.value):
        return f"the index `{setting.value}` is plain HTTP: {_HTTP_FIX}"
    return None
