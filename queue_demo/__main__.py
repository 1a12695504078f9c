"""`python -m queue_demo`: produce messages, run two workers, SIGKILL one mid-batch, and count.

The survivor claims the orphans, poison is dead-lettered, and produced = delivered + dead-lettered.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from typing import Any

import redis.asyncio
import structlog
from rich.console import Console
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from backing_services import sqlalchemy_async_url
from backing_services.local_processes import stop as stop_process
from backing_services.resolve import services_for_demo
from backing_services.schemas import drop_schema, recreate_schema
from queue_demo.dead_letters import list_dead_letters
from queue_demo.outbox import NewMessage, create_message
from queue_demo.relay import Relay
from queue_demo.schema import create_tables
from queue_demo.settings import QueueSettings

SCHEMA = "demo_queue_demo"
POISON_NUMBER = "+15005550001"
console = Console(highlight=False)


def say(step: str) -> None:
    console.print(f"[bold]•[/bold] {step}")


async def consumers(client: redis.asyncio.Redis, settings: QueueSettings) -> dict[str, Any]:
    try:
        rows: Any = await client.xinfo_consumers(settings.stream, settings.group)
    except redis.ResponseError:
        return {}
    return {row["name"]: row for row in rows}


async def wait_for(what: str, check: Any, timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (result := await check()):
        if time.monotonic() > deadline:
            raise SystemExit(f"demo stopped: {what} did not happen within {timeout_s:.0f} s")
        await asyncio.sleep(0.02)
    return result


async def demo(args: argparse.Namespace, redis_url: str, database_url: str) -> None:
    prefix = "queue_demo:demo"
    settings = QueueSettings(
        stream=f"{prefix}:messages",
        callbacks_stream=f"{prefix}:callbacks",
        dead_letter_stream=f"{prefix}:dead_letters",
        lease_ms=args.lease_ms,
        batch_size=20,
        concurrency=10,
        block_ms=100,
        carrier_delay_s=args.carrier_delay,
        backoff_base_s=0.02,
        backoff_cap_s=0.2,
    )
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url,
        **{
            f"QUEUE_DEMO_{name.upper()}": str(value)
            for name, value in settings.model_dump().items()
            if name not in {"poison_numbers", "crash_after"}
        },
    }
    client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    engine = create_async_engine(sqlalchemy_async_url(database_url))
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    workers: dict[str, subprocess.Popen[bytes]] = {}
    try:
        await client.delete(settings.stream, settings.callbacks_stream, settings.dead_letter_stream)
        await client.delete(f"{settings.dead_letter_stream}:event_ids")
        await client.xgroup_create(settings.stream, settings.group, id="0", mkstream=True)
        await create_tables(engine)

        good, poison = args.messages - args.poison, args.poison
        async with sessions.begin() as session:
            for n in range(args.messages):
                to = POISON_NUMBER if n < poison else "+14155550100"
                await create_message(session, NewMessage(to, f"hello #{n}"), settings=settings)
        say(
            f"Produced {args.messages} messages ({poison} to {POISON_NUMBER}, which the carrier never"
            " accepts). Each message row and its outbox row were written in one transaction."
        )

        for name in ("w1", "w2"):
            # Popen returns as soon as the child is forked; nothing here waits on it.
            workers[name] = subprocess.Popen(  # noqa: ASYNC220
                [sys.executable, "-m", "queue_demo.cli", "worker", "--name", name],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

        async def both_listening() -> bool:
            return set(await consumers(client, settings)) >= {"w1", "w2"}

        await wait_for("two workers joining the group", both_listening)
        say(
            f"Started two workers, w1 and w2, in the consumer group '{settings.group}'. Each reads"
            f" batches of {settings.batch_size} with XREADGROUP and calls the carrier"
            f" ({settings.carrier_delay_s * 1000:.0f} ms per call)."
        )

        relay = Relay(sessions, client, settings)
        stop_relay = asyncio.Event()
        relay_task = asyncio.create_task(relay.run(stop_relay))
        say("The relay publishes the outbox to the stream with XADD and marks the rows published.")

        async def w1_mid_batch() -> int:
            delivered = await scalar(sessions, "SELECT count(*) FROM deliveries")
            pending = (await consumers(client, settings)).get("w1", {}).get("pending", 0)
            return int(pending) if delivered >= settings.batch_size and pending else 0

        orphaned = await wait_for("w1 holding a batch", w1_mid_batch)
        workers["w1"].send_signal(signal.SIGKILL)
        workers["w1"].wait()
        say(
            f"[red]SIGKILLed w1[/red] in the middle of a batch: {orphaned} entries it had read are"
            " pending under its name, unacknowledged."
        )

        async def w1_emptied() -> bool:
            return bool((await consumers(client, settings))["w1"]["pending"] == 0)

        started = time.monotonic()
        await wait_for("w2 claiming w1's entries", w1_emptied)
        say(
            f"w2 claimed them with XAUTOCLAIM once they were idle longer than the"
            f" {settings.lease_ms} ms lease ({time.monotonic() - started:.1f} s after the kill)."
        )

        async def settled() -> bool:
            delivered = await scalar(sessions, "SELECT count(DISTINCT message_id) FROM deliveries")
            dead = await client.xlen(settings.dead_letter_stream)
            pending = (await client.xpending(settings.stream, settings.group))["pending"]
            return bool(delivered == good and dead == poison and pending == 0)

        await wait_for("every message settling", settled)
        stop_relay.set()
        await relay_task

        for letter in await list_dead_letters(client, settings.dead_letter_stream):
            say(
                f"Dead-lettered {letter['event_id'][:8]}…: {letter['reason']}"
                f" (attempts: {letter['attempts']}, kept with their errors and times)."
            )
        delivered = await scalar(sessions, "SELECT count(*) FROM deliveries")
        distinct = await scalar(sessions, "SELECT count(DISTINCT message_id) FROM deliveries")
        by_worker = await scalar(
            sessions,
            "SELECT string_agg(consumer || ': ' || n, ', ') FROM"
            " (SELECT consumer, count(*) AS n FROM deliveries GROUP BY consumer ORDER BY consumer) c",
        )
        dead = await client.xlen(settings.dead_letter_stream)
        pending = (await client.xpending(settings.stream, settings.group))["pending"]
        console.print()
        console.print(
            f"[bold]Tally:[/bold] produced {args.messages} = delivered {distinct} + dead-lettered {dead}"
            f"; delivery rows {delivered} ({by_worker}); duplicates {delivered - distinct};"
            f" pending {pending}."
        )
        if (distinct + dead, delivered - distinct, pending) != (args.messages, 0, 0):
            raise SystemExit("demo failed: the tally does not add up")
    finally:
        for process in workers.values():
            stop_process(process)
        await client.delete(settings.stream, settings.callbacks_stream, settings.dead_letter_stream)
        await client.delete(f"{settings.dead_letter_stream}:event_ids")
        await client.aclose()
        await engine.dispose()


async def scalar(sessions: async_sessionmaker[AsyncSession], sql: str) -> Any:
    async with sessions() as session:
        return (await session.execute(text(sql))).scalar()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m queue_demo", description=__doc__)
    parser.add_argument(
        "--messages", type=int, default=200, help="how many to produce (default 200)"
    )
    parser.add_argument("--poison", type=int, default=2, help="how many the carrier always rejects")
    parser.add_argument(
        "--carrier-delay", type=float, default=0.05, help="seconds per carrier call"
    )
    parser.add_argument("--lease-ms", type=int, default=1000, help="idle time before a claim")
    args = parser.parse_args()
    if not 0 <= args.poison < args.messages or args.messages < 40:
        parser.error("need --messages ≥ 40 and 0 ≤ --poison < --messages")
    if args.carrier_delay < 0 or args.lease_ms < 100:
        parser.error("need --carrier-delay ≥ 0 and --lease-ms ≥ 100")
    # The relay's own log lines would interleave with the story; warnings still show.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    with services_for_demo() as urls:
        database_url = recreate_schema(urls.database_url, SCHEMA)
        try:
            asyncio.run(demo(args, urls.redis_url, database_url))
        finally:
            drop_schema(urls.database_url, SCHEMA)


if __name__ == "__main__":
    main()
