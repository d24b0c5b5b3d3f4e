"""Rule tables run in memory: the files of a table case become a `MemoryRepo`, and the
engine judges it exactly as `scan` judges a checkout (its config found in the files, the
command line's `--select` and `--ignore`, the same policy), with no git, no disk and no
process. The CLI and hook tests on top check that the front ends add nothing of their own.
"""

from __future__ import annotations

import datetime
import marshal
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from repo_harden.core.declare import Check
from repo_harden.core.snapshot import RepoSettings
from repo_harden.engine.catalogue import catalogue
from repo_harden.engine.config import snapshot_config
from repo_harden.engine.judge import judged, selected_checks
from repo_harden.engine.overrides import Overrides, apply_overrides, check_selectors
from repo_harden.engine.parts import Spread
from repo_harden.engine.records import finding_record
from repo_harden.sources.memory import MemoryRepo


def scan_files(
    files: Mapping[str, str | bytes],
    *,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    settings: RepoSettings | None = None,
    today: datetime.date | None = None,
    every_check_too: bool = True,
) -> list[dict[str, Any]]:
    """What `repo-harden scan --format json --select ... --ignore ...` reports for a checkout
    of `files`: its findings, as JSON records. `every_check_too`: judged again by every
    check, the scan skipping none, and again with the files dealt out in parts (as `scan
    --jobs` deals them to processes), with the same findings required each time (off for a
    test that counts the work of one run)."""
    found = catalogue(())
    repo = MemoryRepo(files, settings=settings)
    overrides = Overrides(select=tuple(select), ignore=tuple(ignore))
    check_selectors(overrides, found.codes)
    config, config_path = snapshot_config(repo, found.checks, found.codes)
    config = apply_overrides(config, overrides)
    # as `scan` does, only the checks whose modules can find something in these files; the
    # same files judged by every check must give the same findings (what the scan skips could
    # not have found anything)
    runnable = found.runnable(repo.paths(), whole=True, settings=settings is not None)
    findings = []
    scanned = selected_checks(found, config, (), runnable)
    ways: list[tuple[list[Check], Spread | None]] = [(scanned, None)]
    if every_check_too:
        ways += [(selected_checks(found, config), None), (scanned, PartsInTurn(3))]
    for checks, spread in ways:
        outcome, run = judged(
            repo,
            checks,
            found=found,
            config=config,
            config_path=config_path,
            today=today or datetime.date.today(),
            spread=spread,
        )
        assert not run.crashes, run.crashes
        findings.append([finding_record(item) for item in outcome.reported])
    assert findings[1:2] in ([], findings[:1]), "a check the scan skips would have found something"
    assert findings[2:] in ([], findings[:1]), "the files in parts gave other findings"
    return findings[0]


class PartsInTurn:
    """A `Spread` that runs the chunks one after the other in this process, each result sent
    through `marshal` as from a forked process; a file per process at least, so that every
    table case with two files of a `per_file` check is split."""

    smallest_part = 1

    def __init__(self, parts: int) -> None:
        self.parts = parts

    def map(self, work: Callable[[int], Any], count: int, processes: int) -> list[Any]:
        return [marshal.loads(marshal.dumps(work(index))) for index in range(count)]


def located(findings: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(f["rule"], f["path"], f["line"], f["column"]) for f in findings]
