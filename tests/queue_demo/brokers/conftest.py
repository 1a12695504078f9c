"""One harness per real broker (RabbitMQ, NATS JetStream), so each contract test runs on both.

Every test gets its own queue or stream (a uuid in the name) and deletes it afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import aio_pika
import nats
import pytest
from aio_pika.abc import AbstractConnection
from nats.aio.client import Client
from nats.js.errors import NotFoundError

from backing_services import ServiceUnavailable
from backing_services.resolve import ServiceURLs
from queue_demo.brokers.jetstream import (
    JetStreamConsumer,
    JetStreamPublisher,
    dead_letter_stream,
    ensure_stream,
    stream_name,
)
from queue_demo.brokers.rabbitmq import RabbitConsumer, RabbitPublisher, dead_letter_queue, declare
from queue_demo.consumer import Handler
from queue_demo.relay import Publisher
from queue_demo.settings import QueueSettings
from tests.queue_demo.brokers.services import BrokerURLs, resolve_brokers
from tests.queue_demo.processes import Fleet

BROKERS = ["rabbitmq", "nats"]
MAX_DELIVERIES = 5


class Runs(Protocol):
    async def run(self, stop: asyncio.Event) -> None: ...


@dataclass(frozen=True)
class DeadLetter:
    body: bytes
    reason: str

    @property
    def event(self) -> dict[str, str]:
        fields: dict[str, str] = json.loads(self.body)
        return fields


class Harness(Protocol):
    name: str

    def publisher(self) -> Publisher: ...
    def consumer(self, handler: Handler, settings: QueueSettings) -> Runs: ...
    async def prepare(self) -> None: ...
    async def publish_raw(self, body: bytes) -> None: ...
    async def dead_letters(self) -> list[DeadLetter]: ...
    async def unfinished(self) -> int: ...
    async def stored(self) -> int: ...
    async def cut(self) -> None: ...
    async def cleanup(self) -> None: ...


@dataclass
class RabbitHarness:
    connection: AbstractConnection
    settings: QueueSettings
    url: str
    name: str = "rabbitmq"

    def publisher(self) -> Publisher:
        return RabbitPublisher(self.connection, self.settings.max_deliveries)

    def consumer(self, handler: Handler, settings: QueueSettings) -> Runs:
        return RabbitConsumer(self.connection, handler, settings=settings)

    async def prepare(self) -> None:
        async with self.connection.channel() as channel:
            await declare(channel, self.settings.stream, self.settings.max_deliveries)

    async def publish_raw(self, body: bytes) -> None:
        async with self.connection.channel() as channel:
            message = aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
            await channel.default_exchange.publish(message, routing_key=self.settings.stream)

    async def dead_letters(self) -> list[DeadLetter]:
        """Everything in the dead-letter queue, left there (read unacked, returned when the channel
        closes); the reason is RabbitMQ's own, from the x-death header."""
        letters = []
        async with self.connection.channel() as channel:
            queue = await channel.get_queue(dead_letter_queue(self.settings.stream))
            while (message := await queue.get(no_ack=False, fail=False)) is not None:
                deaths: Any = (message.headers or {}).get("x-death") or [{}]
                letters.append(DeadLetter(message.body, str(deaths[0].get("reason"))))
        return letters

    async def unfinished(self) -> int:
        """Messages in the queue not yet acked (ready, plus unacked once their consumer is gone)."""
        async with self.connection.channel() as channel:
            queue = await channel.declare_queue(self.settings.stream, passive=True)
            return int(queue.declaration_result.message_count or 0)

    async def stored(self) -> int:
        """What the broker still keeps: a queue keeps only what nobody has acked."""
        return await self.unfinished()

    async def cut(self) -> None:
        """Close the connection under its consumers (as a broker restart would); reconnect for us."""
        await self.connection.close()
        self.connection = await aio_pika.connect(self.url)

    async def cleanup(self) -> None:
        async with self.connection.channel() as channel:
            for queue in (self.settings.stream, dead_letter_queue(self.settings.stream)):
                await channel.queue_delete(queue)


@dataclass
class JetStreamHarness:
    client: Client
    settings: QueueSettings
    url: str
    name: str = "nats"

    def publisher(self) -> Publisher:
        return JetStreamPublisher(self.client.jetstream())

    def consumer(self, handler: Handler, settings: QueueSettings) -> Runs:
        return JetStreamConsumer(self.client, handler, settings=settings)

    async def prepare(self) -> None:
        await ensure_stream(self.client.jetstream(), stream_name(self.settings.stream))

    async def publish_raw(self, body: bytes) -> None:
        await self.client.jetstream().publish(stream_name(self.settings.stream), body)

    async def dead_letters(self) -> list[DeadLetter]:
        js = self.client.jetstream()
        name = dead_letter_stream(self.settings.stream)
        try:
            last = (await js.stream_info(name)).state.last_seq
        except NotFoundError:
            return []
        letters = []
        for sequence in range(1, last + 1):
            message = await js.get_msg(name, sequence)
            reason = (message.headers or {}).get("Reason", "")
            letters.append(DeadLetter(message.data or b"", reason))
        return letters

    async def unfinished(self) -> int:
        """Not yet delivered, plus delivered and not yet acked, for the durable consumer."""
        js = self.client.jetstream()
        try:
            info = await js.consumer_info(stream_name(self.settings.stream), self.settings.group)
        except NotFoundError:
            return int((await js.stream_info(stream_name(self.settings.stream))).state.messages)
        return int((info.num_pending or 0) + (info.num_ack_pending or 0))

    async def stored(self) -> int:
        """What the stream still keeps: with limits retention, acked messages too."""
        js = self.client.jetstream()
        return int((await js.stream_info(stream_name(self.settings.stream))).state.messages)

    async def cut(self) -> None:
        """Close the connection under its consumers (as a broker restart would); reconnect for us."""
        await self.client.close()
        self.client = await nats.connect(self.url)

    async def cleanup(self) -> None:
        js = self.client.jetstream()
        for name in (stream_name(self.settings.stream), dead_letter_stream(self.settings.stream)):
            with contextlib.suppress(NotFoundError):
                await js.delete_stream(name)


@pytest.fixture
def broker_settings(settings: QueueSettings) -> QueueSettings:
    """The queue fixture's fast settings, on a queue/stream of this test's own.

    The delivery limit is part of a RabbitMQ queue's declaration: tests and processes share one.
    """
    return settings.model_copy(
        update={"stream": f"qd-{uuid.uuid4().hex[:12]}", "max_deliveries": MAX_DELIVERIES}
    )


@pytest.fixture(scope="session")
def broker_urls() -> Iterator[BrokerURLs]:
    with ExitStack() as stack:
        try:
            urls = resolve_brokers(stack)
        except ServiceUnavailable as error:
            pytest.exit(str(error), returncode=3)
        yield urls


@pytest.fixture(params=BROKERS)
async def broker(
    request: pytest.FixtureRequest, broker_settings: QueueSettings, broker_urls: BrokerURLs
) -> AsyncIterator[Harness]:
    harness: Harness
    if request.param == "rabbitmq":
        connection = await aio_pika.connect(broker_urls.amqp_url)
        harness = RabbitHarness(connection, broker_settings, broker_urls.amqp_url)
    else:
        client = await nats.connect(broker_urls.nats_url)
        harness = JetStreamHarness(client, broker_settings, broker_urls.nats_url)
    await harness.prepare()
    yield harness
    await harness.cleanup()
    if isinstance(harness, RabbitHarness):
        await harness.connection.close()
    elif isinstance(harness, JetStreamHarness):
        await harness.client.close()


@pytest.fixture
def broker_fleet(
    service_urls: ServiceURLs,
    broker_urls: BrokerURLs,
    database_url: str,
    tmp_path: Path,
    broker_settings: QueueSettings,
) -> Iterator[Fleet]:
    """Real relay and worker processes (`queue_demo.brokers.cli`) on this test's queue/stream.

    They never touch Redis: the run's URL is passed as is, not a flushed per-test database, so
    these tests cannot wipe the Redis queue tests' data when both run at once.
    """
    fleet = Fleet(service_urls.redis_url, database_url, tmp_path, module="queue_demo.brokers.cli")
    fleet.env["AMQP_URL"], fleet.env["NATS_URL"] = broker_urls.amqp_url, broker_urls.nats_url
    fleet.env["QUEUE_DEMO_STREAM"] = broker_settings.stream
    fleet.env["QUEUE_DEMO_MAX_DELIVERIES"] = str(broker_settings.max_deliveries)
    yield fleet
    fleet.close()
