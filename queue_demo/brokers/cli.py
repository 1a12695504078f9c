"""`python -m queue_demo.brokers.cli {relay|worker} --broker {rabbitmq|nats}`: the outbox relay or a
delivery worker on RabbitMQ or NATS JetStream, with PostgreSQL for the outbox, inbox and effect.

Both stop on SIGTERM like their Redis twins: no new reads, the batch in hand finishes and is acked.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

import aio_pika
import nats
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from backing_services import ServiceUnavailable, get_settings, sqlalchemy_async_url
from backing_services.resolve import check_reachable
from error_handling import configure_logging
from queue_demo.brokers.common import BrokerSettings, require_answering
from queue_demo.brokers.jetstream import JetStreamConsumer, JetStreamPublisher
from queue_demo.brokers.rabbitmq import RabbitConsumer, RabbitPublisher
from queue_demo.carrier import SimulatedCarrier
from queue_demo.cli import until_sigterm
from queue_demo.delivery import DeliverMessages
from queue_demo.relay import Publisher, Relay
from queue_demo.schema import create_tables
from queue_demo.settings import QueueSettings

Broker = Literal["rabbitmq", "nats"]


def check_services(broker: Broker) -> None:
    """PostgreSQL and the chosen broker answer, or SystemExit with one line naming what is missing."""
    shared, brokers = get_settings(), BrokerSettings()
    if shared.database_url is None:
        raise SystemExit("queue_demo.brokers needs DATABASE_URL set to a running PostgreSQL")
    try:
        check_reachable("PostgreSQL", shared.database_url, shared.service_connect_timeout_s)
        if broker == "rabbitmq":
            require_answering(
                "RabbitMQ", brokers.amqp_url, "AMQP_URL", brokers.broker_connect_timeout_s
            )
        else:
            require_answering(
                "NATS", brokers.nats_url, "NATS_URL", brokers.broker_connect_timeout_s
            )
    except ServiceUnavailable as error:
        raise SystemExit(f"queue_demo.brokers: {error}") from None


@asynccontextmanager
async def sessions(settings: QueueSettings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    database_url = get_settings().database_url
    assert database_url is not None  # check_services ran first
    engine = create_async_engine(sqlalchemy_async_url(database_url))
    try:
        await create_tables(engine, with_messages=settings.own_messages_table)
        yield async_sessionmaker(engine, expire_on_commit=False)
    finally:
        await engine.dispose()


async def run(settings: QueueSettings, broker: Broker, command: str, name: str) -> int:
    brokers = BrokerSettings()
    stop = asyncio.Event()
    deadline = settings.shutdown_deadline_s
    async with sessions(settings) as made:
        if broker == "rabbitmq":
            connection = await aio_pika.connect(brokers.amqp_url)
            try:
                if command == "relay":
                    publisher: Publisher = RabbitPublisher(connection, settings.max_deliveries)
                    return await until_sigterm(
                        relay(made, publisher, settings, stop), stop, deadline
                    )
                consumer = RabbitConsumer(
                    connection, deliverer(made, settings, name), settings=settings
                )
                return await until_sigterm(consumer.run(stop), stop, deadline)
            finally:
                await connection.close()
        client = await nats.connect(brokers.nats_url)
        try:
            if command == "relay":
                publisher = JetStreamPublisher(client.jetstream())
                return await until_sigterm(relay(made, publisher, settings, stop), stop, deadline)
            worker = JetStreamConsumer(client, deliverer(made, settings, name), settings=settings)
            return await until_sigterm(worker.run(stop), stop, deadline)
        finally:
            await client.close()


async def relay(
    made: async_sessionmaker[AsyncSession],
    publisher: Publisher,
    settings: QueueSettings,
    stop: asyncio.Event,
) -> None:
    await Relay(made, None, settings, publisher=publisher).run(stop)


def deliverer(
    made: async_sessionmaker[AsyncSession], settings: QueueSettings, name: str
) -> DeliverMessages:
    carrier = SimulatedCarrier(
        delay_s=settings.carrier_delay_s,
        failure_rate=settings.carrier_failure_rate,
        poison_numbers=settings.poison_numbers,
    )
    return DeliverMessages(made, carrier, settings, consumer=name)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m queue_demo.brokers.cli", description=__doc__)
    root.add_argument("command", choices=["relay", "worker"])
    root.add_argument("--broker", choices=["rabbitmq", "nats"], required=True)
    root.add_argument("--name", default=f"{socket.gethostname()}-{os.getpid()}")
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    check_services(args.broker)
    configure_logging()
    return asyncio.run(run(QueueSettings(), args.broker, args.command, args.name))


if __name__ == "__main__":
    sys.exit(main())
