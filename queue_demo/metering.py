"""How does a burst from one number go out at that number's pace? A leaky bucket used as a scheduler.

Each message reserves its sender's next departure slot in Redis (`meter.lua`, GCRA's theoretical
arrival time on Redis's clock, so every worker shares one schedule). A message whose slot has come
is sent in its batch; a later one is parked in a sorted set scored by its departure time, in the same
script that acknowledges its stream entry. A scheduler loop claims due members with a lease
(`claim_due.lua`) and sends them through the same idempotent effect. Nobody sleeps in a batch, so a
busy sender never holds back another.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

import redis.asyncio
import structlog
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from redis.exceptions import RedisError
from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from queue_demo.consumer import Handler
from queue_demo.events import Event, MalformedEntry, parse_entry
from queue_demo.retry import GaveUp
from queue_demo.settings import QueueSettings

log = structlog.get_logger(__name__)
METER_LUA = files("queue_demo").joinpath("meter.lua").read_text()
CLAIM_DUE_LUA = files("queue_demo").joinpath("claim_due.lua").read_text()
EXTEND_LEASE_LUA = files("queue_demo").joinpath("extend_lease.lua").read_text()
# queue_demo's own messages table; a host app with its own table passes a statement of this shape.
MARK_SENDING = text(
    # Compared as text: a malformed id in the batch must not fail the whole statement.
    "UPDATE messages SET status = 'sending' WHERE id::text = ANY(ARRAY("
    " SELECT json_array_elements_text(CAST(:ids AS json))))"
    " AND status = 'queued'"
)


class MeterSettings(BaseSettings):
    """QUEUE_DEMO_SENDER_PER_SECOND: how fast one sending number's messages leave."""

    model_config = SettingsConfigDict(env_prefix="QUEUE_DEMO_", extra="ignore")

    # High by default so that nothing local waits; a real long code sends far fewer per second.
    sender_per_second: float = Field(default=100.0, gt=0, le=1_000_000)
    key_prefix: str = "queue_demo:meter"


@dataclass(frozen=True)
class Parked:
    """A claimed member: its exact text (to remove it) and the event it carries."""

    member: str
    event: Event


class Meter:
    """The per-sender schedule and the parking lot, shared by every worker through Redis."""

    def __init__(
        self, redis_client: redis.asyncio.Redis, settings: QueueSettings, meter: MeterSettings
    ) -> None:
        self.redis = redis_client
        self.settings = settings
        self.interval_us = round(1_000_000 / meter.sender_per_second)
        self.prefix = meter.key_prefix
        self.stream, self.group = settings.stream, settings.group
        self.parked_key = f"{meter.key_prefix}:parked"
        self.reserve = redis_client.register_script(METER_LUA)
        self.claim = redis_client.register_script(CLAIM_DUE_LUA)
        self.extend = redis_client.register_script(EXTEND_LEASE_LUA)
        # Set when this worker parks something, so its scheduler looks again at once.
        self.parked = asyncio.Event()

    async def admit(self, events: Sequence[Event]) -> list[Event]:
        """Reserve each event's slot in stream order; return those that may leave now, park the rest.

        One MULTI/EXEC for the batch: another batch's reservations cannot slip between these.
        """
        metered = [event for event in events if isinstance(event.payload.get("from"), str)]
        if not metered:
            return list(events)  # nothing to meter by: a producer that names no sender
        pipe = self.redis.pipeline(transaction=True)
        for event in metered:
            sender = event.payload["from"]
            await self.reserve(
                keys=[
                    f"{self.prefix}:tat:{sender}",
                    f"{self.prefix}:last:{sender}",
                    self.parked_key,
                    self.stream,
                ],
                args=[self.interval_us, self.group, event.entry_id, parked_member(event)],
                client=pipe,
            )
        waits = dict(zip((e.entry_id for e in metered), await pipe.execute(), strict=True))
        if any(int(wait_us) > 0 for wait_us in waits.values()):
            self.parked.set()
        return [event for event in events if int(waits.get(event.entry_id, 0)) == 0]

    async def claim_due(self) -> tuple[list[Parked], float]:
        """Due members, each leased for `lease_ms`; else ([], seconds until the next one or -1)."""
        reply: Any = await self.claim(
            keys=[self.parked_key, self.prefix],
            args=[self.settings.lease_ms * 1000, self.settings.batch_size, self.interval_us],
        )
        wait_us, members = int(reply[0]), reply[1:]
        claimed = []
        for member in members:
            try:
                stored = json.loads(member)
                claimed.append(Parked(member, parse_entry(stored["entry_id"], stored["fields"])))
            except (ValueError, KeyError, TypeError, MalformedEntry) as error:
                # Only this module writes members; one it cannot read is dropped loudly, not retried.
                log.error("unreadable parked member dropped", member=member, error=str(error))
                await self.redis.zrem(self.parked_key, member)
        return claimed, (wait_us / 1_000_000 if wait_us >= 0 else -1.0)

    async def keep_leased(self, claimed: Sequence[Parked], done: asyncio.Event) -> None:
        """Every third of a lease until `done`: extend the members' leases, so a send slower than
        one lease is not taken for a dead worker's and sent again."""
        interval_s = self.settings.lease_ms / 3000
        members = [parked.member for parked in claimed]
        while not done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), interval_s)
                return
            try:
                await self.extend(
                    keys=[self.parked_key], args=[self.settings.lease_ms * 1000, *members]
                )
            except RedisError as error:
                # A missed beat is not fatal: the next one may land; if none do, the lease ends.
                log.warning("parked lease extension failed", error=str(error))

    async def finish(self, claimed: Sequence[Parked], gave_up: Mapping[str, GaveUp]) -> None:
        """Remove the members that were sent; dead-letter and remove those given up on, atomically."""
        pipe = self.redis.pipeline(transaction=True)
        for parked in claimed:
            failure = gave_up.get(parked.event.entry_id)
            if failure is not None:
                pipe.xadd(
                    self.settings.dead_letter_stream,
                    {
                        "source_stream": self.parked_key,
                        "source_id": parked.event.entry_id,
                        "event_id": parked.event.event_id,
                        "reason": str(failure),
                        "history": json.dumps([vars(a) for a in failure.history]),
                        "original": json.dumps(parked.event.to_fields()),
                        "deliveries": 1,
                    },
                )
            pipe.zrem(self.parked_key, parked.member)
        await pipe.execute()


def parked_member(event: Event) -> str:
    """What the parked set holds: the entry, and its sender for claim_due.lua's spacing check."""
    fields = event.to_fields()
    return json.dumps(
        {"entry_id": event.entry_id, "sender": event.payload["from"], "fields": fields}
    )


class MeteredDelivery:
    """A consumer Handler: meters each batch, marks what leaves `sending`, then delivers it."""

    def __init__(
        self,
        deliver: Handler,
        meter: Meter,
        sessions: async_sessionmaker[AsyncSession],
        *,
        mark_sending: TextClause = MARK_SENDING,
    ) -> None:
        self.deliver = deliver
        self.meter = meter
        self.sessions = sessions
        self.mark_sending = mark_sending

    async def __call__(self, events: Sequence[Event]) -> Mapping[str, GaveUp]:
        # Parked entries are already acknowledged; the consumer's second XACK of them is a no-op.
        return await self.send(await self.meter.admit(events))

    async def send(self, events: Sequence[Event]) -> Mapping[str, GaveUp]:
        if not events:
            return {}
        ids = [str(event.payload.get("message_id")) for event in events]
        async with self.sessions.begin() as session:
            await session.execute(self.mark_sending, {"ids": json.dumps(ids)})
        return await self.deliver(events)

    async def run_scheduler(self, stop: asyncio.Event) -> None:
        """Until `stop` is set: send what is due, else wait for the next departure or a new park.

        Up to `batches_in_flight` claimed batches go out at once, so one slow send does not make
        every other sender's due message wait behind it.
        """
        poll_s = self.meter.settings.block_ms / 1000
        slots = asyncio.Semaphore(self.meter.settings.batches_in_flight)
        in_flight: set[asyncio.Task[None]] = set()

        def done(task: asyncio.Task[None]) -> None:
            slots.release()
            in_flight.discard(task)

        while not stop.is_set():
            await slots.acquire()
            claimed, wait_s = await self.meter.claim_due()
            if not claimed:
                slots.release()
                await _first_of(
                    stop, self.meter.parked, poll_s if wait_s < 0 else min(wait_s, poll_s)
                )
                continue
            task = asyncio.create_task(self._send_claimed(claimed))
            task.add_done_callback(done)
            in_flight.add(task)
        await asyncio.gather(*in_flight)

    async def _send_claimed(self, claimed: Sequence[Parked]) -> None:
        done = asyncio.Event()
        heartbeat = asyncio.create_task(self.meter.keep_leased(claimed, done))
        try:
            gave_up = await self.send([parked.event for parked in claimed])
        except Exception:
            # The leases run out and the members come back: to this worker or another one.
            log.exception("sending parked messages failed; they return when their lease ends")
            return
        finally:
            # Stop it by asking and wait a bounded time, as the consumer stops its heartbeat.
            done.set()
            await asyncio.wait({heartbeat}, timeout=self.meter.settings.lease_ms / 3000)
            heartbeat.cancel()
        await self.meter.finish(claimed, gave_up)


async def _first_of(stop: asyncio.Event, wake: asyncio.Event, timeout_s: float) -> None:
    """Wait until `stop` or `wake` is set, or `timeout_s` passes; then clear `wake`."""
    waiters = {asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())}
    _, pending = await asyncio.wait(waiters, timeout=timeout_s, return_when="FIRST_COMPLETED")
    for waiter in pending:
        waiter.cancel()
    wake.clear()
