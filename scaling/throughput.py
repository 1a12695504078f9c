"""Vertical vs horizontal on one box: throughput of 1, 2, 4 processes on a CPU-bound and an I/O-bound route.

Vertical = one instance with N uvicorn workers; horizontal = N instances behind nginx.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from enum import StrEnum

from scaling.instances import app_instances
from scaling.load import LoadResult, run_load
from scaling.load_balancer import nginx_in_front_of

ROUTES = ("cpu", "io")


class Layout(StrEnum):
    vertical = "vertical"  # one instance, N worker processes sharing its port
    horizontal = "horizontal"  # N instances, nginx in front


@dataclass(frozen=True)
class Load:
    """How hard and how long to push: bounded in requests and in seconds, whichever ends first."""

    requests: int = 600
    seconds: float = 3.0
    concurrency: int = 32
    cpu_n: int = 20_000
    io_wait_ms: int = 50
    rounds: int = 2  # the requests and seconds are split over this many turns

    def __post_init__(self) -> None:
        if not (1 <= self.rounds <= self.requests and self.seconds > 0 and self.concurrency >= 1):
            raise ValueError("a load needs 1 ≤ rounds ≤ requests, seconds > 0 and concurrency ≥ 1")


@dataclass(frozen=True)
class ThroughputRow:
    layout: Layout
    processes: int
    route: str
    per_second: float
    p50_ms: float
    p99_ms: float
    completed: int
    failed: int  # non-200 answers plus transport errors
    instances_seen: int
    efficiency: float | None = None  # throughput at N ÷ (N × throughput at 1)


def efficiency(per_second: float, per_second_at_one: float, processes: int) -> float:
    """1.0 means N processes did N times the work of one; 0.5 means half of that."""
    if processes < 1 or per_second_at_one <= 0:
        raise ValueError("efficiency needs at least one process and a positive baseline")
    return per_second / (processes * per_second_at_one)


@contextmanager
def deployed(
    layout: Layout, processes: int, services: Mapping[str, str], settings: Mapping[str, str]
) -> Iterator[str]:
    """Start the layout and yield the one URL clients use."""
    if layout is Layout.vertical:
        with app_instances(1, workers=processes, services=services, settings=settings) as (one,):
            yield one.url
    else:
        with (
            app_instances(processes, services=services, settings=settings) as many,
            nginx_in_front_of(many) as url,
        ):
            yield url


def row(layout: Layout, processes: int, route: str, result: LoadResult) -> ThroughputRow:
    return ThroughputRow(
        layout=layout,
        processes=processes,
        route=route,
        per_second=result.per_second,
        p50_ms=result.percentile_ms(50),
        p99_ms=result.percentile_ms(99),
        completed=result.completed,
        failed=result.completed - result.statuses[200] + result.transport_errors,
        instances_seen=len(result.instances),
    )


async def push(url: str, route: str, load: Load, requests: int, seconds: float) -> LoadResult:
    params = {"n": load.cpu_n} if route == "cpu" else {"wait_ms": load.io_wait_ms}
    return await run_load(
        [url],
        f"/{route}",
        params=params,
        requests=requests,
        concurrency=load.concurrency,
        max_seconds=seconds,
    )


def measure(
    layouts: Sequence[Layout],
    process_counts: Sequence[int],
    services: Mapping[str, str],
    load: Load,
    settings: Mapping[str, str] | None = None,
) -> list[ThroughputRow]:
    """Every layout × process count × route, each warmed up first (connections, pools, imports).

    At each process count all layouts run side by side and take turns, round after round, so a
    busy spell on a shared machine hits vertical and horizontal alike.
    """
    rows: list[ThroughputRow] = []
    for processes in process_counts:
        with ExitStack() as stack:
            urls = {
                layout: stack.enter_context(deployed(layout, processes, services, settings or {}))
                for layout in layouts
            }
            runs = [(layout, route) for layout in layouts for route in ROUTES]
            for layout, route in runs:
                asyncio.run(push(urls[layout], route, load, load.concurrency, load.seconds))
            results = {run: LoadResult() for run in runs}
            for _ in range(load.rounds):
                for layout, route in runs:
                    part = asyncio.run(
                        push(
                            urls[layout],
                            route,
                            load,
                            load.requests // load.rounds,
                            load.seconds / load.rounds,
                        )
                    )
                    results[layout, route].add(part)
            rows += [
                row(layout, processes, route, results[layout, route]) for layout, route in runs
            ]
    return with_efficiency(rows)


def with_efficiency(rows: Sequence[ThroughputRow]) -> list[ThroughputRow]:
    """Fill in each row's efficiency against the 1-process row of the same layout and route."""
    baseline = {(r.layout, r.route): r.per_second for r in rows if r.processes == 1}
    return [
        replace(r, efficiency=efficiency(r.per_second, baseline[r.layout, r.route], r.processes))
        if (r.layout, r.route) in baseline
        else r
        for r in rows
    ]
