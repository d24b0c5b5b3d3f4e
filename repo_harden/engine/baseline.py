"""Baselines: today's findings recorded by fingerprint, so that only new ones fail.

The file is JSON, one entry per finding sorted by path and rule, so that a
diff of the baseline in a pull request reads as a list of accepted findings.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from pathlib import Path

from repo_harden import __version__
from repo_harden.core.errors import FatalError
from repo_harden.engine.policy import Reported


def baseline_document(reported: Iterable[Reported]) -> str:
    entries = sorted(
        (
            {
                "fingerprint": item.finding.fingerprint,
                "rule": item.rule.code,
                "path": item.finding.path,
                "message": item.finding.message,
            }
            for item in reported
        ),
        key=lambda entry: (entry["path"], entry["rule"], entry["fingerprint"]),
    )
    document = {"tool": "repo-harden", "version": __version__, "findings": entries}
    return json.dumps(document, indent=2) + "\n"


def load_baseline(path: Path) -> set[str]:
    """The fingerprints a baseline file accepts."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FatalError(f"{path}: no such baseline (write one with --write-baseline)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FatalError(f"{path}: not a repo-harden baseline: {error}") from None
    findings = document.get("findings") if isinstance(document, dict) else None
    if not isinstance(findings, list):
        raise FatalError(f"{path}: not a repo-harden baseline: no `findings` list")
    return {
        entry["fingerprint"]
        for entry in findings
        if isinstance(entry, dict) and isinstance(entry.get("fingerprint"), str)
    }


def split_by_baseline(
    reported: Collection[Reported], known: set[str]
) -> tuple[list[Reported], list[Reported]]:
    """(new findings, findings the baseline already accepts)."""
    new = [item for item in reported if item.finding.fingerprint not in known]
    accepted = [item for item in reported if item.finding.fingerprint in known]
    return new, accepted
