"""`python -m microservices`: one feature built twice — a monolith and two services — under the same load.

Prints each step, a table (latency, errors, fail-fast, billing lag), the billing outage, and a plot.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import redis
from rich.console import Console
from rich.table import Table

from backing_services.plotting import SKIPPED, can_plot
from backing_services.resolve import services_for_demo
from backing_services.schemas import drop_schema, recreate_schema
from microservices.scenarios import DemoConfig, Results, Row, phase_p50_ms, run_all
from microservices.settings import MicroservicesSettings
from microservices.stack import running_stack

SCHEMA = "demo_microservices"
DEFAULT_PLOT = Path("out/microservices/breaker_timeline.png")
console = Console()
if not console.is_terminal:
    console = Console(width=130)  # piped or captured: keep the table readable


STARTED = time.monotonic()


def say(line: str) -> None:
    console.print(f"[dim]{time.monotonic() - STARTED:5.1f} s[/dim]  {line}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m microservices",
        description="Run the same feature as a monolith and as services, healthy and under faults.",
    )
    defaults = DemoConfig()
    parser.add_argument("--requests", type=int, default=defaults.requests, help="per scenario")
    parser.add_argument(
        "--outage-requests", type=int, default=defaults.outage_requests, help="per outage scenario"
    )
    parser.add_argument(
        "--concurrency", type=int, default=defaults.concurrency, help="requests in flight (1-200)"
    )
    parser.add_argument(
        "--rate", type=float, default=defaults.timeline_rate_per_s, help="timeline requests/s"
    )
    parser.add_argument(
        "--phase-s",
        type=float,
        nargs=3,
        default=defaults.timeline_phases_s,
        metavar=("HEALTHY", "DOWN", "RECOVERED"),
        help="timeline phase lengths in seconds",
    )
    parser.add_argument("--plot", type=Path, default=DEFAULT_PLOT, help="where to save the PNG")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    if not 10 <= args.requests <= 100_000 or not 5 <= args.outage_requests <= 100_000:
        parser.error("--requests must be 10..100000 and --outage-requests 5..100000")
    if not 1 <= args.concurrency <= 200:
        parser.error("--concurrency must be between 1 and 200")
    if not 1 <= args.rate <= 500:
        parser.error("--rate must be between 1 and 500 requests per second")
    if not all(0.5 <= phase <= 600 for phase in args.phase_s):
        parser.error("--phase-s takes three lengths between 0.5 and 600 seconds")
    return args


def ms(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:,.1f}"


def print_table(rows: list[Row]) -> None:
    table = Table(title="Same load, both architectures (POST /messages)")
    for column in (
        "scenario",
        "p50 ms",
        "p99 ms",
        "errors",
        "failed fast",
        "retries",
        "from fallback",
        "billing lag p50 ms",
        "p99 ms",
    ):
        table.add_column(column, justify="left" if column == "scenario" else "right")
    for row in rows:
        s = row.summary
        table.add_row(
            row.scenario,
            ms(s.p50_ms),
            ms(s.p99_ms),
            f"{s.error_rate:.1%}",
            "—" if row.failed_fast is None else str(row.failed_fast),
            "—" if row.retries is None else str(row.retries),
            str(s.cached_checks),
            ms(row.lag_p50_ms),
            ms(row.lag_p99_ms),
        )
    console.print(table)


def print_hop(hop: dict[str, dict[str, float]]) -> None:
    table = Table(title="One account check, alone (the hop's floor)")
    for column in ("how", "p50 ms", "p99 ms"):
        table.add_column(column, justify="left" if column == "how" else "right")
    for how, cost in hop.items():
        table.add_row(how, ms(cost["p50_ms"]), ms(cost["p99_ms"]))
    console.print(table)


def explain(results: Results) -> None:
    by_name = {row.scenario: row for row in results.rows}
    mono, svc = by_name["monolith, healthy"], by_name["services, healthy"]
    console.print(
        f"• The network hop: services p50 {ms(svc.summary.p50_ms)} ms vs monolith"
        f" {ms(mono.summary.p50_ms)} ms ({svc.summary.p50_ms / mono.summary.p50_ms:.1f}×)."
    )
    console.print(
        f"• Billing lags the message by {ms(svc.lag_p50_ms)} ms (p50) across the services;"
        f" in the monolith it is written in the same transaction ({ms(mono.lag_p50_ms)} ms)."
    )
    down = by_name["services, accounts down, breaker"]
    down_nb = by_name["services, accounts down, no breaker"]
    console.print(
        f"• Accounts down: with the breaker p50 {ms(down.summary.p50_ms)} ms"
        f" ({down.failed_fast} calls failed fast); without it p50 {ms(down_nb.summary.p50_ms)} ms,"
        " every call waiting out its timeouts. Both answered from the fallback cache."
    )
    outage = results.billing_outage
    console.print(
        f"• Billing down: {outage.messages} messages accepted, {outage.published_while_down} events"
        f" published and waiting, {outage.billed_while_down} billed. Restarted, billing caught up in"
        f" {outage.caught_up_s:.1f} s: {outage.billed} billed, {outage.duplicates} duplicates."
    )
    timeline = results.timeline
    start, end = timeline.outage_from_s, timeline.outage_to_s
    console.print(
        f"• Timeline, during the outage: p50 {ms(phase_p50_ms(timeline.with_breaker, start, end))} ms"
        f" with the breaker, {ms(phase_p50_ms(timeline.without_breaker, start, end))} ms without."
    )


def figures(config: DemoConfig, results: Results) -> dict[str, Any]:
    """Everything measured, as JSON-ready data (the benchmark writes it to benchmarks/results/)."""
    start, end = results.timeline.outage_from_s, results.timeline.outage_to_s
    return {
        "config": asdict(config),
        "scenarios": [asdict(row) for row in results.rows],
        "billing_outage": asdict(results.billing_outage),
        "timeline_p50_ms_during_outage": {
            "with_breaker": phase_p50_ms(results.timeline.with_breaker, start, end),
            "without_breaker": phase_p50_ms(results.timeline.without_breaker, start, end),
        },
        "account_check_cost": results.hop,
    }


def config_from(args: argparse.Namespace) -> DemoConfig:
    return DemoConfig(
        requests=args.requests,
        outage_requests=args.outage_requests,
        concurrency=args.concurrency,
        timeline_rate_per_s=args.rate,
        timeline_phases_s=tuple(args.phase_s),
    )


async def run(config: DemoConfig, redis_url: str, database_url: str, plot: Path) -> Results:
    """Start the processes, run every measurement, print the tables, save the plot."""
    settings = MicroservicesSettings()
    client = redis.Redis.from_url(redis_url)
    streams = (settings.billing_stream, settings.billing_dead_letters)
    client.delete(*streams)  # a previous run's events would be billed into this run's schema
    say("Starting accounts, messages (with and without a breaker), the monolith …")
    try:
        with (
            tempfile.TemporaryDirectory() as logs,
            running_stack(
                {"REDIS_URL": redis_url, "DATABASE_URL": database_url}, Path(logs)
            ) as stack,
        ):
            say("All four listen on loopback; billing is a consumer process, started next.")
            results = await run_all(stack, database_url, config, say=say)
    finally:
        client.delete(*streams)
        client.close()
    print_table(results.rows)
    print_hop(results.hop)
    explain(results)
    if can_plot():
        from microservices.timeline import plot_timeline  # the demo extra, imported late

        console.print(f"Plot of latency across the outage: {plot_timeline(results.timeline, plot)}")
    else:
        console.print(SKIPPED)
    return results


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    with services_for_demo() as services:
        database_url = recreate_schema(services.database_url, SCHEMA)
        try:
            results = asyncio.run(
                run(config_from(args), services.redis_url, database_url, args.plot)
            )
            if args.json:
                args.json.parent.mkdir(parents=True, exist_ok=True)
                figures_json = json.dumps(figures(config_from(args), results), indent=2)
                args.json.write_text(figures_json + "\n")
        finally:
            drop_schema(services.database_url, SCHEMA)


if __name__ == "__main__":
    main()
