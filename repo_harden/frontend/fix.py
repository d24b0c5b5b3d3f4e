"""`repo-harden fix` and the `fix-pins` hook: pin what the PIN rules find, in place.

1. scan the checkout for PIN001, PIN002 and PIN005 (and, online, PIN003 and PIN004), with
   the config, waivers and inline ignores as `scan` applies them: what is waived is not
   fixed;
2. read the reference each finding points at (`repo_harden.fixes.references`);
3. look every distinct ref, commit and image tag up at once (GitHub, registries, or the
   cache alone when offline);
4. plan the edits (`repo_harden.fixes.plan`), apply them to each file's text, check that
   a YAML file still parses, and write it atomically, unless it changed on disk meanwhile
   (`--dry-run` writes nothing and shows the diff).

A reference that cannot be fixed is listed with the reason, and the others are fixed.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from repo_harden.core.escape import line_start, shown
from repo_harden.core.model import Finding
from repo_harden.core.pins import (
    CommitName,
    DigestSource,
    FactCache,
    GitRefSource,
    ImageTag,
    RefName,
)
from repo_harden.core.record import field, record, replace
from repo_harden.core.snapshot import RepoSettings
from repo_harden.engine.overrides import Overrides
from repo_harden.fixes.edits import OverlappingEdits, apply_edits, unified_diff
from repo_harden.fixes.plan import Planned, not_fixed, pin_image, pin_ref, recomment
from repo_harden.fixes.references import IMAGE, NotFixable, Reference, locate
from repo_harden.readers.precommit import HookRepository, read_pre_commit_config
from repo_harden.readers.source_map import FileLines
from repo_harden.readers.workflows import is_action_path, is_workflow_path
from repo_harden.readers.yaml import YamlError, compose

if TYPE_CHECKING:
    from repo_harden.github.client import GitHubClient
    from repo_harden.github.git_refs import GitHubRefs
    from repo_harden.registries.digests import RegistryDigests

FIXED_RULES = ("PIN001", "PIN002", "PIN005")
VERIFYING_RULES = ("PIN003", "PIN004")


@record
class FixSources:
    """Where references are looked up. `verify`: run PIN003 and PIN004 too (online)."""

    git_refs: GitRefSource
    digests: DigestSource
    verify: bool = False


@record
class FixOptions:
    """`announce` is told what is about to be looked up (a terminal shows it while it is)."""

    overrides: Overrides = field(default_factory=Overrides)
    dry_run: bool = False
    announce: Callable[[str], None] | None = field(default=None, compare=False)


@record
class FileChange:
    path: str
    before: str
    after: str

    @property
    def diff(self) -> str:
        return unified_diff(self.path, self.before, self.after)


@record(frozen=False)
class FixResult:
    root: Path
    planned: list[Planned] = field(default_factory=list)
    unfixable: list[NotFixable] = field(default_factory=list)
    changes: list[FileChange] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)
    # why GitHub could not answer at all this run (the network...), said once in the report
    outage: str | None = None
    notes: list[str] = field(default_factory=list)  # named paths not checked, and why

    @property
    def fixed(self) -> list[Planned]:
        return [item for item in self.planned if item.new is not None]

    @property
    def not_fixed(self) -> list[Planned | NotFixable]:
        """What stays as it was, one entry per reference: where PIN004 says why (an impostor
        commit, a ref that is a branch and a tag), its words are the ones kept."""
        explained = {(item.path, item.at) for item in self.unfixable if item.rule == "PIN004"}
        left: list[Planned | NotFixable] = [
            item
            for item in self.planned
            if item.new is None and (item.reference.path, item.reference.at) not in explained
        ]
        return left + list(self.unfixable)


def fix_paths(paths: Sequence[Path], sources: FixSources, options: FixOptions) -> FixResult:
    """Fix the references that PIN rules find in `paths` (default: the checkout)."""
    from repo_harden.frontend.local_scan import ScanOptions, scan_paths

    codes = FIXED_RULES + (VERIFYING_RULES if sources.verify else ())
    settings = RepoSettings(git_refs=sources.git_refs) if sources.verify else None
    overrides = options.overrides
    if not sources.verify:
        overrides = replace(overrides, ignore=(*overrides.ignore, *VERIFYING_RULES))
    scan_options = ScanOptions(
        overrides=overrides, only=("PIN",), settings=settings, every_finding=True
    )
    scanned = scan_paths(paths, scan_options)
    assert scanned.repo is not None
    findings = [item.finding for item in scanned.outcome.reported if item.finding.rule in codes]
    result = FixResult(scanned.root, crashes=list(scanned.crashes), notes=list(scanned.notes))
    texts = {path: scanned.repo.read_text(path) for path in dict.fromkeys(f.path for f in findings)}
    references = _references(findings, texts, sources.git_refs.hosts, result)
    if options.announce is not None and references:
        options.announce(f"looking up {len(references)} references...")
    result.planned = _plan(references, texts, sources)
    _apply(result, texts, dry_run=options.dry_run)
    return result


def _references(
    findings: Sequence[Finding],
    texts: Mapping[str, str | None],
    hosts: frozenset[str],
    result: FixResult,
) -> list[Reference]:
    found: dict[tuple[str, int], Reference] = {}
    for path in texts:
        text = texts[path]
        if text is None:
            continue
        lines = FileLines(text)
        hooks = _hook_repositories(path, text)
        for finding in (f for f in findings if f.path == path):
            if finding.rule == "PIN004":
                result.unfixable.append(_pin004(finding, text, lines))
                continue
            located = locate(finding, text, lines, hooks, hosts)
            if isinstance(located, NotFixable):
                result.unfixable.append(located)
            else:  # an aliased YAML node is one reference, however many findings name it
                found.setdefault((path, located.written.start), located)
    return list(found.values())


def _pin004(finding: Finding, text: str, lines: FileLines) -> NotFixable:
    from repo_harden.core.model import Position
    from repo_harden.readers.written import token_at

    at = Position(finding.line, finding.column) if finding.line and finding.column else None
    token = token_at(text, at, lines=lines) if at is not None else ""
    return NotFixable(finding.rule, finding.path, at, token, _after_subject(finding.message))


def _after_subject(message: str) -> str:
    """A PIN004 message without the reference it starts with (`` `X@sha`: ``): the report's
    line shows that reference already."""
    if message.startswith("`"):
        end = message.find("`", 1)
        if end > 0 and message[end + 1 : end + 2] in (":", " "):
            return message[end + 1 :].removeprefix(":").strip()
    return message


def _hook_repositories(path: str, text: str) -> tuple[HookRepository, ...]:
    if is_workflow_path(path) or is_action_path(path) or not path.endswith(".yaml"):
        return ()
    try:
        return read_pre_commit_config(compose(text)).repositories
    except (YamlError, ValueError):
        return ()


def _plan(
    references: Sequence[Reference], texts: Mapping[str, str | None], sources: FixSources
) -> list[Planned]:
    refs = sources.git_refs.refs(
        {RefName(str(r.repository), str(r.ref)) for r in references if _pins_a_ref(r)}
    )
    commits = sources.git_refs.commits(
        {
            CommitName(str(r.repository), str(r.ref).lower())
            for r in references
            if r.rule == "PIN003"
        }
    )
    images: set[ImageTag] = {r.image for r in references if r.kind == IMAGE and r.image}
    digests = sources.digests.digests(images)
    planned = []
    for reference in references:
        text = texts[reference.path] or ""
        if reference.kind == IMAGE and reference.image is not None:
            planned.append(pin_image(reference, digests[reference.image]))
        elif reference.rule == "PIN003":
            commit = CommitName(str(reference.repository), str(reference.ref).lower())
            planned.append(recomment(text, reference, commits[commit]))
        elif _pins_a_ref(reference):
            ref = RefName(str(reference.repository), str(reference.ref))
            planned.append(pin_ref(text, reference, refs[ref]))
    return planned


def _pins_a_ref(reference: Reference) -> bool:
    return reference.kind != IMAGE and reference.rule in ("PIN001", "PIN005")


def _apply(result: FixResult, texts: Mapping[str, str | None], *, dry_run: bool) -> None:
    by_path: dict[str, list[Planned]] = {}
    for item in result.planned:
        if item.edits:
            by_path.setdefault(item.reference.path, []).append(item)
    for path, items in by_path.items():
        before = texts[path] or ""
        problem = None
        try:
            after = apply_edits(before, [edit for item in items for edit in item.edits])
        except OverlappingEdits as error:
            after, problem = before, f"repo-harden planned overlapping edits ({error})"
        if problem is None and path.endswith((".yml", ".yaml")):
            problem = _still_yaml(after)
        if problem is None and not dry_run:
            problem = _write(result.root, path, before, after)
        if problem is not None:
            _withdraw(result, items, problem)
        elif after != before:
            result.changes.append(FileChange(path, before, after))


def _still_yaml(text: str) -> str | None:
    try:
        compose(text)
    except YamlError as error:
        return f"the edited file would not be valid YAML ({error.message}); nothing was written"
    return None


def _withdraw(result: FixResult, items: Sequence[Planned], problem: str) -> None:
    withdrawn = {id(item) for item in items}
    result.planned = [
        not_fixed(item.reference, problem) if id(item) in withdrawn else item
        for item in result.planned
    ]


def _write(root: Path, path: str, before: str, after: str) -> str | None:
    """Write `after` over `path` if it still holds `before`; the reason it was not, else."""
    from repo_harden.core.errors import UsageError
    from repo_harden.frontend.output import rewrite_atomically

    file = root / path
    if file.is_symlink():
        return f"{path} is a symbolic link; fix the file it points to"
    try:
        raw = file.read_bytes()
    except OSError as error:
        return f"{path} could not be read again ({error.strerror})"
    bom = raw.startswith(codecs.BOM_UTF8)
    try:
        current = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        current = None
    if current != before:
        return f"{path} changed while it was being fixed; nothing was written, run fix again"
    try:
        rewrite_atomically(file, ("\ufeff" if bom else "") + after)
    except UsageError as error:
        return str(error)
    return None


def place(item: Planned | NotFixable) -> tuple[str, int, int]:
    at = item.reference.at if isinstance(item, Planned) else item.at
    path = item.reference.path if isinstance(item, Planned) else item.path
    return (path, at.line if at else 0, at.column if at else 0)


def _line(item: Planned | NotFixable, dry_run: bool, outage: str | None = None) -> str:
    path, line, column = place(item)
    where = line_start(f"{path}:{line}:{column}" if line else path)
    if isinstance(item, Planned) and item.new is not None:
        verb = "would fix" if dry_run else "fixed"
        note = f" ({shown(item.note)})" if item.note else ""
        change = f"{shown(item.reference.text)} -> {shown(item.new)}"
        return f"{where}: {item.reference.rule} {verb}: {change}{note}"
    rule = item.reference.rule if isinstance(item, Planned) else item.rule
    text = item.reference.text if isinstance(item, Planned) else item.text
    if _met(item, outage):
        return f"{where}: {rule} not fixed: `{shown(text)}` (GitHub did not answer)"
    return f"{where}: {rule} not fixed: `{shown(text)}`: {shown(str(item.reason))}"


def _met(item: Planned | NotFixable, outage: str | None) -> bool:
    """Whether `item` stays as it is because of the run's outage (said once, above it)."""
    return outage is not None and outage in str(item.reason)


def report_lines(result: FixResult, dry_run: bool) -> list[str]:
    """A line per reference, fixed or not (with why), in file order, and a summary. When
    GitHub did not answer at all, that is one line first, the references it left are listed
    without it, and the pins PIN004 could not verify are counted, not listed."""
    from repo_harden.reporters.text import counted

    items = sorted([*result.fixed, *result.not_fixed], key=place)
    unverified = {
        id(item) for item in items if _met(item, result.outage) and _rule(item) == "PIN004"
    }
    lines = [_line(item, dry_run, result.outage) for item in items if id(item) not in unverified]
    if any(_met(item, result.outage) for item in items):
        lines.insert(
            0,
            f"GitHub did not answer: {shown(str(result.outage))}; what needs it stays as it "
            "is (run `repo-harden fix` again later)",
        )
    if unverified:
        pins = counted(len(unverified), "pinned commit")
        lines.append(f"{pins} could not be verified either (PIN004: GitHub did not answer).")
    return [*lines, _summary(result, dry_run)]


def _rule(item: Planned | NotFixable) -> str:
    return item.reference.rule if isinstance(item, Planned) else item.rule


def _summary(result: FixResult, dry_run: bool) -> str:
    fixed, files, left = len(result.fixed), len(result.changes), len(result.not_fixed)
    if not fixed and not left:
        return "Nothing to fix."
    from repo_harden.reporters.text import counted

    verb = "Would fix" if dry_run else "Fixed"
    text = f"{verb} {counted(fixed, 'reference')} in {counted(files, 'file')}"
    if left:
        text += f"; {left} could not be fixed (see why above)"
    return text + "."


@record(frozen=False)
class OpenSources:
    """The sources of one run, and what they sent (closed by `close`)."""

    sources: FixSources
    git_refs: GitHubRefs
    digests: RegistryDigests
    client: GitHubClient | None = None

    def close(self) -> None:
        self.digests.close()
        if self.client is not None:
            self.client.close()

    @property
    def requests(self) -> tuple[int, int]:
        """(GitHub queries and requests, registry requests) sent so far."""
        return self.git_refs.queries, self.digests.requests


def open_sources(
    *,
    token: str | None,
    api_url: str | None,
    cache: FactCache | None,
    offline_reason: str | None,
    registry_urls: Mapping[str, str],
    environ: Mapping[str, str],
) -> OpenSources:
    """GitHub and the registries, with the cache; with `offline_reason`, the cache alone
    (what it lacks is not fixed, for that reason). Without a token, GitHub refs cannot be
    looked up (GitHub's GraphQL API needs one) and images still can."""
    from repo_harden.github.client import DEFAULT_API_URL, GitHubClient
    from repo_harden.github.git_refs import GitHubRefs, git_hosts
    from repo_harden.registries.digests import RegistryDigests
    from repo_harden.registries.docker_config import docker_config_path, registry_credentials

    url = api_url or DEFAULT_API_URL
    client = GitHubClient(token, url) if token is not None and offline_reason is None else None
    no_token = (
        "looking up GitHub refs needs a token: set GITHUB_TOKEN or GH_TOKEN "
        "(`GH_TOKEN=$(gh auth token) repo-harden fix`)"
    )
    git_refs = GitHubRefs(
        client,
        hosts=git_hosts(url),
        cache=cache,
        offline_reason=offline_reason or (no_token if client is None else None),
    )
    credentials = registry_credentials(docker_config_path(environ, Path.home()))
    digests = RegistryDigests(
        registry_urls=registry_urls,
        credentials=credentials,
        cache=cache,
        offline_reason=offline_reason,
    )
    sources = FixSources(git_refs, digests, verify=client is not None)
    return OpenSources(sources, git_refs, digests, client)


def config_allows_online(root: Path, overrides: Overrides) -> bool:
    """Whether the config lets the `fix-pins` hook ask GitHub and registries (`[fix]
    online = true`); hooks work from the cache otherwise."""
    from repo_harden.engine.catalogue import catalogue
    from repo_harden.engine.config import find_config, load_config

    found = catalogue(("PIN",))
    config = load_config(overrides.config_file or find_config(root), found.checks, found.codes)
    return config.fix_online
