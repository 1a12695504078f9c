"""How big may a request body be? Small, and the limit holds even when the client lies or streams.

A declared Content-Length over the limit is refused before reading; a stream is cut off when it crosses it.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from error_handling.problems import problem_response

TOO_LARGE = "The request body is larger than {limit} bytes."
BAD_LENGTH = "The Content-Length header is not a number."


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        detail = TOO_LARGE.format(limit=self.max_body_bytes)
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and not (declared.isascii() and declared.isdigit()):
            await problem_response(400, BAD_LENGTH)(scope, receive, send)
            return
        if declared is not None and int(declared) > self.max_body_bytes:
            await problem_response(413, detail)(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    # An HTTPException passes through FastAPI's body parsing and becomes a 413 problem.
                    raise HTTPException(413, detail)
            return message

        await self.app(scope, limited_receive, send)
