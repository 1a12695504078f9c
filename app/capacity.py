"""`python -m app.capacity --sends-per-second N`: size the mini Twilio from costs measured here.

Back-of-the-envelope sizing, except that every cost is one this repo measured on its own processes:
what a send costs the API, Redis and PostgreSQL (`benchmarks.app_send`), how fast one worker
applies the Postgres effect (`benchmarks.queue_demo_bench`), and how many round trips one client
drives against one Redis (`benchmarks.rate_limiter_bench`). Each line says which figure it used and when
that figure was measured; a missing or stale results file is refused in one line.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent.parent / "benchmarks" / "results"
RERUN = {
    "app.json": "python -m benchmarks.app_send",
    "queue_demo.json": "python -m benchmarks.queue_demo_bench",
    "rate_limiter.json": "python -m benchmarks.rate_limiter_bench",
}
SECONDS_PER_DAY = 86_400


class ResultsError(Exception):
    """A results file is missing, stale or lacks a figure: the message is the one line to print."""


@dataclass(frozen=True)
class Figure:
    value: float
    source: str  # "app.json: api.sends_per_s, measured 2026-12-02"


@dataclass(frozen=True)
class Load:
    sends_per_s: float
    message_bytes: int = 160
    retention_days: int = 30
    backlog_minutes: float = 5.0
    headroom: float = 0.5  # run every measured capacity at this fraction of what it reached


@dataclass(frozen=True)
class Line:
    what: str
    value: str
    because: str


class Results:
    """The benchmark results folder, read one file at a time and refused when too old."""

    def __init__(self, folder: Path, max_age: timedelta, now: datetime) -> None:
        self.folder, self.max_age, self.now = folder, max_age, now

    def document(self, name: str) -> tuple[dict[str, Any], str]:
        path = self.folder / name
        if not path.exists():
            raise ResultsError(f"{path} is missing: run `{RERUN[name]}` first")
        try:
            document = json.loads(path.read_text())
            measured = datetime.fromisoformat(document["date"])
        except (ValueError, KeyError, TypeError) as error:
            raise ResultsError(
                f"{path} is not a results file ({error!r}): rerun `{RERUN[name]}`"
            ) from None
        if self.now - measured > self.max_age:
            raise ResultsError(
                f"{path} was measured on {measured.date()}, more than {self.max_age.days} days ago: rerun `{RERUN[name]}`"
            )
        return document, measured.date().isoformat()

    def figure(self, name: str, *path: str | int) -> Figure:
        document, date = self.document(name)
        value: Any = document
        try:
            for step in path:
                value = value[step]
        except (KeyError, IndexError, TypeError):
            dotted = ".".join(map(str, path))
            raise ResultsError(
                f"{self.folder / name} has no {dotted}: rerun `{RERUN[name]}`"
            ) from None
        return Figure(float(value), f"{name}: {'.'.join(map(str, path))}, measured {date}")

    def row(self, name: str, list_key: str, match: dict[str, Any], field: str) -> Figure:
        rows = self.document(name)[0].get(list_key, [])
        for index, row in enumerate(rows):
            if all(row.get(key) == wanted for key, wanted in match.items()):
                return self.figure(name, list_key, index, field)
        raise ResultsError(
            f"{self.folder / name} has no {list_key} row {match}: rerun `{RERUN[name]}`"
        )


def size(load: Load, results: Results) -> list[Line]:
    """What `load` needs, one line per resource, each with the measured figure behind it."""
    api = results.figure("app.json", "api", "sends_per_s")
    worker = results.row(
        "queue_demo.json", "runs", {"effect": "postgres", "consumers": 1}, "messages_per_s"
    )
    commands = results.figure("app.json", "redis_commands_per_send_total")
    one_redis = results.figure("queue_demo.json", "redis_benchmark_xadd_per_s")
    rows = results.figure("app.json", "postgres_rows_written_per_send_total")
    row_bytes = results.figure("app.json", "postgres_bytes_per_message_total")
    entry = results.figure("app.json", "stream_bytes_per_entry")
    # The measured message carried a short body; longer bodies add their extra bytes to each copy.
    extra_body = max(0, load.message_bytes - results.figure("app.json", "body_bytes").value)
    n, usable = load.sends_per_s, load.headroom
    redis_ops = n * commands.value
    stream_bytes = n * load.backlog_minutes * 60 * (entry.value + extra_body)
    per_day = n * SECONDS_PER_DAY * (row_bytes.value + extra_body)
    return [
        Line(
            "api instances",
            f"{math.ceil(n / (api.value * usable))}",
            f"{api.value:,.0f} sends/s each ({api.source})",
        ),
        Line(
            "workers",
            f"{math.ceil(n / (worker.value * usable))}",
            f"{worker.value:,.0f} deliveries/s each ({worker.source})",
        ),
        Line(
            "Redis operations/s",
            f"{redis_ops:,.0f}",
            f"{commands.value:g} commands per send ({commands.source})",
        ),
        Line(
            "Redis primaries",
            f"{math.ceil(redis_ops / (one_redis.value * usable))}",
            f"{one_redis.value:,.0f} ops/s on one Redis, pipelined XADD: an upper bound ({one_redis.source})",
        ),
        Line(
            "PostgreSQL rows written/s",
            f"{n * rows.value:,.0f}",
            f"{rows.value:g} rows per send ({rows.source})",
        ),
        Line(
            "stream memory",
            human_bytes(stream_bytes),
            f"{load.backlog_minutes:g} min of backlog × {entry.value:,.0f} B per entry ({entry.source})",
        ),
        Line(
            "PostgreSQL storage per day",
            human_bytes(per_day),
            f"{row_bytes.value:,.0f} B per message in 4 tables ({row_bytes.source})",
        ),
        Line(
            f"PostgreSQL storage for {load.retention_days} days",
            human_bytes(per_day * load.retention_days),
            "the line above × retention",
        ),
    ]


def human_bytes(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if count < 1000 or unit == "TB":
            return f"{count:,.1f} {unit}"
        count /= 1000
    raise AssertionError("unreachable")


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m app.capacity", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument(
        "--sends-per-second", type=float, required=True, help="peak sends per second"
    )
    parser.add_argument(
        "--message-bytes", type=int, default=160, help="body size (default 160, one SMS segment)"
    )
    parser.add_argument(
        "--retention-days", type=int, default=30, help="days message rows are kept (default 30)"
    )
    parser.add_argument(
        "--backlog-minutes",
        type=float,
        default=5.0,
        help="backlog the stream must hold (default 5)",
    )
    parser.add_argument(
        "--headroom",
        type=float,
        default=0.5,
        help="share of each measured capacity to plan for (default 0.5)",
    )
    parser.add_argument(
        "--max-age-days", type=int, default=90, help="refuse results older than this (default 90)"
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="benchmark results folder")
    args = parser.parse_args(argv)
    if (
        args.sends_per_second <= 0
        or args.message_bytes < 0
        or args.retention_days < 0
        or args.backlog_minutes < 0
    ):
        parser.error(
            "--sends-per-second must be positive; sizes, days and minutes must not be negative"
        )
    if not 0 < args.headroom <= 1:
        parser.error("--headroom must be in (0, 1]")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse(argv)
    load = Load(
        args.sends_per_second,
        args.message_bytes,
        args.retention_days,
        args.backlog_minutes,
        args.headroom,
    )
    results = Results(args.results, timedelta(days=args.max_age_days), datetime.now(UTC))
    try:
        lines = size(load, results)
    except ResultsError as error:
        raise SystemExit(f"app.capacity: {error}") from None
    print(
        f"{load.sends_per_s:,.0f} sends/s, planning each measured capacity at {load.headroom:.0%}:"
    )
    width = max(len(line.what) for line in lines)
    for line in lines:
        print(f"  {line.what:<{width}}  {line.value:>10}   from {line.because}")


if __name__ == "__main__":
    main()
