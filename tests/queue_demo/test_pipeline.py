"""The happy path end to end: outbox → relay → stream → consumer → one delivery per message."""

from __future__ import annotations

import uuid

import redis.asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from queue_demo.carrier import SimulatedCarrier
from queue_demo.consumer import Consumer
from queue_demo.delivery import DeliverMessages
from queue_demo.events import Event
from queue_demo.relay import Relay
from queue_demo.settings import QueueSettings
from tests.queue_demo.conftest import create_messages, run_until, scalar


async def test_every_created_message_is_delivered_once_and_nothing_stays_pending(
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
) -> None:
    # Rule: a message committed with its outbox row is published, delivered once, and acknowledged.
    ids = await create_messages(sessions, settings, 50)
    relay = Relay(sessions, redis_client, settings)
    handler = DeliverMessages(sessions, SimulatedCarrier(), settings, consumer="c1")
    consumer = Consumer(redis_client, handler, name="c1", settings=settings)

    async def all_delivered() -> bool:
        return bool(await scalar(sessions, "SELECT count(*) FROM deliveries") == len(ids))

    await run_until([relay.run, consumer.run], all_delivered)

    assert await scalar(sessions, "SELECT count(DISTINCT message_id) FROM deliveries") == 50
    assert await scalar(sessions, "SELECT count(*) FROM messages WHERE status = 'delivered'") == 50
    assert await scalar(sessions, "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
    assert (await redis_client.xpending(settings.stream, settings.group))["pending"] == 0


async def test_an_event_with_fields_this_version_does_not_know_is_still_delivered(
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
) -> None:
    # Rule (schema evolution): readers ignore fields they do not know, on the entry and in the
    # payload, so a producer can add a field before every consumer is upgraded.
    event = Event(
        str(uuid.uuid4()),
        "message.queued",
        {"message_id": str(uuid.uuid4()), "to": "+14155550100", "body": "hi", "priority": "high"},
    )
    await redis_client.xadd(settings.stream, {**event.to_fields(), "schema": "2"})  # type: ignore[arg-type]
    handler = DeliverMessages(sessions, SimulatedCarrier(), settings, consumer="c1")
    consumer = Consumer(redis_client, handler, name="c1", settings=settings)

    async def delivered() -> bool:
        return bool(await scalar(sessions, "SELECT count(*) FROM deliveries") == 1)

    await run_until([consumer.run], delivered)

    assert await redis_client.xlen(settings.dead_letter_stream) == 0
