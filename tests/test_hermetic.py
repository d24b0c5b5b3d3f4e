"""The test suite's own promise: no test reaches beyond the loopback interface."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import InternetRefused, offline_install_environment


def test_a_connection_beyond_loopback_is_refused_and_loopback_is_not() -> None:
    with pytest.raises(InternetRefused):
        socket.create_connection(("192.0.2.1", 443), timeout=1)  # TEST-NET-1, never routed
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            pass


def test_pip_under_the_offline_environment_finds_nothing_beyond_the_wheelhouse(
    tmp_path: Path,
) -> None:
    """A package that is on PyPI but not in the wheelhouse cannot be installed: pip reads no
    index. (The tests that install the project rely on this.)"""
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(tmp_path), "six"],
        env={"PATH": "/usr/bin:/bin", **offline_install_environment()},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode != 0
    assert "No matching distribution found for six" in done.stderr
    assert not list(tmp_path.iterdir())
