"""How does a worker keep the request's ids? It binds the ids each message carries before it logs.

A minimal consumer of the demo's Redis stream; `queue_demo` has the full one.
"""

from __future__ import annotations

from typing import cast

import redis.asyncio
import structlog

from error_handling.correlation import bound_correlation
from error_handling.demo_app import MESSAGES, STREAM

Batches = list[tuple[str, list[tuple[str, dict[str, str]]]]]
log = structlog.get_logger("error_handling.worker")


async def deliver_pending(client: redis.asyncio.Redis, after: str = "0", count: int = 100) -> str:
    """Deliver the messages queued after stream id `after`; return the id to continue from."""
    # With decode_responses=True (RESP2): [(stream, [(entry_id, {field: value}), …])].
    batches = cast(Batches, await client.xread({STREAM: after}, count=count))
    for _stream, entries in batches:
        for entry_id, fields in entries:
            with bound_correlation(fields):
                log.info("delivering message", message_id=fields["message_id"])
                await client.hset(MESSAGES + fields["message_id"], "status", "delivered")
                log.info("message delivered", message_id=fields["message_id"])
            after = entry_id
    return str(after)
