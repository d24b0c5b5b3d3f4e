"""From a finding to the reference text it is about: where the characters of
`actions/checkout@v4`, `node:20` or a pre-commit `rev:` are in the file, what they name,
and the comment on their line.

A finding points at the start of its node or word; the reference is read from the file's
text there (after an anchor, a tag or a quote) and must be plain characters: a value
written with escapes, folded over lines or built from variables is `NotFixable`, with why.
"""

from __future__ import annotations

from collections.abc import Sequence

from repo_harden.core.model import Finding, Position
from repo_harden.core.pins import ImageTag, parse_image
from repo_harden.core.record import record
from repo_harden.readers.precommit import HookRepository, repository_of_url
from repo_harden.readers.source_map import FileLines
from repo_harden.readers.workflows import is_action_path, is_workflow_path
from repo_harden.readers.written import Written, comment_text, token_at, written_at

ACTION, IMAGE, PRE_COMMIT = "action", "image", "pre-commit"


@record
class Reference:
    """A reference a fix may rewrite. `text` is as written (`actions/checkout@v4`,
    `docker://node:20`, a `rev:`'s `v1.2.3`); `repository` and `ref` are the GitHub
    repository and ref it names (actions, pre-commit), `image` the image tag it names."""

    rule: str
    path: str
    at: Position
    kind: str
    text: str
    written: Written
    comment: str
    repository: str | None = None
    ref: str | None = None
    image: ImageTag | None = None

    @property
    def target(self) -> str:
        """An action's `owner/repo[/path]`, the part before `@`."""
        return self.text.partition("@")[0]


@record
class NotFixable:
    rule: str
    path: str
    at: Position | None
    text: str
    reason: str


@record
class _Found:
    """What is written where a finding points."""

    finding: Finding
    at: Position
    token: str
    written: Written
    comment: str

    def reference(
        self,
        kind: str,
        *,
        repository: str | None = None,
        ref: str | None = None,
        image: ImageTag | None = None,
    ) -> Reference:
        f = self.finding
        return Reference(
            f.rule, f.path, self.at, kind, self.token, self.written, self.comment,
            repository, ref, image,
        )  # fmt: skip

    def unfixable(self, reason: str) -> NotFixable:
        return NotFixable(self.finding.rule, self.finding.path, self.at, self.token, reason)


def locate(
    finding: Finding,
    text: str,
    lines: FileLines,
    hook_repositories: Sequence[HookRepository],
    hosts: frozenset[str],
) -> Reference | NotFixable:
    """The reference `finding` (PIN001, PIN002, PIN003 or PIN005) is about."""
    if finding.line is None or finding.column is None:
        return NotFixable(finding.rule, finding.path, None, "", "the finding names no place")
    at = Position(finding.line, finding.column)
    token = token_at(text, at, lines=lines)
    problem = _unwritable(token)
    written = written_at(text, at, token, lines=lines) if problem is None else None
    if written is None:
        reason = problem or "it is not written as plain characters (escapes, or folded lines)"
        return NotFixable(finding.rule, finding.path, at, token, reason)
    found = _Found(finding, at, token, written, comment_text(text, written))
    if finding.rule == "PIN002":
        return _image(found)
    if is_workflow_path(finding.path) or is_action_path(finding.path):
        return _action(found)
    return _pre_commit(found, hook_repositories, hosts)


def _unwritable(token: str) -> str | None:
    if not token:
        return "no reference is written at this place"
    if "$" in token or "{{" in token:
        return "it is built from a variable or an expression: pin it where its value is set"
    return None


def _image(found: _Found) -> Reference | NotFixable:
    image = parse_image(found.token)
    if image is None:
        return found.unfixable(f"`{found.token}` is not an image reference repo-harden looks up")
    return found.reference(IMAGE, image=image)


def _action(found: _Found) -> Reference | NotFixable:
    target, separator, ref = found.token.partition("@")
    owner_and_name = target.split("/")[:2]
    if len(owner_and_name) < 2 or not all(owner_and_name):
        return found.unfixable(f"`{found.token}` names no OWNER/REPO repository")
    if not separator or not ref:
        return found.unfixable("it names no ref: add the tag you mean (`@v1`), then fix")
    return found.reference(ACTION, repository="/".join(owner_and_name), ref=ref)


def _pre_commit(
    found: _Found, hook_repositories: Sequence[HookRepository], hosts: frozenset[str]
) -> Reference | NotFixable:
    entry = next((r for r in hook_repositories if r.rev is not None and r.rev.at == found.at), None)
    if entry is None:
        return found.unfixable("no `rev:` is written here")
    repository = repository_of_url(entry.url.value, hosts)
    if repository is None:
        return found.unfixable(
            f"`{entry.url.value.strip()}` is not a repository on {' or '.join(sorted(hosts))}; "
            "`pre-commit autoupdate --freeze` pins it"
        )
    return found.reference(PRE_COMMIT, repository=repository, ref=found.token)
