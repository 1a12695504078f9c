"""The safe path under live traffic, with a long transaction in the way: nobody notices."""

from collections.abc import Callable
from typing import Any

from migrations_demo import alembic_runner
from migrations_demo.scenario import run_path
from migrations_demo.settings import MigrationSettings

LOCK_TIMEOUT_MS = 300
MARGIN_MS = 2_000


def test_safe_path_under_load_fails_no_request_and_none_waits_past_the_lock_timeout(
    database_url: str, query: Callable[..., list[tuple[Any, ...]]]
) -> None:
    # Rule: with lock_timeout + retries, a blocked DDL gives way; each request's budget is the
    # lock timeout plus a margin (statement_timeout, enforced by the server), and none fails.
    settings = MigrationSettings(
        show_progress=False,
        lock_timeout_ms=LOCK_TIMEOUT_MS,
        request_timeout_ms=LOCK_TIMEOUT_MS + MARGIN_MS,
        lock_retry_backoff_max_ms=300,
    )

    run = run_path("safe", database_url, rows=3_000, settings=settings, blocker_s=1.0, steady_s=0.3)

    failed = [request for request in run.requests if not request.ok]
    assert len(run.requests) > 100
    assert failed == []
    assert any(phase.startswith("lock_timeout on attempt") for _, phase in run.phases)
    assert alembic_runner.current_revisions(database_url) == {"0008_contract_account_sid"}
    assert query(
        "SELECT is_nullable FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = 'messages' AND column_name = 'account_id'"
    ) == [("NO",)]
    assert query(
        "SELECT convalidated FROM pg_constraint WHERE conname = 'fk_messages_account_id'"
        " AND connamespace = current_schema()::regnamespace"
    ) == [(True,)]
