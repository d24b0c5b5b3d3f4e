"""PIN003 and PIN004: pins that do not say what they are, looked up online.

The lookups are the snapshot's `settings.git_refs`: `scan --online`, `repo-harden fix` and
the org audit put one there (GitHub's API, with a cache), offline runs and hooks do not,
and then these rules read nothing and find nothing. Every pin of every file is asked at
once, so the source can batch the questions and ask each distinct one once.

A pin whose comment names the tag it is the commit of needs no more than that tag's
commit: it is in the repository (a tag points at it). Only the others are looked up as
commits. When the source cannot answer, each pin is reported as not verified, once, with the
reason: a gate that could not look must fail, not pass in silence (as LCK006 does). PIN004
carries it (every pinned commit is its question); PIN003 only when PIN004 does not run. The
advice to run again is kept for what may pass next time (the network, 5xx, rate limits).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence

from repo_harden.checks.pinning.unpinned import (
    WORKFLOW_AND_ACTION_PATTERNS,
    parse_uses,
    remote_uses,
)
from repo_harden.core.declare import CheckContext, check
from repo_harden.core.model import Finding, Position, Severity
from repo_harden.core.pins import (
    SHORT_SHA,
    CommitFacts,
    CommitName,
    GitRefSource,
    RefName,
    ResolvedRef,
    Unresolved,
    is_full_sha,
)
from repo_harden.core.record import record
from repo_harden.readers.precommit import (
    PRE_COMMIT_CONFIG,
    PRE_COMMIT_PATTERNS,
    repository_of_url,
)
from repo_harden.readers.source_map import FileLines
from repo_harden.readers.workflows import is_action_path, is_workflow_path
from repo_harden.readers.written import comment_text, comment_version, written_at

PIN_PATTERNS = WORKFLOW_AND_ACTION_PATTERNS + PRE_COMMIT_PATTERNS


@record
class Pin:
    """A reference to a GitHub repository at a ref: a `uses:` or a pre-commit `rev:`.
    `comment_tag` is the version its line's comment names, if it names one."""

    path: str
    at: Position
    repository: str
    ref: str
    comment_tag: str | None
    written: str  # as the file writes it: `actions/checkout@v4`, `https://...@v1.2.3`

    @property
    def pinned(self) -> bool:
        return is_full_sha(self.ref)


def pins_of(ctx: CheckContext, path: str, hosts: Collection[str]) -> list[Pin]:
    """The pins of one file: remote `uses:` of a workflow or action, or the hook repositories
    on a GitHub host of a pre-commit config."""
    text = ctx.parsed.text(path)
    if text is None:
        return []
    lines = FileLines(text)

    def comment_of(at: Position, value: str) -> str | None:
        written = written_at(text, at, value, lines=lines)
        return comment_version(comment_text(text, written)) if written is not None else None

    found = []
    if is_workflow_path(path) or is_action_path(path):
        for uses in remote_uses(ctx, path):
            reference = parse_uses(uses.value)
            if reference is None or reference.ref is None or "/" not in reference.target:
                continue
            comment = comment_of(uses.at, uses.value)
            found.append(
                Pin(path, uses.at, reference.repository, reference.ref, comment, uses.value)
            )
        return found
    config = ctx.parsed.read(PRE_COMMIT_CONFIG, path)
    for repository in config.repositories if config is not None else ():
        name = repository_of_url(repository.url.value, hosts)
        rev = repository.rev
        if name is None or rev is None or not rev.value.strip():
            continue
        written = f"{repository.url.value.strip()}@{rev.value.strip()}"
        comment = comment_of(rev.at, rev.value)
        found.append(Pin(path, rev.at, name, rev.value.strip(), comment, written))
    return found


def _source(ctx: CheckContext) -> GitRefSource | None:
    settings = ctx.snapshot.settings
    return settings.git_refs if settings is not None else None


def _all_pins(ctx: CheckContext, source: GitRefSource) -> list[Pin]:
    return [pin for path in ctx.files for pin in pins_of(ctx, path, source.hosts)]


@check(
    "PIN003",
    "pin-comment-mismatch",
    Severity.ERROR,
    PIN_PATTERNS,
    online=True,
    needs_settings=True,
)
def pin_comment_mismatch(ctx: CheckContext) -> Iterator[Finding]:
    """A pinned commit SHA is not the commit of the version its comment names.

    ## What it does
    With `--online` (and in audits and `repo-harden fix`), looks up the tag
    that the comment of a pinned `uses:` or pre-commit `rev:` names
    (`# v4.2.2`, `# frozen: v4.2.2`, `# tag=v4.2.2`) and reports the pin when
    that tag points at another commit, or when the repository has no such tag.
    Comments that name no version are left alone. A pin that could not be
    looked up (GitHub unreachable, or no such repository for the token) is
    reported once, by PIN004; PIN003 reports it as not verified only when
    PIN004 is not selected.

    ## Why is this bad?
    Reviewers, Dependabot and Renovate read the comment, not the 40 hex digits.
    A comment that says `v4.2.2` next to the SHA of some other commit makes
    code look reviewed and current when it is neither: it may be an older
    release with known bugs, an unreleased commit, or something an attacker
    slipped in with a reassuring label.

    ## Example
    Tag `v4.2.2` of `actions/checkout` is commit `11bd719...`, and
    `8e5e7e5...` is `v3.5.2`:
    ```yaml title=".github/workflows/ci.yml"
    on: push
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@8e5e7e5ab8b370d6c329ec480221332ada57f0ab # v4.2.2
    ```

    ## Fix
    Make the comment true. `repo-harden fix` re-comments the pin with the tag
    that does point at the SHA (`# v3.5.2`), so the code that runs stays what
    it was; to run the version the comment named, pin that version's commit
    instead, after reading what changed:
    ```yaml title=".github/workflows/ci.yml"
    on: push
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
    ```
    """
    source = _source(ctx)
    if source is None:
        return
    pins = [pin for pin in _all_pins(ctx, source) if pin.pinned and pin.comment_tag]
    commits = source.tag_commits({RefName(pin.repository, str(pin.comment_tag)) for pin in pins})
    unchecked = [p for p in pins if isinstance(commits.get(_tag_of(p)), Unresolved)]
    left_to_pin004 = _unverified_commits(ctx, source, unchecked)
    for pin in pins:
        tag = str(pin.comment_tag)
        subject = f"{pin.written}#{tag}"
        found = commits.get(RefName(pin.repository, tag))
        if isinstance(found, Unresolved):
            if _commit_of(pin) in left_to_pin004:
                continue
            message = _not_verified(pin, found)
        elif found is None:
            message = (
                f"`{pin.written}` has the comment `{tag}`, but {pin.repository} has no tag "
                f"`{tag}`; make the comment name the tag of {pin.ref[:12]} "
                "(`repo-harden fix` does)"
            )
        elif found.lower() == pin.ref.lower():
            continue
        else:
            message = (
                f"`{pin.written}` has the comment `{tag}`, but tag `{tag}` of "
                f"{pin.repository} is commit {found}, not {pin.ref}; `repo-harden fix` "
                "re-comments the pin with the tag of the commit it runs, or pin "
                f"{found} to run {tag} (read what changed first)"
            )
        yield ctx.finding(pin.path, pin.at, message, subject)


def _tag_of(pin: Pin) -> RefName:
    return RefName(pin.repository, str(pin.comment_tag))


def _commit_of(pin: Pin) -> CommitName:
    return CommitName(pin.repository, pin.ref.lower())


def _unverified_commits(
    ctx: CheckContext, source: GitRefSource, pins: Sequence[Pin]
) -> set[CommitName]:
    """The commits of `pins` that PIN004 reports as not verified (the source asks each
    question once a run, so PIN004 asks nothing more)."""
    if not pins or not ctx.runs("PIN004"):
        return set()
    facts = source.commits({_commit_of(pin) for pin in pins})
    return {commit for commit, answer in facts.items() if isinstance(answer, Unresolved)}


@check(
    "PIN004",
    "impostor-commit",
    Severity.ERROR,
    PIN_PATTERNS,
    online=True,
    needs_settings=True,
)
def impostor_commit(ctx: CheckContext) -> Iterator[Finding]:
    """A pinned commit is in no branch or tag of its repository, or a ref is a branch and a tag.

    ## What it does
    With `--online` (and in audits and `repo-harden fix`), looks up each
    commit SHA that a `uses:` or a pre-commit `rev:` pins, and reports it when
    no branch or tag of the named repository contains it (or GitHub knows no
    such commit). A pin whose comment names a tag that points at the SHA is in
    the repository and needs no more lookups. For a `uses:` or `rev:` that is
    not pinned, it reports a ref that is both a branch and a tag. A pinned
    commit that could not be looked up is reported as not verified, with why:
    to run the scan again later when GitHub could not answer (the network, an
    error on its side, the rate limit), or to use a token that can read the
    repository when GitHub shows none (re-running would not help). This is the
    one finding for such a pin: PIN003 does not repeat it.

    ## Why is this bad?
    GitHub keeps the commits of every fork of a repository in one network and
    serves each of them under any repository's name: anyone can fork
    `actions/checkout`, push a commit to the fork, and
    `actions/checkout@<that-sha>` runs it. Such an impostor commit looks like a
    carefully pinned official action. A ref that names both a branch and a tag
    runs whichever one the resolver prefers, which is not the one a reader
    assumes, and a branch can be pushed to by more people than can make tags.

    ## Example
    Commit `c7d749a...` was pushed to a fork of `actions/checkout`:
    ```yaml title=".github/workflows/ci.yml"
    on: push
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@c7d749a2d57b4b375d1ebcd17cfbfb60c676f18e
    ```

    ## Fix
    Find out how the commit got there (it may be an attack in progress), then
    pin a commit of a tag of the repository itself:
    ```yaml title=".github/workflows/ci.yml"
    on: push
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
    ```
    For a ref that is both a branch and a tag, pin the commit you mean.

    ## References
    - https://www.chainguard.dev/unchained/what-the-fork-imposter-commits-in-github-actions-and-ci-cd
    """
    source = _source(ctx)
    if source is None:
        return
    pins = _all_pins(ctx, source)
    pinned = [pin for pin in pins if pin.pinned]
    yield from _impostors(ctx, source, pinned)
    movable = [pin for pin in pins if not pin.pinned and not SHORT_SHA.fullmatch(pin.ref)]
    refs = source.refs({RefName(pin.repository, pin.ref) for pin in movable})
    for pin in movable:
        resolved = refs.get(RefName(pin.repository, pin.ref))
        if isinstance(resolved, ResolvedRef) and resolved.ambiguous:
            message = (
                f"`{pin.written}`: `{pin.ref}` is both a branch and a tag of "
                f"{pin.repository}, so what runs is not what a reader assumes; pin the full "
                "commit SHA of the one you mean"
            )
            yield ctx.finding(pin.path, pin.at, message, f"{pin.written}#both")


def _impostors(ctx: CheckContext, source: GitRefSource, pins: Sequence[Pin]) -> Iterator[Finding]:
    tagged = source.tag_commits(
        {RefName(pin.repository, pin.comment_tag) for pin in pins if pin.comment_tag}
    )
    unknown = [pin for pin in pins if not _tag_is_at(pin, tagged)]
    facts = source.commits({CommitName(pin.repository, pin.ref.lower()) for pin in unknown})
    for pin in unknown:
        message = _impostor_message(pin, facts.get(CommitName(pin.repository, pin.ref.lower())))
        if message is not None:
            yield ctx.finding(pin.path, pin.at, message, f"{pin.written}#commit")


def _tag_is_at(pin: Pin, tagged: Mapping[RefName, str | Unresolved | None]) -> bool:
    if pin.comment_tag is None:
        return False
    commit = tagged.get(RefName(pin.repository, pin.comment_tag))
    return isinstance(commit, str) and commit.lower() == pin.ref.lower()


def _impostor_message(pin: Pin, facts: CommitFacts | Unresolved | None) -> str | None:
    if facts is None:
        return None
    if isinstance(facts, Unresolved):
        return _not_verified(pin, facts)
    if not facts.exists:
        return (
            f"`{pin.written}`: {pin.repository} has no commit {pin.ref} (GitHub knows none "
            "under its name), so this pin cannot run; pin a commit of a tag of "
            f"{pin.repository}"
        )
    if facts.reachable is None:
        looked = (
            f"no branch or tag was seen to contain it ({facts.checked}); check by hand that "
            f"one of {pin.repository} does"
        )
        return _not_verified(pin, Unresolved(looked))
    if facts.reachable:
        return None
    return (
        f"`{pin.written}`: commit {pin.ref} is in no branch or tag of {pin.repository}; GitHub "
        "serves the commits of forks under the parent's name, so this may be code nobody at "
        f"{pin.repository} wrote (an impostor commit); find out who added it, then pin a "
        f"commit of a tag of {pin.repository}"
    )


def _not_verified(pin: Pin, unresolved: Unresolved) -> str:
    """Why the pin is unchecked; to run again only when that may help."""
    text = f"`{pin.written}`: not verified: {unresolved.reason}"
    if unresolved.transient:
        text += "; run the scan again later (the commit it pins is unchecked until then)"
    return text
