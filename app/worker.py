"""The mini Twilio's worker: queue_demo's consumers, pointed at the REST/GraphQL twin's messages.

One process runs two consumer groups: deliveries (carrier, then status) and status callbacks.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import redis.asyncio
import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from backing_services import Settings, get_settings, sqlalchemy_async_url
from backing_services.resolve import ServiceUnavailable, check_reachable
from error_handling import configure_logging
from queue_demo.callbacks import SendStatusCallbacks
from queue_demo.carrier import SimulatedCarrier
from queue_demo.consumer import Consumer
from queue_demo.delivery import DeliverMessages
from queue_demo.schema import create_tables
from queue_demo.settings import QueueSettings

# Same shape as queue_demo's statement: mark the batch delivered, return (id, to, callback URL).
MARK_TWIN_DELIVERED = text(
    "UPDATE messages SET status = 'delivered', updated_at = now()"
    " WHERE sid = ANY(CAST(:ids AS text[])) AND status <> 'delivered'"
    " RETURNING sid, to_number, status_callback"
)
log = structlog.get_logger("app.worker")


@dataclass(frozen=True)
class Connections:
    redis: redis.asyncio.Redis
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]


@asynccontextmanager
async def connected(settings: Settings) -> AsyncIterator[Connections]:
    """Redis and PostgreSQL from the app's settings, as the api connects; SystemExit in one line."""
    if settings.redis_url is None or settings.database_url is None:
        raise SystemExit("app.worker needs REDIS_URL and DATABASE_URL set to running servers")
    try:
        check_reachable("Redis", settings.redis_url, settings.service_connect_timeout_s)
        check_reachable("PostgreSQL", settings.database_url, settings.service_connect_timeout_s)
    except ServiceUnavailable as error:
        raise SystemExit(f"app.worker: {error}") from None
    client = redis.asyncio.Redis.from_url(settings.redis_url, decode_responses=True)
    engine = create_async_engine(sqlalchemy_async_url(settings.database_url))
    try:
        yield Connections(client, engine, async_sessionmaker(engine, expire_on_commit=False))
    finally:
        await client.aclose()
        await engine.dispose()


def consumers(
    c: Connections, http: httpx.AsyncClient, settings: QueueSettings, name: str
) -> list[Consumer]:
    """Deliveries (carrier, then status) and status callbacks, on the twin's `messages` table."""
    carrier = SimulatedCarrier(
        delay_s=settings.carrier_delay_s,
        failure_rate=settings.carrier_failure_rate,
        poison_numbers=settings.poison_numbers,
    )
    deliver = DeliverMessages(
        c.sessions, carrier, settings, consumer=name, mark_delivered=MARK_TWIN_DELIVERED
    )
    return [
        Consumer(c.redis, deliver, name=name, settings=settings),
        Consumer(
            c.redis,
            SendStatusCallbacks(c.sessions, http, settings),
            name=name,
            settings=settings,
            stream=settings.callbacks_stream,
            group=settings.callbacks_group,
        ),
    ]


async def run(settings: QueueSettings, name: str) -> int:
    """Consume until SIGTERM or SIGINT, then give in-flight work the shutdown deadline to finish."""
    async with connected(get_settings()) as c, httpx.AsyncClient() as http:
        await create_tables(c.engine, with_messages=False)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        running = consumers(c, http, settings, name)

        async def all_consumers() -> None:
            await asyncio.gather(*(consumer.run(stop) for consumer in running))

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
