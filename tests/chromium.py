"""The headless Chromium the dashboard's browser tests and its benchmark drive: Debian's
`chromium` (or `REPO_HARDEN_CHROMIUM`), with the flags that keep it off the network and
quiet on a machine with no display."""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("REPO_HARDEN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
]
