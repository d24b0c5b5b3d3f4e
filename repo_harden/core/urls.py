"""URLs as repo-harden shows and trusts them: never with their credentials, and plain http
only to this machine."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def shown_url(url: str) -> str:
    """A URL as messages may show it: without credentials (`https://user:secret@host`)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def is_loopback_host(host: str) -> bool:
    """`localhost` or a loopback address: plain http to it never leaves the machine."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
