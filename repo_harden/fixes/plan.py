"""What a fix writes for each reference, once its ref, commit or digest is known: the new
reference text and the comment that names its version, as edits of the file's text.

- an action: `owner/repo@<sha> # v4.2.2`, the most specific version tag at the commit
  (what Dependabot and Renovate keep up to date);
- a pre-commit `rev:`: `<sha>  # frozen: v1.2.3`, as `pre-commit autoupdate --freeze`;
- an image: `name:tag@sha256:<digest>`, the tag kept for readers;
- a pin whose comment names another version (PIN003): the comment is made to name the tag
  at the pinned commit, so that the code that runs stays the same.

A comment that already names a version has that word replaced; any other comment is kept,
after the new one (`# v4.2.2 # why`), so inline ignores and notes survive.
"""

from __future__ import annotations

import re

from repo_harden.core.pins import CommitFacts, ResolvedRef, Unresolved, most_specific_tag
from repo_harden.core.record import record
from repo_harden.fixes.references import PRE_COMMIT, Reference
from repo_harden.readers.written import comment_version_span


@record
class Edit:
    """Replace `text[start:end]` with `replacement`."""

    start: int
    end: int
    replacement: str


@record
class Planned:
    """What becomes of one reference: `new` and its `edits`, or `reason` it stays."""

    reference: Reference
    new: str | None
    edits: tuple[Edit, ...] = ()
    reason: str | None = None
    note: str | None = None  # what the fix chose, when there was a choice


def not_fixed(reference: Reference, reason: str) -> Planned:
    return Planned(reference, None, reason=reason)


def pin_ref(text: str, reference: Reference, resolved: ResolvedRef | Unresolved) -> Planned:
    """An action or a pre-commit `rev:` pinned to the commit its ref names."""
    if isinstance(resolved, Unresolved):
        return not_fixed(reference, resolved.reason)
    ref = str(reference.ref)
    if resolved.ambiguous:
        return not_fixed(
            reference,
            f"`{ref}` is both a branch and a tag of {reference.repository}; pin the commit you "
            "mean by hand (PIN004)",
        )
    commit = resolved.target()
    if commit is None:
        return not_fixed(
            reference,
            f"{reference.repository} has no tag, branch or commit `{ref}` (deleted or renamed?)",
        )
    at_commit = [tag for tag, sha in resolved.tags if sha == commit]
    version = most_specific_tag(at_commit, ref) or (None if resolved.commit else ref)
    if reference.kind == PRE_COMMIT:
        new_text = commit
        comment = f"frozen: {version}" if version else None
    else:
        new_text = f"{reference.target}@{commit}"
        comment = version
    edits = [Edit(reference.written.start, reference.written.end, new_text)]
    if comment is not None:
        edits += _comment_edits(text, reference, comment)
    return Planned(reference, _shown(new_text, comment, reference), tuple(edits))


def recomment(text: str, reference: Reference, facts: CommitFacts | Unresolved) -> Planned:
    """PIN003: the comment made to name the tag at the pinned commit."""
    if isinstance(facts, Unresolved):
        return not_fixed(reference, facts.reason)
    sha = str(reference.ref)
    if not facts.exists or facts.reachable is False:
        return not_fixed(reference, f"commit {sha} is not in {reference.repository} (PIN004)")
    version = most_specific_tag(facts.tags)
    if version is None:
        return not_fixed(
            reference,
            f"no version tag of {reference.repository} points at {sha}: pin the version the "
            "comment names by hand, after reading what changed",
        )
    comment = f"frozen: {version}" if reference.kind == PRE_COMMIT else version
    edits = tuple(_comment_edits(text, reference, comment))
    note = f"re-commented: {sha[:12]} is {version}; the code that runs is unchanged"
    return Planned(reference, _shown(reference.text, comment, reference), edits, note=note)


def pin_image(reference: Reference, digest: str | Unresolved) -> Planned:
    if isinstance(digest, Unresolved):
        return not_fixed(reference, digest.reason)
    new_text = f"{reference.text}@{digest}"
    return Planned(
        reference, new_text, (Edit(reference.written.start, reference.written.end, new_text),)
    )


def _shown(value: str, comment: str | None, reference: Reference) -> str:
    if comment is None:
        return value
    gap = "  " if reference.kind == PRE_COMMIT else " "
    return f"{value}{gap}# {comment}"


def _comment_edits(text: str, reference: Reference, words: str) -> list[Edit]:
    """Edits that make the line's comment name `words` (a version, or `frozen: version`)."""
    written = reference.written
    after = written.end + len(written.quote)
    gap = "  " if reference.kind == PRE_COMMIT else " "
    if written.comment is None:
        rest = text[after : written.line_end]
        where = after if not rest.strip() else written.line_end
        return [Edit(where, where, f"{gap}# {words}")]
    body_start = written.comment + 1
    body = text[body_start : written.line_end]
    span = comment_version_span(body)
    if span is None:
        return [Edit(written.comment, written.comment, f"# {words} ")]
    version = words.removeprefix("frozen: ")
    prefix = body[: span[0]]
    if reference.kind == PRE_COMMIT and not re.search(r"frozen:\s*$", prefix, re.IGNORECASE):
        version = words
    return [Edit(body_start + span[0], body_start + span[1], version)]
