"""Which headers should every API response carry? OWASP's REST set, on 2xx, 4xx and 5xx alike.

A crash inside the app is answered here too, so even a 500 leaves with the headers and no stack trace.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from error_handling.problems import problem_response

SERVER_ERROR = "The server failed to handle this request; the error was logged."


def security_headers(hsts_max_age_s: int) -> dict[str, str]:
    return {
        # Browsers refuse plain HTTP to this host for the period, so no first request can be stripped.
        "Strict-Transport-Security": f"max-age={hsts_max_age_s}; includeSubDomains",
        "X-Content-Type-Options": "nosniff",
        # An API response is never a page to frame; both headers, for old and new browsers.
        "Content-Security-Policy": "frame-ancestors 'none'",
        "X-Frame-Options": "DENY",
    }


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts_max_age_s: int = 63_072_000) -> None:
        self.app = app
        self.headers = security_headers(hsts_max_age_s)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                headers.update(self.headers)
                # Responses carry keys, messages and phone numbers: no cache may keep them, unless
                # a route says otherwise on purpose.
                headers.setdefault("Cache-Control", "no-store")
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            if not started:
                await problem_response(500, SERVER_ERROR)(scope, receive, send_with_headers)
            raise  # the server's own error middleware still logs it
