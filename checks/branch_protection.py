"""BP: the default branch's protection, judged against `[tool.repo-harden.branch-protection]`.

Online (`repo-harden scan --online`), the live protection arrives in the snapshot's
settings and findings are about the repository (path ""). Offline, the rules judge what
`.github/settings.yml` declares, at the line that declares it, when it declares branch
protection at all (`branches:` or `rulesets:`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from repo_harden.core.declare import Check, CheckContext, CheckFunction, check
from repo_harden.core.lazy import lazy_import
from repo_harden.core.model import Finding, Position, Severity
from repo_harden.core.record import record
from repo_harden.readers.file_kinds import SETTINGS_FILES, SETTINGS_PATTERNS
from repo_harden.readers.yaml import YAML

if TYPE_CHECKING:
    from repo_harden.core import branch_policy, branch_requirements
    from repo_harden.readers import codeowners, settings_file
else:
    branch_policy = lazy_import("repo_harden.core.branch_policy")
    branch_requirements = lazy_import("repo_harden.core.branch_requirements")
    codeowners = lazy_import("repo_harden.readers.codeowners")
    settings_file = lazy_import("repo_harden.readers.settings_file")


@record
class Judged:
    """The policy a rule judges: live (path "") or declared (the settings file)."""

    policy: branch_policy.BranchPolicy
    path: str
    fallback: Position | None

    @property
    def branch(self) -> str:
        return f"`{self.policy.branch}`"

    @property
    def subject(self) -> str:
        if self.path:
            return f"{self.path} declares that the default branch {self.branch}"
        return f"the default branch {self.branch}"

    def at(
        self,
        setting: branch_policy.Combined[bool]
        | branch_policy.Combined[int]
        | branch_policy.Combined[tuple[str, ...]],
    ) -> Position | None:
        return (setting.at or self.fallback) if self.path else None


def declared_policy(ctx: CheckContext) -> settings_file.DeclaredPolicy | None:
    """The settings file among the check's files, when it declares branch protection."""
    settings = ctx.snapshot.settings
    default_branch = settings.default_branch if settings is not None else None
    files = set(ctx.files)
    for path in SETTINGS_FILES:  # the settings app reads settings.yml; .yaml only if alone
        if path not in files:
            continue
        root = ctx.parsed.read(YAML, path)
        if root is None:
            continue
        declared = settings_file.read_declared(path, root, default_branch)
        return declared if declared.manages_protection else None
    return None


def judged(ctx: CheckContext) -> Judged | None:
    """What to judge: the live policy when it was read, else the declared one."""
    settings = ctx.snapshot.settings
    if settings is not None and settings.branch_protection is not None:
        return Judged(settings.branch_protection, "", None)
    declared = declared_policy(ctx)
    if declared is None:
        return None
    return Judged(declared.policy, declared.path, declared.at)


def protected_policy(ctx: CheckContext) -> Judged | None:
    """A policy that can be judged and that protects the branch (else BP001 or BP012 say so)."""
    found = judged(ctx)
    if found is None or not found.policy.judgeable or not found.policy.protected:
        return None
    return found


def requirements(ctx: CheckContext) -> branch_requirements.BranchRequirements:
    return ctx.branch_requirements or branch_requirements.BranchRequirements()


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def bp_check(
    code: str, name: str, severity: Severity, *, online: bool = False
) -> Callable[[CheckFunction], Check]:
    """A BP rule: it reads the settings file and the live settings, and runs even when
    there is no settings file (online, the live protection is judged all the same)."""
    return check(
        code,
        name,
        severity,
        SETTINGS_PATTERNS,
        online=online,
        needs_settings=True,
        repository_level=True,
    )


@bp_check("BP001", "unprotected-default-branch", Severity.ERROR)
def unprotected_default_branch(ctx: CheckContext) -> Iterator[Finding]:
    """No classic protection and no active ruleset covers the default branch.

    ## What it does
    Reads the protection of the default branch: classic branch protection and every
    ruleset (of the repository or of its organization) that targets it. Online, that is
    what GitHub has; offline, what `.github/settings.yml` declares in the format of the
    probot settings app or safe-settings (`branches:` entries with `protection:`, and
    `rulesets:` whose `conditions.ref_name` includes the branch, `~DEFAULT_BRANCH` or
    `~ALL`). A ruleset in `evaluate` or `disabled` mode protects nothing. When the branch
    is unprotected this is the only BP finding: BP002-BP010 judge protection that exists.
    When the protection could not be read, BP012 says so instead: unknown is never
    reported as unprotected.

    ## Why is this bad?
    Anyone with write access can push straight to an unprotected default branch, rewrite
    its history or delete it: no review, no required checks. Whatever reaches the default
    branch is what gets released, and what workflows with secrets run.

    ## Example
    ```yaml title=".github/settings.yml"
    branches:
      - name: main
        protection: null
    ```

    ## Fix
    Protect the branch, preferably with a ruleset (rulesets stack, and reading
    them needs no admin rights):
    ```yaml title=".github/settings.yml"
    rulesets:
      - name: default branch
        target: branch
        enforcement: active
        conditions:
          ref_name:
            include: ["~DEFAULT_BRANCH"]
            exclude: []
        rules:
          - type: deletion
          - type: non_fast_forward
          - type: pull_request
            parameters:
              required_approving_review_count: 1
              dismiss_stale_reviews_on_push: true
              require_code_owner_review: true
              require_last_push_approval: true
              required_review_thread_resolution: false
    ```

    ## References
    - https://docs.github.com/en/repositories/configuring-branches-and-merges-in-your-repository/managing-rulesets/about-rulesets
    - https://github.com/github/safe-settings
    """
    found = judged(ctx)
    if found is None or not found.policy.judgeable or found.policy.protected:
        return
    policy = found.policy
    inactive = "".join(
        f"; {source.origin.describe()} targets it but is in `{source.enforcement}` mode, "
        "which protects nothing"
        for source in policy.inactive
    )
    what = "declares no protection for" if found.path else "has no protection on"
    owner = found.path or "the repository"
    message = (
        f"{owner} {what} the default branch {found.branch}: no classic branch protection "
        f"and no active ruleset covers it{inactive}; anyone with write access can push to "
        "it, force-push or delete it. Add a ruleset that targets `~DEFAULT_BRANCH`"
    )
    inactive_at = policy.inactive[0].origin.at if policy.inactive else None
    at = (inactive_at or found.fallback) if found.path else None
    yield ctx.finding(found.path, at, message, f"unprotected:{policy.branch}")


@bp_check("BP002", "reviews-not-required", Severity.ERROR)
def reviews_not_required(ctx: CheckContext) -> Iterator[Finding]:
    """Pull-request reviews are not required, or fewer approvals than the policy's minimum.

    ## What it does
    Checks that the default branch requires a pull request with at least
    `minimum-approvals` approving reviews (default 1), from classic protection
    (`required_pull_request_reviews.required_approving_review_count`) or from a ruleset's
    `pull_request` rule (`required_approving_review_count`). Where several sources apply,
    the strictest wins, as on GitHub. An absent count in classic protection is GitHub's
    default, 1.

    ## Why is this bad?
    Without a required approval, one account (or one stolen token) can merge anything into
    the default branch: a backdoor, a workflow that sends the secrets away. A second pair
    of eyes is the cheapest control there is.

    ## Example
    ```yaml title=".github/settings.yml"
    branches:
      - name: main
        protection:
          required_pull_request_reviews:
            required_approving_review_count: 0
    ```

    ## Fix
    Require at least one approval (or as many as the policy says):
    ```yaml title=".github/settings.yml"
    branches:
      - name: main
        protection:
          required_pull_request_reviews:
            required_approving_review_count: 1
    ```
    ```toml
    [tool.repo-harden.branch-protection]
    minimum-approvals = 2
    ```
    """
    found = protected_policy(ctx)
    minimum = requirements(ctx).minimum_approvals
    if found is None or minimum == 0:
        return
    policy = found.policy
    wanted = f"the policy requires {_plural(minimum, 'approval')} (minimum-approvals)"
    if not policy.pull_request.value:
        setting = policy.pull_request
        message = (
            f"{found.subject} does not require a pull request, so changes need no review "
            f"({setting.describe()}); {wanted}"
        )
        yield ctx.finding(found.path, found.at(setting), message, f"reviews:{policy.branch}")
        return
    approvals = policy.approvals
    if approvals.value < minimum:
        message = (
            f"{found.subject} requires {_plural(approvals.value, 'approval')} "
            f"({approvals.describe()}); {wanted}"
        )
        yield ctx.finding(found.path, found.at(approvals), message, f"approvals:{policy.branch}")


@bp_check("BP003", "force-push-allowed", Severity.ERROR)
def force_push_allowed(ctx: CheckContext) -> Iterator[Finding]:
    """Force pushes to the default branch are allowed.

    ## What it does
    Checks that force pushes are blocked: classic protection without
    `allow_force_pushes: true`, or a ruleset with a `non_fast_forward` rule.

    ## Why is this bad?
    A force push rewrites history: reviewed commits can be replaced by unreviewed ones
    after the fact, and the evidence of what was merged disappears with them.

    ## Example
    ```yaml title=".github/settings.yml"
    branches:
      - name: main
        protection:
          allow_force_pushes: true
    ```

    ## Fix
    Remove `allow_force_pushes: true` (classic protection blocks force pushes
    by default), or add `- type: non_fast_forward` to the ruleset's rules:
    ```yaml title=".github/settings.yml"
    branches:
      - name: main
        protection:
          required_pull_request_reviews:
            required_approving_review_count: 1
    ```
    """
    found = protected_policy(ctx)
    if found is None:
        return
    setting = found.policy.blocks_force_pushes
    if not setting.value:
        message = (
            f"{found.subject} allows force pushes ({setting.describe()}), so reviewed "
            "history can be rewritten; block them (`allow_force_pushes: false`, or a "
            "`non_fast_forward` rule)"
        )
        yield ctx.finding(found.path, found.at(setting), message, f"force:{found.policy.branch}")


@bp_check("BP004", "deletion-allowed", Severity.ERROR)
def deletion_allowed(ctx: CheckContext) -> Iterator[Finding]:
    """The default branch may be deleted.

    ## What it does
    Checks that deleting the branch is blocked: classic protection without
    `allow_deletions: true`, or a ruleset with a `deletion` rule.

    ## Why is this bad?
    Deleting the default branch takes its protection with it; pushed again, it is a new,
    unprotected branch with whatever history the pusher chose.

    ## Example
    ```yaml title=".github/settings.yml"
    branches:
      - name: main
        protection:
          allow_deletions: true
    ```

    ## Fix
    Remove `allow_deletions: true`, or add `- type: deletion` to the
    ruleset's rules:
    ```yaml title=".github/settings.yml"
    branches:
      - name: main
        protection:
          required_pull_request_reviews:
            required_approving_review_count: 1
    ```
    """
    found = protected_policy(ctx)
    if found is None:
        return
    setting = found.policy.blocks_deletion
    if not setting.value:
        message = (
            f"{found.subject} may be deleted ({setting.describe()}); block deletion "
            "(`allow_deletions: false`, or a `deletion` rule)"
        )
        yield ctx.finding(found.path, found.at(setting), message, f"delete:{found.policy.branch}")


@bp_check("BP005", "code-owner-review-not-required", Severity.WARNING)
def code_owner_review_not_required(ctx: CheckContext) -> Iterator[Finding]:
    """Code-owner review is not required although a CODEOWNERS file exists.

    ## What it does
    When the repository has a CODEOWNERS file (in `.github/`, the root or `docs/`) and
    the default branch requires pull requests, checks that a code owner's approval is
    required too: `require_code_owner_reviews` in classic protection, or
    `require_code_owner_review` in a ruleset's `pull_request` rule. Turn it off with
    `require-code-owner-review = false`.

    ## Why is this bad?
    CODEOWNERS names who must review the sensitive paths (workflows, release config), but
    GitHub only asks them to review; it does not require their approval unless protection
    says so. Any other approver can merge a change to a workflow.

    ## Example
    With a CODEOWNERS file in the repository:
    ```text title=".github/CODEOWNERS"
    * @acme/developers
    ```
    ```yaml title=".github/settings.yml"
    branches:
      - name: main
        protection:
          required_pull_request_reviews:
            required_approving_review_count: 1
            require_code_owner_reviews: false
    ```

    ## Fix
    ```yaml title=".github/settings.yml"
    branches:
      - name: main
        protection:
          required_pull_request_reviews:
            required_approving_review_count: 1
            require_code_owner_reviews: true
    ```
    """
    found = protected_policy(ctx)
    if found is None or not requirements(ctx).require_code_owner_review:
        return
    policy = found.policy
    owners = codeowners.present_locations(ctx.snapshot)
    setting = policy.code_owner_review
    if owners and policy.pull_request.value and not setting.value:
        message = (
            f"{found.subject} does not require a code owner's approval ({setting.describe()}), "
            f"so {owners[0]} only asks for reviews; require it "
            "(`require_code_owner_reviews: true`, or `require_code_owner_review` in the "
            "`pull_request` rule)"
        )
        yield ctx.finding(found.path, found.at(setting), message, f"owners:{policy.branch}")


@bp_check("BP006", "stale-reviews-not-dismissed", Severity.WARNING)
def stale_reviews_not_dismissed(ctx: CheckContext) -> Iterator[Finding]:
    """Approvals survive new pushes to the pull request.

    ## What it does
    When the default branch requires pull requests, checks that approvals are dismissed
    when new commits are pushed: `dismiss_stale_reviews` in classic protection, or
    `dismiss_stale_reviews_on_push` in a ruleset's `pull_request` rule. Turn it off with
    `require-stale-review-dismissal = false`.

    ## Why is this bad?
    An approval is for the code that was reviewed. If it survives a push, the author can
    get a harmless change approved, then push anything on top and merge it.

    ## Example
    ```yaml title=".github/settings.yml"
    branches:
      - name: main
        protection:
          required_pull_request_reviews:
            required_approving_review_count: 1
            dismiss_stale_reviews: false
    ```

    ## Fix
    ```yaml title=".github/settings.yml"
    branches:
      - name: main
        protection:
          required_pull_request_reviews:
            required_approving_review_count: 1
            dismiss_stale_reviews: true
    ```
    """
    found = protected_policy(ctx)
    if found is None or not requirements(ctx).require_stale_review_dismissal:
        return
    policy = found.policy
    setting = policy.dismiss_stale_reviews
    if policy.pull_request.value and not setting.value:
        message = (
            f"{found.subject} keeps approvals after new pushes ({setting.describe()}), so "
            "code can change after it was approved; dismiss them (`dismiss_stale_reviews: "
            "true`, or `dismiss_stale_reviews_on_push` in the `pull_request` rule)"
        )
        yield ctx.finding(found.path, found.at(setting), message, f"stale:{policy.branch}")


@bp_check("BP007", "admins-bypass", Severity.ERROR)
def admins_bypass(ctx: CheckContext) -> Iterator[Finding]:
    """Protection is not enforced on admins, or someone outside the allowlist may bypass it.

    ## What it does
    Reports classic protection with `enforce_admins` off (admins are exempt), and every
    bypass actor outside `allowed-bypass-actors`: a ruleset's `bypass_actors`, and classic
    protection's `bypass_pull_request_allowances`. An allowlist entry is an actor type
    (`OrganizationAdmin`, `DeployKey`), or a type and an id or name: `Team:234`,
    `Integration:12345`, `RepositoryRole:admin` (or `:5`), `User:octocat`. Turn the admin
    check off with `enforce-admins = false`.

    A ruleset's bypass list is reported even when other protection could not be read: what
    a ruleset allows is known. Its bypass list itself is shown only to a token that can
    edit the ruleset; when it is hidden, BP012 says so.

    ## Why is this bad?
    An exemption is a way around every other rule: an admin account, a team or an app
    that may bypass protection can push unreviewed code, and is what an attacker looks
    for first. Exemptions should be few, named, and deliberate.

    ## Example
    ```yaml title=".github/settings.yml"
    branches:
      - name: main
        protection:
          enforce_admins: false
    rulesets:
      - name: main
        target: branch
        enforcement: active
        conditions:
          ref_name:
            include: ["~DEFAULT_BRANCH"]
        bypass_actors:
          - actor_id: 5
            actor_type: RepositoryRole
            bypass_mode: always
        rules:
          - type: deletion
    ```

    ## Fix
    Set `enforce_admins: true`, and remove the bypass actors:
    ```yaml title=".github/settings.yml"
    branches:
      - name: main
        protection:
          enforce_admins: true
    ```
    For the few that must stay (a release app), allow them by name:
    ```toml
    [tool.repo-harden.branch-protection]
    allowed-bypass-actors = ["Integration:12345"]
    ```
    """
    found = judged(ctx)
    if found is None:
        return
    wanted = requirements(ctx)
    policy = found.policy
    classic = policy.classic
    admins = classic.enforce_admins if classic is not None else None
    if wanted.enforce_admins and admins is not None and not admins.value:
        at = (admins.origin.at or found.fallback) if found.path else None
        message = (
            f"{found.subject} exempts admins from classic protection ({admins.describe()}); "
            "enforce it on admins (`enforce_admins: true`)"
        )
        yield ctx.finding(found.path, at, message, f"admins:{policy.branch}")
    for actor in policy.bypass_actors:
        if actor.allowed_by(wanted.allowed_bypass_actors):
            continue
        at = (actor.origin.at or found.fallback) if found.path else None
        message = (
            f"{actor.label()} may bypass {actor.origin.describe()} on the default branch "
            f"{found.branch} "
            f"(bypass mode `{actor.bypass_mode}`) and is not in allowed-bypass-actors; "
            "remove it, or allow it in `[tool.repo-harden.branch-protection]`"
        )
        subject = f"bypass:{actor.origin.ruleset}:{actor.actor_type}:{actor.actor_id or actor.name}"
        yield ctx.finding(found.path, at, message, subject)


@bp_check("BP008", "status-checks-not-required", Severity.WARNING)
def status_checks_not_required(ctx: CheckContext) -> Iterator[Finding]:
    """No status checks are required, or a check the policy names is not.

    ## What it does
    Checks that at least one status check must pass before merging
    (`required_status_checks` in classic protection, or a ruleset's
    `required_status_checks` rule), and that every check named in the policy's
    `required-status-checks` is among them. Turn the first part off with
    `require-status-checks = false`.

    ## Why is this bad?
    Tests, linters and scanners that are not required can be red at merge time. A
    required check is what keeps a broken or malicious change from merging while CI
    still says no.

    ## Example
    ```yaml title=".github/settings.yml"
    branches:
      - name: main
        protection:
          required_status_checks: null
    ```

    ## Fix
    ```yaml title=".github/settings.yml"
    branches:
      - name: main
        protection:
          required_status_checks:
            strict: true
            contexts: ["test"]
    ```
    and name the checks that must be among them:
    ```toml
    [tool.repo-harden.branch-protection]
    required-status-checks = ["test"]
    ```
    """
    found = protected_policy(ctx)
    if found is None:
        return
    wanted = requirements(ctx)
    policy = found.policy
    setting = policy.status_checks
    at = found.at(setting)
    if wanted.require_status_checks and not setting.value:
        message = (
            f"{found.subject} requires no status checks ({setting.describe()}), so changes "
            "can merge with failing CI; require the checks that must pass"
        )
        yield ctx.finding(found.path, at, message, f"checks:{policy.branch}")
    for name in wanted.required_status_checks:
        if name not in setting.value:
            message = (
                f"{found.subject} does not require the status check `{name}` that the policy "
                f"names (required-status-checks); required now: {setting.describe()}"
            )
            yield ctx.finding(found.path, at, message, f"check:{policy.branch}:{name}")


@bp_check("BP009", "last-push-approval-not-required", Severity.WARNING)
def last_push_approval_not_required(ctx: CheckContext) -> Iterator[Finding]:
    """The last pusher can approve their own push.

    ## What it does
    When the default branch requires pull requests, checks that the most recent push
    must be approved by someone other than its author: `require_last_push_approval`, in
    classic protection or in a ruleset's `pull_request` rule. Turn it off with
    `require-last-push-approval = false`.

    ## Why is this bad?
    Without it, a reviewer can push a commit to someone else's approved pull request and
    merge it with the approval that was already there: two people seem to have agreed to
    a change only one of them saw.

    ## Example
    ```yaml title=".github/settings.yml"
    branches:
      - name: main
        protection:
          required_pull_request_reviews:
            required_approving_review_count: 1
    ```

    ## Fix
    ```yaml title=".github/settings.yml"
    branches:
      - name: main
        protection:
          required_pull_request_reviews:
            required_approving_review_count: 1
            require_last_push_approval: true
    ```
    """
    found = protected_policy(ctx)
    if found is None or not requirements(ctx).require_last_push_approval:
        return
    policy = found.policy
    setting = policy.last_push_approval
    if policy.pull_request.value and not setting.value:
        message = (
            f"{found.subject} lets the last pusher approve their own push "
            f"({setting.describe()}); require `require_last_push_approval: true`"
        )
        yield ctx.finding(found.path, found.at(setting), message, f"last-push:{policy.branch}")


@bp_check("BP010", "signed-commits-not-required", Severity.ERROR)
def signed_commits_not_required(ctx: CheckContext) -> Iterator[Finding]:
    """Signed commits are not required although the policy asks for them.

    ## What it does
    Only when the policy says `require-signed-commits = true` (it is off by default):
    checks that commits must be signed, through classic protection's
    `required_signatures` or a ruleset's `required_signatures` rule.

    ## Why is this bad?
    The author and committer of a commit are whatever the pusher typed. A required
    signature ties each commit to a key GitHub has verified.

    ## Example
    With signed commits required by the policy:
    ```toml title=".repo-harden.toml"
    [branch-protection]
    require-signed-commits = true
    ```
    ```yaml title=".github/settings.yml"
    rulesets:
      - name: main
        target: branch
        enforcement: active
        conditions:
          ref_name:
            include: ["~DEFAULT_BRANCH"]
        rules:
          - type: pull_request
    ```

    ## Fix
    ```yaml title=".github/settings.yml"
    rulesets:
      - name: main
        target: branch
        enforcement: active
        conditions:
          ref_name:
            include: ["~DEFAULT_BRANCH"]
        rules:
          - type: pull_request
          - type: required_signatures
    ```
    """
    found = protected_policy(ctx)
    if found is None or not requirements(ctx).require_signed_commits:
        return
    setting = found.policy.signed_commits
    if not setting.value:
        message = (
            f"{found.subject} does not require signed commits ({setting.describe()}); the "
            "policy asks for them (require-signed-commits): add a `required_signatures` rule"
        )
        yield ctx.finding(found.path, found.at(setting), message, f"signed:{found.policy.branch}")


@bp_check("BP011", "protection-drift", Severity.WARNING, online=True)
def protection_drift(ctx: CheckContext) -> Iterator[Finding]:
    """Live protection differs from what `.github/settings.yml` declares.

    ## What it does
    With `--online`, compares the live protection of the default branch with what the
    settings file declares, setting by setting: pull requests, approvals, code-owner
    review, stale-approval dismissal, last-push approval, force pushes, deletion, status
    checks, signed commits, enforcement on admins, bypass actors, and each declared
    ruleset's mode. Each difference is reported at the line that declares the setting.
    Nothing is compared when the live protection could not be read (BP012).

    ## Why is this bad?
    Settings as code are reviewed; clicks in the settings page are not. When the two
    differ, either someone changed protection by hand (maybe to merge something past
    it) or the settings app is not applying the file: either way the file that everyone
    reviews is not the truth.

    ## Example
    The file declares `required_approving_review_count: 2`; someone lowered it to 1 in
    the settings page.

    ## Fix
    Find out who changed it and why (the audit log), then apply the file again, or
    change the file to what it should be and let it be reviewed.
    """
    settings = ctx.snapshot.settings
    live = settings.branch_protection if settings is not None else None
    declared = declared_policy(ctx)
    if live is None or declared is None or not live.judgeable:
        return
    if declared.policy.branch != live.branch:
        message = (
            f"{declared.path} declares `{declared.policy.branch}` as the default branch, but it "
            f"is `{live.branch}` live, so the protection it declares is for another branch; "
            "apply the file again, or change it"
        )
        yield ctx.finding(declared.path, declared.at, message, f"drift:default:{live.branch}")
        return
    for diff in branch_policy.differences(declared.policy, live):
        message = (
            f"{diff.setting} of the default branch `{live.branch}` is {diff.declared} in "
            f"{declared.path} ({diff.declared_where}) but {diff.live} live "
            f"({diff.live_where}); apply the file again, or change it"
        )
        at = diff.at or declared.at
        yield ctx.finding(declared.path, at, message, f"drift:{diff.setting}:{diff.live}")


@bp_check("BP012", "protection-unknown", Severity.NOTE, online=True)
def protection_unknown(ctx: CheckContext) -> Iterator[Finding]:
    """The branch protection could not be read, so it was not judged.

    ## What it does
    With `--online`, reports each part of the default branch's protection that the token
    could not read, with the permission it lacks: classic protection needs admin access
    to the repository (a fine-grained token or a GitHub App needs "Administration:
    read"); a ruleset's bypass list is shown only to those who can edit the ruleset.
    While classic protection is unknown, BP001-BP006 and BP008-BP010 report nothing: the
    branch is neither called protected nor unprotected.

    ## Why is this bad?
    It is not a problem in the repository, it is a gap in what was checked. A note keeps
    it visible, so that a clean report is not mistaken for a protected branch.

    ## Example
    `repo-harden scan --online` in a workflow, with the default `GITHUB_TOKEN`, which
    cannot read classic branch protection.

    ## Fix
    Run with a token that can read it (a fine-grained token with "Administration:
    read" on the repository), or protect the branch with rulesets, which any token that
    can read the repository can see.
    """
    settings = ctx.snapshot.settings
    live = settings.branch_protection if settings is not None else None
    if live is None:
        return
    for gap in live.unknown:
        message = f"not judged: {gap.describe()}"
        yield ctx.finding("", None, message, f"unknown:{gap.what}")


BRANCH_PROTECTION_CHECKS = (
    unprotected_default_branch,
    reviews_not_required,
    force_push_allowed,
    deletion_allowed,
    code_owner_review_not_required,
    stale_reviews_not_dismissed,
    admins_bypass,
    status_checks_not_required,
    last_push_approval_not_required,
    signed_commits_not_required,
    protection_drift,
    protection_unknown,
)
