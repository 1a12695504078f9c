"""Benchmark: four screens through REST and GraphQL over one service layer, 100k messages seeded.

From the repository root, `python -m benchmarks.rest_vs_graphql_bench` writes
benchmarks/results/rest_vs_graphql.json, the README's table (rest_vs_graphql/measured.md) and chart
(rest_vs_graphql/img/comparison.png). It then times the inbox again with the startup heap unfrozen and
frozen, counting full garbage collections, to show where the inbox's tail came from.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from sqlalchemy.ext.asyncio import create_async_engine

from backing_services import sqlalchemy_async_url
from backing_services.measure import percentile
from backing_services.resolve import services_for_demo
from backing_services.schemas import drop_schema, recreate_schema
from benchmarks.common import add_quick, figure, machine, write_results
from rest_vs_graphql import compare, screens
from rest_vs_graphql.seed import SeedSize, seed
from rest_vs_graphql.settings import TwinSettings
from rest_vs_graphql.startup import freeze_startup_heap
from rest_vs_graphql.twins import create_twins_app

SCHEMA = "bench_rest_vs_graphql"
HERE = Path(__file__).resolve().parent.parent / "rest_vs_graphql"


@contextmanager
def full_collections() -> Iterator[list[float]]:
    """Milliseconds of every oldest-generation collection that runs inside the block."""
    pauses: list[float] = []
    started = [0.0]

    def callback(phase: str, info: dict[str, Any]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses.append((time.perf_counter() - started[0]) * 1000)

    gc.callbacks.append(callback)
    try:
        yield pauses
    finally:
        gc.callbacks.remove(callback)


async def inbox_tail(database_url: str, account: str, runs: int) -> dict[str, Any]:
    """The DataLoader inbox timed with the startup heap unfrozen, then frozen, in one process."""
    engine = create_async_engine(sqlalchemy_async_url(database_url))
    transport = httpx.ASGITransport(app=create_twins_app(engine, TwinSettings()))
    figures: dict[str, Any] = {}
    async with httpx.AsyncClient(transport=transport, base_url="http://twins.local") as client:
        for heap in ("unfrozen", "frozen"):
            gc.unfreeze() if heap == "unfrozen" else freeze_startup_heap()
            for _ in range(3):
                await screens.inbox_by_graphql(client, "/graphql", account, 50)
            timings = []
            with full_collections() as pauses:
                for _ in range(runs):
                    started = time.perf_counter()
                    await screens.inbox_by_graphql(client, "/graphql", account, 50)
                    timings.append((time.perf_counter() - started) * 1000)
            p50, p95, p99 = (percentile(timings, p) for p in (50, 95, 99))
            figures[heap] = {
                "p50_ms": round(p50, 2),
                "p95_ms": round(p95, 2),
                "p99_ms": round(p99, 2),
                "p95_over_p50": round(p95 / p50, 2),
                "p99_over_p50": round(p99 / p50, 2),
                "full_collections": len(pauses),
                "longest_full_collection_ms": round(max(pauses, default=0.0), 2),
                "objects_tracked_by_gc": len(gc.get_objects()),
            }
    await engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=60, help="timed repetitions per screen (≤ 500)")
    add_quick(parser)
    args = parser.parse_args()
    if args.quick:
        args.messages, args.runs = 500, 20
    if not 20 <= args.runs <= 500:
        parser.error("--runs must be between 20 and 500")
    console = Console(width=150)
    started = machine(transport="in-process ASGI (httpx.ASGITransport), PostgreSQL on loopback")
    console.print(f"seeding {args.messages:,} messages into schema {SCHEMA}, then measuring…")
    with services_for_demo() as services:
        url = recreate_schema(services.database_url, SCHEMA)
        try:
            account = seed(url, SeedSize(messages=args.messages)).account_sids[0]
            rows = asyncio.run(
                compare.compare(
                    url, account, args.runs, lambda r: console.print(f"  {r.api} · {r.screen}")
                )
            )
            tail = asyncio.run(inbox_tail(url, account, args.runs))
        finally:
            drop_schema(services.database_url, SCHEMA)
    console.print(compare.rich_table(rows))
    record = {
        "command": f"python -m benchmarks.rest_vs_graphql_bench --messages {args.messages} --runs {args.runs}",
        "machine": started,
        "messages": args.messages,
        "runs": args.runs,
        "rows": [asdict(row) for row in rows],
        "ratios": compare.ratios(rows),
        "inbox_tail_by_heap": tail,
    }
    console.print(record["ratios"], tail)
    figure(HERE / "measured.md", args.quick).write_text(compare.markdown_table(rows))
    compare.chart(rows, figure(HERE / "img" / "comparison.png", args.quick))
    console.print(f"wrote {write_results('rest_vs_graphql', record, quick=args.quick)}")


if __name__ == "__main__":
    main()
