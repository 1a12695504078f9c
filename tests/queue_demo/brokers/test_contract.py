"""The Redis consumer's contract, proven on real RabbitMQ and NATS JetStream (each test runs on both)."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Mapping, Sequence

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from queue_demo.carrier import SimulatedCarrier
from queue_demo.delivery import DeliverMessages
from queue_demo.events import Event
from queue_demo.relay import Relay
from queue_demo.retry import GaveUp
from queue_demo.settings import QueueSettings
from tests.queue_demo.brokers.conftest import Harness
from tests.queue_demo.conftest import create_messages, run_until, scalar, wait_for
from tests.queue_demo.processes import Fleet

POISON_NUMBER = "+15005550001"


async def publish_all(
    sessions: async_sessionmaker[AsyncSession], broker: Harness, settings: QueueSettings
) -> None:
    relay = Relay(sessions, None, settings, publisher=broker.publisher())
    while await relay.publish_batch():
        pass


async def delivered(sessions: async_sessionmaker[AsyncSession]) -> int:
    return int(await scalar(sessions, "SELECT count(DISTINCT message_id) FROM deliveries"))


async def duplicates(sessions: async_sessionmaker[AsyncSession]) -> int:
    return int(
        await scalar(
            sessions,
            "SELECT count(*) FROM (SELECT message_id FROM deliveries GROUP BY message_id"
            " HAVING count(*) > 1) AS d",
        )
    )


async def test_every_event_is_applied_exactly_once_even_when_the_relay_publishes_it_twice(
    broker: Harness, sessions: async_sessionmaker[AsyncSession], broker_settings: QueueSettings
) -> None:
    # Rule: at-least-once publishing (a relay that crashed before marking the outbox publishes the
    # batch again) plus the inbox is one effect per event, and every message is acked in the end.
    ids = await create_messages(sessions, broker_settings, 60)
    await publish_all(sessions, broker, broker_settings)
    async with sessions.begin() as session:
        await session.execute(text("UPDATE outbox SET published_at = NULL"))
    await publish_all(sessions, broker, broker_settings)
    handler = DeliverMessages(sessions, SimulatedCarrier(), broker_settings, consumer="c1")
    consumer = broker.consumer(handler, broker_settings)

    async def finished() -> bool:
        return await delivered(sessions) == len(ids) and await broker.unfinished() == 0

    await run_until([consumer.run], finished)

    assert await duplicates(sessions) == 0
    assert await broker.dead_letters() == []


async def test_after_every_ack_rabbitmq_keeps_nothing_and_jetstream_keeps_all_for_replay(
    broker: Harness, sessions: async_sessionmaker[AsyncSession], broker_settings: QueueSettings
) -> None:
    # Rule (retention and replay): a queue deletes what is acked; a stream keeps it, and a new
    # durable consumer reads it all again from the start.
    ids = await create_messages(sessions, broker_settings, 20)
    await publish_all(sessions, broker, broker_settings)
    handler = DeliverMessages(sessions, SimulatedCarrier(), broker_settings, consumer="c1")

    async def finished() -> bool:
        return await delivered(sessions) == len(ids) and await broker.unfinished() == 0

    await run_until([broker.consumer(handler, broker_settings).run], finished)
    assert await broker.stored() == {"rabbitmq": 0, "nats": len(ids)}[broker.name]
    if broker.name == "nats":
        replayed: set[str] = set()

        async def record(events: Sequence[Event]) -> Mapping[str, GaveUp]:
            replayed.update(event.payload["message_id"] for event in events)
            return {}

        async def all_replayed() -> bool:
            return len(replayed) == len(ids)

        replayer = broker.consumer(record, broker_settings.model_copy(update={"group": "replay"}))
        await run_until([replayer.run], all_replayed)
        assert replayed == set(ids)


class CrashesOn:
    """A handler that raises whenever its batch holds one given message: a crash-looping message."""

    def __init__(self, inner: DeliverMessages, message_id: str) -> None:
        self.inner = inner
        self.message_id = message_id
        self.calls = 0

    async def __call__(self, events: Sequence[Event]) -> Mapping[str, GaveUp]:
        if any(event.payload.get("message_id") == self.message_id for event in events):
            self.calls += 1
            raise RuntimeError("this message crashes its handler")
        return await self.inner(events)


async def test_a_message_that_always_fails_is_dead_lettered_after_max_deliveries_and_nothing_is_lost(
    broker: Harness, sessions: async_sessionmaker[AsyncSession], broker_settings: QueueSettings
) -> None:
    # Rule: a message whose handling always fails is delivered max_deliveries times, then moved to
    # the dead letters whole; its neighbours are each applied once. Batches of one, so the poison
    # does not drag batch-mates through its retries.
    settings = broker_settings.model_copy(update={"batch_size": 1})
    ids = await create_messages(sessions, settings, 10)
    [poison] = await create_messages(sessions, settings, 1)
    await publish_all(sessions, broker, settings)
    inner = DeliverMessages(sessions, SimulatedCarrier(), settings, consumer="c1")
    handler = CrashesOn(inner, poison)
    consumer = broker.consumer(handler, settings)

    async def finished() -> bool:
        return (
            await delivered(sessions) == len(ids)
            and await broker.unfinished() == 0
            and len(await broker.dead_letters()) == 1
        )

    await run_until([consumer.run], finished)

    [letter] = await broker.dead_letters()
    assert json.loads(letter.event["payload"])["message_id"] == poison
    assert handler.calls == settings.max_deliveries
    assert await duplicates(sessions) == 0


async def test_a_message_the_handler_gives_up_on_is_dead_lettered_at_once_with_a_reason(
    broker: Harness, sessions: async_sessionmaker[AsyncSession], broker_settings: QueueSettings
) -> None:
    # Rule: a permanent failure (the carrier refuses the number) is not retried by redelivery.
    ids = await create_messages(sessions, broker_settings, 5)
    [poison] = await create_messages(sessions, broker_settings, 1, to=POISON_NUMBER)
    await publish_all(sessions, broker, broker_settings)
    carrier = SimulatedCarrier(poison_numbers=frozenset({POISON_NUMBER}))
    handler = DeliverMessages(sessions, carrier, broker_settings, consumer="c1")

    async def finished() -> bool:
        return (
            await delivered(sessions) == len(ids)
            and await broker.unfinished() == 0
            and len(await broker.dead_letters()) == 1
        )

    await run_until([broker.consumer(handler, broker_settings).run], finished)

    [letter] = await broker.dead_letters()
    assert json.loads(letter.event["payload"])["message_id"] == poison
    # RabbitMQ records why in its x-death header; JetStream carries the handler's reason with it.
    expected = {
        "rabbitmq": "rejected",
        "nats": f"gave up after 3 attempt(s): CarrierUnavailable: carrier timed out for {POISON_NUMBER}",
    }
    assert letter.reason == expected[broker.name]


async def test_a_body_that_is_not_an_event_is_dead_lettered_as_it_came_and_the_rest_delivered(
    broker: Harness, sessions: async_sessionmaker[AsyncSession], broker_settings: QueueSettings
) -> None:
    # Rule: a malformed message is never retried and never crashes the consumer: dead-lettered
    # byte for byte (JetStream with the reason why), while its neighbours are applied.
    ids = await create_messages(sessions, broker_settings, 3)
    await broker.publish_raw(b"not json at all")
    await publish_all(sessions, broker, broker_settings)
    handler = DeliverMessages(sessions, SimulatedCarrier(), broker_settings, consumer="c1")

    async def finished() -> bool:
        return (
            await delivered(sessions) == len(ids)
            and await broker.unfinished() == 0
            and len(await broker.dead_letters()) == 1
        )

    await run_until([broker.consumer(handler, broker_settings).run], finished)

    [letter] = await broker.dead_letters()
    assert letter.body == b"not json at all"
    expected = {"rabbitmq": "rejected", "nats": "malformed: body is not JSON"}
    assert letter.reason == expected[broker.name]


async def test_a_consumer_whose_connection_drops_fails_loudly_instead_of_idling(
    broker: Harness, sessions: async_sessionmaker[AsyncSession], broker_settings: QueueSettings
) -> None:
    # Rule: a worker that lost its broker must exit (and be restarted by its supervisor), not sit
    # alive reading nothing while its queue grows. Cut while idle: no ack to fail and reveal it.
    ids = await create_messages(sessions, broker_settings, 40)
    await publish_all(sessions, broker, broker_settings)
    handler = DeliverMessages(sessions, SimulatedCarrier(), broker_settings, consumer="c1")
    stop = asyncio.Event()
    consumer = asyncio.create_task(broker.consumer(handler, broker_settings).run(stop))

    async def idle() -> bool:
        return (
            await delivered(sessions) == len(ids) and await broker.unfinished() == 0
        ) or consumer.done()

    await wait_for("the consumer applied and acked everything", idle)
    await broker.cut()
    done, _ = await asyncio.wait({consumer}, timeout=30)  # a hang guard, not a speed claim
    stop.set()
    assert done, "the consumer kept running on a closed connection"
    assert consumer.exception() is not None


class Slow:
    """A handler that takes `seconds` per batch (slow work, not synchronisation) and counts calls."""

    def __init__(self, inner: DeliverMessages, seconds: float) -> None:
        self.inner = inner
        self.seconds = seconds
        self.calls: dict[str, int] = {}

    async def __call__(self, events: Sequence[Event]) -> Mapping[str, GaveUp]:
        for event in events:
            self.calls[event.event_id] = self.calls.get(event.event_id, 0) + 1
        await asyncio.sleep(self.seconds)  # time under test: a batch that outlasts its lease
        return await self.inner(events)


async def test_a_batch_handled_for_longer_than_the_lease_is_not_redelivered_meanwhile(
    broker: Harness, sessions: async_sessionmaker[AsyncSession], broker_settings: QueueSettings
) -> None:
    # Rule: slow is not dead. JetStream: in_progress() extends the ack wait while the batch is
    # handled; RabbitMQ: no lease at all. Each event reaches a handler once, with two consumers.
    settings = broker_settings.model_copy(update={"lease_ms": 1_500, "batch_size": 5})
    ids = await create_messages(sessions, settings, 10)
    await publish_all(sessions, broker, settings)
    inner = DeliverMessages(sessions, SimulatedCarrier(), settings, consumer="c1")
    handler = Slow(inner, seconds=settings.lease_ms * 3 / 1000)

    async def finished() -> bool:
        return await delivered(sessions) == len(ids) and await broker.unfinished() == 0

    first, second = broker.consumer(handler, settings), broker.consumer(handler, settings)
    await run_until([first.run, second.run], finished, timeout_s=60)

    assert sorted(handler.calls.values()) == [1] * len(ids)


async def test_messages_held_by_a_killed_worker_are_redelivered_and_applied_once(
    broker: Harness,
    broker_fleet: Fleet,
    sessions: async_sessionmaker[AsyncSession],
    broker_settings: QueueSettings,
) -> None:
    # Rule: a consumer SIGKILLed with a batch in hand loses nothing: RabbitMQ requeues it when the
    # connection drops, JetStream when the ack wait (the lease) runs out; the next worker applies it.
    ids = await create_messages(sessions, broker_settings, 60)
    await publish_all(sessions, broker, broker_settings)
    victim = broker_fleet.start(
        "worker", "--broker", broker.name, "--name", "w1", crash_after="mid_batch", crash_on_hit="2"
    )
    assert victim.wait(timeout=60) == -signal.SIGKILL  # died holding its second batch
    assert await delivered(sessions) < len(ids)
    broker_fleet.start("worker", "--broker", broker.name, "--name", "w2")

    async def finished() -> bool:
        return await delivered(sessions) == len(ids) and await broker.unfinished() == 0

    await wait_for("every message delivered and acked after the kill", finished)
    assert await duplicates(sessions) == 0


async def test_sigterm_finishes_and_acks_the_batch_in_hand_then_exits_cleanly(
    broker: Harness,
    broker_fleet: Fleet,
    sessions: async_sessionmaker[AsyncSession],
    broker_settings: QueueSettings,
) -> None:
    # Rule: on SIGTERM the worker reads no more, finishes its batch and acks it: after it exits,
    # every applied message is acked and every other one is still on the broker, none in limbo.
    ids = await create_messages(sessions, broker_settings, 100)
    await publish_all(sessions, broker, broker_settings)
    worker = broker_fleet.start(
        "worker", "--broker", broker.name, "--name", "w1", carrier_delay_s="0.3"
    )

    async def started() -> bool:
        return await delivered(sessions) > 0

    await wait_for("the worker applied a first batch", started)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=60) == 0
    applied = await delivered(sessions)
    assert applied < len(ids)
    assert await broker.unfinished() == len(ids) - applied


def test_the_worker_cli_names_a_broker_that_does_not_answer_in_one_line(
    broker_fleet: Fleet,
) -> None:
    # Rule: a missing broker is one line naming it and its variable, not a traceback.
    broker_fleet.env["AMQP_URL"] = "amqp://guest:guest@127.0.0.1:1/"
    process = broker_fleet.start("worker", "--broker", "rabbitmq")
    assert process.wait(timeout=60) == 1
    log = next(broker_fleet.logs.glob("worker-*.log")).read_text().strip().splitlines()
    assert log == [
        "queue_demo.brokers: RabbitMQ is not answering at 127.0.0.1:1 (AMQP_URL): Connection refused"
    ]
