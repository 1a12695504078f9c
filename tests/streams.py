"""Read a Redis stream in tests with the types the `redis_client` fixture actually returns."""

from __future__ import annotations

from typing import cast

import redis.asyncio

Entry = tuple[str, dict[str, str]]


async def stream_entries(redis_client: redis.asyncio.Redis, stream: str) -> list[Entry]:
    """Every entry of `stream`, oldest first, as (entry id, fields).

    redis-py 8 types XRANGE for any client (bytes or str, and None for the RESP "null" reply
    XRANGE never sends); the fixture decodes replies, so every id and field is a str.
    """
    entries = await redis_client.xrange(stream)
    assert entries is not None, "XRANGE always answers an array, empty for a missing stream"
    return cast(list[Entry], entries)
