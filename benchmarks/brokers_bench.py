"""Three brokers, one consumer contract: Redis Streams, RabbitMQ (quorum queue) and NATS JetStream.

Per broker: its publish floor (the relay's publisher alone, batches of 500, each confirmed), then
messages/s with 1 and 2 consumers (in one process: concurrency, not more cores) and end-to-end
p50/p99 at a fixed offered rate, with the no-op effect and the Postgres effect (DeliverMessages).

Run from the repo root:  .venv/bin/python -m benchmarks.brokers_bench [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import aio_pika
import nats
import redis.asyncio
from nats.aio.client import Client as NatsClient
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from backing_services import ServiceUnavailable, sqlalchemy_async_url
from backing_services.measure import percentile
from backing_services.resolve import services_for_demo
from backing_services.schemas import drop_schema, recreate_schema
from benchmarks.common import RESULTS, add_quick, command, figure, machine, write_results
from queue_demo.brokers.common import BrokerSettings, require_answering
from queue_demo.brokers.jetstream import (
    JetStreamConsumer,
    JetStreamPublisher,
    dead_letter_stream,
    ensure_stream,
    stream_name,
)
from queue_demo.brokers.rabbitmq import (
    RabbitConsumer,
    RabbitPublisher,
    dead_letter_queue,
    declare,
)
from queue_demo.carrier import SimulatedCarrier
from queue_demo.consumer import Consumer, Handler, ensure_group
from queue_demo.delivery import DeliverMessages
from queue_demo.events import Event
from queue_demo.outbox import MESSAGE_QUEUED
from queue_demo.relay import Publisher, StreamsPublisher
from queue_demo.retry import GaveUp
from queue_demo.schema import create_tables
from queue_demo.settings import QueueSettings

SCHEMA = "bench_brokers"
BATCH = 500
console = Console()


class Runs(Protocol):
    async def run(self, stop: asyncio.Event) -> None: ...


class Transport(Protocol):
    name: str

    def publisher(self) -> Publisher: ...
    def consumer(self, handler: Handler, settings: QueueSettings, name: str) -> Runs: ...
    async def prepare(self, settings: QueueSettings) -> None: ...
    async def delete(self, destination: str) -> None: ...


@dataclass
class RedisTransport:
    client: redis.asyncio.Redis
    name: str = "redis"

    def publisher(self) -> Publisher:
        return StreamsPublisher(self.client)

    def consumer(self, handler: Handler, settings: QueueSettings, name: str) -> Runs:
        return Consumer(self.client, handler, name=name, settings=settings)

    async def prepare(self, settings: QueueSettings) -> None:
        await ensure_group(self.client, settings.stream, settings.group)

    async def delete(self, destination: str) -> None:
        await self.client.delete(destination)


@dataclass
class RabbitTransport:
    connection: aio_pika.abc.AbstractConnection
    name: str = "rabbitmq"

    def publisher(self) -> Publisher:
        return RabbitPublisher(self.connection, QueueSettings().max_deliveries)

    def consumer(self, handler: Handler, settings: QueueSettings, name: str) -> Runs:
        return RabbitConsumer(self.connection, handler, settings=settings)

    async def prepare(self, settings: QueueSettings) -> None:
        # Declared once, before any consumer: a second declarer of a quorum queue still being
        # created gets declare-ok at once, and its basic.consume then crashes the connection
        # (`{badmatch,{error,noproc}}` in rabbit_quorum_queue:consume; seen with two consumers).
        async with self.connection.channel() as channel:
            await declare(channel, settings.stream, settings.max_deliveries)

    async def delete(self, destination: str) -> None:
        async with self.connection.channel() as channel:
            for queue in (destination, dead_letter_queue(destination)):
                await channel.queue_delete(queue)


@dataclass
class NatsTransport:
    client: NatsClient
    name: str = "nats"

    def publisher(self) -> Publisher:
        return JetStreamPublisher(self.client.jetstream())

    def consumer(self, handler: Handler, settings: QueueSettings, name: str) -> Runs:
        return JetStreamConsumer(self.client, handler, settings=settings)

    async def prepare(self, settings: QueueSettings) -> None:
        js = self.client.jetstream()
        for name in (stream_name(settings.stream), dead_letter_stream(settings.stream)):
            await ensure_stream(js, name)

    async def delete(self, destination: str) -> None:
        js = self.client.jetstream()
        for name in (stream_name(destination), dead_letter_stream(destination)):
            with contextlib.suppress(nats.js.errors.NotFoundError):
                await js.delete_stream(name)


@dataclass
class Timed:
    """Wraps the effect (or none) and records, per event, the time from its creation to applied."""

    inner: Handler | None
    latencies: list[float] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)

    async def __call__(self, events: Sequence[Event]) -> Mapping[str, GaveUp]:
        result = await self.inner(events) if self.inner else {}
        now = time.time()
        for event in events:
            if event.event_id not in self.seen:
                self.seen.add(event.event_id)
                self.latencies.append(now - event.created_at)
        return result


def new_events(count: int) -> list[Event]:
    return [
        Event(
            str(uuid.uuid4()),
            MESSAGE_QUEUED,
            {"message_id": str(uuid.uuid4()), "to": f"+1415555{n % 10_000:04d}", "body": "hi"},
        )
        for n in range(count)
    ]


async def publish(publisher: Publisher, destination: str, count: int, rate: float | None) -> None:
    """Publish `count` events in batches; at `rate` per second if given, else as fast as it can."""
    started = time.perf_counter()
    sent = 0
    while sent < count:
        size = min(BATCH if rate is None else max(1, int(rate / 50)), count - sent)
        await publisher.publish([(destination, event) for event in new_events(size)])
        sent += size
        if rate is not None:
            await asyncio.sleep(max(0.0, started + sent / rate - time.perf_counter()))


async def publish_floor(transport: Transport, count: int) -> float:
    destination = f"bench-floor-{uuid.uuid4().hex[:8]}"
    started = time.perf_counter()
    await publish(transport.publisher(), destination, count, None)
    elapsed = time.perf_counter() - started
    await transport.delete(destination)
    return count / elapsed


async def consume(
    transport: Transport,
    make_effect: Handler | None,
    consumers: int,
    count: int,
    rate: float | None,
) -> tuple[float, list[float]]:
    """Run `consumers` consumers while `count` events are published; messages/s and latencies."""
    destination = f"bench-{uuid.uuid4().hex[:8]}"
    settings = QueueSettings(stream=destination, batch_size=BATCH, block_ms=50, concurrency=500)
    timed = Timed(make_effect)
    stop = asyncio.Event()
    await transport.prepare(settings)  # the topology first, as a deploy would; then the processes
    tasks = [
        asyncio.create_task(transport.consumer(timed, settings, f"c{n}").run(stop))
        for n in range(consumers)
    ]
    started = time.perf_counter()
    await publish(transport.publisher(), destination, count, rate)
    while len(timed.seen) < count:
        for task in tasks:
            if task.done():
                task.result()
        await asyncio.sleep(0.005)
    elapsed = time.perf_counter() - started
    stop.set()
    await asyncio.gather(*tasks)
    await transport.delete(destination)
    return count / elapsed, timed.latencies


async def measure(
    transport: Transport,
    sessions: async_sessionmaker[AsyncSession],
    counts: Mapping[str, int],
    rate: float,
) -> dict[str, Any]:
    floor = await publish_floor(transport, counts["floor"])
    console.print(f"{transport.name}: publish floor {floor:,.0f}/s")
    rows = []
    for effect in ("noop", "postgres"):
        for consumers in (1, 2):
            handler: Handler | None = (
                DeliverMessages(sessions, SimulatedCarrier(), QueueSettings(concurrency=500))
                if effect == "postgres"
                else None
            )
            throughput, _ = await consume(transport, handler, consumers, counts[effect], None)
            _, latencies = await consume(transport, handler, consumers, counts["paced"], rate)
            row = {
                "effect": effect,
                "consumers": consumers,
                "messages_per_s": round(throughput),
                "share_of_floor": round(throughput / floor, 3),
                "latency_rate_per_s": rate,
                "latency_p50_ms": round(percentile(latencies, 50) * 1000, 2),
                "latency_p99_ms": round(percentile(latencies, 99) * 1000, 2),
            }
            console.print(f"  {row}")
            rows.append(row)
    return {"broker": transport.name, "publish_floor_per_s": round(floor), "runs": rows}


async def run_all(redis_url: str, database_url: str, quick: bool) -> list[dict[str, Any]]:
    scale = 10 if quick else 1
    counts = {"floor": 20_000 // scale, "noop": 10_000 // scale, "postgres": 5_000 // scale}
    counts["paced"] = 1_500 // scale
    rate = 500.0
    brokers = BrokerSettings()
    engine = create_async_engine(sqlalchemy_async_url(database_url))
    await create_tables(engine)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    connection = await aio_pika.connect(brokers.amqp_url)
    nats_client = await nats.connect(brokers.nats_url)
    try:
        transports: list[Transport] = [
            RedisTransport(client),
            RabbitTransport(connection),
            NatsTransport(nats_client),
        ]
        return [await measure(t, sessions, counts, rate) for t in transports]
    finally:
        await nats_client.close()
        await connection.close()
        await client.aclose()
        await engine.dispose()


def show(results: Sequence[Mapping[str, Any]]) -> None:
    table = Table(
        "broker", "floor/s", "effect", "consumers", "msg/s", "of floor", "p50 ms", "p99 ms"
    )
    for result in results:
        for row in result["runs"]:
            table.add_row(
                result["broker"], f"{result['publish_floor_per_s']:,}", row["effect"],
                str(row["consumers"]), f"{row['messages_per_s']:,}", f"{row['share_of_floor']:.0%}",
                f"{row['latency_p50_ms']:.1f}", f"{row['latency_p99_ms']:.1f}",
            )  # fmt: skip
    console.print(table)


def plot(results: Sequence[Mapping[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (rates, p99s) = plt.subplots(1, 2, figsize=(11, 4))
    labels = [f"{row['effect']}\n{row['consumers']}c" for row in results[0]["runs"]]
    width = 0.8 / len(results)
    for n, result in enumerate(results):
        xs = [i + n * width for i in range(len(labels))]
        rates.bar(
            xs, [row["messages_per_s"] for row in result["runs"]], width, label=result["broker"]
        )
        p99s.bar(
            xs, [row["latency_p99_ms"] for row in result["runs"]], width, label=result["broker"]
        )
    for axis, title in ((rates, "messages/s (saturated)"), (p99s, "p99 ms at a fixed rate")):
        axis.set_xticks([i + width for i in range(len(labels))], labels)
        axis.set_title(title)
        axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add_quick(parser)  # a tenth of the messages
    args = parser.parse_args()
    urls = BrokerSettings()
    try:
        require_answering("RabbitMQ", urls.amqp_url, "AMQP_URL", urls.broker_connect_timeout_s)
        require_answering("NATS", urls.nats_url, "NATS_URL", urls.broker_connect_timeout_s)
    except ServiceUnavailable as error:
        raise SystemExit(f"cannot run the benchmark: {error}") from None
    with services_for_demo() as services:
        database_url = recreate_schema(services.database_url, SCHEMA)
        try:
            record = machine(quick=args.quick)
            results = asyncio.run(run_all(services.redis_url, database_url, args.quick))
        finally:
            drop_schema(services.database_url, SCHEMA)
    show(results)
    record = {"command": command("brokers_bench"), "machine": record, "brokers": results}
    path = write_results("brokers", record, quick=args.quick)
    picture = figure(RESULTS / "brokers.png", args.quick)
    plot(results, picture)
    console.print(f"wrote {path} and {picture}")


if __name__ == "__main__":
    main()
