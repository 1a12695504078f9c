"""How do you change a busy table's schema? In short transactions that give up on a lock quickly.

`lock_timeout` bounds the queue forming behind our DDL; jittered retries (GitLab's `with_lock_retries`) finish the job.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from alembic import op

from migrations_demo.alembic_runner import EventSink
from migrations_demo.settings import MigrationSettings


class LockRetriesExhausted(RuntimeError):
    """Every attempt hit `lock_timeout`: something holds the table; find it before trying again."""


def backoff_s(attempt: int, settings: MigrationSettings) -> float:
    """Full jitter: retries from several deploys (or pods) do not line up behind the same lock."""
    ceiling = min(settings.lock_retry_backoff_max_ms, settings.lock_retry_backoff_ms * 2**attempt)
    return random.uniform(0, ceiling) / 1000


class ShortTransactions:
    """Runs each group of statements in its own transaction, with timeouts, retried on lock timeout.

    Use it through `short_transactions()` in a revision:

        with short_transactions() as run:
            run("ALTER TABLE messages ADD CONSTRAINT c CHECK (x IS NOT NULL) NOT VALID")
            run("ALTER TABLE messages VALIDATE CONSTRAINT c", statement_timeout_ms=0)
    """

    def __init__(
        self,
        connection: psycopg.Connection[Any] | None,
        settings: MigrationSettings,
        on_event: EventSink | None,
        on_commit: EventSink | None = None,
    ) -> None:
        self.connection = connection  # None when Alembic writes SQL instead of running it
        self.settings = settings
        self.on_event = on_event or (lambda _message: None)
        # Told of each committed step: the points a pod eviction can fall between (the tests kill there).
        self.on_commit = on_commit or (lambda _step: None)

    def __call__(self, *statements: str, statement_timeout_ms: int | None = None) -> None:
        """Run `statements` in one transaction; 0 for `statement_timeout_ms` means no limit."""
        if statement_timeout_ms is None:
            statement_timeout_ms = self.settings.ddl_statement_timeout_ms
        timeouts = [
            f"SET LOCAL lock_timeout = '{self.settings.lock_timeout_ms}ms'",
            f"SET LOCAL statement_timeout = '{statement_timeout_ms}ms'",
        ]
        if self.connection is None:
            for statement in ["BEGIN", *timeouts, *statements, "COMMIT"]:
                op.execute(statement.rstrip().rstrip(";"))
            return
        connection = self.connection

        def once() -> None:
            with connection.transaction():
                for statement in [*timeouts, *statements]:
                    connection.execute(statement.encode())

        self._with_retries(statements[0], once)
        self.on_commit(statements[0])

    def _with_retries(self, description: str, once: Callable[[], None]) -> None:
        for attempt in range(1, self.settings.lock_retry_attempts + 1):
            try:
                once()
                return
            except psycopg.errors.LockNotAvailable:
                # The attempt rolled back, so we hold no lock while we wait: traffic flows.
                pause = backoff_s(attempt, self.settings)
                self.on_event(
                    f"lock_timeout on attempt {attempt} ({description[:50]}…); "
                    f"retry in {pause * 1000:.0f} ms"
                )
                time.sleep(pause)
        raise LockRetriesExhausted(
            f"gave up after {self.settings.lock_retry_attempts} attempts: {description}"
        )

    def add_constraint_not_valid(self, table: str, name: str, definition: str) -> None:
        """ADD CONSTRAINT … NOT VALID, skipped when a rerun finds it there (PostgreSQL has no IF NOT EXISTS)."""
        if self.connection is not None:
            found = self.connection.execute(
                "SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass(%s) AND conname = %s",
                (table, name),
            ).fetchone()
            if found:
                return
        self(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition} NOT VALID")

    def set_not_null(self, table: str, column: str) -> None:
        """NOT NULL without a scan under ACCESS EXCLUSIVE: PostgreSQL ≥ 12 trusts a valid CHECK."""
        check = f"ck_{table}_{column}_not_null"
        self.add_constraint_not_valid(table, check, f"CHECK ({column} IS NOT NULL)")
        self(f"ALTER TABLE {table} VALIDATE CONSTRAINT {check}", statement_timeout_ms=0)
        self(
            f"ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL",
            # squawk: the CHECK only existed to make SET NOT NULL cheap; NOT NULL now guarantees it.
            f"-- squawk-ignore ban-drop-constraint\nALTER TABLE {table} DROP CONSTRAINT IF EXISTS {check}",
        )

    def create_index_concurrently(self, name: str, table: str, columns: str) -> None:
        """CREATE INDEX CONCURRENTLY, first dropping an INVALID leftover of an earlier failed build."""
        create = f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} ({columns})"
        if self.connection is None:
            op.execute(f"SET lock_timeout = '{self.settings.lock_timeout_ms}ms'")
            op.execute(create)
            return
        connection = self.connection

        def once() -> None:
            with self._session_lock_timeout():
                if index_is_invalid(connection, name):
                    # IF NOT EXISTS would happily keep the invalid index, so it must go first.
                    self.on_event(f"index {name} is INVALID (a failed build); dropping it")
                    connection.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}".encode())
                connection.execute(create.encode())

        self._with_retries(create, once)
        self.on_commit(create)

    def drop_index_concurrently(self, name: str) -> None:
        statement = f"DROP INDEX CONCURRENTLY IF EXISTS {name}"
        if self.connection is None:
            op.execute(statement)
            return
        connection = self.connection

        def once() -> None:
            with self._session_lock_timeout():
                connection.execute(statement.encode())

        self._with_retries(statement, once)
        self.on_commit(statement)

    @contextmanager
    def _session_lock_timeout(self) -> Iterator[None]:
        # CONCURRENTLY cannot run in a transaction block, so the timeout is set for the session.
        assert self.connection is not None
        self.connection.execute(f"SET lock_timeout = '{self.settings.lock_timeout_ms}ms'".encode())
        try:
            yield
        finally:
            self.connection.execute(b"RESET lock_timeout")


def index_is_invalid(connection: psycopg.Connection[Any], name: str) -> bool:
    row = connection.execute(
        "SELECT NOT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", (name,)
    ).fetchone()
    return bool(row and row[0])


@contextmanager
def short_transactions() -> Iterator[ShortTransactions]:
    """Leave Alembic's transaction and hand out a runner of short, retried transactions."""
    context = op.get_context()
    attributes = context.config.attributes if context.config else {}
    settings = attributes.get("settings") or MigrationSettings()
    with context.autocommit_block():
        connection = None
        if not context.as_sql:
            # psycopg in autocommit mode still opens real transactions with `transaction()`.
            connection = op.get_bind().connection.driver_connection
        yield ShortTransactions(
            connection, settings, attributes.get("on_event"), attributes.get("on_commit")
        )
