"""What does each request leave behind? One canonical log line, and never a stack trace for the client.

A pure ASGI middleware: binds the request's ids, echoes `X-Request-ID`, turns a crash into a 500 problem.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from error_handling.correlation import is_well_formed_request_id, new_request_id
from error_handling.problems import problem_response
from error_handling.traceparent import new_traceparent, parse_traceparent

REQUEST_ID_HEADER = "X-Request-ID"
INTERNAL_ERROR_DETAIL = "Something went wrong on our side. Quote the error_id if you contact us."

log = structlog.get_logger("error_handling.access")


def route_template(scope: Scope) -> str:
    """The matched route's template (`/v1/accounts/{account_id}`), prefixes of included routers too.

    A route keeps its own path; the prefix is the part of the real path its pattern leaves over.
    """
    route = scope.get("route")
    template, pattern = getattr(route, "path", None), getattr(route, "path_regex", None)
    if template is None or pattern is None:
        return "<unmatched>"
    path: str = scope["path"]
    for cut in [i for i, char in enumerate(path) if char == "/"] + [len(path)]:
        if pattern.match(path[cut:]):
            return path[:cut] + str(template)
    return str(template)


class RequestLoggingMiddleware:
    """Wrap an app so that every line it logs carries `request_id`, `trace_id` and `traceparent`.

    Add it last (`app.add_middleware`) so it sits outside every other middleware you add: it
    catches what they raise, and Starlette's own error middleware never sees (or re-logs) a crash.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        incoming = headers.get(REQUEST_ID_HEADER)
        request_id = (
            incoming if incoming and is_well_formed_request_id(incoming) else new_request_id()
        )
        parent = parse_traceparent(headers.get("traceparent"))
        span = parent.child() if parent else new_traceparent()
        response_started = False
        status = 500

        async def send_with_request_id(message: Message) -> None:
            nonlocal response_started, status
            if message["type"] == "http.response.start":
                response_started, status = True, message["status"]
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, request_id)
            await send(message)

        started = time.perf_counter()
        crash: dict[str, Any] = {}
        with structlog.contextvars.bound_contextvars(
            request_id=request_id, trace_id=span.trace_id, traceparent=str(span)
        ):
            try:
                await self.app(scope, receive, send_with_request_id)
            except Exception as error:
                crash = {"error_id": uuid.uuid4().hex, "exc_info": error}
                if response_started:
                    # Too late for a 500: log once here, and let the server cut the connection.
                    self._log_line(scope, status, started, crash)
                    raise
                # The client learns that it failed and which id to quote; never why.
                response = problem_response(
                    500,
                    INTERNAL_ERROR_DETAIL,
                    slug="internal-error",
                    instance=scope.get("path"),
                    extra={"error_id": crash["error_id"]},
                )
                await response(scope, receive, send_with_request_id)
            self._log_line(scope, status, started, crash)

    @staticmethod
    def _log_line(scope: Scope, status: int, started: float, crash: dict[str, Any]) -> None:
        """The canonical line: what was asked, which route answered, how, and how long it took."""
        fields: dict[str, Any] = {
            "method": scope["method"],
            # The template (`/accounts/{account_id}`) groups requests; the path finds one.
            "route": route_template(scope),
            "path": scope["path"],
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            **crash,
        }
        # A 4xx is the client's mistake, worth a warning; only a 5xx is ours, and pages someone.
        if status >= 500 or crash:  # a crash mid-stream still says 200 in the status line
            log.error("request failed", **fields)
        elif status >= 400:
            log.warning("request rejected", **fields)
        else:
            log.info("request", **fields)
