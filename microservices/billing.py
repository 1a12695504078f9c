"""The billing capability: one billing record per message, applied once however often the event arrives.

The monolith calls `record_charges` in the send's transaction; the services feed it from a stream.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from error_handling.traceparent import parse_traceparent
from queue_demo.events import Event
from queue_demo.inbox import record_new
from queue_demo.retry import Attempt, GaveUp

MESSAGE_SENT = "message.sent"
INBOX_CONSUMER = "billing"
INSERT_CHARGE = text(
    "INSERT INTO billing_records (message_id, account_id, amount_cents, message_created_at, trace_id)"
    " VALUES (:message_id, :account_id, :amount_cents, :message_created_at, :trace_id)"
)


@dataclass(frozen=True)
class Charge:
    message_id: uuid.UUID
    account_id: uuid.UUID
    amount_cents: int
    message_created_at: datetime
    # The trace of the request that sent the message (from the event, not the payload): it joins
    # the billing record to that request in the logs and traces.
    trace_id: str = ""

    def to_payload(self) -> dict[str, str | int]:
        return {
            "message_id": str(self.message_id),
            "account_id": str(self.account_id),
            "amount_cents": self.amount_cents,
            "message_created_at": self.message_created_at.isoformat(),
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, object]) -> Charge:
        """Parse an event payload; raise ValueError (or KeyError) naming what is wrong."""
        amount = payload["amount_cents"]
        if not isinstance(amount, int) or amount < 0:
            raise ValueError(f"amount_cents must be a non-negative integer, not {amount!r}")
        return cls(
            message_id=uuid.UUID(str(payload["message_id"])),
            account_id=uuid.UUID(str(payload["account_id"])),
            amount_cents=amount,
            message_created_at=datetime.fromisoformat(str(payload["message_created_at"])),
        )


async def record_charges(session: AsyncSession, charges: Sequence[Charge]) -> None:
    """Insert billing records in the session's transaction (the caller decides which are new)."""
    if charges:
        await session.execute(
            INSERT_CHARGE,
            [
                {
                    "message_id": str(c.message_id),
                    "account_id": str(c.account_id),
                    "amount_cents": c.amount_cents,
                    "message_created_at": c.message_created_at,
                    "trace_id": c.trace_id,
                }
                for c in charges
            ],
        )


class BillingHandler:
    """queue_demo's consumer calls this with each batch of `message.sent` events.

    The inbox row and the billing record commit together, so a redelivered event bills nothing.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self.billed = 0

    async def __call__(self, events: Sequence[Event]) -> Mapping[str, GaveUp]:
        gave_up: dict[str, GaveUp] = {}
        charges: dict[str, Charge] = {}
        for event in events:
            try:
                if event.type != MESSAGE_SENT:
                    raise ValueError(f"unexpected event type {event.type!r}")
                charge = Charge.from_payload(event.payload)
                trace = parse_traceparent(event.traceparent)
                charges[event.event_id] = replace(charge, trace_id=trace.trace_id if trace else "")
            except (KeyError, ValueError) as error:
                # Poison: retrying cannot fix a bad payload, so it goes to the dead letters now.
                history = [Attempt(1, f"{type(error).__name__}: {error}", time.time())]
                gave_up[event.entry_id] = GaveUp(history)
        async with self.sessions.begin() as session:
            new = await record_new(session, INBOX_CONSUMER, list(charges))
            await record_charges(session, [charges[event_id] for event_id in sorted(new)])
        self.billed += len(new)
        return gave_up
