"""Commands that publish a release artifact: a package to npm or a Python index, an image
to a registry, a GoReleaser release, files attached to a GitHub release; with what the
command line itself says about provenance and credentials."""

from __future__ import annotations

from collections.abc import Sequence

from repo_harden.core.lazy import lazy_compile
from repo_harden.core.record import record
from repo_harden.shell.analyser import Command, Word, parse_args

NPM, PYPI, PYTHON_INDEX, IMAGE, GORELEASER, GITHUB_RELEASE = (
    "npm",
    "PyPI",
    "a Python package index",
    "a container registry",
    "GoReleaser",
    "a GitHub release",
)
PUBLISH_WORDS = lazy_compile(r"\b(publish|upload|push|--push|goreleaser|release)\b")
_PYPI_HOSTS = ("pypi", "testpypi", "upload.pypi.org", "test.pypi.org")


@record
class Publish:
    """A publishing command. `where` is one of the kinds above; `provenance` says the
    command makes provenance itself (`npm publish --provenance`); `credential` names the
    option that passes a stored credential on the command line (`-p`, `--token`);
    `trusted` says the tool uses PyPI trusted publishing when given no credential."""

    where: str
    command: Command
    provenance: bool = False
    credential: str | None = None
    trusted: bool = False
    registry: str | None = None


def publish_of(command: Command) -> Publish | None:
    words = list(command.words)
    if not words:
        return None
    name = command.program
    if name.startswith("python") and len(words) >= 3 and words[1].text == "-m":
        name, words = words[2].text, words[2:]
    reader = _READERS.get(name)
    return reader(command, words[1:]) if reader is not None else None


def _texts(words: Sequence[Word]) -> list[str]:
    return [word.text for word in words]


def _npm(command: Command, args: Sequence[Word]) -> Publish | None:
    texts = _texts(args)
    if texts[:1] == ["npm"]:  # yarn npm publish (Yarn 2+)
        texts = texts[1:]
    if texts[:1] != ["publish"]:
        return None
    parsed = parse_args(args, ("--registry", "--tag", "--access", "--otp", "--workspace", "-w"))
    registry = next((w.text for w in parsed.values("--registry")), None)
    provenance = any(t in ("--provenance", "--provenance=true") for t in texts)
    return Publish(NPM, command, provenance=provenance, registry=registry)


# The user name and password options twine, Poetry and uv share.
_LOGIN = ("-u", "--username", "-p", "--password")


def _twine(command: Command, args: Sequence[Word]) -> Publish | None:
    if _texts(args)[:1] != ["upload"]:
        return None
    parsed = parse_args(
        args[1:],
        (
            *_LOGIN,
            "-r",
            "--repository",
            "--repository-url",
            "--config-file",
            "-c",
            "--comment",
            "-i",
            "--identity",
            "--sign-with",
            "--client-cert",
            "--cert",
        ),
    )
    return _python_index(
        command,
        parsed.values("-r", "--repository", "--repository-url"),
        _given(parsed, "-p", "--password", "-u", "--username"),
    )


def _poetry(command: Command, args: Sequence[Word]) -> Publish | None:
    if _texts(args)[:1] != ["publish"]:
        return None
    parsed = parse_args(
        args[1:],
        (
            *_LOGIN,
            "-r",
            "--repository",
            "--cert",
            "--client-cert",
            "--dist-dir",
        ),
    )
    return _python_index(
        command, parsed.values("-r", "--repository"), _given(parsed, "-p", "--password")
    )


def _uv(command: Command, args: Sequence[Word]) -> Publish | None:
    if _texts(args)[:1] != ["publish"]:
        return None
    parsed = parse_args(
        args[1:],
        (
            *_LOGIN,
            "-t",
            "--token",
            "--publish-url",
            "--index",
            "--trusted-publishing",
            "--check-url",
            "--keyring-provider",
        ),
    )
    never = any(w.text == "never" for w in parsed.values("--trusted-publishing"))
    credential = _given(parsed, "-t", "--token", "-p", "--password")
    found = _python_index(command, parsed.values("--publish-url", "--index"), credential)
    trusted = credential is None and not never
    return Publish(found.where, command, credential=found.credential, trusted=trusted)


def _pdm(command: Command, args: Sequence[Word]) -> Publish | None:
    if _texts(args)[:1] != ["publish"]:
        return None
    parsed = parse_args(
        args[1:],
        (
            "-u",
            "--username",
            "-P",
            "--password",
            "-r",
            "--repository",
            "--ca-certs",
            "-i",
            "--identity",
            "-c",
            "--comment",
        ),
    )
    credential = _given(parsed, "-P", "--password")
    found = _python_index(command, parsed.values("-r", "--repository"), credential)
    return Publish(found.where, command, credential=credential, trusted=credential is None)


def _flit_or_hatch(command: Command, args: Sequence[Word]) -> Publish | None:
    if _texts(args)[:1] != ["publish"]:
        return None
    parsed = parse_args(
        args[1:], ("-u", "--user", "-a", "--auth", "-r", "--repo", "--repository", "--pypirc")
    )
    return _python_index(
        command, parsed.values("-r", "--repo", "--repository"), _given(parsed, "-a", "--auth")
    )


def _python_index(command: Command, targets: Sequence[Word], credential: str | None) -> Publish:
    target = targets[-1].text.lower() if targets else "pypi"
    on_pypi = not target or any(host in target for host in _PYPI_HOSTS)
    return Publish(
        PYPI if on_pypi else PYTHON_INDEX,
        command,
        credential=credential,
        registry=None if on_pypi else targets[-1].text,
    )


def _given(parsed: object, *names: str) -> str | None:
    options = getattr(parsed, "options", {})
    return next((f"`{name}`" for name in names if name in options), None)


def _docker(command: Command, args: Sequence[Word]) -> Publish | None:
    texts = _texts(args)
    if texts[:1] == ["push"] or texts[:2] == ["image", "push"]:
        return Publish(IMAGE, command)
    if texts[:1] == ["buildx"] and any(
        t == "--push" or (t.startswith("--output") and "registry" in t) or "type=registry" in t
        for t in texts
    ):
        return Publish(IMAGE, command)
    return None


def _goreleaser(command: Command, args: Sequence[Word]) -> Publish | None:
    texts = _texts(args)
    subcommand = next((t for t in texts if not t.startswith("-")), "release")
    skipped = any(
        t in ("--snapshot", "--skip-publish") or (t.startswith("--skip") and "publish" in t)
        for t in texts
    )
    return Publish(GORELEASER, command) if subcommand == "release" and not skipped else None


def _gh(command: Command, args: Sequence[Word]) -> Publish | None:
    texts = _texts(args)
    if texts[:2] == ["release", "upload"]:
        return Publish(GITHUB_RELEASE, command)
    if texts[:2] == ["release", "create"]:
        parsed = parse_args(
            args[2:],
            (
                "-n",
                "--notes",
                "-F",
                "--notes-file",
                "-t",
                "--title",
                "--target",
                "-R",
                "--repo",
                "--discussion-category",
                "--notes-start-tag",
            ),
        )
        if len(parsed.positionals) > 1:  # a tag, then files to attach
            return Publish(GITHUB_RELEASE, command)
    return None


_READERS = {
    "npm": _npm,
    "pnpm": _npm,
    "yarn": _npm,
    "twine": _twine,
    "poetry": _poetry,
    "uv": _uv,
    "pdm": _pdm,
    "flit": _flit_or_hatch,
    "hatch": _flit_or_hatch,
    "docker": _docker,
    "podman": _docker,
    "goreleaser": _goreleaser,
    "gh": _gh,
}
