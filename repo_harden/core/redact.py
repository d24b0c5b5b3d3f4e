"""Secrets never leave in text: every token and password repo-harden is given is registered
here, and every message built from something a server said passes through `REDACTOR`."""

from __future__ import annotations

import logging

REDACTED = "***"


class Redactor(logging.Filter):
    """Replaces every registered secret in a text or a log record with `***`."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()

    def add(self, secret: str) -> None:
        if secret:
            self._secrets.add(secret)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            record.msg = self(record.getMessage())
            record.args = None
        return True


REDACTOR = Redactor()
