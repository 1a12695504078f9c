"""How is a retried POST made safe? With an Idempotency-Key, as Stripe does it.

Same key and body: the stored response is replayed. Different body: 422. Still running: 409.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Coroutine
from typing import Any

import redis
import structlog
from fastapi import Request, Response
from fastapi.routing import APIRoute

from error_handling.idempotency_store import IdempotencyStore, StoredResponse
from error_handling.problems import BadRequest, Conflict, UpstreamUnavailable, ValidationFailed

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_WELL_FORMED_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII, as Stripe allows

MALFORMED = "Idempotency-Key must be 1 to 255 visible ASCII characters."
MISMATCH = (
    "This Idempotency-Key was used with a different request; send a new key for a new request."
)
IN_PROGRESS = "A request with this Idempotency-Key is still being processed; retry shortly."
STORE_DOWN = "Idempotency keys cannot be checked right now; retry shortly."

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
log = structlog.get_logger("error_handling.idempotency")


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What makes two requests "the same": method, path with query, and the exact body."""
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), body])).hexdigest()


async def handle_idempotently(
    request: Request, handler: Handler, store: IdempotencyStore
) -> Response:
    """Run `handler` at most once per key; replay its stored response to every retry."""
    key = request.headers.get(HEADER)
    if key is None or request.method != "POST":
        return await handler(request)
    if not _WELL_FORMED_KEY.match(key):
        raise BadRequest(MALFORMED)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    mine = fingerprint(request.method, target, await request.body())
    try:
        claim = await store.claim(key, mine)
    except (redis.RedisError, OSError) as error:
        # Running without the check could charge twice; refusing is the safe failure.
        raise UpstreamUnavailable(STORE_DOWN, headers={"Retry-After": "1"}) from error

    if claim.token is None:
        if claim.fingerprint != mine:
            raise ValidationFailed(MISMATCH)
        if claim.response is None:
            raise Conflict(IN_PROGRESS, headers={"Retry-After": "1"})
        log.info("idempotent replay", status=claim.response.status)
        stored = claim.response
        response = Response(content=stored.body, status_code=stored.status)
        response.raw_headers = [
            *[(name.encode("latin-1"), value.encode("latin-1")) for name, value in stored.headers],
            (REPLAYED_HEADER.lower().encode(), b"true"),
        ]
        return response

    try:
        response = await handler(request)
    except BaseException:
        # Nothing was returned, so nothing is stored: the client's retry runs the request again.
        await store.release(key, claim.token)
        raise
    body = getattr(response, "body", None)
    if response.status_code >= 500 or not isinstance(body, bytes):
        # A 5xx means "try again"; a streamed body cannot be replayed. Either way, let go.
        await store.release(key, claim.token)
        return response
    headers = [
        (name.decode("latin-1"), value.decode("latin-1")) for name, value in response.raw_headers
    ]
    stored = StoredResponse(response.status_code, headers, body)
    if not await store.finish(key, claim.token, stored):
        # We outran the lock TTL and another request took the key: raise the TTL if this recurs.
        log.warning("idempotency claim lapsed before the response was stored")
    return response


def idempotent_route(store: IdempotencyStore) -> type[APIRoute]:
    """A route class for the POSTs that honour Idempotency-Key: `APIRouter(route_class=...)`."""

    class IdempotentRoute(APIRoute):
        def get_route_handler(self) -> Handler:
            handler = super().get_route_handler()

            async def run_once(request: Request) -> Response:
                return await handle_idempotently(request, handler, store)

            return run_once

    return IdempotentRoute
