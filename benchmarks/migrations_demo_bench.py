"""Benchmark: naive vs safe migration under the same live traffic, with and without a long transaction.

Run from the repo root: .venv/bin/python -m benchmarks.migrations_demo_bench [--rows 1000000]
"""

# Prints a rich table; writes benchmarks/results/migrations_demo.json (keyed by row count) and
# migrations_demo/img/latency_<rows>.png.

from __future__ import annotations

import argparse
import json
import os
import platform
import re
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from backing_services.resolve import services_for_demo
from backing_services.schemas import drop_schema, recreate_schema
from migrations_demo.report import error_kinds, phase_stats, plot
from migrations_demo.scenario import MigrationPath, PathRun, run_path
from migrations_demo.settings import MigrationSettings

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "migrations_demo.json"
IMAGES = ROOT / "migrations_demo" / "img"
SCHEMA = "bench_migrations_demo"
BACKFILL_EVENT = re.compile(r"backfilled (\d+) rows in (\d+) batches \(([\d,]+) rows/s\)")


def summarise(run: PathRun, blocker_s: float) -> dict[str, object]:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--blocker-s", type=float, default=4.0)
    parser.add_argument("--steady-s", type=float, default=2.0)
    args = parser.parse_args()
    if not 100 <= args.rows <= 20_000_000:
        parser.error("--rows must be within 100..20000000")
    console = Console(width=150)
    settings = MigrationSettings(show_progress=False)
    results, runs = [], []
    with services_for_demo() as services:
        for blocker_s in (args.blocker_s, 0.0):
            for path in ("naive", "safe"):
                chosen: MigrationPath = path
                console.print(
                    f"{path} path, {args.rows:,} rows, long transaction {blocker_s:g} s …"
                )
                url = recreate_schema(services.database_url, SCHEMA)
                try:
                    run = run_path(
                        chosen,
                        url,
                        rows=args.rows,
                        settings=settings,
                        blocker_s=blocker_s,
                        steady_s=args.steady_s,
                    )
                finally:
                    drop_schema(services.database_url, SCHEMA)
                results.append(summarise(run, blocker_s))
                if blocker_s:
                    runs.append(run)
    table = Table(title=f"Migration under load, {args.rows:,} rows (2 readers + 2 writers)")
    for column in (
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
    ):
        table.add_column(column, justify="left" if column in ("path", "phase") else "right")
    for result in results:
        for phase, s in result["phases"].items():  # type: ignore[attr-defined]
            table.add_row(
                str(result["path"]),
                f"{result['blocker_s']:g}",
                phase,
                str(s["requests"]),
                str(s["errors"]),
                f"{s['p50_ms']:.1f}",
                f"{s['p99_ms']:.1f}",
                f"{s['max_ms']:.0f}",
                f"{result['longest_stall_s']:.2f}" if phase == "during" else "",
                str(result["backfill_rows_per_s"] or "") if phase == "during" else "",
            )
    console.print(table)
    image = plot(runs, IMAGES / f"latency_{args.rows}.png")
    stored = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    stored[str(args.rows)] = {
        "command": f".venv/bin/python -m benchmarks.migrations_demo_bench --rows {args.rows}",
        "machine": f"{os.cpu_count()} cores, {platform.system()} {platform.release()}, PostgreSQL on 127.0.0.1 (busy shared machine)",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "request_timeout_ms": settings.request_timeout_ms,
        "lock_timeout_ms": settings.lock_timeout_ms,
        "plot": str(image.relative_to(ROOT)),
        "runs": results,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(stored, indent=2) + "\n")
    console.print(f"written {RESULTS.relative_to(ROOT)} and {image.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
