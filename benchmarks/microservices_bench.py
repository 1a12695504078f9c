"""Measure the microservice premium: the demo's scenarios at a larger size; print tables, write JSON.

Same load on the modular monolith and on two services (healthy, +20 ms, 20% errors, accounts down with
and without the breaker), billing stopped and restarted, latency across an outage, and the bare hop.

Run from the repo root:  .venv/bin/python -m benchmarks.microservices_bench [--requests 300]
(`--quick`: a smoke pass, written under out/bench-quick/).
"""

from __future__ import annotations

import argparse
import asyncio

from backing_services.resolve import services_for_demo
from backing_services.schemas import drop_schema, recreate_schema
from benchmarks.common import ROOT, add_quick, command, figure, machine, write_results
from microservices.__main__ import console, figures, run
from microservices.scenarios import DemoConfig

FIGURE = ROOT / "microservices" / "img" / "breaker_timeline.png"
SCHEMA = "bench_microservices"


def config(args: argparse.Namespace) -> DemoConfig:
    return DemoConfig(
        requests=args.requests,
        outage_requests=args.outage_requests,
        concurrency=args.concurrency,
        billing_down_messages=args.requests // 2,
        hop_checks=20 if args.quick else 300,
        timeline_rate_per_s=10.0,
        timeline_phases_s=(1.0, 1.0, 1.0) if args.quick else (3.0, 4.0, 3.0),
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.microservices_bench")
    parser.add_argument("--requests", type=int, default=300, help="per scenario (20-20000)")
    parser.add_argument("--outage-requests", type=int, default=60, help="per outage scenario")
    parser.add_argument("--concurrency", type=int, default=4, help="requests in flight (1-64)")
    add_quick(parser)
    args = parser.parse_args()
    if args.quick:  # every scenario, a few requests each
        args.requests, args.outage_requests = 20, 10
    if not 20 <= args.requests <= 20_000 or not 10 <= args.outage_requests <= 20_000:
        parser.error("--requests must be 20..20000 and --outage-requests 10..20000")
    if not 1 <= args.concurrency <= 64:
        parser.error("--concurrency must be between 1 and 64")
    chosen, image = config(args), figure(FIGURE, args.quick)
    with services_for_demo() as services:
        database_url = recreate_schema(services.database_url, SCHEMA)
        try:
            results = asyncio.run(run(chosen, services.redis_url, database_url, image))
        finally:
            drop_schema(services.database_url, SCHEMA)
    note = "taken on a shared 2-core machine with other benchmarks running"
    record = {"command": command("microservices_bench"), "machine": machine(note=note)}
    path = write_results("microservices", {**record, **figures(chosen, results)}, args.quick)
    console.print(f"Wrote {path} and {image}")


if __name__ == "__main__":
    main()
