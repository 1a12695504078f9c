"""`python -m queue_demo.cli <command>`: run the relay or a worker, inspect lag, manage dead letters.

Workers and the relay stop on SIGTERM: no new reads, the batch in hand finishes and is acked.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import sys
from collections.abc import Coroutine
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import structlog
from rich.console import Console
from rich.table import Table

from backing_services import get_settings
from error_handling import configure_logging
from queue_demo import dead_letters
from queue_demo.callbacks import SendStatusCallbacks
from queue_demo.carrier import SimulatedCarrier
from queue_demo.connections import Connections, connected
from queue_demo.consumer import Consumer, Handler
from queue_demo.delivery import DeliverMessages
from queue_demo.relay import Relay
from queue_demo.schema import create_tables
from queue_demo.settings import QueueSettings
from queue_demo.status import group_statuses
from queue_demo.trim import trim_acknowledged

console = Console()
log = structlog.get_logger(__name__)


def services() -> AbstractAsyncContextManager[Connections]:
    """Redis and PostgreSQL from backing_services' settings, or SystemExit with one line."""
    return connected(get_settings(), "queue_demo")


async def until_sigterm(
    work: Coroutine[Any, Any, None], stop: asyncio.Event, deadline_s: float
) -> int:
    """Run `work` until it ends or SIGTERM/SIGINT sets `stop`; then give it `deadline_s` to finish."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    task = asyncio.create_task(work)
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    try:
        await asyncio.wait_for(task, deadline_s)
    except TimeoutError:
        # Whatever was in flight stays pending; another consumer claims it after the lease.
        console.print(f"[red]did not finish within {deadline_s} s; in-flight entries stay pending")
        return 1
    return 0


async def run_relay(settings: QueueSettings) -> int:
    async with services() as s:
        await create_tables(s.engine, with_messages=settings.own_messages_table)
        log.info(
            "relay started",
            reads="the outbox table",
            publishes_to=[settings.stream, settings.callbacks_stream],
            trims_every_s=settings.trim_every_s,
        )
        stop = asyncio.Event()
        return await until_sigterm(
            Relay(s.sessions, s.redis, settings).run(stop), stop, settings.shutdown_deadline_s
        )


async def run_worker(settings: QueueSettings, name: str, kind: str) -> int:
    async with services() as s, httpx.AsyncClient() as http:
        await create_tables(s.engine, with_messages=settings.own_messages_table)
        stop = asyncio.Event()
        if kind == "deliver":
            carrier = SimulatedCarrier(
                delay_s=settings.carrier_delay_s,
                failure_rate=settings.carrier_failure_rate,
                poison_numbers=settings.poison_numbers,
            )
            handler: Handler = DeliverMessages(s.sessions, carrier, settings, consumer=name)
            stream, group = settings.stream, settings.group
        else:
            handler = SendStatusCallbacks(s.sessions, http, settings)
            stream, group = settings.callbacks_stream, settings.callbacks_group
        consumer = Consumer(
            s.redis, handler, name=name, settings=settings, stream=stream, group=group
        )
        return await until_sigterm(consumer.run(stop), stop, settings.shutdown_deadline_s)


async def show_status(settings: QueueSettings) -> int:
    async with services() as s:
        streams = [settings.stream, settings.callbacks_stream]
        table = Table("stream", "group", "length", "consumers", "lag", "pending")
        for row in await group_statuses(s.redis, streams):
            table.add_row(
                row.stream,
                row.group,
                str(row.length),
                str(row.consumers),
                str(row.lag),
                str(row.pending),
            )
        console.print(table)
        dead = await s.redis.xlen(settings.dead_letter_stream)
        console.print(f"dead letters: {dead} in {settings.dead_letter_stream}")
    return 0


async def manage_dead_letters(settings: QueueSettings, args: argparse.Namespace) -> int:
    async with services() as s:
        stream = settings.dead_letter_stream
        if args.action == "list":
            table = Table("id", "event id", "reason", "attempts", "deliveries")
            for letter in await dead_letters.list_dead_letters(s.redis, stream, count=args.count):
                table.add_row(
                    letter["id"], letter["event_id"], letter["reason"],
                    str(letter["attempts"]), str(letter["deliveries"]),
                )  # fmt: skip
            console.print(table)
            return 0
        if args.action == "show":
            found = await dead_letters.show_dead_letter(s.redis, stream, args.id)
            if found is None:
                console.print(f"no dead letter {args.id} in {stream}")
                return 2
            console.print_json(json.dumps(found))
            return 0
        ids = (
            [args.id]
            if args.id
            else [
                d["id"] for d in await dead_letters.list_dead_letters(s.redis, stream, count=10_000)
            ]
        )
        for dead_id in ids:
            try:
                new_id = await dead_letters.requeue(s.redis, stream, dead_id)
            except LookupError as error:
                console.print(str(error))
                return 2
            console.print(f"requeued {dead_id} as {new_id}")
        return 0


async def trim(settings: QueueSettings) -> int:
    async with services() as s:
        for stream in (settings.stream, settings.callbacks_stream):
            removed = await trim_acknowledged(s.redis, stream)
            console.print(f"{stream}: trimmed {removed} acknowledged entries")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m queue_demo.cli", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser("relay", help="publish the outbox to the streams until SIGTERM")
    default_name = f"{socket.gethostname()}-{os.getpid()}"
    for kind, help_text in (("worker", "deliver messages"), ("callbacks", "send status callbacks")):
        command = commands.add_parser(kind, help=f"{help_text} until SIGTERM")
        command.add_argument(
            "--name", default=default_name, help="consumer name (stable across restarts)"
        )
    commands.add_parser("status", help="length, lag and pending per consumer group")
    commands.add_parser("trim", help="trim entries every group has acknowledged")
    dead = commands.add_parser("dead-letters", help="list, show or requeue dead letters")
    actions = dead.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list")
    listing.add_argument("--count", type=int, default=100)
    actions.add_parser("show").add_argument("id")
    requeue = actions.add_parser("requeue")
    which = requeue.add_mutually_exclusive_group(required=True)
    which.add_argument("id", nargs="?")
    which.add_argument("--all", action="store_true")
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = QueueSettings()
    if args.command in ("relay", "worker", "callbacks"):
        # Long-running processes log like the API does: JSON lines in production, redacted.
        configure_logging()
    match args.command:
        case "relay":
            return asyncio.run(run_relay(settings))
        case "worker":
            return asyncio.run(run_worker(settings, args.name, "deliver"))
        case "callbacks":
            return asyncio.run(run_worker(settings, args.name, "callbacks"))
        case "status":
            return asyncio.run(show_status(settings))
        case "trim":
            return asyncio.run(trim(settings))
        case _:
            return asyncio.run(manage_dead_letters(settings, args))


if __name__ == "__main__":
    sys.exit(main())
