"""DL: tools fetched from the network with no version, checksum or signature.

The rules read every piece of shell a repository runs (see `repo_harden.shell.blocks`):
`run:` steps of workflows and composite actions, Dockerfile `RUN`s, Makefile
recipes and shell scripts. DL005 (Dockerfile `ADD`) is in `in_dockerfiles`, DL006 (tool
versions given to actions) in `tool_versions`.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from repo_harden.core.declare import CheckContext, check
from repo_harden.core.lazy import lazy_compile
from repo_harden.core.model import Finding, Severity
from repo_harden.readers.file_kinds import REQUIREMENTS_PATTERNS, SCRIPT_PATTERNS

if TYPE_CHECKING:
    from repo_harden.shell.analyser import Command, ShellScript
    from repo_harden.shell.blocks import ScriptBlock
    from repo_harden.shell.installs import Install

# The words a block must hold for a rule to parse it (the shell reader is imported lazily,
# and only blocks with one of these words are parsed).
DOWNLOAD_WORDS = lazy_compile(r"\b(curl|wget)\b")
INSTALL_WORDS = lazy_compile(
    r"\b(pip[0-9.]*|uvx?|pipx|npm|npx|pnpm|yarn|go|cargo|gem|dotnet|choco|cinst|nuget"
    r"|conda|mamba|micromamba)\b"
)
POWERSHELL_RUN_WORDS = lazy_compile(r"\biex\b|Invoke-Expression|::Create", re.IGNORECASE)
PIP_WORDS = lazy_compile(r"\bpip")
_POWERSHELL_FETCH = r"(?:iwr|irm|curl|wget|Invoke-WebRequest|Invoke-RestMethod|\.DownloadString)\b"
_POWERSHELL_RUN = lazy_compile(
    rf"{_POWERSHELL_FETCH}[^|\n;]*\|\s*(?:iex|Invoke-Expression)\b"
    rf"|\b(?:iex|Invoke-Expression)\b[\s(]*(?:\(\s*New-Object\s+[\w.]*WebClient\s*\)|{_POWERSHELL_FETCH})"
    rf"|\[scriptblock\]::Create\([\s(]*(?:\(\s*New-Object\s+[\w.]*WebClient\s*\)|{_POWERSHELL_FETCH})",
    re.IGNORECASE,
)


def _sh_blocks(ctx: CheckContext, words: re.Pattern[str]) -> Iterator[tuple[str, ScriptBlock]]:
    """Every shell block of the files that holds one of `words` (the others are not parsed)."""
    from repo_harden.shell.blocks import scripts_in

    for path in ctx.files:
        for block in scripts_in(ctx, path):
            if block.dialect == "sh" and block.mentions(words):
                yield path, block


def _installs(
    ctx: CheckContext, words: re.Pattern[str]
) -> Iterator[tuple[str, Command, Install | None]]:
    """Each command of the shell blocks that hold one of `words`, with the install it
    performs, judged in the folder it runs in and after what its job (or script) installed
    before it."""
    from repo_harden.shell.installs import (
        InstallContext,
        InstalledForNpx,
        command_folders,
        command_places,
        install_of,
    )

    context = InstallContext(ctx.snapshot.paths, ctx.parsed.text)
    installed = InstalledForNpx()
    for path, block in _sh_blocks(ctx, words):
        script = block.shell
        folders = command_folders(script, block.directory)
        places = command_places(script, block.directory)
        near = posixpath.dirname(path)
        for command, folder, place in zip(script.commands, folders, places, strict=True):
            install = install_of(command, context.at(folder, near))
            yield path, command, installed.judged(install, (path, block.group), place)


def _short(command: Command) -> str:
    return _shorten(command.raw)


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 80 else text[:77] + "..."


@check("DL001", "download-piped-to-interpreter", Severity.ERROR, SCRIPT_PATTERNS, per_file=True)
def download_piped_to_interpreter(ctx: CheckContext) -> Iterator[Finding]:
    """A script is downloaded and run in one go, without being looked at.

    ## What it does
    Finds `curl` or `wget` output that goes straight into an interpreter: piped
    (`curl ... | sh`, `| sudo bash -s --`, `| python3 -`), process-substituted
    (`bash <(curl ...)`, `source <(curl ...)`), or command-substituted into the
    program (`bash -c "$(curl ...)"`, `eval "$(wget -qO- ...)"`, `sh <<< "$(curl ...)"`),
    also through a variable (`s=$(curl ...)` then `bash -c "$s"`, `eval "$s"` or
    `echo "$s" | sh`), and inside the script a second shell runs:
    `sh -c "curl ... | sh"`, `sudo bash -c '...'`, `docker run IMG sh -c '...'`.
    In PowerShell, `iwr ... | iex`, `iex (irm ...)` and
    `iex ((New-Object Net.WebClient).DownloadString(...))`. A URL fixed to a
    commit (`raw.githubusercontent.com/o/r/<40-hex>/...`) serves one content
    only and is left alone.

    ## Why is this bad?
    Whoever controls the server, the DNS or the CDN that day decides what runs,
    with the job's secrets and write token. Nothing is kept to inspect later,
    and a download cut off halfway is still run: `rm -rf /tmp/build` can arrive
    as `rm -rf /`.

    ## Example
    ```yaml title=".github/workflows/ci.yml"
    on: push
    jobs:
      build:
        runs-on: ubuntu-latest
        steps:
          - run: curl -fsSL https://get.example.com/install.sh | bash
    ```

    ## Fix
    Download to a file, check it against a digest you recorded, then run it:
    ```yaml title=".github/workflows/ci.yml"
    on: push
    jobs:
      build:
        runs-on: ubuntu-latest
        steps:
          - run: |
              curl -fsSLo install.sh https://get.example.com/v1.4.2/install.sh
              echo "$INSTALLER_SHA256  install.sh" | sha256sum -c -
              bash install.sh
            env:
              INSTALLER_SHA256: 3f5d2a9c8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f
    ```
    Better still, use a pinned action or a package with a lockfile.

    ## References
    - https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions
    - https://www.idontplaydarts.com/2016/04/detecting-curl-pipe-bash-server-side/
    """
    from repo_harden.shell.blocks import scripts_in
    from repo_harden.shell.fetches import downloads_run_as_programs

    for path, block in _sh_blocks(ctx, DOWNLOAD_WORDS):
        script = block.shell
        for piped in downloads_run_as_programs(script):
            interpreter = piped.interpreter.name
            shown = piped.at.raw
            if piped.at is not piped.interpreter:  # a pipeline: show it up to the interpreter
                stages = [c for c in script.pipeline_of(piped.at) if c.parent == piped.at.parent]
                shown = " | ".join(c.raw for c in stages if c.stage <= piped.interpreter.stage)
            message = (
                f"`{_shorten(shown)}` runs what `{piped.download.command.name}` downloads "
                f"with `{interpreter}`, unchecked; download it to a file, verify its SHA-256 "
                "(`sha256sum -c`), then run it"
            )
            yield ctx.finding(path, piped.at.at, message, f"{piped.download.subject}|{interpreter}")
    for path in ctx.files:
        for block in scripts_in(ctx, path):
            if block.dialect == "pwsh" and block.mentions(POWERSHELL_RUN_WORDS):
                yield from _powershell_downloads_run(ctx, path, block)


def _powershell_downloads_run(
    ctx: CheckContext, path: str, block: ScriptBlock
) -> Iterator[Finding]:
    for match in _POWERSHELL_RUN.finditer(block.text):
        message = (
            f"`{match.group()}` runs a downloaded script unchecked; save it with "
            "`Invoke-WebRequest -OutFile`, compare `(Get-FileHash ...).Hash` with the digest "
            "you recorded, then run it"
        )
        at = block.source.position(match.start())
        yield ctx.finding(path, at, message, match.group())


@check("DL002", "unverified-download-executed", Severity.ERROR, SCRIPT_PATTERNS, per_file=True)
def unverified_download_executed(ctx: CheckContext) -> Iterator[Finding]:
    """A downloaded file is run, sourced or installed with no checksum or signature check.

    ## What it does
    Follows the files that `curl` and `wget` write (through `mv`, `cp`,
    `install`, `chmod +x` and `tar x`/`unzip`) and reports the first command
    that runs one (`./tool`, `bash install.sh`, `source env.sh`, and the same through a
    variable: `curl -o "$F" URL` then `bash "$F"`), installs one
    (`dpkg -i`, `rpm -i`, `apt-get install ./x.deb`, `pip install x.whl`) or
    runs what was unpacked from one, when no verification came in between. The
    `RUN` instructions of one Dockerfile stage are followed as one script.

    Verification that counts: `sha256sum -c`/`--check` (and the other
    `sha*sum`, `shasum -a 256 -c`), a computed digest compared with a value
    (`[ "$(sha256sum f | cut -d' ' -f1)" = "..." ]`), `gpg --verify`, `gpgv`,
    `cosign verify-blob`, `slsa-verifier`, `gh attestation verify`,
    `minisign -V`. A URL fixed to a commit is content-addressed and fine.

    ## Why is this bad?
    A release asset can be replaced, and a download server or mirror can be
    compromised, as the Codecov uploader was in 2021: the script that CI ran
    for two months sent every environment variable, secrets included, to the
    attacker. A checksum recorded when the tool was chosen would have failed the
    first build.

    ## Example
    ```sh title="scripts/install-kubectl.sh"
    curl -fsSLo kubectl https://dl.k8s.io/release/v1.31.0/bin/linux/amd64/kubectl
    chmod +x kubectl && ./kubectl version --client
    ```

    ## Fix
    Check the file against a digest kept in the repository before using it:
    ```sh title="scripts/install-kubectl.sh"
    curl -fsSLo kubectl https://dl.k8s.io/release/v1.31.0/bin/linux/amd64/kubectl
    echo "7c3807c0f5c1b30110a2ff1e55da1d112a6d0096201f1beb81b269f582b5d1c5  kubectl" \\
      | sha256sum -c -
    chmod +x kubectl && ./kubectl version --client
    ```
    A checksum file fetched from the same server protects against corruption,
    not against a compromise: pin the digest itself, or verify a signature.

    ## References
    - https://about.codecov.io/security-update/
    - https://slsa.dev/spec/v1.0/verifying-artifacts
    """
    from repo_harden.shell.blocks import scripts_in
    from repo_harden.shell.fetches import unverified_runs

    for path in ctx.files:
        for scripts in _stream_groups(scripts_in(ctx, path)):
            for run in unverified_runs(scripts):
                line = run.download.command.at.line
                message = (
                    f"`{_short(run.command)}` {run.how} what `{run.download.command.name}` "
                    f"downloaded at line {line} (`{_shorten(run.download.subject)}`) with no "
                    "checksum or signature check in between; verify it first "
                    '(`echo "<sha256>  FILE" | sha256sum -c -`)'
                )
                subject = f"{run.download.subject}|{_short(run.command)}"
                yield ctx.finding(path, run.command.at, message, subject)


def _stream_groups(blocks: tuple[ScriptBlock, ...]) -> Iterator[list[ShellScript]]:
    """Blocks that run one after another on the same files, parsed from the first one that
    downloads something on (the blocks before cannot use a download)."""
    groups: dict[object, list[ShellScript]] = {}
    for block in blocks:
        if block.dialect != "sh":
            continue
        if block.group in groups or block.mentions(DOWNLOAD_WORDS):
            groups.setdefault(block.group, []).append(block.shell)
    yield from groups.values()


@check(
    "DL003",
    "unpinned-package-install",
    Severity.WARNING,
    (*SCRIPT_PATTERNS, "package.json", ".yarnrc.yml"),
    per_file=True,
)
def unpinned_package_install(ctx: CheckContext) -> Iterator[Finding]:
    """A tool is installed from a package registry with no exact version.

    ## What it does
    Finds installs that take whatever version the registry serves: `pip`,
    `python -m pip`, `uv pip`, `uv tool install`, `uvx`, `pipx install|run`,
    `npm install|i` with packages, `npx`, `pnpm dlx`, `yarn dlx`,
    `yarn global add`, `go install|get` without `@vX.Y.Z` or a commit,
    `cargo install` without `--version` and `--locked`, `gem install` without
    `-v`, `dotnet tool install` without `--version`, `choco install` without
    `--version`, `nuget install` without `-Version`, `conda`/`mamba install`
    without `=version`, `dotnet add package` without `--version`. A script run by
    `pipx run tools/x.py` or `uv run tools/x.py` installs the dependencies of its
    `# /// script` block (PEP 723): each must be pinned (`uv lock --script`, which
    `uv run` follows, counts). Also installs that bypass a lockfile: `npm
    install` with no package (the advice names `npm ci` only where a
    `package-lock.json` locks the folder it runs in), `yarn install` without
    `--frozen-lockfile`, `yarn install --no-immutable`, `pnpm install
    --no-frozen-lockfile` and `--no-lockfile`.

    Not reported: installs from a local path (`pip install -e .`), from local
    files only (`pip install --no-index --find-links dist`), from a
    requirements file or a lockfile (`npm ci`, `pip install -r`, `uv sync`),
    pinned versions (`npm install -g pnpm@9.1.0`), `npx tool` in a repository
    with a `package.json` (npx runs the project's own, locked copy), `npx tool`
    after the same job or script installed `tool` at an exact version in that
    folder or globally (`npm install tool@1.2.3`: npx runs that copy), and
    system package managers (`apt-get`, `apk`, `dnf`, `brew`), whose packages
    are signed by their distribution.

    ## Why is this bad?
    The build changes when a new release appears, even when nothing in the
    repository did; and a hijacked maintainer account (as with `ua-parser-js`,
    `ctx` or the `nx` packages) reaches every build within minutes. An exact
    version only moves when someone reviews the change.

    ## Example
    ```yaml title=".github/workflows/ci.yml"
    on: push
    jobs:
      lint:
        runs-on: ubuntu-latest
        steps:
          - run: |
              pip install black
              npm install -g pnpm
              go install golang.org/x/tools/gopls@latest
    ```

    ## Fix
    ```yaml title=".github/workflows/ci.yml"
    on: push
    jobs:
      lint:
        runs-on: ubuntu-latest
        steps:
          - run: |
              pip install black==24.8.0
              npm install -g pnpm@9.12.1
              go install golang.org/x/tools/gopls@v0.16.2
    ```
    Dependabot and Renovate update such versions. For Python, prefer a
    requirements file with hashes (see DL004).
    """
    for path, command, install in _installs(ctx, INSTALL_WORDS):
        if install is None or not (install.unpinned or install.problem):
            continue
        yield ctx.finding(path, command.at, _unpinned_message(install), _short(command))


def _unpinned_message(install: Install) -> str:
    if install.problem:
        return f"{install.problem}; {install.fix}"
    names = ", ".join(f"`{_shorten(name)}`" for name in install.unpinned)
    if install.script:
        return (
            f"`{_short(install.command)}` installs the inline dependencies of "
            f"`{install.script}` ({names}) with no exact version, so each run may get a "
            f"different release, or a compromised one; {install.fix}"
        )
    return (
        f"`{_short(install.command)}` installs {names} with no exact version, so each run "
        f"may get a different release, or a compromised one; {install.fix}"
    )


@check(
    "DL004",
    "unhashed-pip-install",
    Severity.WARNING,
    SCRIPT_PATTERNS + REQUIREMENTS_PATTERNS,
    per_file=True,
)
def unhashed_pip_install(ctx: CheckContext) -> Iterator[Finding]:
    """pip installs exact versions but checks no hashes.

    ## What it does
    Finds `pip install` (and `uv pip install`) commands whose packages are all
    pinned (`name==1.2.3`) but that do not make pip check hashes, and
    `pip install -r FILE` where FILE is in the repository and none of its
    requirements has a `--hash`. Hash checking is on with `--require-hashes`,
    with a `--hash=sha256:...` on the command line, or by itself as soon as
    one requirement of a file has a `--hash`: such a file is fine without the
    flag. A requirements file that is not in the repository (written by an
    earlier step) is not judged. VCS requirements pinned to a full commit,
    editables and local folders are never asked for a hash (pip cannot hash
    them, and refuses hash-checking for a command that holds one: the advice then
    says to install them with a command of their own).

    ## Why is this bad?
    A version number names a release, not its content: an index mirror, a
    proxy or a re-uploaded sdist can serve other files under the same version,
    and a wheel built from an sdist runs arbitrary code. A hash names the exact
    file that was reviewed.

    ## Example
    ```sh title="scripts/setup.sh"
    pip install black==24.8.0
    ```

    ## Fix
    Give pip the hash it must check:
    ```sh title="scripts/setup.sh"
    pip install black==24.8.0 \\
      --hash=sha256:e0a8e2bfa0e8cc5b3e9cd9c1b5e5b1e9f3dd4f1e6d6e9f6fb1f6b0c5d1e3a7b9
    ```
    For more than one tool, generate a requirements file with hashes
    (`pip-compile --generate-hashes`, `uv pip compile --generate-hashes`) and run
    `pip install --require-hashes -r requirements.txt`.
    """
    for path, command, install in _installs(ctx, PIP_WORDS):
        if install is None or install.tool not in ("pip", "uv pip") or install.unpinned:
            continue
        if install.hashed:
            continue
        message = _unhashed_message(ctx, path, install)
        if message is not None:
            yield ctx.finding(path, command.at, message, _short(command))


def _unhashed_message(ctx: CheckContext, path: str, install: Install) -> str | None:
    fix = (
        "generate hashes (`pip-compile --generate-hashes`, `uv pip compile --generate-hashes`) "
        "and install with `--require-hashes -r FILE`"
    )
    if install.exact:
        names = ", ".join(f"`{_shorten(name)}`" for name in install.exact)
        return (
            f"`{_short(install.command)}` pins {names} but checks no hash; "
            f"{_apart(install.unhashable)}{fix}"
        )
    for word in install.requirement_files:
        found = _requirements_file(ctx, path, word.text) if word.literal else None
        if found is not None:
            _, unhashable = found
            return (
                f"`{_short(install.command)}` installs `{word.text}`, whose requirements have "
                f"no `--hash`, so pip checks none; {_apart(unhashable)}{fix}"
            )
    return None


def _apart(unhashable: tuple[str, ...]) -> str:
    """Hash-checking mode refuses VCS requirements, editables and folders: they must be
    installed by another command for the rest to be checked."""
    if not unhashable:
        return ""
    names = ", ".join(f"`{_shorten(name)}`" for name in unhashable[:3])
    more = f" and {len(unhashable) - 3} more" if len(unhashable) > 3 else ""
    return (
        f"pip cannot hash {names}{more} (a VCS checkout, an editable or a folder) and refuses "
        "hash-checking with it, so install it with its own `pip install` and "
    )


def _requirements_file(
    ctx: CheckContext, path: str, name: str
) -> tuple[str, tuple[str, ...]] | None:
    """The repository's requirements file a `-r` names, when it has requirements pip could
    check by hash and no hash at all, with the requirements pip cannot hash; None when it
    is hashed, absent or has nothing to check (only local, editable or VCS requirements)."""
    folder = "" if path.startswith(".github/") else posixpath.dirname(path)
    for candidate in dict.fromkeys((posixpath.join(folder, name), name)):
        normal = posixpath.normpath(candidate)
        if normal.startswith("../"):
            continue
        # an absent file (the usual case: `-r` of a file the workflow makes) needs no parser;
        # an unreadable one is recorded here as the reader would record it (RH000)
        if ctx.parsed.text(normal) is None:
            continue
        from repo_harden.readers.requirements import REQUIREMENTS

        parsed = ctx.parsed.read(REQUIREMENTS, normal)
        if parsed is None:
            continue
        requirements = parsed.requirements
        if any(r.is_hashed for r in requirements) or not any(
            r.hash_checkable for r in requirements
        ):
            return None
        return normal, tuple(r.text for r in requirements if r.blocks_hash_checking)
    return None
