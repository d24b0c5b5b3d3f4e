"""OWN: a CODEOWNERS file that GitHub reads, that owns the paths that matter, and that
GitHub can use line by line."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from repo_harden.core.declare import CheckContext, OptionSpec, check
from repo_harden.core.lazy import lazy_import
from repo_harden.core.model import Finding, Position, Severity
from repo_harden.core.snapshot import ReportedError
from repo_harden.readers.file_kinds import CODEOWNERS_PATTERNS, DEFAULT_SENSITIVE_GLOBS

if TYPE_CHECKING:
    from repo_harden.checks.ownership import sensitive_paths
    from repo_harden.readers import codeowners as codeowners_parser
else:
    codeowners_parser = lazy_import("repo_harden.readers.codeowners")
    sensitive_paths = lazy_import("repo_harden.checks.ownership.sensitive_paths")

_LISTED = 5


@check(
    "OWN001",
    "missing-codeowners",
    Severity.WARNING,
    CODEOWNERS_PATTERNS + DEFAULT_SENSITIVE_GLOBS,
    repository_level=True,
)
def missing_codeowners(ctx: CheckContext) -> Iterator[Finding]:
    """The repository has no CODEOWNERS file.

    ## What it does
    Looks for a `CODEOWNERS` file where GitHub looks for one: in `.github/`, at
    the root, and in `docs/`. The finding is about the repository as a whole,
    so it has no file and no line.

    ## Why is this bad?
    Without code owners, a change to a workflow, to an action or to the
    release configuration needs no review from the people responsible for it:
    anyone who may merge can change what runs with the repository's secrets.
    Branch protection can require a code owner's approval only when there are
    code owners.

    ## Example
    A repository with a workflow and no `CODEOWNERS` file anywhere:
    ```yaml title=".github/workflows/release.yml"
    on: push
    jobs:
      release:
        runs-on: ubuntu-latest
        steps:
          - run: make release
    ```

    ## Fix
    Add `.github/CODEOWNERS`, with a default owner and the sensitive paths
    owned by the people who must review them:
    ```text title=".github/CODEOWNERS"
    *                        @acme/developers
    /.github/                @acme/security
    /.pre-commit-config.yaml @acme/security
    ```
    Then turn on "Require review from Code Owners" in the branch protection of
    the default branch.

    ## References
    - https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/about-code-owners
    """
    if not codeowners_parser.present_locations(ctx.snapshot):
        yield ctx.finding(
            "",
            None,
            "no CODEOWNERS file in `.github/`, the root or `docs/`, so no change needs a code "
            "owner's review, not even one to a workflow; add `.github/CODEOWNERS` with a line "
            "such as `/.github/ @<owner>`",
            "missing",
        )


@check(
    "OWN002",
    "unowned-sensitive-path",
    Severity.ERROR,
    CODEOWNERS_PATTERNS + DEFAULT_SENSITIVE_GLOBS,
    options=(
        OptionSpec(
            "sensitive-paths",
            "more paths that must have a code owner: folders end with `/` (`deploy/`), "
            "files or globs do not (`Dockerfile`, `infra/**/*.tf`)",
        ),
    ),
)
def unowned_sensitive_path(ctx: CheckContext) -> Iterator[Finding]:
    """A sensitive path has no code owner under GitHub's rules.

    ## What it does
    Finds out who owns each sensitive path the way GitHub does: it reads the
    first of `.github/CODEOWNERS`, `CODEOWNERS` and `docs/CODEOWNERS`; the last
    line that matches a path decides; a line with a pattern and no owners
    un-owns what it matches; `docs/*` covers only the files directly in `docs/`
    while `docs/` covers everything below it; paths are case-sensitive; lines
    GitHub skips (see OWN003) count for nothing.

    Sensitive by default: everything in `.github/workflows/` and
    `.github/actions/`, every `action.yml` and `action.yaml`, the CODEOWNERS
    file itself (and every location GitHub would read before it),
    `.pre-commit-config.yaml` and `.github/settings.yml`. For a folder, a file
    that does not exist yet is checked too, such as
    `.github/workflows/<new>.yml` and `.github/workflows/<new>.yaml`: a
    workflow added tomorrow must be owned as well, and only a pattern that
    covers the whole folder owns it.

    Where the finding is: at the line that decides, in CODEOWNERS, with one
    finding per deciding line however many paths it leaves without an owner
    (30 unowned workflows are one finding); when no line matches, at the
    CODEOWNERS file without a line. An inline ignore on or above a deciding
    line therefore suppresses that group. When the CODEOWNERS file is not among
    the files checked (a pre-commit hook run on a changed workflow, or
    `repo-harden scan .github/workflows/ci.yml`), each unowned file checked is
    reported at its own path instead, so the commit that adds an unowned
    workflow is still stopped. When there is no CODEOWNERS file at all, OWN001
    reports it and this rule says nothing more.

    ## Why is this bad?
    Requiring a code owner's review protects only the paths that have an
    owner. An unowned workflow can be changed, or added, with any approval at
    all, and then runs with the repository's token and secrets. An unowned
    CODEOWNERS file lets a pull request remove its own reviewers.

    ## Example
    ```text title=".github/CODEOWNERS"
    *            @acme/developers
    /.github/    @acme/security
    /.github/workflows/
    ```
    The last line names no owners, so every workflow, existing or new, is
    unowned.

    ## Fix
    Give the path an owner on a line after every other line that matches it
    (the last match wins), for example at the end of the file:
    ```text title=".github/CODEOWNERS"
    *                    @acme/developers
    /.github/            @acme/security
    /.github/workflows/  @acme/security
    ```
    More paths can be declared sensitive; they are checked by `repo-harden
    scan`, and by the pre-commit hook when CODEOWNERS is committed:
    ```toml
    [tool.repo-harden.rules.OWN002]
    sensitive-paths = ["deploy/", "Dockerfile"]
    ```
    `repo-harden owners PATH` shows who owns a path and which line decides.

    ## References
    - https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/about-code-owners#codeowners-syntax
    """
    present = codeowners_parser.present_locations(ctx.snapshot)
    codeowners = ctx.parsed.read(codeowners_parser.CODEOWNERS, present[0]) if present else None
    if codeowners is None:
        return  # no file: OWN001; unreadable: RH000
    entries = (
        *sensitive_paths.default_sensitive_paths(present),
        *map(sensitive_paths.configured_sensitive_path, ctx.string_list_option("sensitive-paths")),
    )
    if codeowners.path in ctx.files:
        found = sensitive_paths.subjects(entries, ctx.snapshot.paths())
        yield from _grouped_findings(ctx, codeowners, found)
    else:
        yield from _file_findings(ctx, codeowners, entries)


def _grouped_findings(
    ctx: CheckContext,
    codeowners: codeowners_parser.CodeownersFile,
    found: Iterable[sensitive_paths.Subject],
) -> Iterator[Finding]:
    """One finding per deciding line (or one for "no line matches"), at that line."""
    groups: dict[codeowners_parser.OwnershipLine | None, list[sensitive_paths.Subject]] = {}
    for subject in found:
        rule = codeowners.deciding_rule(subject.path)
        if rule is None or not rule.owners:
            groups.setdefault(rule, []).append(subject)
    for rule, members in groups.items():
        at = Position(rule.line, rule.column) if rule else None
        message = _group_message(codeowners, rule, members)
        yield ctx.finding(codeowners.path, at, message, rule.pattern if rule else "")


def _file_findings(
    ctx: CheckContext,
    codeowners: codeowners_parser.CodeownersFile,
    entries: Sequence[sensitive_paths.SensitivePath],
) -> Iterator[Finding]:
    """Each unowned sensitive file among those checked, at its own path."""
    for path in ctx.files:
        entry = sensitive_paths.entry_for(entries, path)
        if entry is None:
            continue
        owner = codeowners_parser.ownership(codeowners, path)
        if not owner.owned:
            why = _why(codeowners, owner.rule, "it")
            fix = _fix(codeowners, [entry.suggestion])
            yield ctx.finding(path, None, f"`{path}` has no code owner: {why}; {fix}", path)


def _group_message(
    codeowners: codeowners_parser.CodeownersFile,
    rule: codeowners_parser.OwnershipLine | None,
    members: list[sensitive_paths.Subject],
) -> str:
    plural = len(members) > 1
    verb = "have" if plural else "has"
    why = _why(codeowners, rule, "them" if plural else "it")
    fix = _fix(codeowners, [member.entry.suggestion for member in members])
    return f"{_describe(members)} {verb} no code owner: {why}; {fix}"


def _why(
    codeowners: codeowners_parser.CodeownersFile,
    rule: codeowners_parser.OwnershipLine | None,
    pronoun: str,
) -> str:
    if not codeowners.loaded:
        return f"GitHub does not load {codeowners.path}, which is over 3 MB"
    if rule is None:
        return f"no line of {codeowners.path} matches {pronoun}"
    where = f"{codeowners.path}:{rule.line} `{rule.pattern}`"
    return f"the last matching line, {where}, names no owners, so it un-owns {pronoun}"


def _fix(codeowners: codeowners_parser.CodeownersFile, suggestions: Iterable[str]) -> str:
    lines = " and ".join(f"`{pattern} @<owner>`" for pattern in dict.fromkeys(suggestions))
    return f"add {lines} at the end of {codeowners.path} (the last matching line wins)"


def _describe(members: Sequence[sensitive_paths.Subject]) -> str:
    """`a`, `b` and 3 more, and new files such as `c`."""
    existing = [f"`{member.path}`" for member in members if member.probe is None]
    shown = existing[:_LISTED]
    if len(existing) > _LISTED:
        shown.append(f"{len(existing) - _LISTED} more")
    probes = [member.probe for member in members if member.probe is not None]
    plain = [f"`{probe.path}`" for probe in probes if probe.note is None]
    if plain:
        shown.append(f"{'new files' if len(plain) > 1 else 'a new file'} such as {_join(plain)}")
    shown += [f"a new `{probe.path}` ({probe.note})" for probe in probes if probe.note]
    return _join(shown)


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


@check("OWN003", "invalid-codeowners", Severity.ERROR, CODEOWNERS_PATTERNS, needs_settings=True)
def invalid_codeowners(ctx: CheckContext) -> Iterator[Finding]:
    """A CODEOWNERS line GitHub rejects or ignores.

    ## What it does
    Reports the parts of a CODEOWNERS file that GitHub does not use the way
    they read:
    - `!pattern`: GitHub has no negation;
    - `[ ]` character ranges (and GitLab `[Section]` headers);
    - `\\#pattern`: GitHub does not unescape a leading `#`;
    - owners that are not `@user`, `@org/team` or an email address
      (`js-owner`, `@a,`), and an owner written where the pattern should be;
    - a file over 3 MB, which GitHub does not load at all;
    - a CODEOWNERS file that GitHub never reads because it reads another one
      first (`.github/`, then the root, then `docs/`).

    Each is reported at its line and column; a file over 3 MB and a file
    GitHub never reads are reported on the file, without a line. GitHub skips
    a line with invalid syntax, so its owners own nothing. Errors that only
    GitHub knows (an owner that does not exist or has no write access) need
    `repo-harden scan --online`, which adds the errors GitHub reports for the
    file at their lines; offline, this check sees the syntax only.

    ## Why is this bad?
    A skipped line fails silently: the file looks like it protects a path,
    GitHub requests no review for it, and the path falls to an earlier,
    broader line or to nobody.

    ## Example
    ```text title=".github/CODEOWNERS"
    *.js       js-owner
    !docs/     @acme/writers
    /src/[ab]/ @acme/core
    ```

    ## Fix
    Write owners as `@user`, `@org/team` or an email address; replace a
    negation with a later line that gives the paths other owners (or none);
    write one line per alternative instead of a range; keep one CODEOWNERS
    file, in `.github/`.
    ```text title=".github/CODEOWNERS"
    *.js      @js-owner
    /src/a/   @acme/core
    /src/b/   @acme/core
    ```

    ## References
    - https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/customizing-your-repository/about-code-owners#syntax-exceptions
    """
    present = codeowners_parser.present_locations(ctx.snapshot)
    ignored = codeowners_parser.shadowed(present)
    for path in ctx.files:
        if path in ignored:
            yield ctx.finding(path, None, _shadowed_message(path, present[0]), "shadowed")
            continue
        codeowners = ctx.parsed.read(codeowners_parser.CODEOWNERS, path)
        for problem in codeowners.problems if codeowners else ():
            yield _problem_finding(ctx, path, problem)
    settings = ctx.snapshot.settings
    if settings is not None and settings.codeowners_errors:
        files = set(ctx.files)
        reported = (e for e in settings.codeowners_errors if e.path in files)
        yield from reported_error_findings(ctx, reported)


def _shadowed_message(path: str, effective: str) -> str:
    return (
        f"GitHub reads {effective} and never this file, so none of its lines counts; "
        f"move what it should say into {effective} and delete it"
    )


def _problem_finding(ctx: CheckContext, path: str, problem: codeowners_parser.Problem) -> Finding:
    at = Position(problem.line, problem.column or 1) if problem.line is not None else None
    return ctx.finding(path, at, problem.message, problem.subject)


def reported_error_findings(
    ctx: CheckContext, errors: Iterable[ReportedError]
) -> Iterator[Finding]:
    """OWN003 for the errors GitHub itself reports, the online part of the rule.

    With `--online`, GitHub's own list (`GET /repos/{owner}/{repo}/codeowners/errors`)
    arrives through the snapshot's settings. A problem found both ways is reported
    twice only when the two messages differ.
    """
    for error in errors:
        hint = f"; {error.suggestion}" if error.suggestion else ""
        message = f"GitHub reports {error.kind}: {error.message}{hint}"
        at = Position(error.line, error.column)
        yield ctx.finding(error.path, at, message, f"{error.kind}\0{error.source}")
