"""Which Host may a request name? Only ours: a forged Host poisons absolute URLs, caches and password-reset links.

Entries are exact names or `*.example.com` for subdomains; the port is ignored.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from error_handling.problems import problem_response

UNTRUSTED_HOST = "The Host header {host!r} is not served here."


class TrustedHostMiddleware:
    def __init__(self, app: ASGIApp, *, allowed_hosts: Sequence[str]) -> None:
        self.app = app
        self.allowed_hosts = [host.lower() for host in allowed_hosts]

    def host_okay(self, host: str) -> bool:
        for pattern in self.allowed_hosts:
            if pattern == "*" or host == pattern:
                return True
            if pattern.startswith("*.") and host.endswith(pattern[1:]):
                return True
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            raw = Headers(scope=scope).get("host", "")
            host = raw.rsplit(":", 1)[0] if not raw.endswith("]") else raw
            if not self.host_okay(host.lower()):
                await problem_response(400, UNTRUSTED_HOST.format(host=raw))(scope, receive, send)
                return
        await self.app(scope, receive, send)
