"""Where do messages that cannot be processed go? To a dead-letter stream, with why and every attempt.

Moving there is atomic with the XACK (one Lua script); requeueing is atomic too (MULTI/EXEC).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from importlib.resources import files
from typing import Any

import redis.asyncio

from queue_demo.retry import Attempt

DEAD_LETTER_LUA = files("queue_demo").joinpath("dead_letter.lua").read_text()


@dataclass(frozen=True)
class DeadLetter:
    """Why an entry is given up on; `original` is its fields as read, so it can be requeued."""

    entry_id: str
    reason: str
    original: Mapping[str, str]
    history: Sequence[Attempt] = field(default_factory=list)
    deliveries: int = 1
    # Set for entries that parsed: a second copy of the same event is acked, not dead-lettered again.
    # Empty for malformed entries, whose event_id field cannot be trusted.
    event_id: str = ""


def dead_event_ids_key(dead_letter_stream: str) -> str:
    return f"{dead_letter_stream}:event_ids"


class DeadLetterWriter:
    def __init__(self, redis_client: redis.asyncio.Redis, *, dead_letter_stream: str) -> None:
        self.redis = redis_client
        self.dead_letter_stream = dead_letter_stream
        self.script = redis_client.register_script(DEAD_LETTER_LUA)

    async def move(
        self, letters: Sequence[DeadLetter], *, stream: str, group: str, consumer: str
    ) -> list[str]:
        """Dead-letter and acknowledge each entry this consumer still holds; one round trip.

        Returns the ids of the entries it let go of (written, or acked as a duplicate); an entry
        another consumer has claimed in the meantime is left to that consumer.
        """
        if not letters:
            return []
        keys = [stream, self.dead_letter_stream, dead_event_ids_key(self.dead_letter_stream)]
        pipe = self.redis.pipeline(transaction=False)
        for letter in letters:
            history = [asdict(attempt) for attempt in letter.history]
            args: list[str | int] = [
                group,
                letter.entry_id,
                letter.event_id,
                letter.reason,
                json.dumps(history),
                json.dumps(dict(letter.original)),
                consumer,
                letter.deliveries,
            ]
            await self.script(keys=keys, args=args, client=pipe)
        replies = await pipe.execute()
        return [letter.entry_id for letter, reply in zip(letters, replies, strict=True) if reply]


async def list_dead_letters(
    redis_client: redis.asyncio.Redis, dead_letter_stream: str, *, count: int = 100
) -> list[dict[str, Any]]:
    """The oldest `count` dead letters, each as {id, reason, event_id, deliveries, attempts, ...}."""
    entries: Any = await redis_client.xrange(dead_letter_stream, count=count)
    return [_describe(entry_id, fields) for entry_id, fields in entries]


async def show_dead_letter(
    redis_client: redis.asyncio.Redis, dead_letter_stream: str, dead_id: str
) -> dict[str, Any] | None:
    entries: Any = await redis_client.xrange(dead_letter_stream, dead_id, dead_id)
    return _describe(*entries[0]) if entries else None


def _describe(entry_id: str, fields: Mapping[str, str]) -> dict[str, Any]:
    history = json.loads(fields.get("history", "[]"))
    return {
        "id": entry_id,
        "event_id": fields.get("event_id", ""),
        "reason": fields.get("reason", ""),
        "deliveries": int(fields.get("deliveries", "0")),
        "attempts": len(history),
        "history": history,
        "source_stream": fields.get("source_stream", ""),
        "original": json.loads(fields.get("original", "{}")),
        "dead_lettered_at": int(entry_id.split("-")[0]) / 1000 if "-" in entry_id else time.time(),
    }


async def requeue(redis_client: redis.asyncio.Redis, dead_letter_stream: str, dead_id: str) -> str:
    """Put a dead letter's original fields back on its source stream and delete it; return the new id.

    Raises LookupError when there is no such dead letter.
    """
    letter = await show_dead_letter(redis_client, dead_letter_stream, dead_id)
    if letter is None:
        raise LookupError(f"no dead letter {dead_id} in {dead_letter_stream}")
    pipe = redis_client.pipeline(transaction=True)
    pipe.xadd(letter["source_stream"], letter["original"])
    pipe.xdel(dead_letter_stream, dead_id)
    if letter["event_id"]:
        pipe.srem(dead_event_ids_key(dead_letter_stream), letter["event_id"])
    new_id, *_ = await pipe.execute()
    return str(new_id)
