"""`core.digests`: the same digests as `hashlib`, and a scan that never loads OpenSSL."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from repo_harden.core.digests import content_hex, sha256_hex
from repo_harden.core.model import fingerprint

SAMPLES = [
    b"",
    b"abc",
    "ünïcödé\0\udcff".encode("utf-8", "surrogateescape"),
    bytes(range(256)) * 4099,
]


@pytest.mark.parametrize("data", SAMPLES, ids=["empty", "abc", "non-utf8", "1mb"])
def test_sha256_is_hashlibs(data: bytes) -> None:
    assert sha256_hex(data) == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("data", SAMPLES, ids=["empty", "abc", "non-utf8", "1mb"])
def test_content_digest_is_a_256_bit_blake2b(data: bytes) -> None:
    assert content_hex(data) == hashlib.blake2b(data, digest_size=32).hexdigest()


def test_a_fingerprint_is_unchanged() -> None:
    """Fingerprints are a public contract (SARIF `partialFingerprints`, baselines): the
    first 32 hex digits of the SHA-256 of rule, path and subject."""
    expected = hashlib.sha256(b"PIN001\0.github/workflows/ci.yml\0actions/checkout@v4")
    assert (
        fingerprint("PIN001", ".github/workflows/ci.yml", "actions/checkout@v4")
        == (expected.hexdigest()[:32])
    )


def test_a_cold_and_a_warm_scan_never_load_openssl(tmp_path: Path) -> None:
    from tests.conftest import make_repo, modules_after, workflow

    repo = make_repo(
        tmp_path / "repo",
        {".github/workflows/ci.yml": workflow("      - uses: actions/checkout@v4\n")},
    )
    call = (
        "from repo_harden.cli import main; "
        f"main(['scan', '--format', 'json', '--cache-dir', {str(tmp_path / 'cache')!r}])"
    )
    for _ in ("cold", "warm"):
        report, imported = modules_after(repo, call)
        findings = json.loads(report)["findings"]
        assert "PIN001" in {finding["rule"] for finding in findings}
        assert not imported.intersection({"hashlib", "_hashlib"}), imported
    assert any((tmp_path / "cache").rglob("*")), "the scan wrote its cache"
