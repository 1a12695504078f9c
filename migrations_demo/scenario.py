"""One migration path under load: seed, start traffic, hold a long transaction, migrate, measure.

The demo, the benchmark and the tests all run the naive and the safe path through `run_path`.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import psycopg

from backing_services.urls import libpq_url
from migrations_demo import alembic_runner
from migrations_demo.lock_queue import Blocked, LockSampler, long_transaction
from migrations_demo.settings import MigrationSettings
from migrations_demo.traffic import Request, Traffic

MigrationPath = Literal["naive", "safe"]
# Two statements with parameters, so they go to the server one at a time.
SEED_SQL = (Path(__file__).parent / "sql" / "seed.sql").read_bytes().split(b";\n")
MIGRATION_STARTS, MIGRATION_DONE = "migration starts", "migration done"


@dataclass
class PathRun:
    path: MigrationPath
    rows: int
    requests: list[Request]
    phases: list[tuple[float, str]]
    peak_lock_queue: int
    longest_stall_s: float
    lock_samples: list[tuple[float, int]] = field(default_factory=list)
    worst_queue: list[Blocked] = field(default_factory=list)

    def phase_time(self, name: str) -> float:
        return next(t for t, phase in self.phases if phase == name)


def seed(database_url: str, rows: int, accounts: int = 100) -> None:
    """Create the baseline schema and fill it: `accounts` accounts, `rows` messages."""
    alembic_runner.upgrade(database_url, alembic_runner.BASELINE)
    with psycopg.connect(libpq_url(database_url), autocommit=True) as connection:
        for statement in filter(bytes.strip, SEED_SQL):
            connection.execute(statement, {"rows": rows, "accounts": accounts})
        connection.execute(b"ANALYZE accounts, messages")


def migrate(
    path: MigrationPath, database_url: str, traffic: Traffic, settings: MigrationSettings
) -> None:
    """Run the path's revisions, deploying app versions in the order each path implies."""

    def upgrade_to(target: str) -> None:
        alembic_runner.upgrade(
            database_url,
            target,
            settings=settings,
            on_event=traffic.mark,
            application_name=traffic.application_name + "-migration",
        )

    if path == "naive":
        # Schema and code change together: the new code ships as soon as the migration is done.
        upgrade_to(alembic_runner.NAIVE_HEAD)
        traffic.deploy("v2")
        return
    # Expand, backfill and index while v1 runs; then v2 rolls out beside v1 (both work);
    # constraints; v1 is retired; only then the contract step drops what v1 needed.
    upgrade_to("0005_index_account_id")
    traffic.deploy("v1", "v2")
    upgrade_to("0007_account_id_not_null")
    traffic.deploy("v2")
    upgrade_to(alembic_runner.SAFE_HEAD)


def run_path(
    path: MigrationPath,
    database_url: str,
    *,
    rows: int,
    settings: MigrationSettings | None = None,
    blocker_s: float = 4.0,
    steady_s: float = 1.0,
    readers: int = 2,
    writers: int = 2,
    narrate: Callable[[str], None] | None = None,
) -> PathRun:
    """Seed, then migrate along `path` under traffic, with a long transaction open as it starts."""
    settings = settings or MigrationSettings()
    seed(database_url, rows)
    prefix = f"md-{uuid.uuid4().hex[:8]}"
    traffic = Traffic(
        database_url,
        versions=("v1",),
        readers=readers,
        writers=writers,
        request_timeout_ms=settings.request_timeout_ms,
        application_name=prefix,
        narrate=narrate,
    )
    with traffic, LockSampler(database_url, prefix, traffic.now) as sampler:
        time.sleep(steady_s)  # the baseline: traffic before anything changes
        blocker_open, release = threading.Event(), threading.Event()

        def hold_long_transaction() -> None:
            with long_transaction(database_url, prefix + "-report") as pid:
                traffic.mark(f"long transaction opens (report query, pid {pid})")
                blocker_open.set()
                release.wait(timeout=blocker_s)

        blocker = threading.Thread(target=hold_long_transaction, daemon=True)
        if blocker_s > 0:
            blocker.start()
            blocker_open.wait(timeout=10)
        traffic.mark(MIGRATION_STARTS)
        try:
            migrate(path, database_url, traffic, settings)
        finally:
            release.set()
            if blocker.is_alive():
                blocker.join(timeout=10)
        traffic.mark(MIGRATION_DONE)
        time.sleep(steady_s)
    return PathRun(
        path=path,
        rows=rows,
        requests=list(traffic.requests),
        phases=list(traffic.phases),
        peak_lock_queue=sampler.peak_queue(),
        longest_stall_s=sampler.longest_traffic_stall_s(),
        lock_samples=[(t, len(blocked)) for t, blocked in sampler.samples],
        worst_queue=sampler.worst_moment(),
    )
