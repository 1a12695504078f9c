"""How long may this request still take? Set a deadline once at the edge, pass on what is left of it.

The time left travels as `X-Request-Timeout-Ms` on every hop: relative, so the hosts' clocks need not
agree (gRPC sends `grpc-timeout` the same way). A service that receives none left refuses without work.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.middleware.base import RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response

from error_handling.problems import problem_response

HEADER = "X-Request-Timeout-Ms"
LONGEST_MS = 24 * 3600 * 1000  # more than a day is a bug or an attack, not a deadline
DEADLINE_PASSED = "the caller's deadline has passed; nothing was done"


def parse_timeout_ms(value: str | None) -> float | None:
    """The header as seconds, or None when absent or malformed (then the service's own timeouts rule)."""
    # isascii: str.isdigit() also accepts "²", which int() refuses.
    if value is None or not (value.isascii() and value.isdigit()) or int(value) > LONGEST_MS:
        return None
    return int(value) / 1000


@dataclass(frozen=True)
class Deadline:
    """An instant on this process's monotonic clock after which the caller no longer waits."""

    at: float
    clock: Callable[[], float] = time.monotonic

    @classmethod
    def after(cls, seconds: float, clock: Callable[[], float] = time.monotonic) -> Deadline:
        return cls(clock() + seconds, clock)

    def remaining_s(self) -> float:
        return max(0.0, self.at - self.clock())

    def header(self) -> dict[str, str]:
        """What to send on the next hop: the time left, rounded down to whole milliseconds."""
        return {HEADER: str(int(self.remaining_s() * 1000))}


async def enforce_incoming_deadline(
    request: Request, call_next: RequestResponseEndpoint
) -> Response:
    """Middleware: refuse a request whose caller has already given up, and stop when it does."""
    seconds = parse_timeout_ms(request.headers.get(HEADER))
    if seconds is None:
        return await call_next(request)
    if seconds == 0:
        return problem_response(504, DEADLINE_PASSED, slug="deadline-exceeded")
    try:
        async with asyncio.timeout(seconds):
            return await call_next(request)
    except TimeoutError:
        return problem_response(504, DEADLINE_PASSED, slug="deadline-exceeded")
