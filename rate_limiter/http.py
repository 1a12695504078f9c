"""Rate limits on FastAPI routes: a dependency that decides, a middleware that sets the headers.

Callers are keyed by authenticated identity, else by client IP; Redis trouble follows a policy.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import structlog
from fastapi import Depends, Request
from redis.exceptions import RedisError
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from error_handling.problems import RateLimited, UpstreamUnavailable
from rate_limiter.decision import binding
from rate_limiter.headers import rate_limit_headers, retry_after_field
from rate_limiter.redis_token_bucket import RedisTokenBucket
from rate_limiter.settings import RateLimiterSettings

log = structlog.get_logger("rate_limiter")

FailurePolicy = Literal["open", "closed"]
STATE_KEY = "rate_limit_headers"
STORE_UNAVAILABLE = "The rate limiter cannot reach its store; try again shortly."


@dataclass
class FailureCounts:
    """How often Redis did not answer, by what was done about it (export these as metrics)."""

    allowed: int = 0  # fail-open: the request went through unlimited
    refused: int = 0  # fail-closed: the request got a 503


async def anonymous() -> str | None:
    return None


def rate_limit(
    bucket: RedisTokenBucket,
    *,
    identity: Callable[..., Awaitable[str | None]] = anonymous,
    cost: float = 1,
    on_redis_error: FailurePolicy = "open",
    counts: FailureCounts | None = None,
    settings: RateLimiterSettings | None = None,
) -> Callable[..., Awaitable[None]]:
    """A dependency enforcing `bucket`: `@app.get("/", dependencies=[Depends(rate_limit(b))])`.

    `identity` is any FastAPI dependency naming the authenticated caller (None: anonymous,
    keyed by IP). `on_redis_error="open"` admits and counts when Redis fails; "closed" answers 503.
    """
    settings = settings or RateLimiterSettings()
    counts = counts if counts is not None else FailureCounts()

    # No `from __future__ import annotations` in this module: FastAPI must see this signature's
    # `Depends(identity)` as an object, and `identity` is local to this call.
    async def enforce_rate_limit(
        request: Request, subject: Annotated[str | None, Depends(identity)]
    ) -> None:
        key = f"user:{subject}" if subject else f"ip:{client_ip(request, settings)}"
        try:
            decisions = await bucket.acquire_all(key, cost)
        except (RedisError, OSError) as error:
            if on_redis_error == "closed":
                counts.refused += 1
                log.warning("rate limiter store failed; refusing", error=repr(error))
                raise UpstreamUnavailable(STORE_UNAVAILABLE, headers={"Retry-After": "1"}) from None
            counts.allowed += 1
            log.warning("rate limiter store failed; allowing", error=repr(error))
            return
        headers = rate_limit_headers(bucket.policies, decisions, legacy=settings.legacy_headers)
        # The middleware copies these onto whatever response the route produces.
        setattr(request.state, STATE_KEY, headers)
        if not all(decision.allowed for decision in decisions):
            retry_after = retry_after_field(decisions)
            raise RateLimited(
                f"Rate limit {binding(decisions).policy!r} exceeded; retry after {retry_after} s.",
                headers={**headers, "Retry-After": retry_after},
            )

    return enforce_rate_limit


def client_ip(request: Request, settings: RateLimiterSettings) -> str:
    hops = settings.trusted_proxy_hops
    if hops:
        # Our N proxies appended exactly the last N entries, the first of them the client's
        # address; read from the right, skip our N - 1 inner hops. Fewer entries than that means
        # the request did not come through our proxies, and the header proves nothing.
        entries = request.headers.get("x-forwarded-for", "").split(",")
        if len(entries) >= hops and (client := entries[-hops].strip()):
            return client
    return request.client.host if request.client else "unknown"


class RateLimitHeadersMiddleware:
    """Adds the rate-limit fields a route's dependency decided to every response, 2xx or 4xx."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                decided: dict[str, Any] = scope.get("state", {}).get(STATE_KEY, {})
                headers = MutableHeaders(scope=message)
                for name, value in decided.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
