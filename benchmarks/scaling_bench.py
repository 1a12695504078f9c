"""Benchmark: the scaling experiments at full size; prints tables, writes JSON and the README's plots.

Run from the repo root:  .venv/bin/python benchmarks/scaling_bench.py [--processes 1,2,4] [--seconds 10]
Writes benchmarks/results/scaling.json and scaling/img/*.png.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis.asyncio
from rich.console import Console
from sqlalchemy.ext.asyncio import create_async_engine

# Run as a file, this folder comes first on sys.path and this file's name would hide the package.
HERE = Path(__file__).resolve().parent
sys.path[:] = [str(HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

from backing_services import sqlalchemy_async_url  # noqa: E402
from backing_services.resolve import services_for_demo  # noqa: E402
from backing_services.schemas import drop_schema, recreate_schema  # noqa: E402
from scaling import tables  # noqa: E402
from scaling.__main__ import counts, forget_keys  # noqa: E402
from scaling.cache_aside import create_accounts  # noqa: E402
from scaling.cache_experiment import compare_cache, zipf_ids  # noqa: E402
from scaling.instances import app_instances  # noqa: E402
from scaling.load_balancer import NGINX_MISSING, nginx_available, nginx_in_front_of  # noqa: E402
from scaling.partitioning import (  # noqa: E402
    balance_table,
    jump,
    max_over_mean,
    movement_table,
    seeded_key_hashes,
)
from scaling.plot import plot_balance, plot_key_movement, plot_throughput  # noqa: E402
from scaling.shared_state import limiter_across_instances, sessions_across_instances  # noqa: E402
from scaling.target_app import Store  # noqa: E402
from scaling.throughput import Layout, Load, measure  # noqa: E402

PREFIX = "bench_scaling"
RESULTS = HERE / "results" / "scaling.json"
IMAGES = HERE.parent / "scaling" / "img"
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--processes", type=counts, default=[1, 2, 4])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--requests", type=int, default=4_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--keys", type=int, default=100_000)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    report: dict[str, Any] = {
        "machine": {
            "cores": cores,
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_average_at_start": os.getloadavg(),
        },
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python benchmarks/scaling_bench.py " + " ".join(sys.argv[1:]),
    }

    keys = seeded_key_hashes(args.keys)
    movement = movement_table(keys, range(1, 10), vnodes=200)
    balance = balance_table(keys, 10, [1, 10, 50, 100, 200, 500, 1000])
    jump_balance = max_over_mean(keys, jump(10), 10)
    console.print(
        tables.movement_table(movement, args.keys), tables.balance_table(balance, jump_balance)
    )
    plot_key_movement(movement, IMAGES / "key_movement.png")
    plot_balance(balance, IMAGES / "balance.png")
    report["partitioning"] = {
        "keys": args.keys,
        "movement": [asdict(r) for r in movement],
        "balance": [asdict(r) for r in balance],
        "jump_max_over_mean": jump_balance,
    }

    with services_for_demo() as urls:
        database_url = recreate_schema(urls.database_url, PREFIX)
        services = {"REDIS_URL": urls.redis_url, "DATABASE_URL": database_url}
        settings = {"SCALING_LIMIT_CAPACITY": "10", "SCALING_KEY_PREFIX": PREFIX}
        try:
            report["state"] = {}
            for n in (2, 4):
                with app_instances(n, services=services, settings=settings) as instances:
                    if nginx_available():
                        with nginx_in_front_of(instances) as url:
                            report["state"][n] = asyncio.run(state_rows([url], n))
                    else:
                        console.print(f"{NGINX_MISSING}: client-side round robin")
                        report["state"][n] = asyncio.run(state_rows([i.url for i in instances], n))
            report["cache_aside"] = asyncio.run(cache_rows(services, 10_000, 10_000))
            layouts = (
                [Layout.vertical, Layout.horizontal] if nginx_available() else [Layout.vertical]
            )
            load = Load(
                requests=args.requests,
                seconds=args.seconds,
                concurrency=args.concurrency,
                rounds=args.rounds,
            )
            rows = measure(layouts, args.processes, services, load, settings=settings)
            console.print(tables.throughput_table(rows))
            plot_throughput(rows, IMAGES / "throughput.png", cores)
            report["throughput"] = {"load": asdict(load), "rows": [asdict(r) for r in rows]}
        finally:
            asyncio.run(forget_keys(urls.redis_url, PREFIX))
            drop_schema(urls.database_url, PREFIX)

    report["machine"]["load_average_at_end"] = os.getloadavg()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    console.print(
        f"wrote {RESULTS.relative_to(HERE.parent)} and {IMAGES.relative_to(HERE.parent)}/*.png"
    )


if __name__ == "__main__":
    main()
