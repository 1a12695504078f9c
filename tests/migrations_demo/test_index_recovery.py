"""A CREATE INDEX CONCURRENTLY that failed leaves an INVALID index; the revision rebuilds it."""

from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from backing_services.urls import libpq_url
from migrations_demo import alembic_runner
from migrations_demo.safe_ddl import LockRetriesExhausted
from migrations_demo.settings import MigrationSettings

VALIDITY = (
    "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('ix_messages_account_id_id')"
)


def test_an_invalid_index_left_by_a_failed_concurrent_build_is_dropped_and_rebuilt(
    seeded_url: str, query: Callable[..., list[tuple[Any, ...]]]
) -> None:
    # Rule: a concurrent build that gives up (here: lock_timeout while an open write transaction
    # holds the table) leaves the index INVALID; rerunning the revision drops and rebuilds it.
    events: list[str] = []
    settings = MigrationSettings(
        show_progress=False,
        backfill_pause_ms=0,
        lock_retry_attempts=2,
        lock_retry_backoff_max_ms=50,
    )
    alembic_runner.upgrade(seeded_url, "0004_backfill_account_id", settings=settings)

    with psycopg.connect(libpq_url(seeded_url)) as writer:
        writer.execute(
            b"INSERT INTO messages (account_sid, to_number, from_number, body)"
            b" SELECT sid, '+1', '+2', 'open' FROM accounts LIMIT 1"
        )
        with pytest.raises(LockRetriesExhausted):
            alembic_runner.upgrade(seeded_url, "0005_index_account_id", settings=settings)
        assert query(VALIDITY) == [(False,)]
        writer.rollback()

    alembic_runner.upgrade(
        seeded_url, "0005_index_account_id", settings=settings, on_event=events.append
    )

    assert query(VALIDITY) == [(True,)]
    assert "index ix_messages_account_id_id is INVALID (a failed build); dropping it" in events
