"""Issue 14: every hostile repository, scanned locally and audited through the fake GitHub,
is held to the same promises: no traceback, no crash, no lost findings (the canary and the
expected findings are there, each bad file is RH000), and no line of the text output that
the repository wrote itself (no control character, no `::` workflow command)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult, git, make_repo
from tests.fake_github import FakeGitHub
from tests.hostile.repositories import CANARY, CANARY_PATH, HOSTILE, Hostile

_RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def checkout(tmp_path: Path, hostile: Hostile) -> Path:
    root = make_repo(tmp_path / "checkout", {}, commit=False)
    for name, content in {CANARY_PATH: CANARY, **hostile.files}.items():
        path = root / name  # a name that is not UTF-8 is surrogate-escaped, as os.fsdecode does
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    git(root, "add", "-A")
    git(root, "commit", "-qm", "hostile")
    return root


def assert_kept_promises(hostile: Hostile, json_result: CliResult, text: CliResult) -> None:
    assert json_result.code == 1, json_result.err
    assert "Traceback" not in json_result.err + text.err
    found = {(f["rule"], f["path"], f["line"]) for f in json_result.json()["findings"]}
    assert ("PIN001", CANARY_PATH, 6) in found
    assert hostile.expected <= found
    unparseable = {path for rule, path, _ in found if rule == "RH000"}
    assert unparseable == set(hostile.unparseable)
    for line in (text.out + text.err).splitlines():
        assert not _RAW_CONTROL.search(line), line
        assert not line.lstrip().startswith("::"), line


@pytest.mark.parametrize("hostile", HOSTILE, ids=lambda h: h.id)
def test_a_local_scan_keeps_its_promises(cli: Any, tmp_path: Path, hostile: Hostile) -> None:
    root = checkout(tmp_path, hostile)
    as_json = cli("scan", "--format", "json", cwd=root)
    as_text = cli("scan", cwd=root)
    assert_kept_promises(hostile, as_json, as_text)


# A name that is not UTF-8 cannot reach an audit: GitHub's API names files in UTF-8.
@pytest.mark.parametrize("hostile", [h for h in HOSTILE if not h.local_only], ids=lambda h: h.id)
def test_an_audit_keeps_the_same_promises(
    cli: Any, fake: FakeGitHub, tmp_path: Path, hostile: Hostile
) -> None:
    root = checkout(tmp_path, hostile)
    fake.add_repo_from_checkout("acme/hostile", root)
    base = ("audit", "--api-url", fake.url, "--cache-dir", str(tmp_path / "cache"))
    as_json = cli(*base, "--org", "acme", "--format", "json", "--ignore", "BP,OWN", cwd=tmp_path)
    as_text = cli(*base, "--org", "acme", "--ignore", "BP,OWN", cwd=tmp_path)
    assert_kept_promises(hostile, as_json, as_text)
    assert {r["name"]: r["status"] for r in as_json.json()["repositories"]} == {
        "acme/hostile": "audited"
    }
