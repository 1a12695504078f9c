"""`python -m scaling`: scaling out vs up as four experiments on this machine, step by step.

Partitioning, state across instances, a cache before PostgreSQL, and throughput vs processes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from pathlib import Path

import redis.asyncio
from rich.console import Console
from sqlalchemy.ext.asyncio import create_async_engine

from backing_services import sqlalchemy_async_url
from backing_services.cli import bounded
from backing_services.plotting import SKIPPED, can_plot
from backing_services.resolve import services_for_demo
from backing_services.schemas import drop_schema, recreate_schema
from scaling import tables
from scaling.cache_aside import create_accounts
from scaling.cache_experiment import compare_cache, zipf_ids
from scaling.instances import app_instances
from scaling.load_balancer import NGINX_MISSING, nginx_available, nginx_in_front_of
from scaling.partitioning import (
    balance_table,
    jump,
    max_over_mean,
    movement_table,
    seeded_key_hashes,
)
from scaling.shared_state import limiter_across_instances, sessions_across_instances
from scaling.target_app import Store
from scaling.throughput import ROUTES, Layout, Load, measure

# One name per run for the schema and the Redis keys: two runs on one database (two terminals,
# two test sessions) would otherwise drop each other's schema and delete each other's buckets.
PREFIX = f"demo_scaling_{uuid.uuid4().hex[:8]}"
# Piped to a file, rich would wrap at 80 columns; the tables read better wider.
console = Console() if sys.stdout.isatty() else Console(width=110)


def counts(text: str) -> list[int]:
    try:
        values = sorted({int(part) for part in text.split(",")})
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated whole numbers, not {text!r}"
        ) from None
    if not values or values[0] < 1 or values[-1] > 16:
        raise argparse.ArgumentTypeError(f"each count must be between 1 and 16, not {text!r}")
    return values


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scaling", description=__doc__)
    parser.add_argument(
        "--processes", type=counts, default=[1, 2, 4], help="process counts (default 1,2,4)"
    )
    numbers = [
        ("--seconds", bounded(0.5, 120, float), 3.0, "longest load run, in seconds"),
        ("--requests", bounded(10, 1_000_000), 600, "most requests per load run"),
        ("--concurrency", bounded(1, 512), 32, "concurrent requests per load run"),
        ("--keys", bounded(100, 10_000_000), 100_000, "keys to place on the nodes"),
        ("--max-nodes", bounded(2, 100), 10, "grow the cluster up to this many nodes"),
        ("--instances", bounded(2, 8), 2, "instances for the state experiment"),
        ("--accounts", bounded(10, 1_000_000), 10_000, "accounts in PostgreSQL"),
        ("--reads", bounded(10, 1_000_000), 5_000, "reads through the cache"),
    ]
    for flag, kind, default, meaning in numbers:
        parser.add_argument(flag, type=kind, default=default, help=f"{meaning} (default {default})")
    parser.add_argument(
        "--skip-throughput", action="store_true", help="skip the slowest experiment"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("out"), help="where PNGs go (default out/)"
    )
    parser.add_argument("--no-plots", action="store_true", help="write no PNGs")
    return parser.parse_args()


def partitioning(args: argparse.Namespace) -> None:
    console.rule("1. Partitioning data: which keys move when a node joins?")
    keys = seeded_key_hashes(args.keys)
    print(
        f"{args.keys:,} seeded keys placed three ways: hash mod N, a hash ring (200 virtual nodes"
    )
    print(
        "per node) and jump consistent hash. Then one node joins and we count the keys that moved."
    )
    rows = movement_table(keys, range(1, args.max_nodes), vnodes=200)
    console.print(tables.movement_table(rows, args.keys))
    last = rows[-1]
    print(
        f"Growing {last.nodes} → {last.nodes + 1}: mod N moved {last.modulo:.0%} of keys (a cache-wide miss storm);"
    )
    print(
        f"the ring moved {last.ring:.0%} and jump hash {last.jump:.0%}, the 1/(N+1) that must move to fill the new node."
    )
    print("\nBalance: how far the busiest node is above the average, by virtual nodes per node.")
    balance = balance_table(keys, 10, [1, 10, 50, 100, 200, 500])
    console.print(tables.balance_table(balance, max_over_mean(keys, jump(10), 10)))
    print(
        "One point per node leaves arcs of very different lengths; hundreds of points even them out."
    )
    if not args.no_plots and not can_plot():
        print(SKIPPED)
    elif not args.no_plots:
        from scaling.plot import plot_balance, plot_key_movement  # the demo extra, imported late

        print(
            f"Plots: {plot_key_movement(rows, args.out / 'scaling_key_movement.png')}, "
            f"{plot_balance(balance, args.out / 'scaling_balance.png')}"
        )


async def shared_state(urls: list[str], args: argparse.Namespace, entry: str) -> None:
    n = args.instances
    limiter = [
        await limiter_across_instances(
            urls,
            store,
            client=f"demo-{store}-{os.getpid()}",
            limit=10,
            instances=n,
            sent=10 * n * 2,
        )
        for store in Store
    ]
    print(
        f"One client sends {10 * n * 2} requests, one at a time, through {entry}; the limit is 10."
    )
    console.print(tables.limiter_table(limiter))
    memory, shared = limiter
    print(
        f"In memory each instance has its own bucket: {memory.admitted} admitted ({memory.times_the_limit:.0f}× the limit)."
    )
    print(
        f"In Redis all instances share one bucket: {shared.admitted} admitted, exactly the limit."
    )
    sessions = [
        await sessions_across_instances(
            urls, store, session_id=f"demo-{store}-{os.getpid()}", instances=n, reads=10 * n
        )
        for store in Store
    ]
    print(
        "\nA user logs in once (the session is written on one instance), then makes 10 × N requests."
    )
    console.print(tables.session_table(sessions))
    print(
        f"In memory the session exists only on {sessions[0].written_on}: the other instances answer 404."
    )


def state_experiment(services: dict[str, str], args: argparse.Namespace) -> None:
    console.rule("2. State breaks horizontal scaling")
    print(
        f"Starting {args.instances} instances of the same app (uvicorn processes on loopback ports)..."
    )
    settings = {"SCALING_LIMIT_CAPACITY": "10", "SCALING_KEY_PREFIX": PREFIX}
    with app_instances(args.instances, services=services, settings=settings) as instances:
        if nginx_available():
            with nginx_in_front_of(instances) as url:
                asyncio.run(shared_state([url], args, f"nginx (round robin) at {url}"))
        else:
            print(f"({NGINX_MISSING}: the client alternates between instances itself.)")
            asyncio.run(shared_state([i.url for i in instances], args, "client-side round robin"))


async def cache_experiment(services: dict[str, str], args: argparse.Namespace) -> None:
    console.rule("3. Before sharding: a cache in front of the database")
    accounts, reads = int(args.accounts), int(args.reads)
    create_accounts(services["DATABASE_URL"], accounts)
    print(
        f"{accounts:,} accounts in PostgreSQL; {reads:,} reads of them, skewed (Zipf 1.1) as real traffic is:"
    )
    print(
        "first every read goes to PostgreSQL, then the same reads go through a cold Redis cache-aside cache."
    )
    client = redis.asyncio.Redis.from_url(services["REDIS_URL"], decode_responses=True)
    engine = create_async_engine(sqlalchemy_async_url(services["DATABASE_URL"]), pool_size=1)
    try:
        rows = await compare_cache(client, engine, zipf_ids(accounts, reads), prefix=PREFIX)
    finally:
        await engine.dispose()
        await client.aclose()
    console.print(tables.cache_table(rows))
    direct, cached = rows
    print(
        f"The cache answered {cached.hit_ratio:.0%} of reads: PostgreSQL served {cached.database_queries:,} "
        f"queries instead of {direct.database_queries:,}."
    )


def throughput(services: dict[str, str], args: argparse.Namespace) -> None:
    console.rule(
        "4. Throughput: more processes on one box (vertical) vs more instances behind nginx (horizontal)"
    )
    cores = os.cpu_count() or 1
    layouts = [Layout.vertical, Layout.horizontal] if nginx_available() else [Layout.vertical]
    if not nginx_available():
        print(f"({NGINX_MISSING}: horizontal rows skipped.)")
    load = Load(requests=args.requests, seconds=args.seconds, concurrency=args.concurrency)
    print(
        f"This machine has {cores} cores. Each run sends up to {load.requests} requests from {load.concurrency} "
        f"concurrent tasks for at most {load.seconds:g} s,"
    )
    print(
        f"to /cpu (a {load.cpu_n:,}-step Python loop) and to /io (a {load.io_wait_ms} ms PostgreSQL query, "
        "4 pooled connections per process)."
    )
    rows = measure(layouts, args.processes, services, load, settings={"SCALING_KEY_PREFIX": PREFIX})
    console.print(tables.throughput_table(rows))
    for route in ROUTES:
        best = max((r for r in rows if r.route == route), key=lambda r: r.per_second)
        print(
            f"/{route}: the most throughput, {best.per_second:.0f} req/s, came from {best.processes} process{'es' if best.processes > 1 else ''} ({best.layout})."
        )
    ones = [r.per_second for r in rows if (r.processes, r.route) == (1, "cpu")]
    if len(ones) == 2:
        print(
            f"The two 1-process /cpu rows are the same process (horizontal adds nginx): their gap, "
            f"{min(ones):.0f} vs {max(ones):.0f} req/s, is this machine's noise."
        )
    print(
        f"Why: Python's GIL keeps one process on one core, so CPU-bound work stops at the {cores} cores"
    )
    print(
        "(shared here with the load generator). I/O-bound work is capped by each process's connection"
    )
    print("pool instead, and scales with connections until the database or the CPU runs out.")
    if not args.no_plots and not can_plot():
        print(SKIPPED)
    elif not args.no_plots:
        from scaling.plot import plot_throughput  # the demo extra, imported late

        print(f"Plot: {plot_throughput(rows, args.out / 'scaling_throughput.png', cores)}")


def main() -> None:
    args = parse_args()
    started = time.monotonic()
    with services_for_demo() as urls:
        database_url = recreate_schema(urls.database_url, PREFIX)
        services = {"REDIS_URL": urls.redis_url, "DATABASE_URL": database_url}
        try:
            partitioning(args)
            state_experiment(services, args)
            asyncio.run(cache_experiment(services, args))
            if not args.skip_throughput:
                throughput(services, args)
        finally:
            asyncio.run(forget_keys(urls.redis_url, PREFIX))
            drop_schema(urls.database_url, PREFIX)
    print(
        f"\nDone in {time.monotonic() - started:.0f} s; the demo's schema and Redis keys are removed."
    )


async def forget_keys(redis_url: str, prefix: str) -> None:
    """Delete the run's keys (and only them: the database index may be someone else's too)."""
    client = redis.asyncio.Redis.from_url(redis_url)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


if __name__ == "__main__":
    main()
