"""How do you keep a stream from growing forever without losing work? Trim only what every group acked.

`MAXLEN ~ N` drops pending entries too; `MINID` at the oldest entry any group still needs does not.
Redis 8.2 can do this itself (`XTRIM ... ACKED`); `trim.lua` does it on any Redis 7.
"""

from __future__ import annotations

from importlib.resources import files

import redis.asyncio

TRIM_LUA = files("queue_demo").joinpath("trim.lua").read_text()


async def trim_acknowledged(redis_client: redis.asyncio.Redis, stream: str) -> int:
    """Trim entries older than the oldest still-needed one (approximately: whole nodes, cheap).

    Returns how many entries were removed. The floor and the trim run in one script, so a group
    created or read while it runs cannot lose pending entries: no lock, and no race.
    """
    script = redis_client.register_script(TRIM_LUA)
    return int(await script(keys=[stream]))
