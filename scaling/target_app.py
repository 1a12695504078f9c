"""The app the experiments scale: CPU-bound and I/O-bound routes, and state kept two ways.

Each route's state lives either in the instance (`memory`) or in Redis (`redis`): same code, N copies.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

import redis.asyncio
from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from pydantic import BaseModel, Field
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backing_services import get_settings, sqlalchemy_async_url
from error_handling.problems import (
    NotFound,
    RateLimited,
    UpstreamUnavailable,
    ValidationFailed,
    install_problem_handlers,
)
from rate_limiter import RedisTokenBucket, TokenBucket
from scaling.cpu_work import busy_checksum
from scaling.session_store import MemorySessions, RedisSessions, SessionStore
from scaling.settings import ScalingSettings

INSTANCE_HEADER = "X-Instance"
NAME_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
MISSING_SERVICES = "the scaling target app needs REDIS_URL and DATABASE_URL (see backing_services)"


class Store(StrEnum):
    memory = "memory"
    redis = "redis"


class SessionIn(BaseModel):
    user: str = Field(min_length=1, max_length=64)


@dataclass
class Resources:
    instance: str
    settings: ScalingSettings
    redis: redis.asyncio.Redis
    engine: AsyncEngine
    buckets: dict[Store, TokenBucket | RedisTokenBucket]
    sessions: dict[Store, SessionStore]


class InstanceHeader:
    """Stamp every response with the instance that served it, so load balancing is visible."""

    def __init__(self, app: ASGIApp, instance: str) -> None:
        self.app, self.header = app, (INSTANCE_HEADER.lower().encode(), instance.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), self.header]
            await send(message)

        await self.app(scope, receive, stamped if scope["type"] == "http" else send)


def resources(request: Request) -> Resources:
    found: Resources = request.app.state.resources
    return found


Deps = Annotated[Resources, Depends(resources)]


def create_app(
    settings: ScalingSettings | None = None,
    *,
    redis_url: str | None = None,
    database_url: str | None = None,
) -> FastAPI:
    """One instance. Without arguments (uvicorn `--factory`) everything comes from the environment."""
    settings = settings or ScalingSettings()
    services = get_settings()
    redis_url, database_url = redis_url or services.redis_url, database_url or services.database_url
    if redis_url is None or database_url is None:
        raise RuntimeError(MISSING_SERVICES)
    instance = f"{settings.instance_name}/{os.getpid()}"

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_resources(instance, settings, redis_url, database_url) as opened:
            app.state.resources = opened
            yield

    app = FastAPI(title="scaling target", lifespan=lifespan)
    install_problem_handlers(app)
    app.add_middleware(InstanceHeader, instance=instance)
    app.include_router(routes)
    return app


@asynccontextmanager
async def open_resources(
    instance: str, settings: ScalingSettings, redis_url: str, database_url: str
) -> AsyncIterator[Resources]:
    """One Redis client and one pool per instance, and both kinds of bucket and session store."""
    client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    engine = create_async_engine(
        sqlalchemy_async_url(database_url),
        pool_size=settings.db_pool_size,
        max_overflow=0,
        pool_timeout=10,
    )
    capacity, rate = settings.limit_capacity, settings.limit_refill_per_second
    try:
        yield Resources(
            instance=instance,
            settings=settings,
            redis=client,
            engine=engine,
            buckets={
                Store.memory: TokenBucket(capacity, rate),
                Store.redis: RedisTokenBucket(
                    client, capacity, rate, f"{settings.key_prefix}:limit"
                ),
            },
            sessions={
                Store.memory: MemorySessions(settings.memory_sessions_max),
                Store.redis: RedisSessions(client, settings.key_prefix, settings.session_ttl_s),
            },
        )
    finally:
        await engine.dispose()
        await client.aclose()


routes = APIRouter()
SessionId = Annotated[str, Path(pattern=NAME_PATTERN)]


@routes.get("/whoami")
async def whoami(deps: Deps) -> dict[str, str]:
    return {"instance": deps.instance}


@routes.get("/cpu")
async def cpu(deps: Deps, n: Annotated[int | None, Query(ge=1)] = None) -> dict[str, Any]:
    """CPU-bound: it blocks this process's event loop, as CPU work in Python does (the GIL)."""
    n = n or deps.settings.cpu_default_n
    if n > deps.settings.cpu_max_n:
        raise ValidationFailed(f"n must be at most {deps.settings.cpu_max_n}, not {n}")
    return {"instance": deps.instance, "n": n, "checksum": busy_checksum(n)}


@routes.get("/io")
async def io(
    deps: Deps, wait_ms: Annotated[int | None, Query(ge=0, le=1_000)] = None
) -> dict[str, Any]:
    """I/O-bound: a query that waits in PostgreSQL; the process is idle, the pool is not."""
    wait_ms = deps.settings.io_default_wait_ms if wait_ms is None else wait_ms
    try:
        async with deps.engine.connect() as connection:
            await connection.execute(text("SELECT pg_sleep(:s)"), {"s": wait_ms / 1000})
    except PoolTimeout:
        raise UpstreamUnavailable("every database connection of this instance is busy") from None
    except SQLAlchemyError:
        raise UpstreamUnavailable("the database did not answer") from None
    return {"instance": deps.instance, "wait_ms": wait_ms}


@routes.post("/limited/{store}")
async def limited(
    deps: Deps, store: Store, client: Annotated[str, Query(pattern=NAME_PATTERN)]
) -> dict[str, Any]:
    """One token per call from `client`'s bucket, kept in this instance or in Redis."""
    bucket, key = deps.buckets[store], f"client:{client}"
    try:  # the in-memory bucket answers synchronously; the Redis one is a round trip
        decision = (
            bucket.acquire(key) if isinstance(bucket, TokenBucket) else await bucket.acquire(key)
        )
    except RedisError:
        raise UpstreamUnavailable("the rate limiter's Redis did not answer") from None
    if not decision.allowed:
        retry = max(1, round(decision.retry_after_s))
        raise RateLimited(
            f"client {client!r} is over its limit of {deps.settings.limit_capacity}",
            headers={"Retry-After": str(retry)},
        )
    return {"instance": deps.instance, "store": store, "remaining": decision.remaining}


@routes.put("/sessions/{store}/{session_id}")
async def save_session(
    deps: Deps, store: Store, session_id: SessionId, body: SessionIn
) -> dict[str, str]:
    try:
        await deps.sessions[store].save(session_id, body.user)
    except RedisError:
        raise UpstreamUnavailable("the session store's Redis did not answer") from None
    return {"instance": deps.instance, "session_id": session_id, "user": body.user}


@routes.get("/sessions/{store}/{session_id}")
async def load_session(deps: Deps, store: Store, session_id: SessionId) -> dict[str, str]:
    try:
        user = await deps.sessions[store].load(session_id)
    except RedisError:
        raise UpstreamUnavailable("the session store's Redis did not answer") from None
    if user is None:
        raise NotFound(f"instance {deps.instance} has no session {session_id!r} in {store}")
    return {"instance": deps.instance, "session_id": session_id, "user": user}
