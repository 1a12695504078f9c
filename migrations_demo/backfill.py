"""How do you fill a new column on a big table? In keyset batches, one commit each, throttled and resumable.

`python -m migrations_demo.backfill --database-url URL` runs it alone; the backfill revision runs the same code.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from backing_services.resolve import login_refused
from backing_services.urls import libpq_url
from migrations_demo.safe_ddl import backoff_s
from migrations_demo.settings import MigrationSettings

SQL = Path(__file__).parent / "sql"


@dataclass(frozen=True)
class BackfillResult:
    rows_done: int
    last_id: int
    batches: int
    seconds: float

    @property
    def rows_per_s(self) -> float:
        return self.rows_done / self.seconds if self.seconds else 0.0


def run_backfill(
    connection: psycopg.Connection[Any],
    settings: MigrationSettings,
    *,
    show_progress: bool = True,
) -> BackfillResult:
    """Fill messages.account_id from accounts, resuming from `backfill_progress`; autocommit connection."""
    connection.execute((SQL / "backfill_progress.sql").read_bytes())
    batch_sql = (SQL / "backfill_batch.sql").read_bytes()
    last_id, rows_done, finished = _position(connection)
    top = connection.execute(b"SELECT coalesce(max(id), 0) FROM messages").fetchone()
    max_id = top[0] if top else 0
    started, batches, rows_at_start = time.monotonic(), 0, rows_done
    columns = (
        TextColumn("backfill messages.account_id"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:,.0f} rows/s"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, disable=not show_progress, transient=False) as progress:
        task = progress.add_task("backfill", total=max_id, completed=last_id, rate=0.0)
        attempt = 0
        while not finished:
            try:
                with connection.transaction():
                    connection.execute(
                        f"SET LOCAL lock_timeout = '{settings.lock_timeout_ms}ms'".encode()
                    )
                    row = connection.execute(
                        batch_sql,
                        {
                            "after": last_id,
                            "upto": max_id,
                            "batch_size": settings.backfill_batch_size,
                        },
                    ).fetchone()
            except psycopg.errors.LockNotAvailable:
                # A row of this batch is locked by a writer: step back and retry the same batch.
                attempt += 1
                time.sleep(backoff_s(attempt, settings))
                continue
            assert row is not None, "backfill_progress lost its row"
            last_id, rows_done, finished = row
            attempt, batches = 0, batches + 1
            elapsed = time.monotonic() - started
            progress.update(
                task, completed=min(last_id, max_id), rate=(rows_done - rows_at_start) / elapsed
            )
            time.sleep(settings.backfill_pause_ms / 1000)
    return BackfillResult(
        rows_done=rows_done - rows_at_start,
        last_id=last_id,
        batches=batches,
        seconds=time.monotonic() - started,
    )


def _position(connection: psycopg.Connection[Any]) -> tuple[int, int, bool]:
    row = connection.execute(
        b"SELECT last_id, rows_done, finished FROM backfill_progress WHERE name = 'messages.account_id'"
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), bool(row[2])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Backfill messages.account_id in keyset batches.")
    parser.add_argument(
        "--database-url", required=True, help="postgresql:// URL (schema in search_path)"
    )
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--pause-ms", type=int, default=None)
    args = parser.parse_args(argv)
    settings = MigrationSettings()
    if args.batch_size is not None:
        if args.batch_size < 1:
            parser.error("--batch-size must be at least 1")
        settings.backfill_batch_size = args.batch_size
    if args.pause_ms is not None:
        if args.pause_ms < 0:
            parser.error("--pause-ms must not be negative")
        settings.backfill_pause_ms = args.pause_ms
    try:
        with psycopg.connect(libpq_url(args.database_url), autocommit=True) as connection:
            result = run_backfill(connection, settings)
    except psycopg.OperationalError as error:
        # A server that answers but lacks the database (or the user) says which, in one line.
        refused = login_refused(args.database_url, error, source="--database-url")
        if refused is not None:
            raise SystemExit(f"cannot backfill: {refused}") from None
        raise SystemExit(
            f"cannot backfill: PostgreSQL is not answering ({error})".splitlines()[0]
        ) from None
    print(
        f"backfilled {result.rows_done} rows in {result.batches} batches, {result.rows_per_s:,.0f} rows/s"
    )


if __name__ == "__main__":
    main()
