"""The Redis client and PostgreSQL engine a queue process runs on: the CLI's and the app's worker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import redis.asyncio
from redis.connection import HiredisRespSerializer
from redis.typing import EncodableT
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from backing_services import Settings, sqlalchemy_async_url
from backing_services.resolve import ServiceUnavailable, check_reachable


class HiredisPackedConnection(redis.asyncio.Connection):
    """redis-py's asyncio connection, packing commands in C with hiredis as its sync one does.

    redis-py 8 packs an asyncio command in Python, one argument at a time: a consumer's 500-id
    `XACK` made that 13 % of its profile (`python -m benchmarks.queue_demo_bench --profile`,
    "redis-py: packing commands"). The bytes are the same (`tests/queue_demo/test_connections.py`);
    text is sent as UTF-8, redis-py's default encoding and the only one the queue's clients use.
    """

    _packer = HiredisRespSerializer()

    def pack_command(self, *args: EncodableT) -> list[bytes]:
        # redis-py annotates each argument of `pack` as a list; it takes what `pack_command` takes.
        packed: list[bytes] = self._packer.pack(*args)  # type: ignore[arg-type]
        return packed


def stream_client(redis_url: str) -> redis.asyncio.Redis:
    """The client queue processes read, ack and publish with: decoded replies, commands packed in C."""
    return redis.asyncio.Redis.from_url(
        redis_url, decode_responses=True, connection_class=HiredisPackedConnection
    )


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
    client = stream_client(settings.redis_url)
    engine = create_async_engine(sqlalchemy_async_url(settings.database_url))
    try:
        yield Connections(client, engine, async_sessionmaker(engine, expire_on_commit=False))
    finally:
        await client.aclose()
        await engine.dispose()
