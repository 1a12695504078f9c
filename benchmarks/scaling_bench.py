"""Benchmark: the scaling experiments at full size; prints tables, writes JSON and the README's plots.

Run from the repo root:  .venv/bin/python -m benchmarks.scaling_bench [--processes 1,2,4] [--seconds 10]
Writes benchmarks/results/scaling.json and scaling/img/*.png (`--quick`: a smoke pass, written under
out/bench-quick/).
"""

from __future__ import annotations

import argparse
import asyncio
import os
from dataclasses import asdict
from typing import Any

import redis.asyncio
from rich.console import Console
from sqlalchemy.ext.asyncio import create_async_engine

from backing_services import sqlalchemy_async_url
from backing_services.resolve import services_for_demo
from backing_services.schemas import drop_schema, recreate_schema
from benchmarks.common import (
    QUICK_RESULTS,
    ROOT,
    add_quick,
    command,
    figure,
    machine,
    write_results,
)
from scaling import tables
from scaling.__main__ import counts, forget_keys
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
from scaling.plot import plot_balance, plot_key_movement, plot_throughput
from scaling.shared_state import limiter_across_instances, sessions_across_instances
from scaling.target_app import Store
from scaling.throughput import Layout, Load, measure

PREFIX = "bench_scaling"
SETTINGS = {"SCALING_LIMIT_CAPACITY": "10", "SCALING_KEY_PREFIX": PREFIX}
IMAGES = ROOT / "scaling" / "img"
console = Console(width=120)


async def state_rows(urls: list[str], instances: int) -> dict[str, Any]:
    limit = 10
    limiter = [
        await limiter_across_instances(
            urls,
            s,
            client=f"bench-{instances}",
            limit=limit,
            instances=instances,
            sent=4 * limit * instances,
        )
        for s in Store
    ]
    sessions = [
        await sessions_across_instances(
            urls, s, session_id=f"bench-{instances}-{s}", instances=instances, reads=10 * instances
        )
        for s in Store
    ]
    console.print(tables.limiter_table(limiter), tables.session_table(sessions))
    return {
        "limiter": [{**asdict(o), "admitted_by": dict(o.admitted_by)} for o in limiter],
        "sessions": [asdict(o) for o in sessions],
    }


async def cache_rows(services: dict[str, str], accounts: int, reads: int) -> list[dict[str, Any]]:
    create_accounts(services["DATABASE_URL"], accounts)
    client = redis.asyncio.Redis.from_url(services["REDIS_URL"], decode_responses=True)
    engine = create_async_engine(sqlalchemy_async_url(services["DATABASE_URL"]), pool_size=1)
    try:
        rows = await compare_cache(client, engine, zipf_ids(accounts, reads), prefix=PREFIX)
    finally:
        await engine.dispose()
        await client.aclose()
    console.print(tables.cache_table(rows))
    return [asdict(r) for r in rows]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scaling_bench")
    parser.add_argument("--processes", type=counts, default=[1, 2, 4])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--requests", type=int, default=4_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--keys", type=int, default=100_000)
    add_quick(parser)
    args = parser.parse_args()
    if args.quick:  # every experiment once, at toy size: one process count, two instances
        args.processes, args.seconds, args.requests, args.rounds, args.keys = [1], 0.5, 50, 1, 2_000
    args.instances = (2,) if args.quick else (2, 4)
    args.accounts = 100 if args.quick else 10_000
    return args


def partitioning(args: argparse.Namespace) -> dict[str, Any]:
    keys = seeded_key_hashes(args.keys)
    movement = movement_table(keys, range(1, 10), vnodes=200)
    balance = balance_table(keys, 10, [1, 10, 50, 100, 200, 500, 1000])
    jump_balance = max_over_mean(keys, jump(10), 10)
    console.print(
        tables.movement_table(movement, args.keys), tables.balance_table(balance, jump_balance)
    )
    plot_key_movement(movement, figure(IMAGES / "key_movement.png", args.quick))
    plot_balance(balance, figure(IMAGES / "balance.png", args.quick))
    return {
        "keys": args.keys,
        "movement": [asdict(r) for r in movement],
        "balance": [asdict(r) for r in balance],
        "jump_max_over_mean": jump_balance,
    }


def shared_state(args: argparse.Namespace, services: dict[str, str]) -> dict[int, Any]:
    """The limiter and sessions across 2 (and 4) instances, behind nginx when it is installed."""
    state = {}
    for n in args.instances:
        with app_instances(n, services=services, settings=SETTINGS) as instances:
            if nginx_available():
                with nginx_in_front_of(instances) as url:
                    state[n] = asyncio.run(state_rows([url], n))
            else:
                console.print(f"{NGINX_MISSING}: client-side round robin")
                state[n] = asyncio.run(state_rows([i.url for i in instances], n))
    return state


def throughput(args: argparse.Namespace, services: dict[str, str]) -> dict[str, Any]:
    layouts = [Layout.vertical, Layout.horizontal] if nginx_available() else [Layout.vertical]
    load = Load(
        requests=args.requests,
        seconds=args.seconds,
        concurrency=args.concurrency,
        rounds=args.rounds,
    )
    rows = measure(layouts, args.processes, services, load, settings=SETTINGS)
    console.print(tables.throughput_table(rows))
    plot_throughput(rows, figure(IMAGES / "throughput.png", args.quick), os.cpu_count() or 1)
    return {"load": asdict(load), "rows": [asdict(r) for r in rows]}


def main() -> None:
    args = parse_args()
    report: dict[str, Any] = {"machine": machine(), "command": command("scaling_bench")}
    report["partitioning"] = partitioning(args)
    with services_for_demo() as urls:
        database_url = recreate_schema(urls.database_url, PREFIX)
        services = {"REDIS_URL": urls.redis_url, "DATABASE_URL": database_url}
        try:
            report["state"] = shared_state(args, services)
            report["cache_aside"] = asyncio.run(cache_rows(services, args.accounts, args.accounts))
            report["throughput"] = throughput(args, services)
        finally:
            asyncio.run(forget_keys(urls.redis_url, PREFIX))
            drop_schema(urls.database_url, PREFIX)
    report["machine"]["load_average_at_end"] = round(os.getloadavg()[0], 2)
    path = write_results("scaling", report, args.quick)
    images = QUICK_RESULTS if args.quick else IMAGES
    console.print(f"wrote {path.relative_to(ROOT)} and {images.relative_to(ROOT)}/*.png")


if __name__ == "__main__":
    main()
