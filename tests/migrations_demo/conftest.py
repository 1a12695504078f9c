"""Fixtures for the migrations tests: quiet settings and a seeded baseline schema."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from backing_services.urls import libpq_url
from migrations_demo.scenario import seed
from migrations_demo.settings import MigrationSettings

ROWS = 3_000


@pytest.fixture
def settings() -> MigrationSettings:
    return MigrationSettings(show_progress=False, backfill_batch_size=500, backfill_pause_ms=0)


@pytest.fixture
def seeded_url(database_url: str) -> str:
    """The test's schema at the baseline revision with ROWS messages over 100 accounts."""
    seed(database_url, ROWS)
    return database_url


@pytest.fixture
def query(database_url: str) -> Iterator[Callable[..., list[tuple[Any, ...]]]]:
    """Run one query in the test's schema on an autocommit connection, closed after the test."""
    connection = psycopg.connect(libpq_url(database_url), autocommit=True)

    def run(statement: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        cursor = connection.execute(statement.encode(), params)
        return cursor.fetchall() if cursor.description else []

    yield run
    connection.close()
