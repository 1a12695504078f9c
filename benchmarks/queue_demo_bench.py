"""Measure the queue_demo consumer: messages/s and end-to-end latency, against the XADD floor and RQ.

Floors: pipelined XADD (redis-py and redis-benchmark) and a bare XREADGROUP+XACK loop. Peer: RQ's
SimpleWorker running a no-op job. Ours: 1 and 2 consumer processes, no-op effect and Postgres effect.

Run from the repo root:  .venv/bin/python -m benchmarks.queue_demo_bench
(`--quick`: a smoke pass of a few seconds, written under out/bench-quick/; `--profile`: where one
consumer's CPU goes, drained in this process, against the floor's CPU per message).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import multiprocessing
import pstats
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from multiprocessing.synchronize import Event as ProcessEvent
from typing import Any
from urllib.parse import urlsplit

import redis
import redis.asyncio
from rich.console import Console
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from backing_services import sqlalchemy_async_url
from backing_services.measure import percentile
from backing_services.resolve import services_for_demo
from backing_services.schemas import drop_schema, recreate_schema
from benchmarks.common import (
    add_quick,
    command,
    cpu_per_unit,
    cpu_snapshot,
    machine,
    write_results,
)
from error_handling.correlation import new_request_id
from error_handling.traceparent import new_traceparent
from queue_demo.carrier import SimulatedCarrier
from queue_demo.connections import stream_client
from queue_demo.consumer import Consumer, ensure_group
from queue_demo.delivery import DeliverMessages
from queue_demo.events import Event
from queue_demo.retry import GaveUp
from queue_demo.schema import create_tables
from queue_demo.settings import QueueSettings

SCHEMA = "bench_queue_demo"
PREFIX = "bench:queue_demo"
SETTINGS = QueueSettings(
    stream=f"{PREFIX}:messages",
    dead_letter_stream=f"{PREFIX}:dead_letters",
    batch_size=500,
    block_ms=100,
    concurrency=500,
)
console = Console()
Profiler = cProfile.Profile | None


def event(message_id: str | None = None) -> dict[str, str]:
    """A `message.queued` event as the API publishes it: with its request id and trace context."""
    payload = {"message_id": message_id or str(uuid.uuid4()), "to": "+14155550100", "body": "hi"}
    return Event(
        str(uuid.uuid4()),
        "message.queued",
        payload,
        request_id=new_request_id(),
        traceparent=str(new_traceparent()),
    ).to_fields()


# ---- floors -------------------------------------------------------------------------------------


def xadd_floor(redis_url: str, count: int) -> float:
    """Pipelined XADD from redis-py, 1,000 per round trip: the rate messages can enter at all."""
    client = redis.Redis.from_url(redis_url)
    key = f"{PREFIX}:floor"
    client.delete(key)
    fields = event()
    started = time.perf_counter()
    for _ in range(count // 1000):
        pipe = client.pipeline(transaction=False)
        for _ in range(1000):
            pipe.xadd(key, fields)  # type: ignore[arg-type]
        pipe.execute()
    elapsed = time.perf_counter() - started
    client.delete(key)
    client.close()
    return count // 1000 * 1000 / elapsed


def redis_benchmark_floor(redis_url: str, count: int) -> float | None:
    """The same floor from redis-benchmark (C, 50 clients, pipeline 16), when it is installed."""
    if shutil.which("redis-benchmark") is None:
        return None
    url = urlsplit(redis_url)
    key = f"{PREFIX}:floor"
    argv = ["redis-benchmark", "-h", url.hostname or "127.0.0.1", "-p", str(url.port or 6379)]
    argv += ["--dbnum", url.path.strip("/") or "0", "-n", str(count), "-P", "16", "-q"]
    output = subprocess.run(
        [*argv, "XADD", key, "*", "field", "value"], capture_output=True, text=True, check=False
    ).stdout
    redis.Redis.from_url(redis_url).delete(key)
    found = re.findall(r"([\d.]+) requests per second", output)
    return float(found[-1]) if found else None


async def bare_loop(redis_url: str, count: int) -> float:
    """XREADGROUP 500 + XACK with nothing in between, on the consumer's client: what it tops out at."""
    client = stream_client(redis_url)
    key = f"{PREFIX}:bare"
    await client.delete(key)
    await client.xgroup_create(key, "g", id="0", mkstream=True)
    await fill(client, key, [event() for _ in range(1000)] * (count // 1000))
    started, done = time.perf_counter(), 0
    while done < count // 1000 * 1000:
        reply: Any = await client.xreadgroup("g", "c", {key: ">"}, count=500)
        ids = [entry_id for entry_id, _ in reply[0][1]]
        await client.xack(key, "g", *ids)
        done += len(ids)
    elapsed = time.perf_counter() - started
    await client.delete(key)
    await client.aclose()
    return done / elapsed


async def fill(client: redis.asyncio.Redis, key: str, events: Sequence[Mapping[str, str]]) -> None:
    for start in range(0, len(events), 1000):
        pipe = client.pipeline(transaction=False)
        for fields in events[start : start + 1000]:
            pipe.xadd(key, fields)  # type: ignore[arg-type]
        await pipe.execute()


# ---- the peer: RQ -------------------------------------------------------------------------------


def rq_no_op(redis_url: str, count: int) -> float:
    """RQ 3's SimpleWorker (no fork per job) draining `count` no-op jobs in burst mode."""
    from rq import Queue, SimpleWorker

    connection = redis.Redis.from_url(redis_url)
    queue = Queue(f"{PREFIX.replace(':', '-')}-rq", connection=connection)
    queue.empty()  # type: ignore[no-untyped-call]  # rq's Queue.empty has no annotations
    jobs = [Queue.prepare_data("builtins.abs", (0,), result_ttl=0) for _ in range(count)]
    for start in range(0, count, 500):
        queue.enqueue_many(jobs[start : start + 500])
    worker = SimpleWorker([queue], connection=connection)
    started = time.perf_counter()
    worker.work(burst=True, logging_level="WARNING")
    elapsed = time.perf_counter() - started
    queue.empty()  # type: ignore[no-untyped-call]
    queue.delete(delete_jobs=True)
    connection.close()
    return count / elapsed


# ---- where one consumer's CPU goes ---------------------------------------------------------------

# cProfile entries (file suffix, function or functions joined by "|") whose cumulative time is one
# step of handling a message.
NO_OP_STEPS = {
    "parse_entry (validation, JSON, the Event)": ("queue_demo/events.py", "parse_entry"),
    "  of which json.loads": ("json/__init__.py", "loads"),
    "redis-py: stream reply to dicts": ("redis/_parsers/helpers.py", "pairs_to_dict"),
    "redis-py: packing commands": ("redis/asyncio/connection.py", "pack_command"),
}
# The Postgres effect's own steps. SQLAlchemy's async session runs in greenlets, which cProfile
# cannot follow, so the database's share is what the effect adds over the no-op consumer, not a row.
POSTGRES_STEPS = {
    "parse_entry": ("queue_demo/events.py", "parse_entry"),
    "binding each event's ids to the log context (bound_to)": (
        "error_handling/correlation.py",
        "__init__|__enter__|__exit__",  # bound_correlation: make the ids, bind them, restore
    ),
    "the carrier call inside its retry wrapper": ("queue_demo/retry.py", "call_with_retries"),
    "psycopg: turning id lists into array parameters": ("psycopg/types/array.py", "_dump_list"),
}
Effect = Callable[[Sequence[Event]], Awaitable[Mapping[str, GaveUp]]]


async def no_op(events: Sequence[Event]) -> Mapping[str, GaveUp]:
    return {}


async def drain_in_process(
    redis_url: str, entries: Sequence[Mapping[str, str]], effect: Effect, profiler: Profiler
) -> float:
    """One Consumer applies `effect` to `entries` in this process; returns CPU µs per message."""
    client = stream_client(redis_url)
    settings = SETTINGS.model_copy(update={"stream": f"{PREFIX}:profiled"})
    await client.delete(settings.stream)
    await ensure_group(client, settings.stream, settings.group)
    await fill(client, settings.stream, entries)
    stop, handled = asyncio.Event(), 0

    async def counted(events: Sequence[Event]) -> Mapping[str, GaveUp]:
        nonlocal handled
        failures = await effect(events)
        handled += len(events)
        if handled >= len(entries):  # the consumer still acks this batch before `run` returns
            stop.set()
        return failures

    consumer = Consumer(client, counted, name="profiled", settings=settings)
    started = time.process_time()
    if profiler:
        profiler.enable()
    await consumer.run(stop)
    if profiler:
        profiler.disable()
    cpu_s = time.process_time() - started
    await client.delete(settings.stream)
    await client.aclose()
    return cpu_s / len(entries) * 1e6


async def drain_postgres_in_process(
    redis_url: str, database_url: str, count: int, profiler: Profiler
) -> float:
    """As `drain_in_process`, with the idempotent Postgres effect on fresh message rows."""
    entries = [event(message_id) for message_id in await new_messages(database_url, count)]
    engine = create_async_engine(sqlalchemy_async_url(database_url), pool_size=2)
    deliver = DeliverMessages(
        async_sessionmaker(engine), SimulatedCarrier(), SETTINGS, consumer="profiled"
    )
    try:
        return await drain_in_process(redis_url, entries, deliver, profiler)
    finally:
        await engine.dispose()


def shares(profiler: cProfile.Profile, steps: Mapping[str, tuple[str, str]]) -> dict[str, float]:
    """Each step's cumulative time as a share of all the time the profile saw."""
    entries = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(own for (_, _, own, _, _) in entries.values())
    return {
        step: sum(
            cumulative
            for (path, _, function), (_, _, _, cumulative, _) in entries.items()
            if path.endswith(suffix) and function in name.split("|")
        )
        / total
        for step, (suffix, name) in steps.items()
    }


def cpu_per_message(redis_url: str, entries: Sequence[Mapping[str, str]]) -> tuple[float, float]:
    """One round: CPU µs per message for the pipelined-XADD floor, then for one no-op consumer."""
    started = time.process_time()
    xadd_floor(redis_url, len(entries))
    floor_us = (time.process_time() - started) / (len(entries) // 1000 * 1000) * 1e6
    return floor_us, asyncio.run(drain_in_process(redis_url, entries, no_op, None))


def profile_consumer(
    redis_url: str, database_url: str, count: int, rounds: int = 5
) -> dict[str, Any]:
    """CPU per message for the floor and one consumer (no-op, then Postgres), then under cProfile.

    This VM's CPU speed drifts by half between seconds, so floor and consumer alternate for
    `rounds` rounds and the ratio is the median of the rounds' ratios, each from adjacent runs.
    """
    entries = [event() for _ in range(1000)] * (count // 1000)
    pairs = [cpu_per_message(redis_url, entries) for _ in range(rounds)]
    ratios = sorted(floor / ours for floor, ours in pairs)
    no_op_profile = cProfile.Profile()
    asyncio.run(drain_in_process(redis_url, entries, no_op, no_op_profile))
    postgres_count = max(count // 5, 1000)
    postgres_us = asyncio.run(
        drain_postgres_in_process(redis_url, database_url, postgres_count, None)
    )
    postgres_profile = cProfile.Profile()
    asyncio.run(
        drain_postgres_in_process(redis_url, database_url, postgres_count, postgres_profile)
    )
    return {
        "rounds": rounds,
        "floor_cpu_us": percentile([floor for floor, _ in pairs], 50),
        "consumer_cpu_us": percentile([ours for _, ours in pairs], 50),
        "cpu_ratio_median": percentile(ratios, 50),
        "cpu_ratio_range": [ratios[0], ratios[-1]],
        "shares": shares(no_op_profile, NO_OP_STEPS),
        "postgres_cpu_us": postgres_us,
        "postgres_shares": shares(postgres_profile, POSTGRES_STEPS),
    }


def show_profile(profile: dict[str, Any]) -> None:
    floor, ours = profile["floor_cpu_us"], profile["consumer_cpu_us"]
    table = Table(title="where one consumer's CPU goes (in this process)")
    table.add_column("what")
    table.add_column("value", justify="right")
    low, high = profile["cpu_ratio_range"]
    rounds = profile["rounds"]
    table.add_row(f"floor: pipelined XADD, CPU µs per message (median of {rounds})", f"{floor:.1f}")
    table.add_row(f"one no-op consumer, CPU µs per message (median of {rounds})", f"{ours:.1f}")
    table.add_row(
        f"one no-op consumer ÷ floor, by CPU (median of {rounds} rounds; range)",
        f"{profile['cpu_ratio_median']:.2f} ({low:.2f}–{high:.2f})",
    )
    for step, share in profile["shares"].items():
        table.add_row(f"share of the no-op consumer's profile: {step}", f"{share:.0%}")
    postgres = profile["postgres_cpu_us"]
    table.add_row("one Postgres-effect consumer, CPU µs per message", f"{postgres:.1f}")
    table.add_row("  of which the effect (over the no-op consumer)", f"{postgres - ours:.1f}")
    for step, share in profile["postgres_shares"].items():
        table.add_row(f"share of the Postgres consumer's profile: {step}", f"{share:.0%}")
    console.print(table)


# ---- ours: consumer processes -------------------------------------------------------------------


def consumer_process(
    redis_url: str,
    database_url: str,
    effect: str,
    name: str,
    ready: ProcessEvent,
    go: ProcessEvent,
    stop: ProcessEvent,
    results: Any,
) -> None:
    asyncio.run(consume(redis_url, database_url, effect, name, ready, go, stop, results))


async def consume(
    redis_url: str,
    database_url: str,
    effect: str,
    name: str,
    ready: ProcessEvent,
    go: ProcessEvent,
    stop: ProcessEvent,
    results: Any,
) -> None:
    client = stream_client(redis_url)
    engine = create_async_engine(sqlalchemy_async_url(database_url), pool_size=2)
    deliver = DeliverMessages(
        async_sessionmaker(engine), SimulatedCarrier(), SETTINGS, consumer=name
    )
    seen: list[tuple[float, float]] = []  # (created_at, seconds from XADD to effect committed)

    async def handler(events: Sequence[Event]) -> Mapping[str, GaveUp]:
        failures = await deliver(events) if effect == "postgres" else {}
        now = time.time()
        seen.extend((e.created_at, now - e.created_at) for e in events)
        return failures

    consumer = Consumer(client, handler, name=name, settings=SETTINGS)
    await ensure_group(client, SETTINGS.stream, SETTINGS.group)
    ready.set()
    await asyncio.to_thread(go.wait)  # a process-wide event: wait for it off the loop
    stopping = asyncio.Event()

    async def watch() -> None:
        await asyncio.to_thread(stop.wait)
        stopping.set()

    await asyncio.gather(consumer.run(stopping), watch())
    results.put((name, consumer.stats.acked, seen))
    await client.aclose()
    await engine.dispose()


async def drained(client: redis.asyncio.Redis, timeout_s: float = 300) -> None:
    """Wait until the group has read up to the stream's last entry and acknowledged everything."""
    deadline = time.monotonic() + timeout_s
    while True:
        stream: Any = await client.xinfo_stream(SETTINGS.stream)
        groups: Any = await client.xinfo_groups(SETTINGS.stream)
        group = next(g for g in groups if g["name"] == SETTINGS.group)
        if group["last-delivered-id"] == stream["last-generated-id"] and group["pending"] == 0:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"consumers did not drain the stream in {timeout_s} s")
        await asyncio.sleep(0.005)


async def new_messages(database_url: str, count: int) -> list[str]:
    """Message rows for the Postgres effect to mark delivered; the tables are emptied first."""
    engine = create_async_engine(sqlalchemy_async_url(database_url))
    ids = [str(uuid.uuid4()) for _ in range(count)]
    async with engine.begin() as connection:
        await connection.execute(text("TRUNCATE messages, outbox, inbox, deliveries"))
        await connection.execute(
            text(
                "INSERT INTO messages (id, to_number, body)"
                " SELECT id, '+14155550100', 'hi' FROM unnest(CAST(:ids AS uuid[])) AS id"
            ),
            {"ids": ids},
        )
    await engine.dispose()
    return ids


@contextmanager
def consumers_started(
    redis_url: str, database_url: str, effect: str, consumers: int
) -> Iterator[tuple[ProcessEvent, ProcessEvent, Any]]:
    """`consumers` consumer processes, each ready before this yields (go, stop, results)."""
    context = multiprocessing.get_context("spawn")
    ready = [context.Event() for _ in range(consumers)]
    go, stop, results = context.Event(), context.Event(), context.Queue()
    processes = [
        context.Process(
            target=consumer_process,
            args=(redis_url, database_url, effect, f"c{n}", ready[n], go, stop, results),
            daemon=True,  # never outlive the benchmark, whatever happens to it
        )
        for n in range(consumers)
    ]
    for process in processes:
        process.start()
    try:
        for flag in ready:
            flag.wait(120)
        yield go, stop, results
    finally:
        go.set()
        stop.set()
        for process in processes:
            process.join(30)
            if process.is_alive():
                process.terminate()


async def paced(
    client: redis.asyncio.Redis, message_ids: list[str], rate: int, seconds: float
) -> float:
    """Add `rate` events a second for `seconds`, 10 ms at a time; return when the pacing began."""
    paced_from, tick = time.time(), 0.01
    for n in range(int(seconds / tick)):
        batch = [event(message_ids.pop() if message_ids else None) for _ in range(int(rate * tick))]
        await fill(client, SETTINGS.stream, batch)
        await asyncio.sleep(max(0.0, paced_from + (n + 1) * tick - time.time()))
    return paced_from


async def ours(
    redis_url: str,
    database_url: str,
    effect: str,
    consumers: int,
    count: int,
    rate: int,
    seconds: float,
) -> dict[str, Any]:
    """Throughput draining a backlog of `count`, then latency at a steady `rate` msg/s."""
    message_ids = (
        await new_messages(database_url, count + int(rate * seconds))
        if effect == "postgres"
        else []
    )
    client = stream_client(redis_url)
    await client.delete(SETTINGS.stream)
    await ensure_group(client, SETTINGS.stream, SETTINGS.group)
    backlog = [event(m) for m in message_ids[:count]] or [event() for _ in range(count)]
    await fill(client, SETTINGS.stream, backlog)
    with consumers_started(redis_url, database_url, effect, consumers) as (go, stop, results):
        cpu_before, started = cpu_snapshot(), time.perf_counter()
        go.set()
        await drained(client)
        throughput = count / (time.perf_counter() - started)
        cpu_after = cpu_snapshot()
        paced_from = await paced(client, message_ids[count:], rate, seconds)
        await drained(client)
        stop.set()
        latencies: list[float] = []
        for _ in range(consumers):
            _, _, seen = results.get(timeout=60)
            latencies += [latency for created, latency in seen if created >= paced_from]
    await client.delete(SETTINGS.stream, SETTINGS.dead_letter_stream)
    await client.aclose()
    return {
        "effect": effect,
        "consumers": consumers,
        "messages": count,
        "messages_per_s": round(throughput),
        "latency_rate_per_s": rate,
        "latency_p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "latency_p99_ms": round(percentile(latencies, 99) * 1000, 2),
        # Where the drain's CPU went, across the consumers, PostgreSQL and Redis (None off Linux).
        "cpu": cpu_per_unit(cpu_before, cpu_after, count) if cpu_before and cpu_after else None,
    }


async def prepare(database_url: str) -> None:
    engine = create_async_engine(sqlalchemy_async_url(database_url))
    await create_tables(engine)
    await engine.dispose()


def measure_all(counts: dict[str, int], rq_jobs: int, paced_s: float) -> dict[str, Any]:
    """The floors, the peer and our consumer, against one Redis and a fresh schema."""
    with services_for_demo() as urls:
        database_url = recreate_schema(urls.database_url, SCHEMA)
        try:
            floor = xadd_floor(urls.redis_url, counts["floor"])
            c_floor = redis_benchmark_floor(urls.redis_url, counts["floor"])
            bare = asyncio.run(bare_loop(urls.redis_url, counts["noop"]))
            figures: dict[str, Any] = {
                "xadd_floor_per_s": round(floor),
                "redis_benchmark_xadd_per_s": round(c_floor) if c_floor else None,
                "bare_xreadgroup_xack_per_s": round(bare),
                "rq_simpleworker_noop_per_s": round(rq_no_op(urls.redis_url, rq_jobs)),
            }
            asyncio.run(prepare(database_url))
            figures["runs"] = [
                asyncio.run(
                    ours(urls.redis_url, database_url, effect, n, counts[effect], 1000, paced_s)
                )
                for effect in ("noop", "postgres")
                for n in (1, 2)
            ]
        finally:
            drop_schema(urls.database_url, SCHEMA)
    return figures


def show(figures: dict[str, Any]) -> None:
    floor, rq = figures["xadd_floor_per_s"], figures["rq_simpleworker_noop_per_s"]
    c_floor, bare = figures["redis_benchmark_xadd_per_s"], figures["bare_xreadgroup_xack_per_s"]
    table = Table(title="queue_demo: messages/s and XADD → effect-committed latency at 1,000 msg/s")
    for column in ("what", "messages/s", "× XADD floor", "× RQ", "p50 ms", "p99 ms"):
        table.add_column(column, justify="right" if column != "what" else "left")
    table.add_row(
        "floor: pipelined XADD (redis-py)", f"{floor:,.0f}", "1.00", f"{floor / rq:,.0f}", "", ""
    )
    if c_floor:
        table.add_row(
            "floor: XADD (redis-benchmark -P 16)",
            f"{c_floor:,.0f}",
            f"{c_floor / floor:.2f}",
            "",
            "",
            "",
        )
    table.add_row(
        "bare XREADGROUP+XACK loop",
        f"{bare:,.0f}",
        f"{bare / floor:.2f}",
        f"{bare / rq:,.0f}",
        "",
        "",
    )
    table.add_row("RQ 3 SimpleWorker, no-op job", f"{rq:,.0f}", f"{rq / floor:.3f}", "1", "", "")
    for run in figures["runs"]:
        table.add_row(
            f"queue_demo, {run['effect']} effect, {run['consumers']} consumer(s)",
            f"{run['messages_per_s']:,}",
            f"{run['messages_per_s'] / floor:.2f}",
            f"{run['messages_per_s'] / rq:,.0f}",
            f"{run['latency_p50_ms']:.1f}",
            f"{run['latency_p99_ms']:.1f}",
        )
    console.print(table)


def show_cpu(runs: Sequence[Mapping[str, Any]]) -> None:
    """Each drain's CPU per message by process, and the rate that CPU alone would allow."""
    measured = [run for run in runs if run.get("cpu")]
    if not measured:
        return
    groups = list(measured[0]["cpu"]["us_per_unit_by_group"])
    table = Table(title="where each drain's CPU went (all processes, from /proc; steal excluded)")
    for column in ("run", "CPU µs/msg", *groups, "stolen", "CPU-bound msg/s", "measured ÷ that"):
        table.add_column(column, justify="right" if column != "run" else "left")
    for run in measured:
        cpu = run["cpu"]
        bound = cpu["cpu_bound_per_s"]
        table.add_row(
            f"{run['effect']}, {run['consumers']} consumer(s)",
            f"{cpu['us_per_unit']:.1f}",
            *(f"{cpu['us_per_unit_by_group'][group]:.1f}" for group in groups),
            f"{cpu['stolen_share']:.0%}",
            f"{bound:,}" if bound else "",
            f"{run['messages_per_s'] / bound:.2f}" if bound else "",
        )
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.queue_demo_bench")
    add_quick(parser)
    parser.add_argument(
        "--profile", action="store_true", help="also show where one consumer's CPU goes"
    )
    args = parser.parse_args()
    # A quick pass: a hundredth of the messages and half a second of paced load per run.
    scale, paced_s = (100, 0.5) if args.quick else (1, 2.0)
    counts = {"floor": 200_000 // scale, "noop": 100_000 // scale, "postgres": 30_000 // scale}
    figures = measure_all(counts, 2_000 // scale, paced_s)
    show(figures)
    show_cpu(figures["runs"])
    if args.profile:
        with services_for_demo() as urls:
            database_url = recreate_schema(urls.database_url, SCHEMA)
            try:
                asyncio.run(prepare(database_url))
                figures["profile"] = profile_consumer(
                    urls.redis_url, database_url, max(counts["noop"] // 2, 1000)
                )
            finally:
                drop_schema(urls.database_url, SCHEMA)
        show_profile(figures["profile"])
    record = {
        "benchmark": "queue_demo",
        "command": command("queue_demo_bench"),
        "machine": machine(),
    }
    path = write_results("queue_demo", {**record, "quick": args.quick, **figures}, args.quick)
    console.print(f"wrote {path}")


if __name__ == "__main__":
    main()
