"""The one judgement that `scan`, the hooks and `audit` share: the checks a config turns on,
run over a snapshot, with the config's policy applied. The same files give the same findings
whichever front end read them."""

from __future__ import annotations

import datetime
from collections.abc import Collection, Container, Sequence

from repo_harden.core.declare import Check
from repo_harden.core.snapshot import RepoSnapshot
from repo_harden.engine.catalogue import Catalogue
from repo_harden.engine.config import Config
from repo_harden.engine.parts import Spread
from repo_harden.engine.policy import Outcome, apply_policy
from repo_harden.engine.run import CheckRun, CheckRunMemory, RuleSelection, run_checks


def selected_checks(
    found: Catalogue,
    config: Config,
    only: tuple[str, ...] = (),
    runnable: Container[str] | None = None,
) -> list[Check]:
    """The checks the config (and a hook's families, `only`) turn on; with `runnable`
    (`Catalogue.runnable`), only those that can find something in this run, so that the
    modules of the others are never imported."""
    selection = RuleSelection.from_config(config)
    return [
        found.checks[code]
        for code in found.checks
        if selection.enabled(code)
        and (not only or code.startswith(only))
        and (runnable is None or code in runnable)
    ]


def judged(
    snapshot: RepoSnapshot,
    checks: Sequence[Check],
    *,
    found: Catalogue,
    config: Config,
    config_path: str,
    today: datetime.date,
    wanted: Collection[str] | None = None,
    memory: CheckRunMemory | None = None,
    spread: Spread | None = None,
) -> tuple[Outcome, CheckRun]:
    """Run the checks on a snapshot and apply the config's policy; with `wanted`, only on
    those files. Returns the outcome and the run: the checks' crashes (repo-harden's own
    bugs) and the files they were given (`checked`). With
    `memory` (keyed by the checks, config and `wanted`), an earlier run over the same files
    is reused, and a new one kept unless a check crashed. With `spread`, the checks' files
    are dealt out in parts (`run_checks`)."""
    run = memory.recall(snapshot) if memory is not None else None
    if run is None:
        run = run_checks(snapshot, checks, config, wanted, spread)
        if memory is not None and not run.crashes:
            memory.remember(snapshot, run)
    outcome = apply_policy(
        run.findings,
        config=config,
        rules=found.rules,
        codes=found.codes,
        read_text=snapshot.read_text,
        config_path=config_path,
        today=today,
    )
    return outcome, run
