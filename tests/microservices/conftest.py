"""Fixtures for the microservices tests: real uvicorn processes on free loopback ports, and a poll helper."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import redis

from backing_services.local_processes import free_port, running, stop
from backing_services.resolve import ServiceURLs
from backing_services.schemas import drop_schema, recreate_schema
from backing_services.urls import libpq_url
from tests.isolation import flushed_redis_url

# Settings every test process starts with: faults switchable, near-zero backoff, and timeouts a busy
# CI machine always meets (tests that need a timeout to fire set a short one themselves).
FAST = {
    "fault_injection": "true",
    "fault_seed": "7",
    "connect_timeout_s": "1.0",
    "total_timeout_s": "3.0",
    "backoff_base_s": "0.001",
    "backoff_cap_s": "0.01",
}


class Pieces:
    """The processes one test started: `start("accounts")` returns its base URL; all stop at the end."""

    def __init__(self, redis_url: str, database_url: str, logs: Path, stack: ExitStack) -> None:
        self.base_env = {"REDIS_URL": redis_url, "DATABASE_URL": database_url}
        self.logs = logs
        self.stack = stack
        self.billing: list[subprocess.Popen[bytes]] = []

    def env(self, settings: dict[str, str]) -> dict[str, str]:
        merged = {**FAST, **settings}
        return {**self.base_env, **{f"MICROSERVICES_{k.upper()}": v for k, v in merged.items()}}

    def start(self, piece: str, **settings: str) -> str:
        port = free_port()
        argv = [sys.executable, "-m", "microservices.serve", piece, "--port", str(port)]
        self.stack.enter_context(
            running(
                argv,
                port=port,
                name=piece,
                env=self.env(settings),
                log_path=self.logs / f"{piece}-{port}.log",
                timeout_s=30,
            )
        )
        return f"http://127.0.0.1:{port}"

    def start_billing(
        self, extra_env: dict[str, str] | None = None, **settings: str
    ) -> subprocess.Popen[bytes]:
        """The billing consumer has no port: it reads the stream from the group's start, whenever it starts."""
        log = open(self.logs / f"billing-{len(self.billing)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "microservices.serve", "billing"],
            env={**os.environ, **self.env(settings), **(extra_env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.billing.append(process)
        self.stack.callback(stop, process)
        return process


@pytest.fixture
def pieces(redis_url: str, database_url: str, tmp_path: Path) -> Iterator[Pieces]:
    with ExitStack() as stack:
        yield Pieces(redis_url, database_url, tmp_path, stack)


async def eventually(
    condition: Callable[[], Awaitable[bool]],
    *,
    timeout_s: float = 20.0,
    what: str = "condition",
    watch: subprocess.Popen[bytes] | None = None,
) -> None:
    """Poll `condition` until it holds; fail with `what` if the deadline passes first.

    With `watch`, fail at once if that process exits (its log is in the test's tmp_path).
    """
    deadline = time.monotonic() + timeout_s
    while not await condition():
        if watch is not None and watch.poll() is not None:
            raise AssertionError(f"{what}: the process exited with code {watch.returncode}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout_s} s")
        await asyncio.sleep(0.05)  # the nap of this poll; the deadline above bounds it


@pytest.fixture(scope="package")
def shared_database_url(service_urls: ServiceURLs) -> Iterator[str]:
    """A schema shared by the package's long-lived processes (starting one per test is slow)."""
    schema = f"t_microservices_{uuid.uuid4().hex[:10]}"
    yield recreate_schema(service_urls.database_url, schema)
    drop_schema(service_urls.database_url, schema)


@pytest.fixture(scope="package")
def shared_redis_url(service_urls: ServiceURLs) -> str:
    """This package's Redis database index (tests that read Redis use `redis_url`, flushed per test)."""
    return flushed_redis_url(service_urls.redis_url, "microservices")


@pytest.fixture(scope="package")
def accounts_url(
    shared_database_url: str, shared_redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One accounts service process for the whole package; tests reset its faults and count deltas."""
    with ExitStack() as stack:
        pieces = Pieces(
            shared_redis_url, shared_database_url, tmp_path_factory.mktemp("accounts"), stack
        )
        yield pieces.start("accounts")


def delete_key(redis_url: str, key: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        client.delete(key)
    finally:
        client.close()


@pytest.fixture(scope="package")
def messages_url(
    accounts_url: str,
    shared_database_url: str,
    shared_redis_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """One messages service for the package, in front of the shared accounts service.

    Its events go to a stream of its own, so billing tests (which own the default stream) never see
    them; its breaker never opens, so one test's faults cannot leave it open for the next.
    """
    with ExitStack() as stack:
        pieces = Pieces(
            shared_redis_url, shared_database_url, tmp_path_factory.mktemp("messages"), stack
        )
        stream = f"microservices:shared:{uuid.uuid4().hex[:8]}"
        # Runs after the processes stop (ExitStack order): leave this package's Redis index tidy.
        stack.callback(delete_key, shared_redis_url, stream)
        yield pieces.start(
            "messages",
            accounts_url=accounts_url,
            billing_stream=stream,
            breaker_failure_threshold="1000",
            max_attempts="1",
            fallback_max_age_s="600",
        )


@pytest.fixture
async def accounts_admin(accounts_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """Talks to the shared accounts service; every test starts (and ends) with no faults injected."""
    async with httpx.AsyncClient(base_url=accounts_url) as client:
        (await client.put("/admin/faults", json={})).raise_for_status()
        yield client
        await client.put("/admin/faults", json={})


async def open_account(accounts_url: str, credit_cents: int = 100, name: str = "acme") -> str:
    async with httpx.AsyncClient(base_url=accounts_url) as client:
        response = await client.post("/accounts", json={"name": name, "credit_cents": credit_cents})
        response.raise_for_status()
        return str(response.json()["id"])


async def query_one(database_url: str, sql: str, *params: object) -> Any:
    """The first column of the first row, on a connection opened and closed here."""
    async with await psycopg.AsyncConnection.connect(libpq_url(database_url)) as connection:
        row = await (await connection.execute(sql, params)).fetchone()
        return row[0] if row else None
