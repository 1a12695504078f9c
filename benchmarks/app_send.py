"""Measure what one send costs the mini Twilio, end to end, on real processes.

One api process, one relay and one worker (`app.local_stack`) run against a Redis of their own (so the
command counts are ours alone) and a fresh PostgreSQL schema. Several accounts send concurrently; the
script records the API's sends/s and latency, then waits until every message is delivered and reads
what the sends cost: Redis commands per send (INFO commandstats), PostgreSQL rows written per send
(pg_stat_user_tables), stream bytes per entry (MEMORY USAGE) and table bytes per message.
`python -m app.capacity` turns these per-send costs into a sizing.

Run from the repo root:  .venv/bin/python -m benchmarks.app_send [--sends 3000] [--concurrency 32]
(`--quick`: a smoke pass, written under out/bench-quick/).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import redis
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import create_engine, text

from app.local_stack import local_stack
from backing_services.local_processes import free_port, wait_for_port
from backing_services.measure import percentile
from backing_services.resolve import services_for_demo
from backing_services.schemas import drop_schema, recreate_schema
from benchmarks.common import add_quick, command, machine, write_results
from queue_demo.settings import QueueSettings

SCHEMA = "bench_app_send"
PASSWORD = "correct horse battery staple"  # noqa: S105 - a benchmark user's password
TABLES = ("messages", "outbox", "inbox", "deliveries")
BODY = "bench message {number}"
MEASURING_COMMANDS = ("info", "memory|usage", "xlen")
console = Console()


@contextmanager
def own_redis() -> Iterator[str]:
    """A redis-server of our own on a free port, so INFO commandstats counts only this benchmark."""
    server = shutil.which("redis-server")
    if server is None:
        raise SystemExit(
            "app_send: redis-server is not on PATH; it needs its own Redis to count commands"
        )
    port = free_port()
    with tempfile.TemporaryDirectory() as directory:
        argv = [
            server,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        process = subprocess.Popen([*argv, "--dir", directory], stdout=subprocess.DEVNULL)
        try:
            wait_for_port(port, process=process, name="redis-server")
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            process.wait()


async def sign_up(api: httpx.AsyncClient, index: int) -> tuple[dict[str, str], str, str]:
    """A user, its token and its account: what one sending customer needs."""
    username = f"bench{index}{uuid.uuid4().hex[:6]}"
    (
        await api.post("/auth/users", json={"username": username, "password": PASSWORD})
    ).raise_for_status()
    form = {"grant_type": "password", "username": username, "password": PASSWORD}
    token = (await api.post("/auth/token", data=form)).raise_for_status().json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    account = await api.post(
        "/2010-04-01/Accounts.json", data={"FriendlyName": "Bench"}, headers=auth
    )
    body = account.raise_for_status().json()
    return auth, body["sid"], body["phone_numbers"][0]["phone_number"]


async def send_all(
    api_url: str, callback_url: str, sends: int, concurrency: int, accounts: int
) -> dict[str, Any]:
    """Send `sends` messages from `accounts` accounts, `concurrency` at a time; time each POST."""
    async with httpx.AsyncClient(base_url=api_url, timeout=30) as api:
        senders = [await sign_up(api, index) for index in range(accounts)]
        latencies: list[float] = []
        failures = 0
        queue: asyncio.Queue[int] = asyncio.Queue()
        for number in range(sends):
            queue.put_nowait(number)

        async def sender(progress: Progress, task: Any) -> None:
            nonlocal failures
            while not queue.empty():
                number = queue.get_nowait()
                auth, account_sid, sender_number = senders[number % accounts]
                form = {
                    "To": "+15558675310",
                    "From": sender_number,
                    "Body": BODY.format(number=number),
                    "StatusCallback": callback_url,
                }
                started = time.perf_counter()
                reply = await api.post(
                    f"/2010-04-01/Accounts/{account_sid}/Messages.json", data=form, headers=auth
                )
                latencies.append(time.perf_counter() - started)
                failures += reply.status_code >= 300
                progress.advance(task)

        started = time.perf_counter()
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("sending", total=sends)
            await asyncio.gather(*(sender(progress, task) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "sends": sends,
        "failed": failures,
        "seconds": elapsed,
        "sends_per_s": sends / elapsed,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
    }


def delivered_count(database_url: str) -> int:
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            return int(
                connection.scalar(text("SELECT count(*) FROM messages WHERE status = 'delivered'"))
                or 0
            )
    finally:
        engine.dispose()


def wait_delivered(database_url: str, sends: int, timeout_s: float = 600) -> float:
    """Poll until every message is delivered; return how long the drain took after the last send."""
    started = time.monotonic()
    while (done := delivered_count(database_url)) < sends:
        if time.monotonic() - started > timeout_s:
            raise SystemExit(
                f"app_send: only {done} of {sends} messages delivered within {timeout_s:.0f} s"
            )
        time.sleep(0.2)
    return time.monotonic() - started


def redis_commands(redis_url: str) -> dict[str, int]:
    client = redis.Redis.from_url(redis_url)
    try:
        stats: dict[str, Any] = client.info("commandstats")
        return {name.removeprefix("cmdstat_"): int(value["calls"]) for name, value in stats.items()}
    finally:
        client.close()


def postgres_writes(database_url: str) -> dict[str, dict[str, int]]:
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    query = text(
        "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables WHERE schemaname = :schema"
    )
    try:
        with engine.connect() as connection:
            rows = connection.execute(query, {"schema": SCHEMA}).all()
            return {
                row.relname: {"ins": row.n_tup_ins, "upd": row.n_tup_upd, "del": row.n_tup_del}
                for row in rows
            }
    finally:
        engine.dispose()


def table_bytes(database_url: str) -> dict[str, int]:
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            return {
                table: int(
                    connection.scalar(text("SELECT pg_total_relation_size(:t)"), {"t": table}) or 0
                )
                for table in TABLES
            }
    finally:
        engine.dispose()


def stream_bytes_per_entry(redis_url: str, stream: str) -> float | None:
    """Redis's own account of the stream's memory, over its length (nothing is trimmed in this run)."""
    client = redis.Redis.from_url(redis_url)
    try:
        length = int(client.xlen(stream))
        used = client.memory_usage(stream, samples=0)
        return None if not length or used is None else int(used) / length
    finally:
        client.close()


def per_send(after: dict[str, int], before: dict[str, int], sends: int) -> dict[str, float]:
    """Each counter's growth over the run, per send, dropping the ones that did not move."""
    grown = {name: after.get(name, 0) - before.get(name, 0) for name in after}
    return {name: round(count / sends, 3) for name, count in sorted(grown.items()) if count > 0}


def measure(sends: int, concurrency: int, accounts: int) -> dict[str, Any]:
    """Run the stack on our own Redis and a fresh schema, send, drain, and read the costs."""
    queue = QueueSettings()
    extra_env = {
        "LOG_LEVEL": "WARNING",  # measure the sends, not the log writer
        "SEND_BURST": str(sends),  # the abuse guard stays on, sized so it never refuses here
        "SEND_PER_SECOND": str(sends),
        "SEND_PER_HOUR": str(sends * 10),
        "QUEUE_DEMO_TRIM_EVERY_S": "3600",  # keep every entry, so the stream's size can be read
    }
    with services_for_demo() as services, own_redis() as redis_url:
        database_url = recreate_schema(services.database_url, SCHEMA)
        try:
            with local_stack(redis_url, database_url, Path("out/bench_app"), extra_env) as stack:
                commands_before = redis_commands(redis_url)
                writes_before = postgres_writes(database_url)
                api = asyncio.run(
                    send_all(stack.api_url, stack.callback_url, sends, concurrency, accounts)
                )
                drain_s = wait_delivered(database_url, sends)
                bytes_per_entry = stream_bytes_per_entry(redis_url, queue.stream)
            # The processes have exited, so every backend has flushed its table statistics.
            commands = per_send(redis_commands(redis_url), commands_before, sends)
            writes_after = postgres_writes(database_url)
            sizes = table_bytes(database_url)
        finally:
            drop_schema(services.database_url, SCHEMA)
    rows = {
        table: per_send(writes_after.get(table, {}), writes_before.get(table, {}), sends)
        for table in TABLES
    }
    for ours in MEASURING_COMMANDS:  # this script's own look-ups are not part of a send
        commands.pop(ours, None)
    return {
        "api": api,
        "drain_after_last_send_s": round(drain_s, 2),
        "delivered_per_s_one_worker": round(sends / (api["seconds"] + drain_s), 1),
        "redis_commands_per_send": commands,
        "redis_commands_per_send_total": round(sum(commands.values()), 2),
        "postgres_rows_written_per_send": {table: row for table, row in rows.items() if row},
        "postgres_rows_written_per_send_total": round(
            sum(sum(row.values()) for row in rows.values()), 2
        ),
        "postgres_bytes_per_message": {
            table: round(size / sends, 1) for table, size in sizes.items()
        },
        "postgres_bytes_per_message_total": round(sum(sizes.values()) / sends, 1),
        "body_bytes": len(BODY.format(number=sends - 1)),
        "stream_bytes_per_entry": None if bytes_per_entry is None else round(bytes_per_entry, 1),
    }


def show(result: dict[str, Any]) -> None:
    api = result["api"]
    table = Table(title="One send through the mini Twilio: what it costs")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("API sends/s (1 api process)", f"{api['sends_per_s']:,.0f}")
    table.add_row("POST p50 / p99 ms", f"{api['p50_ms']:.1f} / {api['p99_ms']:.1f}")
    table.add_row("failed sends", str(api["failed"]))
    table.add_row(
        "delivered/s end to end (1 relay, 1 worker)", f"{result['delivered_per_s_one_worker']:,.0f}"
    )
    table.add_row("Redis commands per send", f"{result['redis_commands_per_send_total']}")
    for table_name, row in result["postgres_rows_written_per_send"].items():
        table.add_row(
            f"PostgreSQL {table_name}: rows per send", ", ".join(f"{k} {v}" for k, v in row.items())
        )
    for table_name, size in result["postgres_bytes_per_message"].items():
        table.add_row(f"PostgreSQL {table_name}: bytes per message", f"{size:,.0f}")
    table.add_row("stream bytes per entry", str(result["stream_bytes_per_entry"]))
    console.print(table)
    console.print(
        "Redis commands per send: "
        + ", ".join(f"{k} {v}" for k, v in result["redis_commands_per_send"].items())
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.app_send")
    parser.add_argument("--sends", type=int, default=3000, help="messages to send (default 3000)")
    parser.add_argument("--concurrency", type=int, default=32, help="POSTs in flight (default 32)")
    parser.add_argument("--accounts", type=int, default=4, help="sending accounts (default 4)")
    add_quick(parser)
    args = parser.parse_args()
    if args.quick:  # the whole path once, at the smallest size the per-send costs allow
        args.sends, args.concurrency, args.accounts = 100, 8, 2
    if args.sends < 100 or args.concurrency < 1 or args.accounts < 1:
        parser.error("--sends must be at least 100, --concurrency and --accounts at least 1")
    result = measure(args.sends, args.concurrency, args.accounts)
    show(result)
    record = {"benchmark": "app_send", "command": command("app_send"), "machine": machine()}
    path = write_results("app", {**record, **result}, args.quick)
    console.print(f"wrote {path}")


if __name__ == "__main__":
    main()
