"""How is a retried POST made safe? With an Idempotency-Key, as Stripe does it.

Same key and body: the stored response is replayed. Different body: 422. Still running: 409.
A key belongs to one principal and one route: it is looked up only after the request has
authenticated, so a replay needs the same credentials as the original, and another tenant's
identical key is another key.
"""

# No `from __future__ import annotations`: FastAPI reads the `Depends(owner)` below from the
# closure at run time, which string annotations would hide from it.

import hashlib
import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

import redis
import structlog
from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute

from error_handling.idempotency_store import Claim, IdempotencyStore, StoredResponse
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
ANYONE = "anyone"  # the owner when a route has no authentication (the demo)

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
Owner = Callable[..., Awaitable[str]]
log = structlog.get_logger("error_handling.idempotency")


async def no_owner() -> str:
    return ANYONE


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What makes two requests "the same": method, path with query, and the exact body."""
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), body])).hexdigest()


def scoped_key(owner: str, route: str, key: str) -> str:
    """The store's name for a client's key: one namespace per principal and route."""
    return f"{owner}:{route}:{key}"


@dataclass(frozen=True)
class _Held:
    """This request's claim on a key, kept on `request.state` from the dependency to the route."""

    key: str
    token: str


class _Replay(Exception):
    """Raised by the claim to answer with a stored response instead of running the route."""

    def __init__(self, response: Response) -> None:
        self.response = response


def _replayed(stored: StoredResponse) -> Response:
    response = Response(content=stored.body, status_code=stored.status)
    response.raw_headers = [
        *[(name.encode("latin-1"), value.encode("latin-1")) for name, value in stored.headers],
        (REPLAYED_HEADER.lower().encode(), b"true"),
    ]
    return response


def _answer_held(claim: Claim, mine: str) -> Response:
    """The key is taken: a different request is a 422, a running one a 409, a done one replays."""
    if claim.fingerprint != mine:
        raise ValidationFailed(MISMATCH)
    if claim.response is None:
        raise Conflict(IN_PROGRESS, headers={"Retry-After": "1"})
    log.info("idempotent replay", status=claim.response.status)
    return _replayed(claim.response)


def claim_dependency(store: IdempotencyStore, owner: Owner) -> Callable[..., Awaitable[None]]:
    """The dependency that claims the key. FastAPI runs it after `owner`, so after authentication."""

    async def claim_key(request: Request, who: Annotated[str, Depends(owner)]) -> None:
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST":
            return
        if not _WELL_FORMED_KEY.match(key):
            raise BadRequest(MALFORMED)
        route = getattr(request.scope.get("route"), "path_format", request.url.path)
        scoped = scoped_key(who, f"{request.method} {route}", key)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        mine = fingerprint(request.method, target, await request.body())
        try:
            claim = await store.claim(scoped, mine)
        except (redis.RedisError, OSError) as error:
            # Running without the check could charge twice; refusing is the safe failure.
            raise UpstreamUnavailable(STORE_DOWN, headers={"Retry-After": "1"}) from error
        if claim.token is None:
            raise _Replay(_answer_held(claim, mine))
        request.state.idempotency = _Held(scoped, claim.token)

    return claim_key


async def _keep(store: IdempotencyStore, held: _Held, response: Response) -> None:
    body = getattr(response, "body", None)
    if response.status_code >= 500 or not isinstance(body, bytes):
        # A 5xx means "try again"; a streamed body cannot be replayed. Either way, let go.
        await store.release(held.key, held.token)
        return
    headers = [
        (name.decode("latin-1"), value.decode("latin-1")) for name, value in response.raw_headers
    ]
    if not await store.finish(
        held.key, held.token, StoredResponse(response.status_code, headers, body)
    ):
        # We outran the lock TTL and another request took the key: raise the TTL if this recurs.
        log.warning("idempotency claim lapsed before the response was stored")


async def run_once(request: Request, handler: Handler, store: IdempotencyStore) -> Response:
    """Run `handler` (whose dependencies claim the key) and store, release or replay its answer."""
    if request.method == "POST" and HEADER.lower() in request.headers:
        await request.body()  # cached on the request, so the claim can fingerprint a form body too
    try:
        response = await handler(request)
    except _Replay as replay:
        return replay.response
    except BaseException:
        held = getattr(request.state, "idempotency", None)
        if held is not None:
            # Nothing was returned, so nothing is stored: the client's retry runs the request again.
            await store.release(held.key, held.token)
        raise
    held = getattr(request.state, "idempotency", None)
    if held is not None:
        await _keep(store, held, response)
    return response


def idempotent_route(store: IdempotencyStore, owner: Owner = no_owner) -> type[APIRoute]:
    """A route class for the POSTs that honour Idempotency-Key: `APIRouter(route_class=...)`.

    `owner` is a dependency naming the authenticated principal (an account SID): it runs before
    the key is looked at, so a request that fails authentication or authorisation never sees a
    stored response, and each principal's keys are its own.
    """
    claim = Depends(claim_dependency(store, owner))

    class IdempotentRoute(APIRoute):
        def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
            dependencies = list(kwargs.pop("dependencies", None) or [])
            if "POST" in (kwargs.get("methods") or ()) and claim not in dependencies:
                dependencies.insert(0, claim)  # first, so no rate limit is spent on a replay
            super().__init__(path, endpoint, dependencies=dependencies, **kwargs)

        def get_route_handler(self) -> Handler:
            handler = super().get_route_handler()

            async def idempotently(request: Request) -> Response:
                return await run_once(request, handler, store)

            return idempotently

    return IdempotentRoute
