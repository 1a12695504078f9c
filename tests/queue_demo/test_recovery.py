"""Crash recovery: a restarted consumer drains its own pending entries; orphans are claimed after the lease;
the heartbeat keeps a slow consumer's entries from being claimed while it still works on them."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, cast

import redis.asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from queue_demo.carrier import SimulatedCarrier
from queue_demo.consumer import Consumer
from queue_demo.delivery import DeliverMessages
from queue_demo.events import Event
from queue_demo.retry import GaveUp
from queue_demo.settings import QueueSettings
from tests.queue_demo.conftest import run_until, scalar, wait_for


async def publish(redis_client: redis.asyncio.Redis, settings: QueueSettings, count: int) -> None:
    await redis_client.xgroup_create(settings.stream, settings.group, id="0", mkstream=True)
    for n in range(count):
        # One number each: a number's messages are sent one after another, these race in parallel.
        to = f"+1415555{n:04d}"
        payload = {"message_id": str(uuid.uuid4()), "to": to, "body": f"hi {n}"}
        event = Event(str(uuid.uuid4()), "message.queued", payload)
        await redis_client.xadd(settings.stream, event.to_fields())  # type: ignore[arg-type]


async def read_and_die(
    redis_client: redis.asyncio.Redis, settings: QueueSettings, name: str
) -> None:
    """What a consumer that crashes right after XREADGROUP leaves behind: entries pending under `name`."""
    await redis_client.xreadgroup(settings.group, name, {settings.stream: ">"}, count=100)


def consumer(
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
    name: str,
    carrier: SimulatedCarrier,
) -> Consumer:
    handler = DeliverMessages(sessions, carrier, settings, consumer=name)
    return Consumer(redis_client, handler, name=name, settings=settings)


async def test_a_restarted_consumer_first_delivers_what_it_had_read_before_it_crashed(
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
) -> None:
    # Rule: on start, a consumer reads its own pending entries (ID 0) before new ones (>), so a
    # restart under the same name recovers at once, without waiting for any lease.
    settings = settings.model_copy(update={"lease_ms": 60_000})
    await publish(redis_client, settings, 10)
    await read_and_die(redis_client, settings, "c1")
    restarted = consumer(sessions, redis_client, settings, "c1", SimulatedCarrier())

    async def delivered() -> bool:
        return bool(await scalar(sessions, "SELECT count(*) FROM deliveries") == 10)

    await run_until([restarted.run], delivered)

    assert restarted.stats.claimed == 0
    assert (await redis_client.xpending(settings.stream, settings.group))["pending"] == 0


async def test_entries_orphaned_by_a_dead_consumer_are_claimed_after_the_lease(
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
) -> None:
    # Rule: XAUTOCLAIM hands entries idle longer than the lease to a live consumer.
    settings = settings.model_copy(update={"lease_ms": 200})
    await publish(redis_client, settings, 10)
    await read_and_die(redis_client, settings, "ghost")
    survivor = consumer(sessions, redis_client, settings, "c2", SimulatedCarrier())

    async def delivered() -> bool:
        return bool(await scalar(sessions, "SELECT count(*) FROM deliveries") == 10)

    await run_until([survivor.run], delivered)

    assert survivor.stats.claimed == 10
    assert await scalar(sessions, "SELECT array_agg(DISTINCT consumer) FROM deliveries") == ["c2"]
    assert (await redis_client.xpending(settings.stream, settings.group))["pending"] == 0


async def race_a_slow_consumer(
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
) -> tuple[SimulatedCarrier, Consumer, SimulatedCarrier]:
    """`slow` takes 5 entries and spends 4 leases on them; `fast` starts once they are in flight."""
    await publish(redis_client, settings, 5)
    slow_carrier, fast_carrier = SimulatedCarrier(delay_s=0.8), SimulatedCarrier()
    slow = consumer(sessions, redis_client, settings, "slow", slow_carrier)
    fast = consumer(sessions, redis_client, settings, "fast", fast_carrier)
    stop = asyncio.Event()

    async def all_five_at_the_slow_carrier() -> bool:
        return slow_carrier.calls >= 5

    async def all_five_applied_and_acked() -> bool:
        applied = await scalar(sessions, "SELECT count(DISTINCT event_id) FROM deliveries")
        pending = (await redis_client.xpending(settings.stream, settings.group))["pending"]
        return bool(applied >= 5 and pending == 0)

    tasks = [asyncio.create_task(slow.run(stop))]
    try:
        await wait_for("the slow consumer's 5 carrier calls", all_five_at_the_slow_carrier)
        tasks.append(asyncio.create_task(fast.run(stop)))
        await wait_for("all 5 applied and acked", all_five_applied_and_acked)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    return slow_carrier, fast, fast_carrier


async def test_the_heartbeat_keeps_a_slow_consumers_entries_from_being_claimed(
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
) -> None:
    # Rule: while a handler runs, the heartbeat resets its entries' idle time, so a lease shorter
    # than the slowest handler still never hands live work to another consumer.
    settings = settings.model_copy(update={"lease_ms": 200, "heartbeat": True})

    slow_carrier, fast, fast_carrier = await race_a_slow_consumer(sessions, redis_client, settings)

    assert fast.stats.claimed == 0
    assert (slow_carrier.calls, fast_carrier.calls) == (5, 0)
    assert await scalar(sessions, "SELECT array_agg(DISTINCT consumer) FROM deliveries") == ["slow"]


async def test_without_the_heartbeat_a_slow_consumers_entries_are_claimed_and_still_applied_once(
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
) -> None:
    # Rule: a lease shorter than the handler means double work (two carrier calls per message),
    # but the inbox still keeps the effect to one row per message.
    settings = settings.model_copy(update={"lease_ms": 200, "heartbeat": False})

    slow_carrier, fast, fast_carrier = await race_a_slow_consumer(sessions, redis_client, settings)

    assert fast.stats.claimed == 5
    assert (slow_carrier.calls, fast_carrier.calls) == (5, 5)
    assert await scalar(sessions, "SELECT count(*) FROM deliveries") == 5
    assert await scalar(sessions, "SELECT array_agg(DISTINCT consumer) FROM deliveries") == ["fast"]


class LosesOneCancellation(redis.asyncio.Redis):
    """A client whose first script call swallows a cancel, as Python 3.11's wait_for does when the
    cancel lands just as redis-py's write completes; it waits for `release` before it is sent."""

    in_call: asyncio.Event
    release: asyncio.Event

    async def evalsha(self, sha: str, numkeys: int, *keys_and_args: Any) -> Any:
        if not self.in_call.is_set():
            self.in_call.set()
            with contextlib.suppress(asyncio.CancelledError):  # the lost cancellation
                await self.release.wait()
        return await super().evalsha(sha, numkeys, *keys_and_args)


class FinishesDuringAHeartbeat:
    """A handler that returns exactly while the heartbeat's script call is in flight."""

    def __init__(self, in_call: asyncio.Event) -> None:
        self.in_call = in_call

    async def __call__(self, events: Sequence[Event]) -> Mapping[str, GaveUp]:
        await self.in_call.wait()
        return {}


async def test_a_handler_that_finishes_during_a_heartbeat_call_still_gets_its_batch_acked(
    redis_url: str, redis_client: redis.asyncio.Redis, settings: QueueSettings
) -> None:
    # Rule: the heartbeat is stopped by asking it, with a bounded wait, so a cancellation lost inside
    # the heartbeat's Redis call cannot keep the batch from being acked or run() from returning.
    settings = settings.model_copy(update={"lease_ms": 150})
    await publish(redis_client, settings, 3)
    # from_url builds the subclass (it calls cls); its annotation says only Redis.
    client = cast(
        LosesOneCancellation, LosesOneCancellation.from_url(redis_url, decode_responses=True)
    )
    client.in_call, client.release = asyncio.Event(), asyncio.Event()
    consumer = Consumer(
        client, FinishesDuringAHeartbeat(client.in_call), name="c1", settings=settings
    )

    async def acked() -> bool:
        return consumer.stats.acked == 3

    try:
        # The bound only turns a wedge into a failure instead of a hung run.
        async with asyncio.timeout(20):
            await run_until([consumer.run], acked)
    finally:
        client.release.set()
        await client.aclose()

    assert (await redis_client.xpending(settings.stream, settings.group))["pending"] == 0
