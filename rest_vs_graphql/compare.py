"""REST or GraphQL for this screen? Fetch three screens both ways and measure what each costs.

`python -m rest_vs_graphql.compare --messages 100000 --runs 200` is the benchmark's run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from backing_services import sqlalchemy_async_url
from backing_services.measure import percentile
from rest_vs_graphql import screens
from rest_vs_graphql.rest_api import API
from rest_vs_graphql.screens import Fetch
from rest_vs_graphql.seed import SeedSize, seed
from rest_vs_graphql.settings import TwinSettings
from rest_vs_graphql.statements import counting_statements
from rest_vs_graphql.twins import create_twins_app

ONE, LIST, INBOX, DASHBOARD = (
    "one message",
    "list: 50 messages",
    "inbox: 50 messages + numbers + account",
    "dashboard: account + 10 messages + 10 conversations",
)
SCREENS = (ONE, LIST, INBOX, DASHBOARD)
REST, NAIVE, LOADER = "REST", "GraphQL naive", "GraphQL DataLoader"
PERSISTED = "GraphQL persisted GET"
APIS = (REST, NAIVE, LOADER, PERSISTED)

Screen = Callable[[httpx.AsyncClient], Awaitable[Fetch]]


@dataclass(frozen=True)
class Row:
    screen: str
    api: str
    round_trips: int
    waves: int
    bytes: int
    gzip_bytes: int
    statements: int
    p50_ms: float
    p95_ms: float
    revalidation: str


def fetchers(account: str, message: str) -> dict[str, dict[str, Screen]]:
    """For each screen, the client code that fetches it through each API."""

    def graphql(path: str, persisted: bool = False) -> dict[str, Screen]:
        return {
            ONE: lambda c: screens.message_by_graphql(
                c, path, account, message, persisted=persisted
            ),
            LIST: lambda c: screens.list_by_graphql(c, path, account, 50, persisted=persisted),
            INBOX: lambda c: screens.inbox_by_graphql(c, path, account, 50, persisted=persisted),
            DASHBOARD: lambda c: screens.dashboard_by_graphql(
                c, path, account, 10, persisted=persisted
            ),
        }

    rest: dict[str, Screen] = {
        ONE: lambda c: screens.message_by_rest(c, account, message),
        LIST: lambda c: screens.list_by_rest(c, account, 50),
        INBOX: lambda c: screens.inbox_by_rest(c, account, 50),
        DASHBOARD: lambda c: screens.dashboard_by_rest(c, account, 10),
    }
    by_api = {
        REST: rest,
        NAIVE: graphql("/graphql-naive"),
        LOADER: graphql("/graphql"),
        PERSISTED: graphql("/graphql", persisted=True),
    }
    return {screen: {api: by_api[api][screen] for api in by_api} for screen in SCREENS}


async def revalidate(client: httpx.AsyncClient, fetch: Fetch) -> str:
    """Ask again with each ETag: how many round trips come back 304 with an empty body?"""
    tagged = [(e.url, e.etag) for e in fetch.exchanges if e.etag]
    if not tagged:
        return "no (POST)"
    answers = await asyncio.gather(
        *(client.get(url, headers={"If-None-Match": etag}) for url, etag in tagged)
    )
    not_modified = sum(a.status_code == 304 and not a.content for a in answers)
    return f"yes, {not_modified}/{len(fetch.exchanges)}"


async def measure_screen(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    screen: str,
    by_api: dict[str, Screen],
    runs: int,
) -> list[Row]:
    """One screen through every API; timed in rotation so a busy machine slows them alike."""
    samples, statements = {}, {}
    for api, fetch in by_api.items():
        for _ in range(3):  # warm the pool, the parser cache and PostgreSQL's buffers
            await fetch(client)
        with counting_statements(engine) as counter:
            samples[api] = await fetch(client)
        statements[api] = counter.count
    timings: dict[str, list[float]] = {api: [] for api in by_api}
    for _ in range(runs):
        for api, fetch in by_api.items():
            started = time.perf_counter()
            await fetch(client)
            timings[api].append((time.perf_counter() - started) * 1000)
    return [
        Row(
            screen=screen,
            api=api,
            round_trips=len(sample.exchanges),
            waves=max(e.wave for e in sample.exchanges),
            bytes=sum(len(e.body) for e in sample.exchanges),
            gzip_bytes=sum(e.gzip_bytes for e in sample.exchanges),
            statements=statements[api],
            p50_ms=round(percentile(timings[api], 50), 2),
            p95_ms=round(percentile(timings[api], 95), 2),
            revalidation=await revalidate(client, sample),
        )
        for api, sample in samples.items()
    ]


async def compare(
    database_url: str, account: str, runs: int, on_row: Callable[[Row], None] | None = None
) -> list[Row]:
    """Measure every screen through every API, in-process, against the seeded schema at the URL."""
    engine = create_async_engine(sqlalchemy_async_url(database_url))
    app = create_twins_app(engine, TwinSettings())
    transport = httpx.ASGITransport(app=app)
    rows: list[Row] = []
    try:
        # ASGITransport sends no lifespan events: start the app as a server would.
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://twins.local") as client,
        ):
            page = await client.get(f"{API}/Accounts/{account}/Messages.json?PageSize=1")
            message = page.json()["messages"][0]["sid"]
            for screen, by_api in fetchers(account, message).items():
                for row in await measure_screen(client, engine, screen, by_api, runs):
                    rows.append(row)
                    if on_row:
                        on_row(row)
    finally:
        await engine.dispose()
    return rows


def ratios(rows: Sequence[Row]) -> dict[str, float]:
    """The issue's goal figures, computed from the rows."""
    by = {(r.screen, r.api): r for r in rows}
    return {
        "dashboard_bytes_graphql_over_rest": round(
            by[DASHBOARD, LOADER].bytes / by[DASHBOARD, REST].bytes, 3
        ),
        "dashboard_gzip_bytes_graphql_over_rest": round(
            by[DASHBOARD, LOADER].gzip_bytes / by[DASHBOARD, REST].gzip_bytes, 3
        ),
        "list_p50_graphql_over_rest": round(by[LIST, LOADER].p50_ms / by[LIST, REST].p50_ms, 2),
        "list_p50_persisted_over_rest": round(
            by[LIST, PERSISTED].p50_ms / by[LIST, REST].p50_ms, 2
        ),
        "inbox_p95_over_p50_dataloader": round(
            by[INBOX, LOADER].p95_ms / by[INBOX, LOADER].p50_ms, 2
        ),
        "inbox_p95_over_p50_persisted": round(
            by[INBOX, PERSISTED].p95_ms / by[INBOX, PERSISTED].p50_ms, 2
        ),
        "inbox_p50_graphql_over_rest": round(by[INBOX, LOADER].p50_ms / by[INBOX, REST].p50_ms, 2),
        "inbox_statements_naive_over_dataloader": round(
            by[INBOX, NAIVE].statements / by[INBOX, LOADER].statements, 1
        ),
    }


HEADERS = ("screen", "API", "trips (waves)", "bytes", "gzip", "SQL", "p50 ms", "p95 ms", "304?")


def cells(row: Row) -> list[str]:
    return [
        row.screen,
        row.api,
        f"{row.round_trips} ({row.waves})",
        f"{row.bytes:,}",
        f"{row.gzip_bytes:,}",
        str(row.statements),
        f"{row.p50_ms:.2f}",
        f"{row.p95_ms:.2f}",
        row.revalidation,
    ]


def rich_table(rows: Sequence[Row]) -> Table:
    table = Table(title="Same screens, same service layer: REST vs GraphQL")
    for header in HEADERS:
        table.add_column(header, justify="left" if header in ("screen", "API") else "right")
    for row in rows:
        table.add_row(*cells(row))
    return table


def markdown_table(rows: Sequence[Row]) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(cells(row)) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def chart(rows: Sequence[Row], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by = {(r.screen, r.api): r for r in rows}
    metrics: list[tuple[str, Callable[[Row], float]]] = [
        ("p50 latency, ms (in-process)", lambda r: r.p50_ms),
        ("response bytes, gzip", lambda r: r.gzip_bytes),
        ("SQL statements", lambda r: r.statements),
    ]
    figure, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    for axis, (title, value) in zip(axes, metrics, strict=True):
        for offset, api in enumerate(APIS):
            positions = [n + (offset - 1.5) * 0.2 for n in range(len(SCREENS))]
            axis.bar(positions, [value(by[s, api]) for s in SCREENS], width=0.2, label=api)
        axis.set_xticks(range(len(SCREENS)), ["one", "list 50", "inbox 50", "dashboard"])
        axis.set_title(title)
    axes[0].legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def report(rows: Sequence[Row], *, messages: int, runs: int, command: str) -> dict[str, Any]:
    return {
        "command": command,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "transport": "in-process ASGI (httpx.ASGITransport), PostgreSQL on loopback",
        },
        "messages": messages,
        "runs": runs,
        "rows": [asdict(row) for row in rows],
        "ratios": ratios(rows),
    }


def seed_and_compare(
    schema: str, messages: int, runs: int, on_row: Callable[[Row], None] | None = None
) -> list[Row]:
    """Seed a fresh schema of that name, measure, and drop the schema again."""
    from backing_services.resolve import services_for_demo
    from backing_services.schemas import drop_schema, recreate_schema

    with services_for_demo() as services:
        url = recreate_schema(services.database_url, schema)
        try:
            seeded = seed(url, SeedSize(messages=messages))
            return asyncio.run(compare(url, seeded.account_sids[0], runs, on_row))
        finally:
            drop_schema(services.database_url, schema)


def main(argv: Sequence[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description="Measure four screens through REST and GraphQL.")
    parser.add_argument("--messages", type=int, default=2000, help="messages to seed")
    parser.add_argument("--runs", type=int, default=15, help="timed repetitions per screen")
    parser.add_argument("--schema", default="demo_rest_vs_graphql")
    parser.add_argument("--json", type=Path, help="write the figures as JSON here")
    parser.add_argument("--markdown", type=Path, help="write the table as Markdown here")
    parser.add_argument("--chart", type=Path, help="write a bar chart PNG here")
    args = parser.parse_args(argv)
    if args.messages < 100 or args.runs < 2:
        parser.error("use at least --messages 100 and --runs 2")
    console = Console(width=150)
    console.print(f"seeding {args.messages:,} messages into schema {args.schema}, then measuring…")
    rows = seed_and_compare(
        args.schema,
        args.messages,
        args.runs,
        on_row=lambda r: console.print(f"  measured {r.api} · {r.screen}"),
    )
    console.print(rich_table(rows))
    command = "python -m rest_vs_graphql.compare " + " ".join(
        sys.argv[1:] if argv is None else argv
    )
    figures = report(rows, messages=args.messages, runs=args.runs, command=command.strip())
    console.print(figures["ratios"])
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    if args.markdown:
        args.markdown.write_text(markdown_table(rows))
    if args.chart:
        chart(rows, args.chart)
    return rows


if __name__ == "__main__":
    main()
