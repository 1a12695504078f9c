"""How do you keep a stream from growing forever without losing work? Trim only what every group acked.

`MAXLEN ~ N` drops pending entries too; `MINID` at the oldest entry any group still needs does not.
"""

from __future__ import annotations

from typing import Any

import redis.asyncio


def _as_tuple(entry_id: str) -> tuple[int, int]:
    milliseconds, _, sequence = entry_id.partition("-")
    return int(milliseconds), int(sequence or 0)


async def oldest_needed_id(redis_client: redis.asyncio.Redis, stream: str) -> str | None:
    """The oldest entry some group has not acknowledged, or None when no group has read anything."""
    groups: Any = await redis_client.xinfo_groups(stream)
    floors = []
    for group in groups:
        # Pending entries are needed; so is everything after the last one delivered (unread).
        pending: Any = await redis_client.xpending(stream, group["name"])
        floors.append(pending["min"] or group["last-delivered-id"])
    if not floors or "0-0" in floors:
        return None
    return str(min(floors, key=_as_tuple))


async def trim_acknowledged(redis_client: redis.asyncio.Redis, stream: str) -> int:
    """Trim entries older than the oldest still-needed one (approximately: whole nodes, cheap).

    Returns how many entries were removed. No lock is needed: the floor only ever moves forward.
    """
    if not await redis_client.exists(stream):
        return 0
    floor = await oldest_needed_id(redis_client, stream)
    if floor is None:
        return 0
    return int(await redis_client.xtrim(stream, minid=floor, approximate=True))
