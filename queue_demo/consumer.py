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
from redis.exceptions import ResponseError

from queue_demo.dead_letters import DeadLetter, DeadLetterWriter
from queue_demo.events import Event, MalformedEntry, parse_entry
from queue_demo.faults import CrashPoints
from queue_demo.retry import Backoff, GaveUp
from queue_demo.settings import QueueSettings

log = structlog.get_logger(__name__)
HEARTBEAT_LUA = files("queue_demo").joinpath("heartbeat.lua").read_text()
Entries = list[tuple[str, dict[str, str] | None]]


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
        self.retry_backoff = Backoff(settings.backoff_base_s, settings.backoff_cap_s, 1 << 30)
        self.stats = ConsumerStats()
        self._claim_cursor = "0-0"
        self._failures_in_a_row = 0

    async def ensure_group(self) -> None:
        """Create the group (and the stream) if missing; the group starts at the stream's beginning."""
        try:
            await self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    async def run(self, stop: asyncio.Event) -> None:
        """Work until `stop` is set; batches in hand when it is set are finished and acknowledged."""
        await self.ensure_group()
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
        ids = [entry_id for entry_id, _ in entries]
        originals = dict(entries)
        dead: list[DeadLetter] = []
        events: list[Event] = []
        counts = await self._delivery_counts(ids) if recovered else {}
        for entry_id, fields in entries:
            deliveries = counts.get(entry_id, 1)
            try:
                event = parse_entry(entry_id, fields)
            except MalformedEntry as error:
                dead.append(DeadLetter(entry_id, f"malformed: {error}", fields or {}))
                continue
            if deliveries > self.settings.max_deliveries:
                reason = f"delivered {deliveries} times and never acknowledged"
                dead.append(
                    DeadLetter(entry_id, reason, fields or {}, [], deliveries, event.event_id)
                )
                continue
            events.append(event)

        heartbeat = asyncio.create_task(self._heartbeat([e.entry_id for e in events]))
        try:
            self.crash_points.reached("mid_batch")
            gave_up = await self.handler(events) if events else {}
        except Exception:
            self.stats.handler_errors += 1
            self._failures_in_a_row += 1
            log.exception("handler failed; the batch stays pending", consumer=self.name)
            await self._move_to_dead_letters(dead)
            await asyncio.sleep(self.retry_backoff.delay(self._failures_in_a_row))
            return False
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        self._failures_in_a_row = 0
        self.crash_points.reached("commit_before_ack")
        event_ids = {event.entry_id: event.event_id for event in events}
        for entry_id, failure in gave_up.items():
            dead.append(
                DeadLetter(
                    entry_id,
                    str(failure),
                    originals[entry_id] or {},
                    failure.history,
                    counts.get(entry_id, 1),
                    event_ids[entry_id],
                )
            )
        await self._move_to_dead_letters(dead)
        dead_ids = {letter.entry_id for letter in dead}
        if to_ack := [entry_id for entry_id in ids if entry_id not in dead_ids] if dead else ids:
            await self.redis.xack(self.stream, self.group, *to_ack)
            self.stats.acked += len(to_ack)
        return True

    async def _move_to_dead_letters(self, dead: Sequence[DeadLetter]) -> None:
        await self.dead_letters.move(dead, stream=self.stream, group=self.group, consumer=self.name)
        self.stats.dead_lettered += len(dead)
        for letter in dead:
            log.warning("dead-lettered", entry_id=letter.entry_id, reason=letter.reason)

    async def _delivery_counts(self, ids: Sequence[str]) -> dict[str, int]:
        """How many times each entry has been delivered (XPENDING's counter), for the delivery limit."""
        pipe = self.redis.pipeline(transaction=False)
        for entry_id in ids:
            pipe.xpending_range(self.stream, self.group, entry_id, entry_id, 1)
        replies = await pipe.execute()
        return {row[0]["message_id"]: row[0]["times_delivered"] for row in replies if row}

    async def _heartbeat(self, ids: Sequence[str]) -> None:
        """While the handler runs, reset the entries' idle time every third of a lease."""
        if not ids or not self.settings.heartbeat:
            return
        while True:
            await asyncio.sleep(self.settings.lease_ms / 3000)
            await self.heartbeat_script(keys=[self.stream], args=[self.group, self.name, *ids])
