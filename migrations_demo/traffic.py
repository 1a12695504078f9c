"""What does a migration do to live traffic? Measure it: readers and writers, every request timed.

Bounded in count and time; each request records when it started, how long it took and how it ended.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import psycopg

from backing_services.urls import libpq_url
from migrations_demo.app_versions import AppVersion, move_message, read_messages, write_message

Kind = Literal["read", "write", "move"]


@dataclass(frozen=True)
class Request:
    started_s: float  # since the traffic began
    latency_s: float
    kind: Kind
    version: AppVersion
    error: str | None  # None when the request succeeded

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class Traffic:
    """Readers and writers against `messages`, playing the deployed app versions, until stopped.

    with Traffic(url, versions=("v1",)) as traffic:
        traffic.mark("migration starts")
        ...
    traffic.requests  # every request, in order of completion
    """

    database_url: str
    versions: tuple[AppVersion, ...] = ("v1",)
    readers: int = 2
    writers: int = 2
    movers: int = 0  # workers that move messages between accounts (UPDATEs), off by default
    max_requests: int = 200_000
    max_seconds: float = 600.0
    request_timeout_ms: int = 3_000
    think_ms: float = 5.0
    application_name: str = "migrations_demo-traffic"
    narrate: Callable[[str], None] | None = None  # told of every phase, e.g. the demo's printer
    requests: list[Request] = field(default_factory=list)
    phases: list[tuple[float, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._started = time.monotonic()
        self._connected = threading.Barrier(self.readers + self.writers + self.movers + 1)

    def now(self) -> float:
        return time.monotonic() - self._started

    def count(self, kind: Kind, version: AppVersion) -> int:
        """How many requests of this kind and version have succeeded so far."""
        with self._lock:
            return sum(r.ok and r.kind == kind and r.version == version for r in self.requests)

    def mark(self, phase: str) -> None:
        """A phase boundary (e.g. "applied 0005_index_account_id") on the same clock as requests."""
        with self._lock:
            self.phases.append((self.now(), phase))
        if self.narrate is not None:
            self.narrate(f"{self.now():6.2f} s  {phase}")

    def deploy(self, *versions: AppVersion) -> None:
        """Roll the app to these versions: every next request picks among them."""
        self.versions = versions
        self.mark(f"app versions now {'+'.join(versions)}")

    def __enter__(self) -> Traffic:
        reads: list[Kind] = ["read"] * self.readers
        writes: list[Kind] = ["write"] * self.writers
        moves: list[Kind] = ["move"] * self.movers
        kinds = reads + writes + moves
        for number, kind in enumerate(kinds):
            worker = threading.Thread(target=self._work, args=(kind, number), daemon=True)
            self._threads.append(worker)
            worker.start()
        self._connected.wait(timeout=30)
        self._started = time.monotonic()
        self.mark("traffic starts")
        return self

    def __exit__(self, *_: object) -> None:
        self.mark("traffic stops")
        self._stop.set()
        for worker in self._threads:
            worker.join(timeout=self.request_timeout_ms / 1000 + 5)

    def _work(self, kind: Kind, number: int) -> None:
        with psycopg.connect(
            libpq_url(self.database_url),
            autocommit=True,
            application_name=f"{self.application_name}-{kind}-{number}",
        ) as connection:
            # The app's request budget: a request stuck longer than this fails, as it would for a user.
            connection.execute(f"SET statement_timeout = {int(self.request_timeout_ms)}".encode())
            self._connected.wait(timeout=30)
            turn = number
            while not self._stop.is_set() and self.now() < self.max_seconds:
                if len(self.requests) >= self.max_requests:
                    break
                version = self.versions[turn % len(self.versions)]
                turn += 1
                self._record(connection, kind, version)
                time.sleep(self.think_ms / 1000)

    def _record(self, connection: psycopg.Connection[Any], kind: Kind, version: AppVersion) -> None:
        started = self.now()
        error: str | None = None
        try:
            if kind == "read":
                read_messages(connection, version)
            elif kind == "write":
                write_message(connection, version)
            else:
                move_message(connection, version)
        except psycopg.Error as failure:
            # What the app's caller would see: a timeout, a missing column, a failed constraint.
            error = (
                f"{type(failure).__name__}: {str(failure).splitlines()[0] if str(failure) else ''}"
            )
        request = Request(started, self.now() - started, kind, version, error)
        with self._lock:
            self.requests.append(request)
