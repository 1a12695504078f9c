"""Poison, malformed and crash-looping entries go to the dead-letter stream with a reason and history."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Mapping, Sequence

import redis.asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from queue_demo import dead_letters
from queue_demo.carrier import SimulatedCarrier
from queue_demo.consumer import Consumer
from queue_demo.delivery import DeliverMessages
from queue_demo.events import Event
from queue_demo.relay import Relay
from queue_demo.retry import GaveUp
from queue_demo.settings import QueueSettings
from tests.queue_demo.conftest import create_messages, run_until, scalar

POISON = "+15005550001"
GOOD_PAYLOAD = (
    '{"message_id": "6f1c8f0e-7f6a-4a7e-9d57-2d7c61b7b7a1", "to": "+14155550100", "body": "hi"}'
)
GOOD_ID = "0b6d6f5e-3c1e-4f4e-9a43-7c1c2f3e5d10"


def consumer_for(
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
    carrier: SimulatedCarrier | None = None,
) -> Consumer:
    carrier = carrier or SimulatedCarrier(poison_numbers=frozenset({POISON}))
    return Consumer(
        redis_client, DeliverMessages(sessions, carrier, settings), name="c1", settings=settings
    )


async def test_a_poison_message_is_dead_lettered_after_the_configured_attempts_with_its_history(
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
) -> None:
    # Rule: a message whose carrier call fails every time is tried max_attempts times, then moved to
    # the dead-letter stream with every attempt's error; the other messages are unaffected.
    await create_messages(sessions, settings, 2)
    [poison_id] = await create_messages(sessions, settings, 1, to=POISON)
    consumer = consumer_for(sessions, redis_client, settings)
    relay = Relay(sessions, redis_client, settings)

    async def settled() -> bool:
        return bool(await redis_client.xlen(settings.dead_letter_stream) == 1)

    await run_until([relay.run, consumer.run], settled)

    [letter] = await dead_letters.list_dead_letters(redis_client, settings.dead_letter_stream)
    assert json.loads(letter["original"]["payload"])["message_id"] == poison_id
    assert letter["attempts"] == settings.max_attempts == 3
    assert [a["number"] for a in letter["history"]] == [1, 2, 3]
    assert {a["error"] for a in letter["history"]} == {
        f"CarrierUnavailable: carrier timed out for {POISON}"
    }
    assert (
        letter["reason"]
        == f"gave up after 3 attempt(s): CarrierUnavailable: carrier timed out for {POISON}"
    )
    assert await scalar(sessions, "SELECT count(*) FROM deliveries") == 2
    assert (await redis_client.xpending(settings.stream, settings.group))["pending"] == 0


async def test_malformed_entries_are_dead_lettered_with_a_reason_and_the_consumer_keeps_going(
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
) -> None:
    # Rule: an entry that does not parse never crashes the consumer; it is dead-lettered with why.
    stream = settings.stream
    bad = {
        "missing field(s): type, payload": {"event_id": GOOD_ID},
        "payload is not JSON: Expecting property name enclosed in double quotes at position 1": {
            "event_id": GOOD_ID, "type": "message.queued", "payload": "{oops",
        },
        "payload is not a JSON object: list": {
            "event_id": GOOD_ID, "type": "message.queued", "payload": "[1, 2]",
        },
        "event_id is not a UUID: 'forty-two'": {
            "event_id": "forty-two", "type": "message.queued", "payload": "{}",
        },
    }  # fmt: skip
    for fields in bad.values():
        await redis_client.xadd(stream, fields)  # type: ignore[arg-type]
    good = Event(GOOD_ID, "message.queued", json.loads(GOOD_PAYLOAD))
    await redis_client.xadd(stream, good.to_fields())  # type: ignore[arg-type]
    consumer = consumer_for(sessions, redis_client, settings)

    async def delivered() -> bool:
        return bool(await scalar(sessions, "SELECT count(*) FROM deliveries") == 1)

    await run_until([consumer.run], delivered)

    letters = await dead_letters.list_dead_letters(redis_client, settings.dead_letter_stream)
    assert [letter["reason"] for letter in letters] == [f"malformed: {why}" for why in bad]
    assert [letter["original"] for letter in letters] == list(bad.values())
    assert (await redis_client.xpending(stream, settings.group))["pending"] == 0


async def test_an_event_of_an_unknown_type_is_dead_lettered_not_retried(
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
) -> None:
    # Rule: the delivery handler refuses events it has no handler for, at once, naming the type.
    await redis_client.xadd(settings.stream, Event(GOOD_ID, "invoice.paid", {}).to_fields())  # type: ignore[arg-type]
    consumer = consumer_for(sessions, redis_client, settings)

    async def settled() -> bool:
        return bool(await redis_client.xlen(settings.dead_letter_stream) == 1)

    await run_until([consumer.run], settled)

    [letter] = await dead_letters.list_dead_letters(redis_client, settings.dead_letter_stream)
    assert (
        letter["reason"] == "gave up after 1 attempt(s): no handler for event type 'invoice.paid'"
    )


class AlwaysCrashes:
    """A handler that never commits, like one that takes its worker down with it every time."""

    calls = 0

    async def __call__(self, events: Sequence[Event]) -> Mapping[str, GaveUp]:
        self.calls += 1
        raise RuntimeError("boom")


async def test_an_entry_never_acknowledged_is_dead_lettered_after_max_deliveries(
    redis_client: redis.asyncio.Redis, settings: QueueSettings
) -> None:
    # Rule: the delivery counter (XPENDING) bounds redeliveries of an entry whose handling never
    # completes; past max_deliveries it is dead-lettered instead of looping forever.
    settings = settings.model_copy(update={"max_deliveries": 3})
    await redis_client.xadd(settings.stream, Event(GOOD_ID, "message.queued", {}).to_fields())  # type: ignore[arg-type]
    handler = AlwaysCrashes()
    consumer = Consumer(redis_client, handler, name="c1", settings=settings)

    async def settled() -> bool:
        return bool(await redis_client.xlen(settings.dead_letter_stream) == 1)

    await run_until([consumer.run], settled)

    [letter] = await dead_letters.list_dead_letters(redis_client, settings.dead_letter_stream)
    assert letter["reason"] == "delivered 4 times and never acknowledged"
    assert letter["deliveries"] == 4
    assert handler.calls == 3
    assert consumer.stats.handler_errors == 3


async def test_a_requeued_dead_letter_is_delivered_once_the_cause_is_fixed(
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
) -> None:
    # Rule: requeue moves the original entry back to its stream and out of the dead-letter stream.
    [poison_id] = await create_messages(sessions, settings, 1, to=POISON)
    relay = Relay(sessions, redis_client, settings)
    consumer = consumer_for(sessions, redis_client, settings)

    async def dead() -> bool:
        return bool(await redis_client.xlen(settings.dead_letter_stream) == 1)

    await run_until([relay.run, consumer.run], dead)
    [letter] = await dead_letters.list_dead_letters(redis_client, settings.dead_letter_stream)

    await dead_letters.requeue(redis_client, settings.dead_letter_stream, letter["id"])
    fixed = consumer_for(sessions, redis_client, settings, SimulatedCarrier())

    async def delivered() -> bool:
        return bool(await scalar(sessions, "SELECT count(*) FROM deliveries") == 1)

    await run_until([fixed.run], delivered)
    assert await redis_client.xlen(settings.dead_letter_stream) == 0
    assert await scalar(sessions, "SELECT message_id::text FROM deliveries") == poison_id


async def test_requeueing_an_unknown_dead_letter_says_so(
    redis_client: redis.asyncio.Redis, settings: QueueSettings
) -> None:
    # Rule: requeue of an id that is not in the dead-letter stream raises LookupError naming it.
    try:
        await dead_letters.requeue(redis_client, settings.dead_letter_stream, "1-0")
    except LookupError as error:
        assert str(error) == f"no dead letter 1-0 in {settings.dead_letter_stream}"
    else:
        raise AssertionError("requeue of an unknown id did not fail")


async def test_only_the_consumer_holding_an_entry_can_dead_letter_it(
    redis_client: redis.asyncio.Redis, settings: QueueSettings
) -> None:
    # Rule: dead_letter.lua checks ownership; a consumer whose entry was claimed away writes nothing,
    # and the holder's second try (a retry after a lost reply) writes nothing more either.
    stream = settings.stream
    await redis_client.xgroup_create(stream, settings.group, id="0", mkstream=True)
    entry_id = str(await redis_client.xadd(stream, {"event_id": "forty-two"}))
    await redis_client.xreadgroup(settings.group, "c1", {stream: ">"})
    await redis_client.xclaim(stream, settings.group, "c2", 0, [entry_id])
    writer = dead_letters.DeadLetterWriter(
        redis_client, dead_letter_stream=settings.dead_letter_stream
    )
    letter = dead_letters.DeadLetter(
        entry_id=entry_id, reason="malformed", original={"event_id": "forty-two"}
    )

    moved = [
        await writer.move([letter], stream=stream, group=settings.group, consumer=consumer)
        for consumer in ("c1", "c2", "c2")
    ]

    assert moved == [[], [entry_id], []]
    assert await redis_client.xlen(settings.dead_letter_stream) == 1
    assert (await redis_client.xpending(stream, settings.group))["pending"] == 0


class GatedCarrier(SimulatedCarrier):
    """A carrier whose calls wait until the test opens the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.entered, self.gate = asyncio.Event(), asyncio.Event()

    async def send(self, *, to: str, body: str, idempotency_key: str) -> str:
        self.entered.set()
        await self.gate.wait()
        return await super().send(to=to, body=body, idempotency_key=idempotency_key)


async def test_a_malformed_entry_is_dead_lettered_once_even_when_its_batch_outlives_the_lease(
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
) -> None:
    # Rule: exactly one dead letter per entry, whatever the timing: a malformed entry batched with a
    # slow one is dead-lettered by its reader, not also by a consumer that claims it after the lease.
    settings = settings.model_copy(update={"lease_ms": 200})
    await redis_client.xgroup_create(settings.stream, settings.group, id="0", mkstream=True)
    await redis_client.xadd(settings.stream, {"event_id": "forty-two"})
    good = Event(GOOD_ID, "message.queued", json.loads(GOOD_PAYLOAD))
    await redis_client.xadd(settings.stream, good.to_fields())  # type: ignore[arg-type]
    carrier = GatedCarrier()
    slow = Consumer(
        redis_client, DeliverMessages(sessions, carrier, settings), name="slow", settings=settings
    )
    fast = consumer_for(sessions, redis_client, settings)

    async def fast_once_slow_holds_the_batch(stop: asyncio.Event) -> None:
        await carrier.entered.wait()
        await fast.run(stop)

    async def settled() -> bool:
        # The gate opens once the entry is dead-lettered, by whichever consumer did it.
        if await redis_client.xlen(settings.dead_letter_stream):
            carrier.gate.set()
        pending = (await redis_client.xpending(settings.stream, settings.group))["pending"]
        return bool(await scalar(sessions, "SELECT count(*) FROM deliveries") == 1 and not pending)

    await run_until([slow.run, fast_once_slow_holds_the_batch], settled)

    letters = await dead_letters.list_dead_letters(redis_client, settings.dead_letter_stream)
    assert [letter["reason"] for letter in letters] == [
        "malformed: missing field(s): type, payload"
    ]


async def test_one_event_the_database_refuses_is_dead_lettered_alone_and_its_batch_mates_delivered(
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
) -> None:
    # Rule: a batch whose transaction fails on one event's data is recorded one by one; only that
    # event is dead-lettered (with the database's reason), each carrier call is made once.
    good = [
        Event(str(uuid.uuid4()), "message.queued", {"message_id": str(uuid.uuid4()), "to": "+14155550100", "body": f"hi {n}"})
        for n in range(5)
    ]  # fmt: skip
    poison = Event(str(uuid.uuid4()), "message.queued", {"message_id": "not-a-uuid", "to": "+14155550100", "body": "hi"})  # fmt: skip
    await redis_client.xgroup_create(settings.stream, settings.group, id="0", mkstream=True)
    for event in [*good[:3], poison, *good[3:]]:
        await redis_client.xadd(settings.stream, event.to_fields())  # type: ignore[arg-type]
    carrier = SimulatedCarrier()
    consumer = consumer_for(sessions, redis_client, settings, carrier)

    async def settled() -> bool:
        pending = (await redis_client.xpending(settings.stream, settings.group))["pending"]
        return bool(await redis_client.xlen(settings.dead_letter_stream) == 1 and not pending)

    await run_until([consumer.run], settled)

    delivered = await scalar(
        sessions, "SELECT array_agg(message_id ORDER BY message_id) FROM deliveries"
    )
    assert delivered == sorted(event.payload["message_id"] for event in good)
    [letter] = await dead_letters.list_dead_letters(redis_client, settings.dead_letter_stream)
    assert letter["event_id"] == poison.event_id
    assert letter["reason"].startswith("gave up after 1 attempt(s): refused by the database:")
    assert carrier.calls == 6
