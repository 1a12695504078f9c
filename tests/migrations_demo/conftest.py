"""Fixtures for the migrations tests: quiet settings, a seeded baseline schema, and a poll helper."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import psycopg
import pytest

from backing_services.urls import libpq_url
from migrations_demo.scenario import seed
from migrations_demo.settings import MigrationSettings

ROWS = 3_000
T = TypeVar("T")


def wait_until(
    condition: Callable[[], T],
    *,
    what: str,
    timeout_s: float = 15.0,
    watch: subprocess.Popen[bytes] | None = None,
) -> T:
    """Poll `condition` until it returns something truthy, and return that; fail naming `what`
    if the deadline passes first. With `watch`, fail at once if that process exits."""
    deadline = time.monotonic() + timeout_s
    while not (result := condition()):
        if watch is not None and watch.poll() is not None:
            pytest.fail(f"{what}: the process exited first, with code {watch.returncode}")
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout_s:.0f} s")
        time.sleep(0.02)  # the nap of this poll; the deadline above bounds it
    return result


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
