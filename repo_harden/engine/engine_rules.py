"""RH: rules the engine reports itself, about the files it could not read and about exceptions."""

from __future__ import annotations

from repo_harden.core.declare import engine_rule
from repo_harden.core.model import Severity


@engine_rule("RH000", "unparseable-file", Severity.ERROR)
def unparseable_file() -> None:
    """A file a check must read could not be read or parsed.

    ## What it does
    Reports a file that one of the checks needs (a workflow, an `action.yml`,
    a config file) but that is not valid YAML, is not shaped like what it
    should be, is binary or not UTF-8, is too large, or is a symbolic link that
    points outside the repository. The other files are still checked.

    ## Why is this bad?
    Nothing in a file that cannot be read can be checked, so a broken file is a
    blind spot. GitHub rejects an invalid workflow too, usually at the worst
    moment: when it is needed.

    ## Example
    ```yaml title=".github/workflows/ci.yml"
    on: push
    jobs:
      build:
        steps: [
    ```

    ## Fix
    Repair the file at the line given, or remove it. A file that is meant to be
    a template (with `{{ }}` placeholders) belongs outside `.github/workflows/`,
    or in `exclude`.
    ```yaml title=".github/workflows/ci.yml"
    on: push
    jobs:
      build:
        runs-on: ubuntu-latest
        steps: []
    ```
    """


@engine_rule("RH001", "expired-waiver", Severity.ERROR)
def expired_waiver() -> None:
    """A waiver is past its `expires` date, so the findings it waived are reported again.

    ## What it does
    Reports each waiver in the configuration whose `expires` date has passed.
    The findings it used to waive come back at the same time.

    ## Why is this bad?
    An exception that never ends becomes the real policy. The expiry date is the
    moment someone agreed to look again: the owner must fix the findings, or
    renew the waiver with a reason that still holds.

    ## Example
    ```toml title=".repo-harden.toml"
    [[waivers]]
    rule = "PIN001"
    path = ".github/workflows/release.yml"
    owner = "@acme/security"
    reason = "the SLSA generator must be referenced by tag"
    expires = 2024-03-31
    ```

    ## Fix
    Fix what the waiver hid and delete it, or move `expires` forward after the
    owner has reviewed that the reason still holds:
    ```toml title=".repo-harden.toml"
    [[waivers]]
    rule = "PIN001"
    path = ".github/workflows/release.yml"
    owner = "@acme/security"
    reason = "the SLSA generator must be referenced by tag"
    expires = 2099-03-31
    ```
    """


@engine_rule("RH002", "invalid-suppression", Severity.ERROR)
def invalid_suppression() -> None:
    """An inline ignore or a waiver is incomplete, so it suppresses nothing.

    ## What it does
    Reports an inline `# repo-harden: ignore[CODE]` comment with no reason or
    an unknown rule code, and a waiver without `rule`, `path`, `owner`,
    `reason` or a valid `expires` date. An invalid exception does not hide
    anything: the findings it meant to hide are still reported.

    ## Why is this bad?
    Exceptions must be visible and time-bound. An ignore without a reason
    cannot be reviewed, and a waiver without an owner or an expiry is
    forgotten.

    ## Example
    ```yaml title=".github/workflows/ci.yml"
    on: push
    jobs:
      build:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4  # repo-harden: ignore[PIN001]
    ```

    ## Fix
    Say why, after the bracket:
    ```yaml title=".github/workflows/ci.yml"
    on: push
    jobs:
      build:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4  # repo-harden: ignore[PIN001] our fork, tags never move
    ```
    For a waiver, give it a rule, a path, an owner, a reason and an expiry date:
    ```toml
    [[tool.repo-harden.waivers]]
    rule = "PIN001"
    path = ".github/workflows/release.yml"
    owner = "@acme/security"
    reason = "the SLSA generator must be referenced by tag"
    expires = 2027-03-31
    ```
    """


ENGINE_RULES = (unparseable_file, expired_waiver, invalid_suppression)
UNPARSEABLE, EXPIRED_WAIVER, INVALID_SUPPRESSION = ENGINE_RULES
