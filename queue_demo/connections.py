"""The Redis client and PostgreSQL engine a queue process runs on: the CLI's and the app's worker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import redis.asyncio
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from backing_services import Settings, sqlalchemy_async_url
from backing_services.resolve import ServiceUnavailable, check_reachable


@dataclass(frozen=True)
class Connections:
    redis: redis.asyncio.Redis
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]


@asynccontextmanager
async def connected(settings: Settings, who: str) -> AsyncIterator[Connections]:
    """Redis and PostgreSQL from backing_services' settings, or SystemExit with one line from `who`."""
    if settings.redis_url is None or settings.database_url is None:
        raise SystemExit(f"{who} needs REDIS_URL and DATABASE_URL set to running servers")
    try:
        check_reachable("Redis", settings.redis_url, settings.service_connect_timeout_s)
        check_reachable("PostgreSQL", settings.database_url, settings.service_connect_timeout_s)
    except ServiceUnavailable as error:
        raise SystemExit(f"{who}: {error}") from None
    client = redis.asyncio.Redis.from_url(settings.redis_url, decode_responses=True)
    engine = create_async_engine(sqlalchemy_async_url(settings.database_url))
    try:
        yield Connections(client, engine, async_sessionmaker(engine, expire_on_commit=False))
    finally:
        await client.aclose()
        await engine.dispose()
