"""The hostile suite shares the audit's fakes: GitHub and OSV on loopback."""

from __future__ import annotations

from tests.test_audit import fake, osv

__all__ = ["fake", "osv"]
