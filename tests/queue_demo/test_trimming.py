"""Stream hygiene: MAXLEN ~ drops entries still pending (the trap); trimming at the oldest needed id does not."""

from __future__ import annotations

import random
from typing import Any, cast

import pytest
import redis.asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from queue_demo.relay import Relay
from queue_demo.settings import QueueSettings
from queue_demo.trim import trim_acknowledged
from tests.queue_demo.conftest import create_messages, run_until

STREAM = "trim-test"


async def fill(redis_client: redis.asyncio.Redis, count: int, groups: list[str]) -> list[str]:
    for group in groups:
        await redis_client.xgroup_create(STREAM, group, id="0", mkstream=True)
    pipe = redis_client.pipeline(transaction=False)
    for n in range(count):
        pipe.xadd(STREAM, {"n": str(n)})
    return [str(entry_id) for entry_id in await pipe.execute()]


async def read(redis_client: redis.asyncio.Redis, group: str, count: int) -> list[str]:
    reply: Any = await redis_client.xreadgroup(group, "c1", {STREAM: ">"}, count=count)
    return [entry_id for entry_id, _ in reply[0][1]] if reply else []


async def test_the_trap_maxlen_trimming_deletes_entries_that_are_still_pending(
    redis_client: redis.asyncio.Redis,
) -> None:
    # Rule (the trap): MAXLEN counts entries and ignores groups; pending entries it removes are
    # reported as deleted by XAUTOCLAIM and dropped from the PEL: those messages are lost.
    await fill(redis_client, 300, ["g"])
    delivered = await read(redis_client, "g", 300)
    await redis_client.xack(STREAM, "g", *delivered[:200])

    await redis_client.xadd(STREAM, {"n": "last"}, maxlen=1, approximate=True)

    _, claimed, deleted = await redis_client.xautoclaim(STREAM, "g", "c2", 0, count=1000)
    assert deleted == delivered[200:]
    assert claimed == []


async def test_trimming_at_the_oldest_pending_entry_keeps_every_pending_entry(
    redis_client: redis.asyncio.Redis,
) -> None:
    # Rule: trim_acknowledged removes only entries older than the oldest pending one.
    await fill(redis_client, 300, ["g"])
    delivered = await read(redis_client, "g", 300)
    await redis_client.xack(STREAM, "g", *delivered[:200])

    removed = await trim_acknowledged(redis_client, STREAM)

    assert 0 < removed <= 200
    _, claimed, deleted = await redis_client.xautoclaim(STREAM, "g", "c2", 0, count=1000)
    assert deleted == []
    assert [entry_id for entry_id, _ in claimed] == delivered[200:]


@pytest.mark.parametrize("seed", range(5))
async def test_trimming_never_drops_an_entry_some_group_has_not_acknowledged(
    redis_client: redis.asyncio.Redis, seed: int
) -> None:
    # Rule: for any mix of groups, reads and acks, every entry that is pending or not yet read by
    # some group is still in the stream after trimming.
    rng = random.Random(seed)
    groups = ["a", "b", "c"][: rng.randint(1, 3)]
    ids = await fill(redis_client, 1000, groups)
    needed: set[str] = set()
    for group in groups:
        delivered = await read(redis_client, group, rng.randint(0, 1000))
        acked = [entry_id for entry_id in delivered if rng.random() < 0.9]
        if acked:
            await redis_client.xack(STREAM, group, *acked)
        needed |= set(delivered) - set(acked)
        needed |= set(ids[len(delivered) :])

    await trim_acknowledged(redis_client, STREAM)

    remaining = {entry_id for entry_id, _ in await redis_client.xrange(STREAM)}
    assert needed <= remaining


async def test_a_stream_nobody_has_read_is_not_trimmed(redis_client: redis.asyncio.Redis) -> None:
    # Rule: a group that has read nothing needs everything; trimming removes nothing.
    await fill(redis_client, 300, ["g"])

    assert await trim_acknowledged(redis_client, STREAM) == 0
    assert await redis_client.xlen(STREAM) == 300


async def test_the_relay_trims_acknowledged_entries_as_it_runs(
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
) -> None:
    # Rule: a running relay trims, every trim_every_s, the entries every group has acknowledged.
    settings = settings.model_copy(update={"trim_every_s": 0.05, "relay_batch": 500})
    await create_messages(sessions, settings, 300)
    relay = Relay(sessions, redis_client, settings)
    await redis_client.xgroup_create(settings.stream, settings.group, id="0", mkstream=True)
    await relay.publish_batch()
    reply: Any = await redis_client.xreadgroup(settings.group, "c1", {settings.stream: ">"})
    await redis_client.xack(settings.stream, settings.group, *[i for i, _ in reply[0][1]])

    async def trimmed() -> bool:
        return relay.trimmed > 0

    await run_until([relay.run], trimmed)

    assert await redis_client.xlen(settings.stream) < 300


class AGroupArrivesBeforeTheTrim(redis.asyncio.Redis):
    """A client that, just before its trimming command reaches the server, lets another client
    create a group and read 10 entries: the interleaving a separate floor-then-XTRIM allows."""

    interloper: redis.asyncio.Redis
    arrived = False

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        if args[0] in ("XTRIM", "EVALSHA") and not self.arrived:
            self.arrived = True
            await self.interloper.xgroup_create(STREAM, "late", id="0")
            await self.interloper.xreadgroup("late", "c1", {STREAM: ">"}, count=10)
        return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]


async def test_a_group_that_reads_while_the_floor_is_computed_loses_nothing(
    redis_url: str, redis_client: redis.asyncio.Redis
) -> None:
    # Rule: the floor and the trim are one atomic step (trim.lua), so a group created and read in
    # between cannot have its pending entries trimmed away.
    await fill(redis_client, 300, ["g"])
    delivered = await read(redis_client, "g", 300)
    await redis_client.xack(STREAM, "g", *delivered[:200])
    # from_url builds the subclass (it calls cls); its annotation says only Redis.
    trimmer = cast(
        AGroupArrivesBeforeTheTrim,
        AGroupArrivesBeforeTheTrim.from_url(redis_url, decode_responses=True),
    )
    trimmer.interloper = redis_client

    try:
        await trim_acknowledged(trimmer, STREAM)
    finally:
        await trimmer.aclose()

    assert trimmer.arrived
    _, claimed, deleted = await redis_client.xautoclaim(STREAM, "late", "c2", 0, count=1000)
    assert deleted == []
    assert [entry_id for entry_id, _ in claimed] == delivered[:10]
