"""The mini Twilio's worker: queue_demo's consumers, pointed at the REST/GraphQL twin's messages.

One process runs two consumer groups: deliveries (carrier, then status) and status callbacks, and
the metering scheduler that sends each sender's parked messages when their departure slots come.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from functools import partial

import httpx
import structlog
from sqlalchemy import text

from backing_services import get_settings
from error_handling import configure_logging
from queue_demo.callback_policy import CallbackLedger, CallbackPolicySettings
from queue_demo.callbacks import SendStatusCallbacks
from queue_demo.carrier import SimulatedCarrier
from queue_demo.carrier_log import CarrierLogSettings, LoggedCarrier
from queue_demo.connections import Connections, connected
from queue_demo.consumer import Consumer
from queue_demo.delivery import DeliverMessages
from queue_demo.metering import Meter, MeteredDelivery, MeterSettings
from queue_demo.schema import create_tables
from queue_demo.settings import QueueSettings

# Same shape as queue_demo's statement: mark the batch delivered, return (id, to, callback URL).
# Each statement takes the batch's ids as one JSON array (queue_demo/inbox.py says why).
MARK_TWIN_DELIVERED = text(
    "UPDATE messages SET status = 'delivered', updated_at = now()"
    " WHERE sid = ANY(ARRAY(SELECT json_array_elements_text(CAST(:ids AS json))))"
    " AND status <> 'delivered'"
    " RETURNING sid, to_number, status_callback"
)
# Metering: a message leaves `queued` for `sending` when its sender's slot comes.
MARK_TWIN_SENDING = text(
    "UPDATE messages SET status = 'sending', updated_at = now()"
    " WHERE sid = ANY(ARRAY(SELECT json_array_elements_text(CAST(:ids AS json))))"
    " AND status = 'queued'"
)
# The status callback's delivery, on the message the API serves; a delivered one stays delivered.
RECORD_TWIN_CALLBACK = text(
    "UPDATE messages SET status_callback_status = :status, status_callback_error = :error,"
    " updated_at = now()"
    " WHERE sid = ANY(ARRAY(SELECT json_array_elements_text(CAST(:ids AS json))))"
    " AND coalesce(status_callback_status, '') <> 'delivered'"
)
Work = Callable[[asyncio.Event], Awaitable[None]]
log = structlog.get_logger("app.worker")


def make_carrier(settings: QueueSettings) -> SimulatedCarrier:
    """The simulated carrier; with QUEUE_DEMO_CARRIER_LOG set, one that writes down each call."""
    path = CarrierLogSettings().carrier_log
    carrier = SimulatedCarrier if path is None else partial(LoggedCarrier, path)
    return carrier(
        delay_s=settings.carrier_delay_s,
        failure_rate=settings.carrier_failure_rate,
        poison_numbers=settings.poison_numbers,
    )


def consumers(
    c: Connections, http: httpx.AsyncClient, settings: QueueSettings, name: str
) -> list[Work]:
    """Deliveries (metered per sender, then carrier and status), the metering scheduler, and status
    callbacks (with their delivery policy), on the twin's `messages` table."""
    deliver = DeliverMessages(
        c.sessions,
        make_carrier(settings),
        settings,
        consumer=name,
        mark_delivered=MARK_TWIN_DELIVERED,
    )
    metered = MeteredDelivery(
        deliver,
        Meter(c.redis, settings, MeterSettings()),
        c.sessions,
        mark_sending=MARK_TWIN_SENDING,
    )
    callbacks = SendStatusCallbacks(
        c.sessions,
        http,
        settings,
        backoff=CallbackPolicySettings().backoff(),
        ledger=CallbackLedger(c.sessions, RECORD_TWIN_CALLBACK),
    )
    return [
        Consumer(c.redis, metered, name=name, settings=settings).run,
        metered.run_scheduler,
        Consumer(
            c.redis,
            callbacks,
            name=name,
            settings=settings,
            stream=settings.callbacks_stream,
            group=settings.callbacks_group,
        ).run,
    ]


async def run(settings: QueueSettings, name: str) -> int:
    """Consume until SIGTERM or SIGINT, then give in-flight work the shutdown deadline to finish."""
    async with connected(get_settings(), "app.worker") as c, httpx.AsyncClient() as http:
        await create_tables(c.engine, with_messages=False)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        running = consumers(c, http, settings, name)

        async def all_consumers() -> None:
            await asyncio.gather(*(work(stop) for work in running))

        work = asyncio.create_task(all_consumers())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({work, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        try:
            await asyncio.wait_for(work, settings.shutdown_deadline_s)
        except TimeoutError:
            # What was in flight stays pending; another consumer claims it after the lease.
            log.warning("worker did not finish within the shutdown deadline")
            return 1
        return 0


def main() -> None:
    configure_logging()
    name = sys.argv[1] if len(sys.argv) > 1 else f"worker-{os.getpid()}"
    raise SystemExit(asyncio.run(run(QueueSettings(), name)))


if __name__ == "__main__":
    main()
