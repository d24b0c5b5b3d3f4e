"""LCK006: locked Python dependencies with known vulnerabilities, looked up online.

The lookup is the snapshot's `settings.advisories`: `scan --online` and the org audit put
one there (pip-audit asking an OSV service), offline runs and hooks do not, and then this
rule reads nothing and finds nothing. Every locked version of every file is asked at once,
so the source can ask once for each distinct one.

When the source cannot answer, each file is reported under LCK006 as not checked. Not as
RH000, which `--select LCK006` would hide: a vulnerability gate that could not look must
fail, not pass in silence. Not as an error exit either, which would hide every other
finding of the scan.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING

from repo_harden.core.declare import CheckContext, check
from repo_harden.core.globs import PathMatcher
from repo_harden.core.lazy import lazy_import
from repo_harden.core.model import Finding, Position, Severity
from repo_harden.core.record import record
from repo_harden.ecosystems import registry
from repo_harden.readers.file_kinds import REQUIREMENTS_PATTERNS

if TYPE_CHECKING:
    from repo_harden.core import advisory as advisory_model
    from repo_harden.core.advisory import Advisory, AdvisoryError, PackageVersion
    from repo_harden.ecosystems.ecosystem import LockedPackage
    from repo_harden.readers import requirements
else:
    advisory_model = lazy_import("repo_harden.core.advisory")
    requirements = lazy_import("repo_harden.readers.requirements")

LOCKFILE_PATTERNS = registry.locked_package_patterns("pypi")


@record
class LockedPin:
    """One locked version, where a file pins it."""

    package: PackageVersion
    path: str
    at: Position | None


@check(
    "LCK006",
    "known-vulnerable-dependency",
    Severity.ERROR,
    REQUIREMENTS_PATTERNS + LOCKFILE_PATTERNS,
    online=True,
)
def known_vulnerable_dependency(ctx: CheckContext) -> Iterator[Finding]:
    """A locked Python dependency has a known vulnerability.

    ## What it does
    With `--online` (and in audits), looks up every locked Python dependency in
    the OSV vulnerability database, through pip-audit, and reports each locked
    version that a published advisory affects, with the advisory ids (PYSEC,
    GHSA, CVE) and the versions that fix them. It reads:
    - requirements and constraints files (as LCK003 finds them, `-r` and `-c`
      includes too): each requirement pinned with `==` or `===`;
    - `uv.lock`, `poetry.lock`, `pdm.lock`, `pylock.toml` and `pylock.*.toml`:
      each package locked from a package index, at its `[[package]]` entry
      (`[[packages]]` in `pylock.toml`); `Pipfile.lock`: each `default` and
      `develop` package pinned with `==`, at its key. The project itself, path
      and VCS dependencies and direct URLs have no index release to look up.

    Offline, and in pre-commit hooks, it finds nothing and makes no request.
    A query that meets a busy or failing service (429, 5xx) is asked again up
    to three times, with backoff. When the vulnerability service still cannot
    be reached, times out or fails, each file is reported as not checked, with
    the reason: the run fails rather than pass without looking, and the rest
    of the scan is reported as usual.
    `--osv-url` (or `REPO_HARDEN_OSV_URL`) points it at a mirror of the OSV
    API.

    ## Why is this bad?
    A lockfile decides exactly which code runs, so a locked version with a
    published vulnerability ships that vulnerability on every install, however
    carefully it is pinned and hashed. Advisories appear after a version is
    locked: a lockfile that was clean last month may not be today.

    ## Example
    A requirements file that pins Jinja 2.10:
    ```text title="requirements.txt"
    jinja2==2.10 \\
        --hash=sha256:74c935a1b8bb9a3947c50a54766a969d4846290e1e788ea44c1392163723c3bd
    ```
    is reported as `jinja2 2.10 has 2 known vulnerabilities: PYSEC-2019-217
    (CVE-2019-10906, GHSA-462w-v97r-4m45; fixed in 2.10.1), PYSEC-2021-66
    (CVE-2020-28493, GHSA-g3rq-g295-4j3m; fixed in 2.11.3); upgrade to 2.11.3`.

    ## Fix
    Upgrade to the version the message names and lock again (`uv lock
    --upgrade-package jinja2`, `poetry update jinja2`, `pip-compile
    --upgrade-package jinja2`):
    ```text title="requirements.txt"
    jinja2==2.11.3 \\
        --hash=sha256:03e47ad063331dd6a3f04a43eddca8a966a26ba0c5b7207a9a9e4e08f1b29419
    ```
    When no release fixes it yet, or the vulnerable code is never reached, waive
    the finding with an owner, a reason and an expiry date, so that someone looks
    again.

    ## References
    - https://osv.dev/
    - https://github.com/pypa/pip-audit
    - https://github.com/pypa/advisory-database
    """
    settings = ctx.snapshot.settings
    source = settings.advisories if settings is not None else None
    if source is None:
        return
    pins = _locked_pins(ctx)
    if not pins:
        return
    try:
        found = source.advisories({pin.package for pin in pins})
    except advisory_model.AdvisoryError as error:
        for path in dict.fromkeys(pin.path for pin in pins):
            yield ctx.finding(path, None, _not_checked_message(path, error), "not checked")
        return
    yield from _findings(ctx, pins, found)


def _not_checked_message(path: str, error: AdvisoryError) -> str:
    return (
        f"{path} was not checked for known vulnerabilities: {error}; run the scan again "
        "later, or use a mirror of the OSV API (--osv-url)"
    )


def _locked_pins(ctx: CheckContext) -> list[LockedPin]:
    """The locked versions of the check's files, in file order."""
    lockfiles = [path for path in ctx.files if _is_lockfile(path)]
    requirement_files = [path for path in ctx.files if not _is_lockfile(path)]
    pins = [
        LockedPin(advisory_model.PackageVersion(pin.name, pin.version), pin.path, pin.at)
        for pin in requirements.pinned_requirements(ctx.parsed, requirement_files)
    ]
    for path in lockfiles:
        for locked in _locked_packages(ctx, path):
            package = advisory_model.PackageVersion(locked.name, locked.version)
            pins.append(LockedPin(package, path, locked.at))
    return pins


def _is_lockfile(path: str) -> bool:
    return _lockfile_matcher().matches(path)


@cache
def _lockfile_matcher() -> PathMatcher:
    return PathMatcher(LOCKFILE_PATTERNS)


def _locked_packages(ctx: CheckContext, path: str) -> list[LockedPackage]:
    ecosystem = registry.for_lockfile(path.rpartition("/")[2])
    if ecosystem is None or ecosystem.locked_packages is None:
        return []
    return ecosystem.locked_packages(ctx.parsed, path)


def _findings(
    ctx: CheckContext,
    pins: Sequence[LockedPin],
    found: Mapping[PackageVersion, tuple[Advisory, ...]],
) -> Iterator[Finding]:
    for pin in pins:
        advisories = sorted(found.get(pin.package, ()), key=lambda advisory: advisory.id)
        if not advisories:
            continue
        ids = ",".join(advisory.id for advisory in advisories)
        subject = f"{pin.package.name}=={pin.package.version}\0{ids}"
        yield ctx.finding(pin.path, pin.at, _vulnerable_message(pin.package, advisories), subject)


def _vulnerable_message(package: PackageVersion, advisories: Sequence[Advisory]) -> str:
    """`jinja2 2.10 has 2 known vulnerabilities: ID (ALIASES; fixed in X), ...; upgrade to Y`"""
    fixes = {advisory.id: _first_fix(advisory, package.version) for advisory in advisories}
    listed = ", ".join(_described(advisory, fixes[advisory.id]) for advisory in advisories)
    count = len(advisories)
    what = "a known vulnerability" if count == 1 else f"{count} known vulnerabilities"
    return f"{package.name} {package.version} has {what}: {listed}; {_advice(fixes)}"


def _first_fix(advisory: Advisory, version: str) -> str | None:
    """The first release after `version` that fixes the advisory, or None."""
    from packaging.version import InvalidVersion, Version

    try:
        current = Version(version)
        later = [Version(fixed) for fixed in advisory.fixed_in if Version(fixed) > current]
    except InvalidVersion:
        return None
    return str(min(later)) if later else None


def _described(advisory: Advisory, fix: str | None) -> str:
    fixed = f"fixed in {fix}" if fix else "no fixed release"
    aliases = f"{', '.join(sorted(advisory.aliases))}; " if advisory.aliases else ""
    return f"{advisory.id} ({aliases}{fixed})"


def _advice(fixes: Mapping[str, str | None]) -> str:
    from packaging.version import Version

    releases = [fix for fix in fixes.values() if fix is not None]
    unfixed = [advisory for advisory, fix in fixes.items() if fix is None]
    if not releases:
        them = "it" if len(unfixed) == 1 else "them"
        return (
            f"no release fixes {them} yet: replace the dependency or mitigate, and waive the "
            "finding with a reason and an expiry date"
        )
    upgrade = f"upgrade to {max(releases, key=Version)}"
    return f"{upgrade} (no release fixes {', '.join(unfixed)} yet)" if unfixed else upgrade
