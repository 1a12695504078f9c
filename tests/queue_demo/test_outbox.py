"""The producer: a message and its outbox row commit together or not at all; bad input is refused by field."""

from __future__ import annotations

import pytest
import redis.asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from queue_demo.carrier import SimulatedCarrier
from queue_demo.consumer import Consumer
from queue_demo.delivery import DeliverMessages
from queue_demo.outbox import InvalidMessage, NewMessage, create_message
from queue_demo.relay import Relay
from queue_demo.settings import QueueSettings
from tests.queue_demo.conftest import create_messages, run_until, scalar


async def test_a_rolled_back_message_leaves_no_outbox_row_and_publishes_nothing(
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
) -> None:
    # Rule: the event exists only if the message does: both rows share one transaction.
    async with sessions() as session, session.begin():
        await create_message(session, NewMessage("+14155550100", "hi"), settings=settings)
        await session.rollback()

    published = await Relay(sessions, redis_client, settings).publish_batch()

    assert published == 0
    assert await scalar(sessions, "SELECT count(*) FROM messages") == 0
    assert await scalar(sessions, "SELECT count(*) FROM outbox") == 0


async def test_an_outbox_published_twice_still_delivers_each_message_once(
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
) -> None:
    # Rule: a relay that crashed between XADD and marking the rows publishes them again; the
    # stream then holds every event twice, and the inbox keeps the effect to one.
    await create_messages(sessions, settings, 10)
    relay = Relay(sessions, redis_client, settings)
    await relay.publish_batch()
    async with sessions.begin() as session:
        await session.execute(text("UPDATE outbox SET published_at = NULL"))
    await relay.publish_batch()
    assert await redis_client.xlen(settings.stream) == 20
    handler = DeliverMessages(sessions, SimulatedCarrier(), settings)
    consumer = Consumer(redis_client, handler, name="c1", settings=settings)

    async def drained() -> bool:
        if consumer.stats.acked < 20:
            return False
        pending: int = (await redis_client.xpending(settings.stream, settings.group))["pending"]
        return pending == 0

    await run_until([consumer.run], drained)

    assert await scalar(sessions, "SELECT count(*) FROM deliveries") == 10
    assert await scalar(sessions, "SELECT count(DISTINCT message_id) FROM deliveries") == 10


@pytest.mark.parametrize(
    ("message", "field", "problem"),
    [
        (NewMessage("4155550100", "hi"), "to", "must be an E.164 number like +14155550100"),
        (NewMessage("+14155550100", "   "), "body", "must be 1 to 1600 characters"),
        (NewMessage("+14155550100", "x" * 1601), "body", "must be 1 to 1600 characters"),
        (NewMessage("+14155550100", "hi", "ftp://x"), "callback_url", "must be an http(s) URL"),
    ],
)
async def test_an_invalid_message_is_refused_naming_the_field_and_nothing_is_written(
    sessions: async_sessionmaker[AsyncSession],
    settings: QueueSettings,
    message: NewMessage,
    field: str,
    problem: str,
) -> None:
    # Rule: each invalid field is named with what it must be; no row is written.
    with pytest.raises(InvalidMessage) as refused:
        async with sessions.begin() as session:
            await create_message(session, message, settings=settings)

    assert refused.value.errors == [{"field": field, "message": problem}]
    assert await scalar(sessions, "SELECT count(*) FROM outbox") == 0
