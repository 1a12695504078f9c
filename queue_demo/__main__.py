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
from dataclasses import dataclass, field
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
from queue_demo.connections import stream_client
from queue_demo.consumer import ensure_group
from queue_demo.dead_letters import dead_event_ids_key, list_dead_letters
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


@dataclass
class Stage:
    """What every step of the demo works on: its settings, Redis, PostgreSQL and the workers."""

    args: argparse.Namespace
    settings: QueueSettings
    client: redis.asyncio.Redis
    sessions: async_sessionmaker[AsyncSession]
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)


def demo_settings(args: argparse.Namespace) -> QueueSettings:
    """Small batches and a short lease so the story takes seconds; streams of its own."""
    prefix = "queue_demo:demo"
    return QueueSettings(
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


def worker_env(settings: QueueSettings, redis_url: str, database_url: str) -> dict[str, str]:
    """The environment that gives a `python -m queue_demo.cli worker` process the same settings."""
    unset = {"poison_numbers", "crash_after"}
    return {
        **os.environ,
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url,
        **{
            f"QUEUE_DEMO_{name.upper()}": str(value)
            for name, value in settings.model_dump().items()
            if name not in unset
        },
    }


async def produce(stage: Stage) -> None:
    """Step 1: messages and their outbox rows, in one transaction."""
    args = stage.args
    async with stage.sessions.begin() as session:
        for n in range(args.messages):
            # One number per message, so each is sent as soon as it is read (one number's
            # messages are sent one after another).
            to = POISON_NUMBER if n < args.poison else f"+1415555{n:04d}"
            await create_message(session, NewMessage(to, f"hello #{n}"), settings=stage.settings)
    say(
        f"Produced {args.messages} messages ({args.poison} to {POISON_NUMBER}, which the carrier"
        " never accepts). Each message row and its outbox row were written in one transaction."
    )


async def start_workers(stage: Stage, env: dict[str, str]) -> None:
    """Step 2: two worker processes join the consumer group."""
    for name in ("w1", "w2"):
        # Popen returns as soon as the child is forked; nothing here waits on it.
        stage.workers[name] = subprocess.Popen(  # noqa: ASYNC220
            [sys.executable, "-m", "queue_demo.cli", "worker", "--name", name],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    async def both_listening() -> bool:
        return set(await consumers(stage.client, stage.settings)) >= {"w1", "w2"}

    await wait_for("two workers joining the group", both_listening)
    settings = stage.settings
    say(
        f"Started two workers, w1 and w2, in the consumer group '{settings.group}'. Each reads"
        f" batches of {settings.batch_size} with XREADGROUP and calls the carrier"
        f" ({settings.carrier_delay_s * 1000:.0f} ms per call)."
    )


async def kill_w1_mid_batch(stage: Stage) -> None:
    """Step 3: SIGKILL w1 while it holds a batch it has read and not acknowledged."""

    async def w1_mid_batch() -> int:
        delivered = await scalar(stage.sessions, "SELECT count(*) FROM deliveries")
        pending = (await consumers(stage.client, stage.settings)).get("w1", {}).get("pending", 0)
        return int(pending) if delivered >= stage.settings.batch_size and pending else 0

    orphaned = await wait_for("w1 holding a batch", w1_mid_batch)
    stage.workers["w1"].send_signal(signal.SIGKILL)
    stage.workers["w1"].wait()
    say(
        f"[red]SIGKILLed w1[/red] in the middle of a batch: {orphaned} entries it had read are"
        " pending under its name, unacknowledged."
    )


async def watch_w2_claim(stage: Stage) -> None:
    """Step 4: w2 claims w1's entries once they have been idle longer than the lease."""

    async def w1_emptied() -> bool:
        return bool((await consumers(stage.client, stage.settings))["w1"]["pending"] == 0)

    started = time.monotonic()
    await wait_for("w2 claiming w1's entries", w1_emptied)
    say(
        f"w2 claimed them with XAUTOCLAIM once they were idle longer than the"
        f" {stage.settings.lease_ms} ms lease ({time.monotonic() - started:.1f} s after the kill)."
    )


async def settle(stage: Stage) -> None:
    """Step 5: wait until every message is delivered or dead-lettered and nothing is pending."""
    good, poison = stage.args.messages - stage.args.poison, stage.args.poison
    settings = stage.settings

    async def settled() -> bool:
        delivered = await scalar(
            stage.sessions, "SELECT count(DISTINCT message_id) FROM deliveries"
        )
        dead = await stage.client.xlen(settings.dead_letter_stream)
        pending = (await stage.client.xpending(settings.stream, settings.group))["pending"]
        return bool(delivered == good and dead == poison and pending == 0)

    await wait_for("every message settling", settled)
    for letter in await list_dead_letters(stage.client, settings.dead_letter_stream):
        say(
            f"Dead-lettered {letter['event_id'][:8]}…: {letter['reason']}"
            f" (attempts: {letter['attempts']}, kept with their errors and times)."
        )


async def tally(stage: Stage) -> None:
    """Step 6: produced = delivered + dead-lettered, no duplicate, nothing pending; or fail."""
    sessions, settings = stage.sessions, stage.settings
    delivered = await scalar(sessions, "SELECT count(*) FROM deliveries")
    distinct = await scalar(sessions, "SELECT count(DISTINCT message_id) FROM deliveries")
    by_worker = await scalar(
        sessions,
        "SELECT string_agg(consumer || ': ' || n, ', ') FROM"
        " (SELECT consumer, count(*) AS n FROM deliveries GROUP BY consumer ORDER BY consumer) c",
    )
    dead = await stage.client.xlen(settings.dead_letter_stream)
    pending = (await stage.client.xpending(settings.stream, settings.group))["pending"]
    console.print()
    console.print(
        f"[bold]Tally:[/bold] produced {stage.args.messages} = delivered {distinct}"
        f" + dead-lettered {dead}; delivery rows {delivered} ({by_worker});"
        f" duplicates {delivered - distinct}; pending {pending}."
    )
    if (distinct + dead, delivered - distinct, pending) != (stage.args.messages, 0, 0):
        raise SystemExit("demo failed: the tally does not add up")


async def reset_streams(client: redis.asyncio.Redis, settings: QueueSettings) -> None:
    await client.delete(settings.stream, settings.callbacks_stream, settings.dead_letter_stream)
    await client.delete(dead_event_ids_key(settings.dead_letter_stream))


async def demo(args: argparse.Namespace, redis_url: str, database_url: str) -> None:
    """The story in six steps: produce, start workers, kill one, watch the claim, settle, tally."""
    settings = demo_settings(args)
    client = stream_client(redis_url)
    engine = create_async_engine(sqlalchemy_async_url(database_url))
    stage = Stage(args, settings, client, async_sessionmaker(engine, expire_on_commit=False))
    try:
        await reset_streams(client, settings)
        await ensure_group(client, settings.stream, settings.group)
        await create_tables(engine)
        await produce(stage)
        await start_workers(stage, worker_env(settings, redis_url, database_url))
        stop_relay = asyncio.Event()
        relay_task = asyncio.create_task(Relay(stage.sessions, client, settings).run(stop_relay))
        say("The relay publishes the outbox to the stream with XADD and marks the rows published.")
        await kill_w1_mid_batch(stage)
        await watch_w2_claim(stage)
        await settle(stage)
        stop_relay.set()
        await relay_task
        await tally(stage)
    finally:
        for process in stage.workers.values():
            stop_process(process)
        await reset_streams(client, settings)
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
