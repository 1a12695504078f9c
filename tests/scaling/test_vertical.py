"""Vertical scaling on one box: one instance with several worker processes behind one port."""

from __future__ import annotations

import shutil

import pytest

from scaling.instances import app_instances
from scaling.load import LoadResult, run_load
from scaling.throughput import Layout, Load, ThroughputRow, efficiency, measure, with_efficiency


async def test_one_instance_with_two_workers_serves_from_two_processes(
    redis_url: str, database_url: str
) -> None:
    # Rule: `--workers 2` forks two processes that share the listening socket; the kernel hands
    # each new connection to one of them, and while one is busy with CPU work the other accepts,
    # so over fresh connections both process ids answer.
    services = {"REDIS_URL": redis_url, "DATABASE_URL": database_url}

    with app_instances(1, workers=2, services=services) as (instance,):
        result = await run_load(
            [instance.url],
            "/cpu",
            params={"n": 200_000},
            requests=24,
            concurrency=4,
            max_seconds=60,
            keepalive=False,
        )

    assert result.statuses == {200: 24}
    assert len(result.instances) == 2
    assert all(name.startswith("app-0/") for name in result.instances)


def test_efficiency_is_throughput_at_n_over_n_times_throughput_at_one() -> None:
    # Rule: 2 processes doing 150/s against 100/s for one are 75 % efficient.
    assert efficiency(150.0, 100.0, 2) == 0.75
    assert efficiency(400.0, 100.0, 4) == 1.0


def test_efficiency_without_a_baseline_is_refused() -> None:
    # Rule: a zero baseline would divide by zero; say so instead.
    with pytest.raises(
        ValueError, match=r"^efficiency needs at least one process and a positive baseline$"
    ):
        efficiency(10.0, 0.0, 2)


def test_each_row_is_compared_with_one_process_of_the_same_layout_and_route() -> None:
    # Rule: vertical rows divide by vertical N = 1, horizontal by horizontal N = 1, per route.
    def r(layout: Layout, n: int, route: str, per_second: float) -> ThroughputRow:
        return ThroughputRow(layout, n, route, per_second, 1.0, 2.0, 10, 0, n)

    rows = with_efficiency(
        [
            r(Layout.vertical, 1, "cpu", 100),
            r(Layout.vertical, 2, "cpu", 180),
            r(Layout.horizontal, 1, "cpu", 50),
            r(Layout.horizontal, 2, "cpu", 100),
        ]
    )

    assert [row.efficiency for row in rows] == [1.0, 0.9, 1.0, 1.0]


def test_percentiles_come_from_the_recorded_latencies() -> None:
    # Rule: p50 and p99 are read from every latency recorded, in milliseconds.
    result = LoadResult(latencies_s=[n / 1000 for n in range(1, 101)])

    assert result.percentile_ms(50) == pytest.approx(50.5)
    assert result.percentile_ms(99) == pytest.approx(99.01)


def test_a_load_without_targets_is_refused() -> None:
    # Rule: the generator needs somewhere to send load.
    import asyncio

    with pytest.raises(ValueError, match=r"^give at least one URL to send load to$"):
        asyncio.run(run_load([], "/", requests=1, concurrency=1, max_seconds=1))


@pytest.mark.skipif(
    shutil.which("nginx") is None, reason="nginx is not installed (apt-get install nginx-light)"
)
def test_a_small_throughput_run_measures_every_layout_and_route(
    redis_url: str, database_url: str
) -> None:
    # Rule: a run yields one row per layout × route, every request answered 200, each row's
    # efficiency against its own 1-process baseline (so 1.0 at N = 1), and both layouts served.
    services = {"REDIS_URL": redis_url, "DATABASE_URL": database_url}
    load = Load(requests=16, seconds=5.0, concurrency=4, cpu_n=1_000, io_wait_ms=1, rounds=2)

    rows = measure([Layout.vertical, Layout.horizontal], [1], services, load)

    assert [(r.layout, r.route) for r in rows] == [
        (Layout.vertical, "cpu"),
        (Layout.vertical, "io"),
        (Layout.horizontal, "cpu"),
        (Layout.horizontal, "io"),
    ]
    assert all(r.completed == 16 and r.failed == 0 for r in rows)
    assert all(r.efficiency == 1.0 and r.instances_seen == 1 for r in rows)


def test_a_load_with_more_rounds_than_requests_is_refused() -> None:
    # Rule: each round needs at least one request.
    with pytest.raises(ValueError, match=r"^a load needs 1 ≤ rounds ≤ requests"):
        Load(requests=2, rounds=3)
