"""The lock-queue outage, reproduced on purpose and observed with pg_blocking_pids()."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import psycopg
import pytest

from backing_services.urls import libpq_url
from migrations_demo import alembic_runner
from migrations_demo.lock_queue import Blocked, blocked_backends, is_traffic, long_transaction
from migrations_demo.safe_ddl import LockRetriesExhausted
from migrations_demo.settings import MigrationSettings
from migrations_demo.traffic import Traffic
from tests.migrations_demo.conftest import wait_until

DEADLINE_S = 15.0


def wait_for_blocked(url: str, prefix: str, done: Callable[[list[Blocked]], bool]) -> list[Blocked]:
    """Poll pg_blocking_pids() until `done(blocked)` says yes, or fail at the deadline."""
    with psycopg.connect(libpq_url(url), autocommit=True) as connection:

        def formed() -> list[Blocked]:
            blocked = blocked_backends(connection, prefix)
            return blocked if done(blocked) else []  # a formed queue is never empty

        return wait_until(formed, what="the expected lock queue", timeout_s=DEADLINE_S)


def test_naive_alter_queues_behind_a_long_transaction_and_every_request_queues_behind_it(
    seeded_url: str, settings: MigrationSettings
) -> None:
    # Rule: ACCESS SHARE (a report query) blocks the naive ALTER's ACCESS EXCLUSIVE, and the
    # waiting ALTER blocks every read and write that arrives after it: the outage is the queue.
    prefix = f"md-{uuid.uuid4().hex[:8]}"
    migration_name = prefix + "-migration"
    failure: list[BaseException] = []

    def migrate() -> None:
        try:
            alembic_runner.upgrade(
                seeded_url, "naive@head", settings=settings, application_name=migration_name
            )
        except BaseException as error:  # surfaced by the assertion below
            failure.append(error)

    with (
        Traffic(seeded_url, application_name=prefix, request_timeout_ms=30_000, max_seconds=60),
        long_transaction(seeded_url, prefix + "-report") as report_pid,
    ):
        migration = threading.Thread(target=migrate)
        migration.start()

        def queue_formed(blocked: list[Blocked]) -> bool:
            alter = [b for b in blocked if b.application_name == migration_name]
            return (
                bool(alter)
                and report_pid in alter[0].blocked_by
                and any(is_traffic(b) and alter[0].pid in b.blocked_by for b in blocked)
            )

        blocked = wait_for_blocked(seeded_url, prefix, queue_formed)
    migration.join(timeout=DEADLINE_S)

    alter = next(b for b in blocked if b.application_name == migration_name)
    assert alter.query.startswith("ALTER TABLE messages ADD COLUMN account_id")
    assert [b for b in blocked if is_traffic(b) and alter.pid in b.blocked_by]
    assert not migration.is_alive() and failure == []
    assert alembic_runner.current_revisions(seeded_url) == {"0002_naive_account_id"}


def test_safe_ddl_gives_up_when_the_lock_never_comes_and_leaves_the_schema_unchanged(
    seeded_url: str,
) -> None:
    # Rule: after the last retry the revision fails with a message naming the statement, holding
    # no lock and changing nothing, so traffic never waits on it for more than lock_timeout.
    settings = MigrationSettings(
        show_progress=False, lock_retry_attempts=3, lock_retry_backoff_max_ms=50
    )

    with (
        long_transaction(seeded_url, "md-report"),
        pytest.raises(LockRetriesExhausted) as raised,
    ):
        alembic_runner.upgrade(seeded_url, "0003_expand_account_id", settings=settings)

    assert str(raised.value) == (
        "gave up after 3 attempts: ALTER TABLE messages ADD COLUMN IF NOT EXISTS account_id bigint"
    )
    assert alembic_runner.current_revisions(seeded_url) == {"0001_baseline"}
