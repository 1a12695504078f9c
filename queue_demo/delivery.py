"""The effect: deliver each queued message through the carrier, then record it once in PostgreSQL.

Carrier calls run concurrently across recipients and one after another for each, with retries;
the inbox, the delivery rows and the callback events commit together.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import TextClause, text
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from queue_demo import inbox
from queue_demo.carrier import SimulatedCarrier
from queue_demo.events import Event, bound_to
from queue_demo.outbox import MESSAGE_QUEUED, add_to_outbox
from queue_demo.retry import Attempt, Backoff, GaveUp, call_with_retries
from queue_demo.settings import QueueSettings

MESSAGE_STATUS = "message.status"
# The batch's rows travel as one JSON array, as the inbox's ids do (inbox.py says why).
INSERT_DELIVERIES = text(
    "INSERT INTO deliveries (event_id, message_id, carrier_sid, attempts, consumer)"
    " SELECT event_id, message_id, carrier_sid, attempts, :consumer"
    " FROM json_to_recordset(CAST(:rows AS json))"
    " AS batch(event_id uuid, message_id text, carrier_sid text, attempts int)"
)
# Marks the batch's messages delivered and returns (id, to, callback URL) for each one it changed.
# A host app with its own messages table passes its own statement of the same shape: :ids is a JSON
# array. `= ANY(ARRAY(subquery))`, not `IN (subquery)`: PostgreSQL plans it as it plans an array
# parameter, where IN's semi-join cost half as much again on the server (queue_demo/README.md).
MARK_DELIVERED = text(
    "UPDATE messages SET status = 'delivered' WHERE id = ANY(ARRAY("
    " SELECT CAST(value AS uuid) FROM json_array_elements_text(CAST(:ids AS json))))"
    " AND status <> 'delivered' RETURNING id::text, to_number, callback_url"
)


@dataclass(frozen=True)
class Delivered:
    event: Event
    carrier_sid: str
    attempts: int

    def row(self) -> dict[str, object]:
        """This delivery as a row of INSERT_DELIVERIES."""
        return {
            "event_id": self.event.event_id,
            "message_id": self.event.payload["message_id"],
            "carrier_sid": self.carrier_sid,
            "attempts": self.attempts,
        }


class DeliverMessages:
    """A consumer Handler for `message.queued` events; pass an instance to `Consumer(handler=...)`."""

    inbox_name = "deliverer"

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        carrier: SimulatedCarrier,
        settings: QueueSettings,
        *,
        consumer: str = "deliverer",
        mark_delivered: TextClause = MARK_DELIVERED,
    ) -> None:
        self.sessions = sessions
        self.mark_delivered = mark_delivered
        self.carrier = carrier
        self.settings = settings
        self.consumer = consumer
        self.backoff = Backoff(
            settings.backoff_base_s, settings.backoff_cap_s, settings.max_attempts
        )
        self.limit = asyncio.Semaphore(settings.concurrency)

    async def __call__(self, events: Sequence[Event]) -> Mapping[str, GaveUp]:
        async with self.sessions() as session:
            seen = await inbox.already_processed(
                session, self.inbox_name, [event.event_id for event in events]
            )
        by_recipient: dict[str, list[Event]] = {}
        for event in events:
            if event.event_id not in seen:
                by_recipient.setdefault(str(event.payload.get("to")), []).append(event)
        per_recipient = await asyncio.gather(*map(self._deliver_in_order, by_recipient.values()))
        outcomes = [outcome for outcomes in per_recipient for outcome in outcomes]
        delivered = [outcome for outcome in outcomes if isinstance(outcome, Delivered)]
        refused = await self._record_batch(delivered) if delivered else {}
        failed = {
            outcome.entry_id: outcome.error for outcome in outcomes if isinstance(outcome, _Failed)
        }
        return failed | refused

    async def _record_batch(self, delivered: Sequence[Delivered]) -> dict[str, GaveUp]:
        """Record the batch in one transaction; if the database refuses some event's data, record
        them one by one instead and give up on those it refuses. Returns {entry_id: GaveUp}.

        Without this, one bad event fails its batch-mates' commit every time they are read together,
        until the delivery limit dead-letters them all. Other errors (the database is down) raise.
        """
        try:
            await self._record(delivered)
        except (DataError, IntegrityError):
            return await self._record_one_by_one(delivered)
        return {}

    async def _record_one_by_one(self, delivered: Sequence[Delivered]) -> dict[str, GaveUp]:
        refused = {}
        for outcome in delivered:
            try:
                await self._record([outcome])
            except (DataError, IntegrityError) as error:
                reason = f"refused by the database: {str(error.orig).splitlines()[0]}"
                refused[outcome.event.entry_id] = GaveUp([Attempt(1, reason, time.time())])
        return refused

    async def _deliver_in_order(self, events: Sequence[Event]) -> list[Delivered | _Failed]:
        """One recipient's messages one after another, in stream order: a retry holds back the
        later ones instead of letting them overtake it. Different recipients run concurrently."""
        return [await self._deliver(event) for event in events]

    async def _deliver(self, event: Event) -> Delivered | _Failed:
        with bound_to(event):
            payload = event.payload
            if event.type != MESSAGE_QUEUED:
                return _Failed.now(event, f"no handler for event type {event.type!r}")
            if not all(isinstance(payload.get(key), str) for key in ("message_id", "to", "body")):
                return _Failed.now(event, "payload needs string fields message_id, to and body")
            async with self.limit:
                try:
                    sid, attempts = await call_with_retries(
                        lambda: self.carrier.send(
                            to=payload["to"], body=payload["body"], idempotency_key=event.event_id
                        ),
                        self.backoff,
                    )
                except GaveUp as error:
                    return _Failed(event.entry_id, error)
            return Delivered(event, sid, attempts)

    async def _record(self, delivered: Sequence[Delivered]) -> None:
        """One transaction for the whole batch: inbox rows, delivery rows, status, callback events."""
        async with self.sessions.begin() as session:
            new = await inbox.record_new(
                session, self.inbox_name, [d.event.event_id for d in delivered]
            )
            # The same event twice in one batch (published twice) is still one effect.
            fresh = list(
                {d.event.event_id: d for d in delivered if d.event.event_id in new}.values()
            )
            if not fresh:
                return
            await session.execute(
                INSERT_DELIVERIES,
                {"consumer": self.consumer, "rows": json.dumps([d.row() for d in fresh])},
            )
            rows = await session.execute(
                self.mark_delivered,
                {"ids": json.dumps([d.event.payload["message_id"] for d in fresh])},
            )
            by_message = {d.event.payload["message_id"]: d for d in fresh}
            for message_id, to_number, callback_url in rows.all():
                if callback_url:
                    source = by_message[message_id].event
                    await add_to_outbox(
                        session,
                        stream=self.settings.callbacks_stream,
                        event_type=MESSAGE_STATUS,
                        payload={
                            "message_id": message_id,
                            "to": to_number,
                            "status": "delivered",
                            "carrier_sid": by_message[message_id].carrier_sid,
                            "callback_url": callback_url,
                        },
                        request_id=source.request_id,
                        traceparent=source.traceparent,
                    )


@dataclass(frozen=True)
class _Failed:
    entry_id: str  # the stream entry to dead-letter
    error: GaveUp

    @classmethod
    def now(cls, event: Event, reason: str) -> _Failed:
        """A failure no retry can fix: one attempt, the reason, no carrier call."""
        return cls(event.entry_id, GaveUp([Attempt(1, reason, time.time())]))
