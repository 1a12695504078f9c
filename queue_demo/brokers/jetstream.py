"""The same consumer contract on NATS JetStream: a durable pull consumer, explicit acks, an ack wait
(the lease) that `in_progress()` extends while a batch is handled, and a delivery limit.

Apply (commit), then ack, as on Redis. A consumer that dies is noticed only when its ack wait runs
out; then the server redelivers to whoever pulls next.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, RetentionPolicy, StorageType

from queue_demo.brokers.common import Verdict, encode, judge
from queue_demo.consumer import UNLIMITED_ATTEMPTS, Handler
from queue_demo.events import Event
from queue_demo.faults import CrashPoints
from queue_demo.retry import Backoff
from queue_demo.settings import QueueSettings

log = structlog.get_logger(__name__)
# JetStream de-duplicates on Nats-Msg-Id within this window: a relay republishing after a crash
# is stored once (the inbox would absorb the copy anyway).
DUPLICATE_WINDOW_S = 120.0


def stream_name(destination: str) -> str:
    """A JetStream stream (and its one subject) for a destination; names may not contain ':' or '.'."""
    return destination.replace(":", "_").replace(".", "_")


def dead_letter_stream(destination: str) -> str:
    return f"{stream_name(destination)}_dead"


async def ensure_stream(js: JetStreamContext, name: str) -> None:
    """File-backed, limits retention (acked messages stay, so a new consumer can replay them)."""
    await js.add_stream(
        name=name,
        subjects=[name],
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        duplicate_window=DUPLICATE_WINDOW_S,
    )


class JetStreamPublisher:
    """A relay Publisher: each publish waits for the stream's PubAck (stored) before the relay commits."""

    def __init__(self, js: JetStreamContext) -> None:
        self.js = js
        self.ensured: set[str] = set()

    async def publish(self, batch: Sequence[tuple[str, Event]]) -> None:
        for name in {stream_name(destination) for destination, _ in batch} - self.ensured:
            await ensure_stream(self.js, name)
            self.ensured.add(name)
        await asyncio.gather(
            *(
                self.js.publish(
                    stream_name(destination),
                    encode(event),
                    headers={"Nats-Msg-Id": event.event_id},
                )
                for destination, event in batch
            )
        )


class JetStreamConsumer:
    """`await JetStreamConsumer(...).run(stop)` until `stop` is set; the batch in hand is finished."""

    def __init__(
        self,
        client: Client,
        handler: Handler,
        *,
        settings: QueueSettings,
        stream: str | None = None,
        durable: str | None = None,
    ) -> None:
        self.js = client.jetstream()
        self.handler = handler
        self.settings = settings
        self.destination = stream or settings.stream
        self.durable = durable or settings.group
        self.crash_points = CrashPoints(settings)
        self.backoff = Backoff(settings.backoff_base_s, settings.backoff_cap_s, UNLIMITED_ATTEMPTS)
        self.failures_in_a_row = 0
        self.acked = 0

    def config(self) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.settings.lease_ms / 1000,
            # One more than the limit: the consumer dead-letters on the delivery past the limit,
            # before handling it (as on Redis). At max_deliver the server would stop delivering
            # and the message would stay in the stream, acked by nobody, noticed by nobody.
            max_deliver=self.settings.max_deliveries + 1,
        )

    async def run(self, stop: asyncio.Event) -> None:
        name = stream_name(self.destination)
        await ensure_stream(self.js, name)
        await ensure_stream(self.js, dead_letter_stream(self.destination))
        subscription = await self.js.pull_subscribe(
            name, durable=self.durable, stream=name, config=self.config()
        )
        while not stop.is_set():
            try:
                batch = await subscription.fetch(
                    self.settings.batch_size, timeout=self.settings.block_ms / 1000
                )
            except TimeoutError:  # nothing to fetch (nats-py raises asyncio's or its own subclass)
                continue
            await self._process(batch)
        await subscription.unsubscribe()
        log.info("jetstream consumer stopped", stream=name, acked=self.acked)

    async def _process(self, batch: list[Msg]) -> None:
        by_id = {str(msg.metadata.sequence.stream): msg for msg in batch}
        worn_out = {
            key: f"delivered {msg.metadata.num_delivered} times and never acknowledged"
            for key, msg in by_id.items()
            if msg.metadata.num_delivered > self.settings.max_deliveries
        }
        await self._dead_letter(by_id, worn_out)
        usable = [(key, msg.data) for key, msg in by_id.items() if key not in worn_out]
        if not usable:
            return
        stop_extending = asyncio.Event()

        async def handle() -> Verdict:
            try:
                return await judge(self.handler, usable, self.crash_points)
            finally:
                stop_extending.set()

        verdict, _ = await asyncio.gather(
            handle(), self._extend([by_id[key] for key, _ in usable], stop_extending)
        )
        for key in verdict.ack:
            await by_id[key].ack()
        self.acked += len(verdict.ack)
        await self._dead_letter(by_id, verdict.dead)
        if verdict.retry:
            self.failures_in_a_row += 1
            delay = self.backoff.delay(self.failures_in_a_row)
            log.error("handler failed; the batch will be redelivered", stream=self.destination)
            for key in verdict.retry:
                await by_id[key].nak(delay=delay)  # redelivered after `delay`, counting toward max
        else:
            self.failures_in_a_row = 0

    async def _dead_letter(self, by_id: dict[str, Msg], dead: dict[str, str]) -> None:
        """Copy each to the dead-letter stream with its reason, then `term()` it (no redelivery).

        Not atomic: a crash between the two leaves a second copy, the same at-least-once as ever.
        """
        for key, reason in dead.items():
            log.warning("dead-lettered", sequence=key, reason=reason)
            await self.js.publish(
                dead_letter_stream(self.destination),
                by_id[key].data,
                headers={"Reason": reason, "Nats-Msg-Id": f"dead-{self.destination}-{key}"},
            )
            await by_id[key].term()

    async def _extend(self, messages: list[Msg], stop: asyncio.Event) -> None:
        """While the batch is handled, tell the server every third of the ack wait that it is."""
        interval_s = self.settings.lease_ms / 3000
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_s)
                return
            for msg in messages:
                await msg.in_progress()
