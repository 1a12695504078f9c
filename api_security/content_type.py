"""Which bodies does the API parse? Only the media types it declares; anything else is a 415 before any parser runs.

Refusing early keeps a form parser from meeting a multipart upload, or XML from meeting anything.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from error_handling.problems import problem_response

UNSUPPORTED = "Content-Type {got!r} is not accepted; send one of: {allowed}."


class ContentTypeMiddleware:
    def __init__(self, app: ASGIApp, *, allowed: Sequence[str]) -> None:
        self.app = app
        self.allowed = frozenset(media_type.lower() for media_type in allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = Headers(scope=scope)
            has_body = headers.get("content-length", "0") != "0" or "transfer-encoding" in headers
            media_type = headers.get("content-type", "").split(";")[0].strip().lower()
            if has_body and media_type not in self.allowed:
                detail = UNSUPPORTED.format(
                    got=media_type or "(none)", allowed=", ".join(sorted(self.allowed))
                )
                await problem_response(415, detail)(scope, receive, send)
                return
        await self.app(scope, receive, send)
