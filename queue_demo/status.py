"""Is the queue keeping up? Length, lag, pending and dead letters, from XINFO GROUPS and XLEN."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis.asyncio


@dataclass(frozen=True)
class GroupStatus:
    stream: str
    group: str
    length: int
    consumers: int
    # Entries added but not yet delivered to this group (Redis 7 computes it; None if it cannot).
    lag: int | None
    # Delivered but not yet acknowledged: in flight, or orphaned by a crash until claimed.
    pending: int


async def group_statuses(
    redis_client: redis.asyncio.Redis, streams: list[str]
) -> list[GroupStatus]:
    statuses = []
    for stream in streams:
        if not await redis_client.exists(stream):
            continue
        length = int(await redis_client.xlen(stream))
        groups: Any = await redis_client.xinfo_groups(stream)
        for group in groups:
            statuses.append(
                GroupStatus(
                    stream=stream,
                    group=group["name"],
                    length=length,
                    consumers=int(group["consumers"]),
                    lag=group.get("lag"),
                    pending=int(group["pending"]),
                )
            )
    return statuses
