"""The meter's scripts on real Redis: slots one interval apart per sender, parking atomic with the XACK,
leases that return a claimed member, and a parked message given up on becomes a dead letter."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import redis.asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from queue_demo.events import Event, parse_entry
from queue_demo.metering import Meter, MeteredDelivery, MeterSettings, parked_member
from queue_demo.retry import Attempt, GaveUp
from queue_demo.settings import QueueSettings
from tests.queue_demo.conftest import wait_for

PER_SECOND = 4.0  # 250 ms apart: far longer than the test takes between reservations


async def read_events(
    redis_client: redis.asyncio.Redis, settings: QueueSettings, senders: list[str]
) -> list[Event]:
    """Publish one message.queued event per sender in `senders` and read them as the group would."""
    await redis_client.xgroup_create(settings.stream, settings.group, id="0", mkstream=True)
    for n, sender in enumerate(senders):
        event = Event(
            event_id=str(uuid.uuid4()),
            type="message.queued",
            payload={"message_id": f"m{n}", "from": sender, "to": "+15558675310", "body": f"{n}"},
        )
        await redis_client.xadd(settings.stream, event.to_fields())  # type: ignore[arg-type]
    # redis-py's stubs cover bytes and RESP3 replies; with decode_responses this is the shape.
    reply: Any = await redis_client.xreadgroup(settings.group, "c1", {settings.stream: ">"})
    return [parse_entry(entry_id, fields) for entry_id, fields in reply[0][1]]


async def test_one_senders_burst_gets_slots_one_interval_apart_and_only_the_first_stays_pending(
    redis_client: redis.asyncio.Redis, settings: QueueSettings
) -> None:
    # Rule: the first leaves now; the rest are parked at +1, +2 intervals and acked in the same script.
    meter = Meter(redis_client, settings, MeterSettings(sender_per_second=PER_SECOND))
    events = await read_events(redis_client, settings, ["+1A", "+1A", "+1A"])

    due = await meter.admit(events)

    assert [event.entry_id for event in due] == [events[0].entry_id]
    parked: Any = await redis_client.zrange(meter.parked_key, 0, -1, withscores=True)
    scores = [score for _, score in parked]
    assert scores[1] - scores[0] == meter.interval_us == 250_000
    pending = await redis_client.xpending(settings.stream, settings.group)
    assert pending["pending"] == 1


async def test_another_sender_is_due_at_once_while_the_first_one_is_parked(
    redis_client: redis.asyncio.Redis, settings: QueueSettings
) -> None:
    # Rule: one schedule per sending number; a busy number's backlog is not another number's wait.
    meter = Meter(redis_client, settings, MeterSettings(sender_per_second=PER_SECOND))
    events = await read_events(redis_client, settings, ["+1A", "+1A", "+1A", "+1B"])

    due = await meter.admit(events)

    assert {event.payload["from"] for event in due} == {"+1A", "+1B"}
    assert await redis_client.zcard(meter.parked_key) == 2


async def test_a_claimed_member_is_leased_and_is_not_claimed_again_before_its_lease_ends(
    redis_client: redis.asyncio.Redis, settings: QueueSettings
) -> None:
    # Rule: claiming moves the score to the lease's end; a second claim finds nothing due.
    meter = Meter(redis_client, settings, MeterSettings(sender_per_second=PER_SECOND))
    event = (await read_events(redis_client, settings, ["+1A"]))[0]
    await redis_client.zadd(meter.parked_key, {parked_member(event): 0})  # due long ago

    claimed, _ = await meter.claim_due()
    again, wait_s = await meter.claim_due()

    assert [parked.event.event_id for parked in claimed] == [event.event_id]
    assert again == []
    assert 0 < wait_s <= settings.lease_ms / 1000


async def test_a_backlog_that_fell_due_while_no_worker_ran_still_leaves_one_interval_apart(
    redis_client: redis.asyncio.Redis, settings: QueueSettings
) -> None:
    # Rule: slots in the past are not a licence to flood: one claim per sender per interval, and
    # the rest move to the next free slots, in their order.
    meter = Meter(redis_client, settings, MeterSettings(sender_per_second=PER_SECOND))
    events = await read_events(redis_client, settings, ["+1A", "+1A", "+1A", "+1B"])
    await redis_client.zadd(meter.parked_key, {parked_member(e): n for n, e in enumerate(events)})

    claimed, _ = await meter.claim_due()

    assert [p.event.payload["from"] for p in claimed] == ["+1A", "+1B"]
    rest: Any = await redis_client.zrange(meter.parked_key, 0, -1, withscores=True)
    later = {json.loads(member)["entry_id"]: score for member, score in rest}
    second, third = later[events[1].entry_id], later[events[2].entry_id]
    assert third - second == meter.interval_us
    again, _ = await meter.claim_due()
    assert again == []


async def test_a_parked_message_given_up_on_becomes_one_dead_letter_and_leaves_the_parking_lot(
    redis_client: redis.asyncio.Redis, settings: QueueSettings
) -> None:
    # Rule: a send that gives up is written to the dead-letter stream with its history, atomically
    # with removing the member.
    meter = Meter(redis_client, settings, MeterSettings(sender_per_second=PER_SECOND))
    event = (await read_events(redis_client, settings, ["+1A"]))[0]
    await redis_client.zadd(meter.parked_key, {parked_member(event): 0})
    claimed, _ = await meter.claim_due()

    await meter.finish(claimed, {event.entry_id: GaveUp([Attempt(1, "carrier timed out", 0.0)])})

    letters: Any = await redis_client.xrange(settings.dead_letter_stream)
    assert [fields["event_id"] for _, fields in letters] == [event.event_id]
    assert letters[0][1]["reason"] == "gave up after 1 attempt(s): carrier timed out"
    assert await redis_client.zcard(meter.parked_key) == 0


class HeldSend:
    """A delivery handler that holds its batch until the test lets go, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.started, self.release = asyncio.Event(), asyncio.Event()

    async def __call__(self, events: Sequence[Event]) -> Mapping[str, GaveUp]:
        self.calls += 1
        self.started.set()
        await self.release.wait()
        return {}


async def test_a_send_slower_than_its_lease_keeps_its_members_and_is_not_sent_twice(
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    # Rule: while a claimed batch is still being sent, its leases are extended; nobody reclaims it.
    short = settings.model_copy(update={"lease_ms": 300})
    meter = Meter(redis_client, short, MeterSettings(sender_per_second=PER_SECOND))
    event = (await read_events(redis_client, short, ["+1A"]))[0]
    await redis_client.zadd(meter.parked_key, {parked_member(event): 0})
    held, stop = HeldSend(), asyncio.Event()
    scheduler = asyncio.create_task(MeteredDelivery(held, meter, sessions).run_scheduler(stop))
    await asyncio.wait_for(held.started.wait(), 10)
    start = await redis_client.time()

    # Time itself is under test: Redis' clock (the one the scripts read) must run past three leases.
    async def three_leases_passed() -> bool:
        now = await redis_client.time()
        return (now[0] - start[0]) + (now[1] - start[1]) / 1e6 > 0.9

    await wait_for("three leases passed on Redis' clock", three_leases_passed, timeout_s=10)
    stolen, _ = await Meter(redis_client, short, MeterSettings()).claim_due()
    held.release.set()

    async def sent() -> bool:
        return bool(await redis_client.zcard(meter.parked_key) == 0)

    await wait_for("the sent member removed from the parking lot", sent, timeout_s=10)
    stop.set()
    await scheduler
    assert stolen == []
    assert held.calls == 1
