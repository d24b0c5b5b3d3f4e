"""A GitHub App installation's credentials, each installation token redacted as it is made.

PyGithub makes the installation token on first use and a new one before it expires. Its
renewal is not thread-safe: when several request threads find the token due at once,
each makes one and all but the last are dropped, unseen by anything that learns tokens
from the requests it sends. Here one renewal runs at a time, and every token is added to
the redactor the moment PyGithub hands it over. Imported only for an App's audit.
"""

from __future__ import annotations

import threading

from github import Auth

from repo_harden.core.redact import REDACTOR


class RedactedInstallationAuth(Auth.AppInstallationAuth):
    """`Auth.AppInstallationAuth`, renewed by one thread at a time, every token redacted."""

    def __init__(self, app_auth: Auth.AppAuth, installation_id: int) -> None:
        self._renewal = threading.Lock()
        super().__init__(app_auth, installation_id)

    @property
    def token(self) -> str:
        with self._renewal:
            token = str(super().token)
            REDACTOR.add(token)
        return token


def installation_auth(app_id: int | str, private_key: str, installation_id: int) -> Auth.Auth:
    """The credentials of the App `app_id`'s installation `installation_id`."""
    return RedactedInstallationAuth(Auth.AppAuth(app_id, private_key), installation_id)
