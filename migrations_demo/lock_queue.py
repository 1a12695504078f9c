"""Why does a one-second ALTER take the site down? The lock queue: seen here with `pg_blocking_pids()`.

A long transaction holds a weak lock; the ALTER queues for ACCESS EXCLUSIVE; every later request queues behind it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from backing_services.urls import libpq_url

BLOCKED_SQL = (Path(__file__).parent / "sql" / "blocked_backends.sql").read_bytes()


@dataclass(frozen=True)
class Blocked:
    """One backend of ours waiting for a lock, and the backends it waits for."""

    pid: int
    application_name: str
    blocked_by: tuple[int, ...]
    query: str


def blocked_backends(connection: psycopg.Connection[Any], prefix: str) -> list[Blocked]:
    """Backends whose application_name starts with `prefix` and that wait on someone's lock."""
    rows = connection.execute(BLOCKED_SQL, {"prefix": prefix + "%"}).fetchall()
    return [Blocked(pid, name, tuple(blockers), query) for pid, name, blockers, query in rows]


@contextmanager
def long_transaction(database_url: str, application_name: str) -> Iterator[int]:
    """An analytics query left open in a transaction: it holds ACCESS SHARE on messages until exit.

    ACCESS SHARE conflicts only with ACCESS EXCLUSIVE, so traffic is fine — until an ALTER arrives.
    Yields the backend's pid.
    """
    with psycopg.connect(libpq_url(database_url), application_name=application_name) as connection:
        connection.execute(b"SELECT count(*) FROM messages")
        pid = connection.info.backend_pid
        try:
            yield pid
        finally:
            connection.rollback()


@dataclass
class LockSampler:
    """Samples `pg_blocking_pids()` every `interval_s` in a thread, on the caller's clock."""

    database_url: str
    prefix: str
    clock: Any  # a callable returning seconds, e.g. Traffic.now
    interval_s: float = 0.05
    samples: list[tuple[float, list[Blocked]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LockSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        with psycopg.connect(libpq_url(self.database_url), autocommit=True) as connection:
            while not self._stop.is_set():
                self.samples.append((self.clock(), blocked_backends(connection, self.prefix)))
                time.sleep(self.interval_s)

    def peak_queue(self) -> int:
        """The most of our backends seen waiting for a lock at one moment."""
        return max((len(blocked) for _, blocked in self.samples), default=0)

    def worst_moment(self) -> list[Blocked]:
        """The sample with the most of our backends waiting: the queue at its longest."""
        return max((blocked for _, blocked in self.samples), key=len, default=[])

    def longest_traffic_stall_s(self) -> float:
        """The longest stretch of consecutive samples in which some app request waited for a lock."""
        longest, stretch_start = 0.0, None
        for at, blocked in self.samples:
            if any(is_traffic(b) for b in blocked):
                stretch_start = at if stretch_start is None else stretch_start
                longest = max(longest, at - stretch_start)
            else:
                stretch_start = None
        return longest


def is_traffic(backend: Blocked) -> bool:
    return "-read-" in backend.application_name or "-write-" in backend.application_name
