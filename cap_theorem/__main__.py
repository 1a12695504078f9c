"""`python -m cap_theorem`: each mode against real redis-server processes, told step by step.

Prints what happens, a table of outcomes with the checker's verdict, and saves a timeline plot.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from backing_services.local_processes import redis_server_available
from backing_services.plotting import SKIPPED, can_plot
from cap_theorem.metrics import Summary, summarize
from cap_theorem.scenarios import MODES, ScenarioRun, run_scenario
from cap_theorem.settings import CapTheoremSettings

NO_REDIS_SERVER = (
    "cannot run the demo: it starts its own redis-server processes, and redis-server is not on"
    " PATH (install Redis 7, e.g. `apt-get install redis-server` or `brew install redis`)"
)
EXPECT = {
    "single node": "one node runs commands one at a time, so the history must be linearizable.",
    "AP": "during the partition every request is answered, but the replica's reads go stale.",
    "CP": "during the partition writes and replica reads are refused; what is answered is linearizable.",
    "split brain": "both sides accept writes; at the heal the old primary's writes are thrown away.",
    "split brain, fenced": "the old primary refuses writes once alone, so none are lost; its reads still go stale.",
}


def parse_args(argv: Sequence[str] | None) -> tuple[CapTheoremSettings, list[str], Path | None]:
    parser = argparse.ArgumentParser(
        prog="python -m cap_theorem", description="Make the CAP theorem observable with real Redis."
    )
    parser.add_argument(
        "--mode", action="append", choices=[*MODES, "all"], help="repeatable; default: all"
    )
    parser.add_argument("--clients", type=int, help="concurrent clients (2-32, default 4)")
    parser.add_argument("--healthy-s", type=float, help="seconds before the partition")
    parser.add_argument("--partition-s", type=float, help="seconds the partition lasts")
    parser.add_argument("--healed-s", type=float, help="seconds after the heal")
    parser.add_argument("--think-ms", type=float, help="pause between a client's operations")
    parser.add_argument("--seed", type=int, help="seed for the read/write mix")
    parser.add_argument("--plot", type=Path, help="where to save the timeline PNG")
    parser.add_argument("--no-plot", action="store_true", help="skip the timeline plot")
    args = parser.parse_args(argv)
    overrides = {
        field: value
        for field in ("clients", "healthy_s", "partition_s", "healed_s", "think_ms", "seed")
        if (value := getattr(args, field)) is not None
    }
    try:
        settings = CapTheoremSettings(**overrides)
    except ValidationError as error:
        first = error.errors()[0]
        parser.error(f"--{str(first['loc'][0]).replace('_', '-')}: {first['msg']}")
    modes = list(MODES) if not args.mode or "all" in args.mode else list(dict.fromkeys(args.mode))
    plot = None if args.no_plot else args.plot or settings.output_dir / "timeline.png"
    return settings, modes, plot


def main(argv: Sequence[str] | None = None) -> None:
    settings, modes, plot = parse_args(argv)
    if not redis_server_available():
        raise SystemExit(NO_REDIS_SERVER)
    console = Console(width=120)  # the table needs the room even when output is piped
    results: list[tuple[ScenarioRun, Summary]] = []
    for key in modes:
        mode = MODES[key]
        console.rule(f"[bold]{mode.name}")
        console.print(f"Expect: {EXPECT[mode.name]}", markup=False)
        say = lambda text: console.print(text, markup=False, highlight=False)  # noqa: E731
        run = asyncio.run(run_scenario(mode, settings, say=say))
        summary = summarize(run, settings.max_checker_states)
        console.print(
            f"Checker: {summary.verdict.label}. {summary.verdict.explanation}.", markup=False
        )
        results.append((run, summary))
    console.print(outcome_table(results))
    if plot is not None and not can_plot():
        console.print(SKIPPED, markup=False)
    elif plot is not None:
        from cap_theorem.timeline import plot_timeline  # matplotlib: the demo extra, imported late

        console.print(
            f"Timeline plot (partition shaded): {plot_timeline(results, plot)}", markup=False
        )


def outcome_table(results: Sequence[tuple[ScenarioRun, Summary]]) -> Table:
    table = Table(title="What the clients saw")
    for column in ("mode", "ok", "failed", "available", "stale reads", "lost acked writes"):
        table.add_column(column, justify="left" if column == "mode" else "right", no_wrap=True)
    table.add_column("checker", no_wrap=True)
    table.add_column("p50 read ms", justify="right")
    table.add_column("p50 write ms", justify="right")
    for _, s in results:
        table.add_row(
            s.mode,
            str(s.ok),
            str(s.failed),
            f"{s.availability:.0%}",
            str(s.stale_reads),
            str(s.lost_writes),
            s.verdict.label,
            _ms(s.p50_read_ms),
            _ms(s.p50_write_ms),
        )
    return table


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


if __name__ == "__main__":
    main()
