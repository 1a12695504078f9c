"""`python -m migrations_demo`: the naive and the safe migration, each under the same live traffic.

Prints each step as it happens, then per-phase latency and errors, and writes a latency-over-time PNG.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table

from backing_services.cli import bounded
from backing_services.plotting import SKIPPED, can_plot
from backing_services.resolve import services_for_demo
from backing_services.schemas import drop_schema, recreate_schema
from migrations_demo.report import error_kinds, phase_stats, plot
from migrations_demo.scenario import MigrationPath, PathRun, run_path
from migrations_demo.settings import MigrationSettings


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m migrations_demo", description=__doc__)
    parser.add_argument(
        "--rows",
        type=bounded(100, 20_000_000, int),
        default=20_000,
        help="messages to seed before each path (default 20000; try 1000000)",
    )
    parser.add_argument(
        "--blocker-s",
        type=bounded(0, 60, float),
        default=4.0,
        help="how long a long transaction stays open as the migration starts (0: none)",
    )
    parser.add_argument(
        "--steady-s",
        type=bounded(0.2, 60, float),
        default=1.5,
        help="seconds of traffic before and after each migration",
    )
    parser.add_argument("--readers", type=bounded(1, 16, int), default=2)
    parser.add_argument("--writers", type=bounded(1, 16, int), default=2)
    parser.add_argument("--paths", choices=("both", "naive", "safe"), default="both")
    parser.add_argument(
        "--plot",
        type=Path,
        default=Path("out/migrations_demo/latency.png"),
        help="where to write the latency-over-time PNG",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> list[PathRun]:
    args = parse_args(argv)
    console = Console()
    settings = MigrationSettings()
    paths: tuple[MigrationPath, ...] = ("naive", "safe") if args.paths == "both" else (args.paths,)
    runs: list[PathRun] = []
    with services_for_demo() as services:
        for path in paths:
            console.rule(
                f"[bold]{path} path[/]: {args.rows:,} rows, {args.readers} readers + {args.writers} writers"
            )
            console.print(
                f"Seeding, then {args.steady_s:g} s of traffic, then a report query holds its transaction open "
                f"for {args.blocker_s:g} s while the migration starts (lock_timeout "
                f"{'none' if path == 'naive' else f'{settings.lock_timeout_ms} ms'}; requests time out after "
                f"{settings.request_timeout_ms} ms)."
            )
            url = recreate_schema(services.database_url, settings.demo_schema)
            try:
                runs.append(
                    run_path(
                        path,
                        url,
                        rows=args.rows,
                        settings=settings,
                        blocker_s=args.blocker_s,
                        steady_s=args.steady_s,
                        readers=args.readers,
                        writers=args.writers,
                        narrate=console.print,
                    )
                )
            finally:
                drop_schema(services.database_url, settings.demo_schema)
    console.print(summary_table(runs))
    for run in runs:
        kinds = ", ".join(f"{count} × {kind}" for kind, count in error_kinds(run).items()) or "none"
        console.print(
            f"{run.path}: failed requests by cause: {kinds}; longest stretch with requests queued "
            f"on a lock: {run.longest_stall_s:.2f} s (pg_blocking_pids, sampled every 50 ms); "
            f"most of our backends waiting at once: {run.peak_lock_queue}, namely:"
        )
        for backend in run.worst_queue:
            role = backend.application_name.split("-", 2)[-1]  # md-<run>-<role>
            console.print(
                f"   pid {backend.pid} ({role}) waits for pid(s) "
                f"{', '.join(map(str, backend.blocked_by))}: {backend.query[:60]}"
            )
    if can_plot():
        console.print(f"Latency over time written to {plot(runs, args.plot)}")
    else:
        console.print(SKIPPED)
    return runs


def summary_table(runs: list[PathRun]) -> Table:
    table = Table(title="Requests per phase of the migration")
    for column in ("path", "phase", "requests", "errors", "p50 ms", "p99 ms", "max ms"):
        table.add_column(column, justify="left" if column in ("path", "phase") else "right")
    for run in runs:
        for stats in phase_stats(run):
            table.add_row(
                stats.path,
                stats.phase,
                str(stats.requests),
                str(stats.errors),
                f"{stats.p50_ms:.1f}",
                f"{stats.p99_ms:.1f}",
                f"{stats.max_ms:.0f}",
            )
    return table


if __name__ == "__main__":
    main()
