"""Run one piece as its own process: `python -m microservices.serve accounts|messages|monolith|billing`.

Redis and PostgreSQL come from `backing_services`; ports and knobs from flags and `MICROSERVICES_*`.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

import redis.asyncio
import uvicorn
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from backing_services import get_settings, sqlalchemy_async_url
from backing_services.local_processes import LOOPBACK
from microservices.accounts_service import create_accounts_app
from microservices.billing import BillingHandler
from microservices.messages_service import create_messages_app
from microservices.monolith import create_monolith_app
from microservices.schema import create_tables
from microservices.settings import MicroservicesSettings
from queue_demo.consumer import Consumer
from queue_demo.settings import QueueSettings

PIECES = ("accounts", "messages", "monolith", "billing")


def billing_queue_settings(settings: MicroservicesSettings) -> QueueSettings:
    """queue_demo's consumer, pointed at the billing stream, with short blocks for a prompt stop."""
    return QueueSettings(
        stream=settings.billing_stream,
        group=settings.billing_group,
        dead_letter_stream=settings.billing_dead_letters,
        block_ms=100,
        batch_size=100,
    )


async def run_billing(database_url: str, redis_url: str, settings: MicroservicesSettings) -> None:
    """Consume `message.sent` events into billing records until SIGTERM or SIGINT."""
    engine = create_async_engine(sqlalchemy_async_url(database_url))
    client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await create_tables(engine)
        handler = BillingHandler(async_sessionmaker(engine, expire_on_commit=False))
        consumer = Consumer(
            client, handler, name="billing-1", settings=billing_queue_settings(settings)
        )
        await consumer.run(stop)
    finally:
        await client.aclose()
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m microservices.serve", description=__doc__)
    parser.add_argument("piece", choices=PIECES)
    parser.add_argument("--port", type=int, default=0, help="HTTP port (not used by billing)")
    args = parser.parse_args(argv)
    if args.piece != "billing" and not 0 < args.port < 65536:
        parser.error("--port must be between 1 and 65535")
    services = get_settings()
    if services.redis_url is None or services.database_url is None:
        sys.exit(
            f"cannot start {args.piece}: set REDIS_URL and DATABASE_URL (it starts no containers)"
        )
    settings = MicroservicesSettings()
    if args.piece == "billing":
        asyncio.run(run_billing(services.database_url, services.redis_url, settings))
        return
    app: FastAPI
    if args.piece == "accounts":
        app = create_accounts_app(services.database_url, settings)
    elif args.piece == "messages":
        app = create_messages_app(services.database_url, services.redis_url, settings)
    else:
        app = create_monolith_app(services.database_url, settings)
    # A short graceful period: requests held by an injected outage must not delay the stop.
    # No proxy sits in front of these pieces: uvicorn must not believe X-Forwarded-* from loopback.
    uvicorn.run(
        app,
        host=LOOPBACK,
        port=args.port,
        log_level="warning",
        timeout_graceful_shutdown=1,
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()
