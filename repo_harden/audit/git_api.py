"""The audit's transport as the `GitApi` that pin lookups (PIN003, PIN004) ask: the same
pace, retries, rate-limit waits and request counts as every other request of the audit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from repo_harden.audit.transport import Transport


class TransportGitApi:
    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def graphql(self, query: str) -> Mapping[str, Any]:
        answer = self._transport.graphql(query)
        return answer.data if isinstance(answer.data, dict) else {}

    def get(self, path: str, params: Mapping[str, str | int] | None = None) -> object:
        url = f"{path}?{urlencode(dict(params))}" if params else path
        return self._transport.rest_get(url).data
