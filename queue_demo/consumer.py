"""How does a consumer never lose a message? Read from a consumer group, apply, then XACK — in that order.

It drains its own pending entries first, claims orphans past their lease, and dead-letters poison.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from typing import Any, Protocol

import redis.asyncio
import structlog
from redis.exceptions import RedisError, ResponseError

from queue_demo.dead_letters import DeadLetter, DeadLetterWriter
from queue_demo.events import Event, MalformedEntry, parse_entry
from queue_demo.faults import CrashPoints
from queue_demo.retry import Backoff, GaveUp
from queue_demo.settings import QueueSettings

log = structlog.get_logger(__name__)
HEARTBEAT_LUA = files("queue_demo").joinpath("heartbeat.lua").read_text()
Entries = list[tuple[str, dict[str, str] | None]]
# The consumer retries a failed batch until max_deliveries dead-letters it; its backoff only spaces
# those retries, so it never runs out of attempts itself.
UNLIMITED_ATTEMPTS = 1 << 30


async def ensure_group(redis_client: redis.asyncio.Redis, stream: str, group: str) -> None:
    """Create the group (and the stream) if missing; the group starts at the stream's beginning."""
    try:
        await redis_client.xgroup_create(stream, group, id="0", mkstream=True)
    except ResponseError as error:
        if "BUSYGROUP" not in str(error):
            raise


class Handler(Protocol):
    """Applies a batch of events exactly once (commit before returning) and names the ones to give up.

    Returns {entry_id: GaveUp} for entries to dead-letter; every other entry is acknowledged.
    Raising leaves the whole batch pending, to be read again.
    """

    async def __call__(self, events: Sequence[Event]) -> Mapping[str, GaveUp]: ...


@dataclass
class ConsumerStats:
    read: int = 0
    claimed: int = 0
    acked: int = 0
    dead_lettered: int = 0
    handler_errors: int = 0
    lost_to_trimming: int = 0


class Consumer:
    """One member of a consumer group: `await Consumer(...).run(stop)` until `stop` is set."""

    def __init__(
        self,
        redis_client: redis.asyncio.Redis,
        handler: Handler,
        *,
        name: str,
        settings: QueueSettings,
        stream: str | None = None,
        group: str | None = None,
    ) -> None:
        self.redis = redis_client
        self.handler = handler
        self.name = name
        self.settings = settings
        self.stream = stream or settings.stream
        self.group = group or settings.group
        self.dead_letters = DeadLetterWriter(
            redis_client, dead_letter_stream=settings.dead_letter_stream
        )
        self.heartbeat_script = redis_client.register_script(HEARTBEAT_LUA)
        self.crash_points = CrashPoints(settings)
        self.retry_backoff = Backoff(
            settings.backoff_base_s, settings.backoff_cap_s, UNLIMITED_ATTEMPTS
        )
        self.stats = ConsumerStats()
        self._claim_cursor = "0-0"
        self._failures_in_a_row = 0

    async def ensure_group(self) -> None:
        await ensure_group(self.redis, self.stream, self.group)

    async def run(self, stop: asyncio.Event) -> None:
        """Work until `stop` is set; batches in hand when it is set are finished and acknowledged."""
        await self.ensure_group()
        log.info(
            "consumer started",
            consumer=self.name,
            stream=self.stream,
            group=self.group,
            handler=type(self.handler).__name__,
        )
        backlog = True  # first drain what this consumer name read before a crash and never acked
        next_claim = 0.0
        in_flight: set[asyncio.Task[bool]] = set()
        # Up to `batches_in_flight` new batches at once: one commits while the next is handled.
        slots = asyncio.Semaphore(self.settings.batches_in_flight)
        while not stop.is_set():
            if backlog or time.monotonic() >= next_claim:
                # Recovery runs alone: a PEL read would otherwise return entries still in flight.
                if not await self._finish(in_flight):
                    backlog = True  # a handler failed: its entries are still ours to retry
                if time.monotonic() >= next_claim:
                    next_claim = time.monotonic() + self.settings.lease_ms / 2000
                    if claimed := await self._claim_orphans():
                        await self._process(claimed, recovered=True)
                        continue
            if backlog:
                entries = await self._read("0", block_ms=None)
                backlog = bool(entries)  # stays True after a failure: the same entries come back
                if entries:
                    await self._process(entries, recovered=True)
                continue
            await slots.acquire()  # backpressure: read no more than we can handle
            if stop.is_set():
                break
            entries = await self._read(">", block_ms=self.settings.block_ms)
            if not entries:
                slots.release()
            else:
                task = asyncio.create_task(self._process(entries, recovered=False))
                task.add_done_callback(lambda _: slots.release())
                in_flight.add(task)
            for done in [task for task in in_flight if task.done()]:
                in_flight.discard(done)
                backlog = backlog or not done.result()
        await self._finish(in_flight)
        log.info("consumer stopped", consumer=self.name, **vars(self.stats))

    async def _finish(self, in_flight: set[asyncio.Task[bool]]) -> bool:
        """Wait for every batch in flight; False if any handler failed (its entries stay pending)."""
        results = await asyncio.gather(*in_flight)
        in_flight.clear()
        return all(results)

    async def _read(self, start: str, *, block_ms: int | None) -> Entries:
        # redis-py's stubs cover bytes and RESP3 replies; with decode_responses this is the shape.
        reply: Any = await self.redis.xreadgroup(
            self.group,
            self.name,
            {self.stream: start},
            count=self.settings.batch_size,
            block=block_ms,
        )
        entries: Entries = reply[0][1] if reply else []
        self.stats.read += len(entries)
        return entries

    async def _claim_orphans(self) -> Entries:
        """XAUTOCLAIM entries idle past the lease: their consumer died or stalled."""
        cursor, entries, deleted = await self.redis.xautoclaim(
            self.stream,
            self.group,
            self.name,
            min_idle_time=self.settings.lease_ms,
            start_id=self._claim_cursor,
            count=self.settings.batch_size,
        )
        self._claim_cursor = cursor
        if deleted:
            # Trimmed while pending: Redis has already dropped them from the PEL. This is data loss;
            # `trim.trim_acknowledged` exists so that it never happens.
            self.stats.lost_to_trimming += len(deleted)
            log.error("pending entries were trimmed away", ids=deleted)
        self.stats.claimed += len(entries)
        return list(entries)

    async def _process(self, entries: Entries, *, recovered: bool) -> bool:
        """Handle one batch; return False if the handler failed and the batch stays pending."""
        counts = (
            await self._delivery_counts([entry_id for entry_id, _ in entries]) if recovered else {}
        )
        originals = {entry_id: fields or {} for entry_id, fields in entries}
        events, unusable = self._sort(entries, counts)
        # Dead-letter what cannot be handled now, not after the handler: the heartbeat does not cover
        # these entries, so waiting would let another consumer claim and dead-letter them too.
        await self._move_to_dead_letters(unusable)
        if not events:
            return True
        try:
            gave_up = await self._handle(events)
        except Exception:
            self.stats.handler_errors += 1
            self._failures_in_a_row += 1
            log.exception("handler failed; the batch stays pending", consumer=self.name)
            await asyncio.sleep(self.retry_backoff.delay(self._failures_in_a_row))
            return False
        self._failures_in_a_row = 0
        self.crash_points.reached("commit_before_ack")
        given_up = [event for event in events if event.entry_id in gave_up]
        await self._move_to_dead_letters(
            [self._given_up(e, gave_up[e.entry_id], originals, counts) for e in given_up]
        )
        # The ack set: every handled entry the handler did not give up on (those are acked above).
        handled = [event.entry_id for event in events if event.entry_id not in gave_up]
        if handled:
            await self.redis.xack(self.stream, self.group, *handled)
            self.stats.acked += len(handled)
        log.info(
            "batch handled",
            consumer=self.name,
            stream=self.stream,
            entries=len(events),
            acked=len(handled),
            dead_lettered=len(given_up),
        )
        return True

    def _sort(
        self, entries: Entries, counts: Mapping[str, int]
    ) -> tuple[list[Event], list[DeadLetter]]:
        """Split a batch into events to handle and dead letters (malformed, or delivered too often)."""
        events: list[Event] = []
        unusable: list[DeadLetter] = []
        for entry_id, fields in entries:
            deliveries = counts.get(entry_id, 1)
            try:
                event = parse_entry(entry_id, fields)
            except MalformedEntry as error:
                unusable.append(
                    DeadLetter(
                        entry_id=entry_id, reason=f"malformed: {error}", original=fields or {}
                    )
                )
                continue
            if deliveries > self.settings.max_deliveries:
                unusable.append(
                    DeadLetter(
                        entry_id=entry_id,
                        reason=f"delivered {deliveries} times and never acknowledged",
                        original=fields or {},
                        deliveries=deliveries,
                        event_id=event.event_id,
                    )
                )
                continue
            events.append(event)
        return events, unusable

    @staticmethod
    def _given_up(
        event: Event,
        failure: GaveUp,
        originals: Mapping[str, Mapping[str, str]],
        counts: Mapping[str, int],
    ) -> DeadLetter:
        return DeadLetter(
            entry_id=event.entry_id,
            reason=str(failure),
            original=originals[event.entry_id],
            history=failure.history,
            deliveries=counts.get(event.entry_id, 1),
            event_id=event.event_id,
        )

    async def _handle(self, events: Sequence[Event]) -> Mapping[str, GaveUp]:
        """Call the handler while a heartbeat keeps the batch's lease; stop the heartbeat either way."""
        stop_heartbeat = asyncio.Event()
        heartbeat = asyncio.create_task(
            self._heartbeat([event.entry_id for event in events], stop_heartbeat)
        )
        try:
            self.crash_points.reached("mid_batch")
            return await self.handler(events)
        finally:
            # Stop it by asking, and wait a bounded time. Not cancel-and-await: on Python 3.11 a
            # cancel that lands as redis-py's wait_for completes is lost, and the await never ends.
            # Not swallowing CancelledError either: a cancel aimed at this batch must go through.
            stop_heartbeat.set()
            await asyncio.wait({heartbeat}, timeout=self.settings.lease_ms / 3000)
            heartbeat.cancel()  # a no-op once it has returned; a hint if its call is stuck

    async def _move_to_dead_letters(self, dead: Sequence[DeadLetter]) -> None:
        moved = set(
            await self.dead_letters.move(
                dead, stream=self.stream, group=self.group, consumer=self.name
            )
        )
        self.stats.dead_lettered += len(moved)
        for letter in dead:
            if letter.entry_id in moved:
                log.warning("dead-lettered", entry_id=letter.entry_id, reason=letter.reason)
            else:
                log.info(
                    "claimed by another consumer; not dead-lettered here", entry_id=letter.entry_id
                )

    async def _delivery_counts(self, ids: Sequence[str]) -> dict[str, int]:
        """How many times each entry has been delivered (XPENDING's counter), for the delivery limit."""
        pipe = self.redis.pipeline(transaction=False)
        for entry_id in ids:
            pipe.xpending_range(self.stream, self.group, entry_id, entry_id, 1)
        replies = await pipe.execute()
        return {row[0]["message_id"]: row[0]["times_delivered"] for row in replies if row}

    async def _heartbeat(self, ids: Sequence[str], stop: asyncio.Event) -> None:
        """Until `stop` is set, reset the entries' idle time every third of a lease."""
        if not ids or not self.settings.heartbeat:
            return
        interval_s = self.settings.lease_ms / 3000
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_s)
                return
            try:
                await self.heartbeat_script(keys=[self.stream], args=[self.group, self.name, *ids])
            except RedisError as error:
                # A missed beat is not fatal: the next one may land; if none do, the lease expires.
                log.warning("heartbeat failed", consumer=self.name, error=str(error))
