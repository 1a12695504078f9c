"""How do outbox rows reach the stream? A relay: lock a batch, XADD it, mark it published, commit.

A crash between XADD and the commit publishes the batch again: at-least-once, by design.
The publisher is a seam: Redis Streams by default, RabbitMQ or NATS JetStream (queue_demo.brokers).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Sequence
from typing import Protocol

import redis.asyncio
import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from queue_demo.events import Event
from queue_demo.faults import CrashPoints
from queue_demo.settings import QueueSettings
from queue_demo.trim import trim_acknowledged

log = structlog.get_logger(__name__)

# SKIP LOCKED lets two relays share the outbox without publishing the same row at the same time.
LOCK_UNPUBLISHED = text(
    "SELECT id, event_id::text, stream, event_type, payload::text, request_id, traceparent,"
    " EXTRACT(EPOCH FROM created_at)::float8 AS created_at"
    " FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED"
)
# The batch's ids as one JSON array, as every batch statement takes them (queue_demo/inbox.py).
MARK_PUBLISHED = text(
    "UPDATE outbox SET published_at = now() WHERE id = ANY(ARRAY("
    " SELECT CAST(value AS bigint) FROM json_array_elements_text(CAST(:ids AS json))))"
)


class Publisher(Protocol):
    """Puts each (destination, event) on the broker; returns only once the broker has them all."""

    async def publish(self, batch: Sequence[tuple[str, Event]]) -> None: ...


class StreamsPublisher:
    """The default publisher: XADD each event to its stream, in one pipelined round trip."""

    def __init__(self, redis_client: redis.asyncio.Redis) -> None:
        self.redis = redis_client

    async def publish(self, batch: Sequence[tuple[str, Event]]) -> None:
        pipe = self.redis.pipeline(transaction=False)
        for stream, event in batch:
            pipe.xadd(stream, event.to_fields())  # type: ignore[arg-type]
        await pipe.execute()


class Relay:
    """Publishes the outbox (to Redis Streams unless given a `publisher`); `publish_batch()` moves one batch.

    Without Redis (`redis_client=None`, a broker publisher) there is no stream to trim.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        redis_client: redis.asyncio.Redis | None,
        settings: QueueSettings,
        *,
        publisher: Publisher | None = None,
    ) -> None:
        if publisher is None:
            if redis_client is None:
                raise ValueError("a relay needs a Redis client or a publisher")
            publisher = StreamsPublisher(redis_client)
        self.sessions = sessions
        self.redis = redis_client
        self.publisher = publisher
        self.settings = settings
        self.crash_points = CrashPoints(settings)
        self.published = 0
        self.trimmed = 0

    async def publish_batch(self) -> int:
        """Publish up to `relay_batch` unpublished rows; return how many were published."""
        async with self.sessions.begin() as session:
            rows = (
                await session.execute(LOCK_UNPUBLISHED, {"limit": self.settings.relay_batch})
            ).all()
            if not rows:
                return 0
            batch = [
                (
                    row.stream,
                    Event(
                        event_id=row.event_id,
                        type=row.event_type,
                        payload=json.loads(row.payload),
                        request_id=row.request_id,
                        traceparent=row.traceparent,
                        created_at=row.created_at,
                    ),
                )
                for row in rows
            ]
            await self.publisher.publish(batch)
            self.crash_points.reached("xadd_before_mark")
            await session.execute(MARK_PUBLISHED, {"ids": json.dumps([row.id for row in rows])})
        for row in rows:
            # Debug, not info: one line per event is the trail an investigation follows, not noise.
            with structlog.contextvars.bound_contextvars(
                request_id=row.request_id, traceparent=row.traceparent, event_id=str(row.event_id)
            ):
                log.debug("published", stream=row.stream, event_type=row.event_type)
        self.published += len(rows)
        log.info("published a batch", events=len(rows), total=self.published)
        return len(rows)

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until `stop` is set; nap `relay_idle_s` whenever the outbox is empty.

        Every `trim_every_s` it also trims what every group has acknowledged from both streams.
        """
        next_trim = time.monotonic() + self.settings.trim_every_s
        while not stop.is_set():
            if self.redis is not None and time.monotonic() >= next_trim:
                next_trim = time.monotonic() + self.settings.trim_every_s
                for stream in (self.settings.stream, self.settings.callbacks_stream):
                    self.trimmed += await trim_acknowledged(self.redis, stream)
            if await self.publish_batch() == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.settings.relay_idle_s)
        log.info("relay stopped", published=self.published, trimmed=self.trimmed)
