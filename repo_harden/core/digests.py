"""Digests without OpenSSL: `import hashlib` loads OpenSSL's libcrypto, 2.5 ms of a cold
scan that hashes a few hundred short strings and files.

- `sha256_hex`: the SHA-256 of findings' fingerprints (a public contract), from CPython's
  own SHA-256 (`_sha256` on 3.11, `_sha2` from 3.12), the same digest as `hashlib`'s.
- `content_hex`: a 256-bit BLAKE2b, CPython's own (`_blake2`), for what only repo-harden
  reads back (the scan cache's keys): twice as fast as the built-in SHA-256 on a file.

Each falls back to `hashlib` on an interpreter without the built-in module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class _Hash(Protocol):
    def hexdigest(self) -> str: ...


def _builtin_sha256() -> Callable[[bytes], _Hash]:
    try:
        from _sha256 import sha256  # type: ignore[import-not-found,unused-ignore]  # 3.11
    except ImportError:
        try:
            from _sha2 import sha256  # type: ignore[import-not-found,no-redef,unused-ignore]
        except ImportError:
            from hashlib import sha256  # type: ignore[assignment,unused-ignore]
    made: Callable[[bytes], _Hash] = sha256
    return made


def _builtin_blake2b() -> Callable[[bytes], _Hash]:
    try:
        from _blake2 import blake2b  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        from hashlib import blake2b  # type: ignore[assignment,unused-ignore]

    def digest(data: bytes) -> _Hash:
        made: _Hash = blake2b(data, digest_size=32)
        return made

    return digest


_SHA256 = _builtin_sha256()
_BLAKE2B = _builtin_blake2b()


def sha256_hex(data: bytes) -> str:
    """The SHA-256 of `data`, in hex, as `hashlib.sha256(data).hexdigest()`."""
    return _SHA256(data).hexdigest()


def content_hex(data: bytes) -> str:
    """A 256-bit BLAKE2b of `data`, in hex, as `hashlib.blake2b(data, digest_size=32)`."""
    return _BLAKE2B(data).hexdigest()
