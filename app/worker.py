"""The mini Twilio's worker: queue_demo's consumers, pointed at the REST/GraphQL twin's messages.

One process runs two consumer groups: deliveries (carrier, then status) and status callbacks, and
the metering scheduler that sends each sender's parked messages when their departure slots come.
"""

from __future__ import annotations

import asyncio
import os
import sys
from functools import partial

import httpx
from sqlalchemy import text

from error_handling import configure_logging
from queue_demo.callback_policy import CallbackLedger, CallbackPolicySettings
from queue_demo.callbacks import SendStatusCallbacks
from queue_demo.carrier import SimulatedCarrier
from queue_demo.carrier_log import CarrierLogSettings, LoggedCarrier
from queue_demo.cli import services, until_sigterm
from queue_demo.consumer import Consumer
from queue_demo.delivery import DeliverMessages
from queue_demo.metering import Meter, MeteredDelivery, MeterSettings
from queue_demo.schema import create_tables
from queue_demo.settings import QueueSettings

# Same shape as queue_demo's statement: mark the batch delivered, return (id, to, callback URL).
MARK_TWIN_DELIVERED = text(
    "UPDATE messages SET status = 'delivered', updated_at = now()"
    " WHERE sid = ANY(CAST(:ids AS text[])) AND status <> 'delivered'"
    " RETURNING sid, to_number, status_callback"
)
# Metering: a message leaves `queued` for `sending` when its sender's slot comes.
MARK_TWIN_SENDING = text(
    "UPDATE messages SET status = 'sending', updated_at = now()"
    " WHERE sid = ANY(CAST(:ids AS text[])) AND status = 'queued'"
)

# The status callback's delivery, on the message the API serves; a delivered one stays delivered.
RECORD_TWIN_CALLBACK = text(
    "UPDATE messages SET status_callback_status = :status, status_callback_error = :error,"
    " updated_at = now() WHERE sid = ANY(CAST(:ids AS text[]))"
    " AND coalesce(status_callback_status, '') <> 'delivered'"
)


def make_carrier(settings: QueueSettings) -> SimulatedCarrier:
    """The simulated carrier; with QUEUE_DEMO_CARRIER_LOG set, one that writes down each call."""
    path = CarrierLogSettings().carrier_log
    carrier = SimulatedCarrier if path is None else partial(LoggedCarrier, path)
    return carrier(
        delay_s=settings.carrier_delay_s,
        failure_rate=settings.carrier_failure_rate,
        poison_numbers=settings.poison_numbers,
    )


async def run(settings: QueueSettings, name: str) -> int:
    async with services() as s, httpx.AsyncClient() as http:
        await create_tables(s.engine, with_messages=False)
        deliver = DeliverMessages(
            s.sessions,
            make_carrier(settings),
            settings,
            consumer=name,
            mark_delivered=MARK_TWIN_DELIVERED,
        )
        metered = MeteredDelivery(
            deliver,
            Meter(s.redis, settings, MeterSettings()),
            s.sessions,
            mark_sending=MARK_TWIN_SENDING,
        )
        deliveries = Consumer(s.redis, metered, name=name, settings=settings)
        callbacks = Consumer(
            s.redis,
            SendStatusCallbacks(
                s.sessions,
                http,
                settings,
                backoff=CallbackPolicySettings().backoff(),
                ledger=CallbackLedger(s.sessions, RECORD_TWIN_CALLBACK),
            ),
            name=name,
            settings=settings,
            stream=settings.callbacks_stream,
            group=settings.callbacks_group,
        )
        stop = asyncio.Event()

        async def both() -> None:
            await asyncio.gather(
                deliveries.run(stop), callbacks.run(stop), metered.run_scheduler(stop)
            )

        return await until_sigterm(both(), stop, settings.shutdown_deadline_s)


def main() -> None:
    configure_logging()
    name = sys.argv[1] if len(sys.argv) > 1 else f"worker-{os.getpid()}"
    raise SystemExit(asyncio.run(run(QueueSettings(), name)))


if __name__ == "__main__":
    main()
