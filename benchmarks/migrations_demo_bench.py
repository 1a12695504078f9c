"""Benchmark: naive vs safe migration under the same live traffic, with and without a long transaction.

Run from the repo root: .venv/bin/python -m benchmarks.migrations_demo_bench [--rows 1000000]
"""

# Prints a rich table; writes benchmarks/results/migrations_demo.json (keyed by row count) and
# migrations_demo/img/latency_<rows>.png.

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from backing_services.resolve import services_for_demo
from backing_services.schemas import drop_schema, recreate_schema
from benchmarks.common import add_quick, command, figure, machine, now, results_dir, write_results
from migrations_demo.report import error_kinds, phase_stats, plot
from migrations_demo.scenario import MigrationPath, PathRun, run_path
from migrations_demo.settings import MigrationSettings

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "migrations_demo" / "img"
SCHEMA = "bench_migrations_demo"
PATHS: tuple[MigrationPath, ...] = ("naive", "safe")
COLUMNS = (
    "path",
    "long txn s",
    "phase",
    "req",
    "err",
    "p50 ms",
    "p99 ms",
    "max ms",
    "stall s",
    "backfill rows/s",
)
BACKFILL_EVENT = re.compile(r"backfilled (\d+) rows in (\d+) batches \(([\d,]+) rows/s\)")


def summarise(run: PathRun, blocker_s: float) -> dict[str, Any]:
    stats = {s.phase: s for s in phase_stats(run)}
    backfill = next(
        (BACKFILL_EVENT.search(p) for _, p in run.phases if BACKFILL_EVENT.search(p)), None
    )
    return {
        "path": run.path,
        "blocker_s": blocker_s,
        "migration_s": round(
            run.phase_time("migration done") - run.phase_time("migration starts"), 2
        ),
        "longest_stall_s": round(run.longest_stall_s, 2),
        "errors_by_cause": error_kinds(run),
        "backfill_rows_per_s": int(backfill.group(3).replace(",", "")) if backfill else None,
        "lock_retries": sum(p.startswith("lock_timeout on attempt") for _, p in run.phases),
        "phases": {
            phase: {
                "requests": s.requests,
                "errors": s.errors,
                "p50_ms": round(s.p50_ms, 2),
                "p99_ms": round(s.p99_ms, 2),
                "max_ms": round(s.max_ms, 1),
            }
            for phase, s in stats.items()
        },
    }


def run_all(
    rows: int, blocker_s: float, steady_s: float, console: Console
) -> list[tuple[float, PathRun]]:
    """Both paths, with and without a long transaction, each on a fresh schema."""
    runs = []
    settings = MigrationSettings(show_progress=False)
    with services_for_demo() as services:
        for blocker in (blocker_s, 0.0):
            for path in PATHS:
                console.print(f"{path} path, {rows:,} rows, long transaction {blocker:g} s …")
                url = recreate_schema(services.database_url, SCHEMA)
                try:
                    run = run_path(
                        path,
                        url,
                        rows=rows,
                        settings=settings,
                        blocker_s=blocker,
                        steady_s=steady_s,
                    )
                    runs.append((blocker, run))
                finally:
                    drop_schema(services.database_url, SCHEMA)
    return runs


def show(results: list[dict[str, Any]], rows: int, console: Console) -> None:
    table = Table(title=f"Migration under load, {rows:,} rows (2 readers + 2 writers)")
    for column in COLUMNS:
        table.add_column(column, justify="left" if column in ("path", "phase") else "right")
    for result in results:
        for phase, s in result["phases"].items():
            during = phase == "during"
            table.add_row(
                str(result["path"]),
                f"{result['blocker_s']:g}",
                phase,
                str(s["requests"]),
                str(s["errors"]),
                f"{s['p50_ms']:.1f}",
                f"{s['p99_ms']:.1f}",
                f"{s['max_ms']:.0f}",
                f"{result['longest_stall_s']:.2f}" if during else "",
                str(result["backfill_rows_per_s"] or "") if during else "",
            )
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.migrations_demo_bench")
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--blocker-s", type=float, default=4.0)
    parser.add_argument("--steady-s", type=float, default=2.0)
    add_quick(parser)
    args = parser.parse_args()
    if args.quick:  # both paths, both cases, each for a moment
        args.rows, args.blocker_s, args.steady_s = 200, 0.5, 0.3
    if not 100 <= args.rows <= 20_000_000:
        parser.error("--rows must be within 100..20000000")
    console = Console(width=150)
    runs = run_all(args.rows, args.blocker_s, args.steady_s, console)
    results = [summarise(run, blocker) for blocker, run in runs]
    show(results, args.rows, console)
    blocked = [run for blocker, run in runs if blocker]
    image = plot(blocked, figure(IMAGES / f"latency_{args.rows}.png", args.quick))
    # One file keyed by row count, so a run at another size keeps the figures of the others.
    previous = results_dir(args.quick) / "migrations_demo.json"
    stored = json.loads(previous.read_text()) if previous.exists() else {}
    stored = {key: value for key, value in stored.items() if key.isdigit()}
    settings = MigrationSettings(show_progress=False)
    stored[str(args.rows)] = {
        "command": command("migrations_demo_bench"),
        "machine": machine(note="PostgreSQL on 127.0.0.1 (busy shared machine)"),
        "date": now(),
        "request_timeout_ms": settings.request_timeout_ms,
        "lock_timeout_ms": settings.lock_timeout_ms,
        "plot": image.relative_to(ROOT).as_posix(),
        "runs": results,
    }
    path = write_results("migrations_demo", stored, args.quick)
    console.print(f"written {path.relative_to(ROOT)} and {image.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
