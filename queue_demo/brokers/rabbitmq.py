"""The same consumer contract on RabbitMQ: a quorum queue, manual acks, publisher confirms, and a
dead-letter queue the broker itself fills when a message is delivered more than `max_deliveries`.

Apply (commit), then ack, as on Redis. A consumer that dies returns its unacked messages at once
(the broker sees the TCP connection close); no lease, so no heartbeat either.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

import aio_pika
import structlog
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractIncomingMessage, AbstractQueue

from queue_demo.brokers.common import encode, judge
from queue_demo.consumer import UNLIMITED_ATTEMPTS, Handler
from queue_demo.events import Event
from queue_demo.faults import CrashPoints
from queue_demo.retry import Backoff
from queue_demo.settings import QueueSettings

log = structlog.get_logger(__name__)


def dead_letter_queue(queue: str) -> str:
    return f"{queue}.dead"


async def declare(channel: AbstractChannel, queue: str, max_deliveries: int) -> AbstractQueue:
    """Declare the quorum queue and its dead-letter queue (idempotent: same arguments every time)."""
    await channel.declare_queue(
        dead_letter_queue(queue), durable=True, arguments={"x-queue-type": "quorum"}
    )
    return await channel.declare_queue(
        queue,
        durable=True,
        arguments={
            "x-queue-type": "quorum",
            # The limit counts returns (a nack, a consumer dying with it), not deliveries: returned
            # more than this many times, it is dead-lettered, so max_deliveries - 1 allows that many.
            "x-delivery-limit": max_deliveries - 1,
            "x-dead-letter-exchange": "",  # the default exchange routes by queue name
            "x-dead-letter-routing-key": dead_letter_queue(queue),
            # The default (at-most-once) drops a dead letter the DLQ cannot take; this retries it.
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",  # required by at-least-once dead-lettering
        },
    )


class RabbitPublisher:
    """A relay Publisher: persistent messages, each confirmed by the broker before the relay commits."""

    def __init__(self, connection: AbstractConnection, max_deliveries: int) -> None:
        self.connection = connection
        self.max_deliveries = max_deliveries
        self.channel: AbstractChannel | None = None
        self.declared: set[str] = set()

    async def publish(self, batch: Sequence[tuple[str, Event]]) -> None:
        if self.channel is None:
            self.channel = await self.connection.channel(publisher_confirms=True)
        for queue in {queue for queue, _ in batch} - self.declared:
            await declare(self.channel, queue, self.max_deliveries)
            self.declared.add(queue)
        exchange = self.channel.default_exchange
        # Each publish awaits its confirm; gathering keeps them all in flight at once.
        await asyncio.gather(
            *(
                exchange.publish(
                    aio_pika.Message(
                        encode(event),
                        message_id=event.event_id,
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        content_type="application/json",
                    ),
                    routing_key=queue,
                    mandatory=True,  # an unroutable message is an error, not a silent drop
                )
                for queue, event in batch
            )
        )


class RabbitConsumer:
    """`await RabbitConsumer(...).run(stop)` until `stop` is set; the batch in hand is finished."""

    def __init__(
        self,
        connection: AbstractConnection,
        handler: Handler,
        *,
        settings: QueueSettings,
        queue: str | None = None,
    ) -> None:
        self.connection = connection
        self.handler = handler
        self.settings = settings
        self.queue = queue or settings.stream
        self.crash_points = CrashPoints(settings)
        self.backoff = Backoff(settings.backoff_base_s, settings.backoff_cap_s, UNLIMITED_ATTEMPTS)
        self.failures_in_a_row = 0
        self.acked = 0

    async def run(self, stop: asyncio.Event) -> None:
        channel = await self.connection.channel()
        # Backpressure: the broker sends at most one batch ahead of what is acked.
        await channel.set_qos(prefetch_count=self.settings.batch_size)
        queue = await declare(channel, self.queue, self.settings.max_deliveries)
        arrived: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        tag = await queue.consume(arrived.put, no_ack=False)
        while not stop.is_set():
            if channel.is_closed:
                # The connection dropped (a broker restart, a network cut): nothing more will
                # arrive. Exit loudly so a supervisor restarts us, rather than idle forever.
                raise ConnectionError(f"RabbitMQ closed the channel for {self.queue}")
            batch = await self._next_batch(arrived)
            if batch:
                await self._process(batch)
        await queue.cancel(tag)
        # Prefetched but never handled: closing the channel returns them to the queue.
        await channel.close()
        log.info("rabbitmq consumer stopped", queue=self.queue, acked=self.acked)

    async def _next_batch(
        self, arrived: asyncio.Queue[AbstractIncomingMessage]
    ) -> list[AbstractIncomingMessage]:
        """Wait up to block_ms for one message, then take whatever else has arrived, up to a batch."""
        with contextlib.suppress(TimeoutError):
            first = await asyncio.wait_for(arrived.get(), self.settings.block_ms / 1000)
            batch = [first]
            while len(batch) < self.settings.batch_size and not arrived.empty():
                batch.append(arrived.get_nowait())
            return batch
        return []

    async def _process(self, batch: list[AbstractIncomingMessage]) -> None:
        by_id = {message_id(message): message for message in batch}
        verdict = await judge(
            self.handler, [(key, message.body) for key, message in by_id.items()], self.crash_points
        )
        for key in verdict.ack:
            await by_id[key].ack()
        self.acked += len(verdict.ack)
        for key, reason in verdict.dead.items():
            log.warning("dead-lettered", message_id=key, reason=reason)
            await by_id[key].reject(requeue=False)  # the queue's dead-letter exchange takes it
        if verdict.retry:
            self.failures_in_a_row += 1
            log.error("handler failed; the batch goes back to the queue", queue=self.queue)
            await asyncio.sleep(self.backoff.delay(self.failures_in_a_row))
            for key in verdict.retry:
                await by_id[key].nack(requeue=True)  # counts as a delivery toward the limit
        else:
            self.failures_in_a_row = 0


def message_id(message: AbstractIncomingMessage) -> str:
    """The broker's delivery tag identifies a message within this channel; unique per batch."""
    return str(message.delivery_tag)
