"""Smoke test over 175 real workflows (actions/starter-workflows): no crash, no parse
error, and a stable count of findings."""

from __future__ import annotations

import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tests.conftest import CORPUS, make_repo

# Counted by hand-checked runs; a change here means a rule changed behaviour: look why.
EXPECTED = {"PIN001": 403, "PIN002": 3}


def corpus_repo(root: Path) -> Path:
    repo = make_repo(root, {".github/CODEOWNERS": "* @acme/maintainers\n"})
    workflows = repo / ".github" / "workflows"
    workflows.mkdir(parents=True)
    for source in sorted(CORPUS.rglob("*.y*ml")):
        shutil.copy(source, workflows / f"{source.parent.name}-{source.name}")
    return repo


def test_starter_workflows(cli: Any, tmp_path: Path) -> None:
    repo = corpus_repo(tmp_path / "corpus")
    assert len(list((repo / ".github" / "workflows").iterdir())) == 175
    started = time.perf_counter()
    result = cli("scan", "--format", "json", cwd=repo)
    assert time.perf_counter() - started < 5
    assert result.err == ""
    findings = result.json()["findings"]
    assert dict(Counter(f["rule"] for f in findings)) == EXPECTED
    assert all(f["line"] and f["column"] for f in findings)
    assert len({f["fingerprint"] for f in findings}) == len(findings)
