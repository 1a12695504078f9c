"""Measure the CAP theorem's two halves on real redis-server processes; print tables, write JSON.

P: each mode under a partition (the demo's scenarios, longer).  E (PACELC's "else"): with no
partition, what waiting for the replica (`WAIT 1`) costs in latency, and what it buys in reads.

Run from the repo root:  .venv/bin/python -m benchmarks.cap_theorem_bench [--writes 500]
(`--quick`: a smoke pass, written under out/bench-quick/).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from backing_services.measure import percentile
from benchmarks.common import ROOT, add_quick, command, figure, machine, write_results
from cap_theorem.__main__ import outcome_table
from cap_theorem.cluster import primary_and_replica
from cap_theorem.linearizability import check_register
from cap_theorem.metrics import Summary, summarize
from cap_theorem.scenarios import MODES, ScenarioRun, run_scenario
from cap_theorem.sessions import ReadYourWritesSession
from cap_theorem.settings import CapTheoremSettings
from cap_theorem.timeline import plot_timeline
from cap_theorem.workload import KEY

FIGURE = ROOT / "cap_theorem" / "img" / "timeline.png"
LINK_DELAYS_MS = (0.0, 1.0, 5.0)  # same host; same zone; another zone or region, roughly
WAIT_TIMEOUT_MS = 1_000


async def pacelc(writes: int, delay_ms: float, wait: bool) -> dict[str, Any]:
    """One client writes `writes` times, then reads the replica at once: is its write there?"""
    async with primary_and_replica() as cluster:
        cluster.link.latency_s = delay_ms / 1000
        primary, replica = cluster.primary.admin, cluster.replica.admin
        took, seen_on_replica, unacknowledged = [], 0, 0
        for value in range(1, writes + 1):
            started = time.perf_counter()
            await primary.rpush(KEY, value)
            if wait and await primary.wait(1, WAIT_TIMEOUT_MS) < 1:
                unacknowledged += 1
            took.append((time.perf_counter() - started) * 1000)
            seen_on_replica += await replica.lindex(KEY, -1) == str(value)
        return {
            "link_delay_ms": delay_ms,
            "write": "RPUSH + WAIT 1" if wait else "RPUSH",
            "writes": writes,
            "p50_ms": round(percentile(took, 50), 3),
            "p99_ms": round(percentile(took, 99), 3),
            "read_own_write_on_replica": round(seen_on_replica / writes, 4),
            "unacknowledged": unacknowledged,
        }


def redis_version() -> str:
    version = subprocess.run(
        ["redis-server", "--version"], capture_output=True, text=True, check=True
    ).stdout.split()[2]
    return version.removeprefix("v=")


async def read_your_writes(writes: int, delay_ms: float) -> dict[str, Any]:
    """One session writes then reads its write: how often could the lagging replica serve it?"""
    async with primary_and_replica() as cluster:
        cluster.link.latency_s = delay_ms / 1000
        session = ReadYourWritesSession(cluster.primary, cluster.replica)
        from_replica, saw_own_write = 0, 0
        for value in map(str, range(1, writes + 1)):
            await session.write(KEY, value)
            read = await session.read(KEY)
            from_replica += read.served_by == "replica"
            saw_own_write += read.value == value
        return {
            "link_delay_ms": delay_ms,
            "writes": writes,
            "served_by_replica": round(from_replica / writes, 4),
            "saw_own_write": round(saw_own_write / writes, 4),
        }


def partition_runs(
    settings: CapTheoremSettings, console: Console, figure_path: Path
) -> tuple[list[tuple[ScenarioRun, Summary]], list[dict[str, Any]]]:
    """Each mode under a partition, and the checker's cost on each history."""
    runs: list[tuple[ScenarioRun, Summary]] = []
    checker: list[dict[str, Any]] = []
    for mode in MODES.values():
        run = asyncio.run(run_scenario(mode, settings))
        started = time.perf_counter()
        verdict = check_register(run.history.operations, max_states=settings.max_checker_states)
        checker.append(
            {
                "mode": mode.name,
                "operations": len(run.history.operations),
                "states_explored": verdict.states_explored,
                "checker_ms": round((time.perf_counter() - started) * 1000, 1),
            }
        )
        runs.append((run, summarize(run, settings.max_checker_states)))
    console.print(outcome_table(runs))
    checker_table = Table(title="The linearizability checker on these histories")
    for column in ("mode", "operations", "states explored", "checker ms"):
        checker_table.add_column(column, justify="left" if column == "mode" else "right")
    for measured in checker:
        checker_table.add_row(*(str(value) for value in measured.values()))
    console.print(checker_table)
    plot_timeline(runs, figure_path)
    return runs, checker


def pacelc_rows(writes: int, console: Console) -> list[dict[str, Any]]:
    rows = [
        asyncio.run(pacelc(writes, delay, wait))
        for delay in LINK_DELAYS_MS
        for wait in (False, True)
    ]
    table = Table(title=f"PACELC, no partition: {writes} sequential writes per row")
    for column in ("link delay", "write", "p50 ms", "p99 ms", "replica had it", "unacknowledged"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(
            f"{row['link_delay_ms']:.0f} ms",
            row["write"],
            f"{row['p50_ms']:.2f}",
            f"{row['p99_ms']:.2f}",
            f"{row['read_own_write_on_replica']:.1%}",
            str(row["unacknowledged"]),
        )
    console.print(table)
    return rows


def session_rows(writes: int, console: Console) -> list[dict[str, Any]]:
    rows = [asyncio.run(read_your_writes(writes, delay)) for delay in LINK_DELAYS_MS]
    table = Table(title=f"Read-your-writes session: {writes} writes, each read back at once")
    for column in ("link delay", "served by the replica", "saw its own write"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(
            f"{row['link_delay_ms']:.0f} ms",
            f"{row['served_by_replica']:.1%}",
            f"{row['saw_own_write']:.1%}",
        )
    console.print(table)
    return rows


def scenario_record(summary: Summary) -> dict[str, Any]:
    return {
        "mode": summary.mode,
        "ok": summary.ok,
        "failed": summary.failed,
        "availability": round(summary.availability, 4),
        "stale_reads": summary.stale_reads,
        "lost_acknowledged_writes": summary.lost_writes,
        "checker": summary.verdict.label,
        "first_violation": None if summary.verdict.linearizable else summary.verdict.explanation,
        "p50_read_ms": summary.p50_read_ms and round(summary.p50_read_ms, 3),
        "p50_write_ms": summary.p50_write_ms and round(summary.p50_write_ms, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cap_theorem_bench")
    parser.add_argument(
        "--writes", type=int, default=500, choices=range(10, 10_001), metavar="10-10000"
    )
    parser.add_argument("--partition-s", type=float, default=3.0)
    add_quick(parser)
    args = parser.parse_args()
    healthy_s, healed_s = (0.3, 0.5) if args.quick else (1.0, 2.0)
    if args.quick:  # every mode, every link delay, each for a moment
        args.writes, args.partition_s = 10, 0.5
    console = Console(width=120)
    settings = CapTheoremSettings(
        healthy_s=healthy_s, partition_s=args.partition_s, healed_s=healed_s
    )
    image = figure(FIGURE, args.quick)
    runs, checker = partition_runs(settings, console, image)
    results = {
        "command": command("cap_theorem_bench"),
        "machine": machine(redis=redis_version()),
        "settings": settings.model_dump(mode="json"),
        "scenarios": [scenario_record(summary) for _, summary in runs],
        "checker": checker,
        "pacelc": pacelc_rows(args.writes, console),
        "read_your_writes": session_rows(args.writes, console),
    }
    path = write_results("cap_theorem", results, args.quick)
    console.print(f"Wrote {path} and {image}", markup=False)


if __name__ == "__main__":
    main()
