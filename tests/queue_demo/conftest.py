"""Fixtures for the queue tests: fast settings, tables in the test's schema, and a way to run until done."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from queue_demo.outbox import NewMessage, create_message
from queue_demo.schema import create_tables
from queue_demo.settings import QueueSettings


@pytest.fixture
def settings() -> QueueSettings:
    """Small batches, short blocks and near-zero backoff, so every test finishes in about a second."""
    return QueueSettings(
        batch_size=20,
        block_ms=50,
        backoff_base_s=0.001,
        backoff_cap_s=0.01,
        max_attempts=3,
        lease_ms=2_000,
        relay_idle_s=0.01,
    )


@pytest.fixture
async def sessions(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    await create_tables(engine)
    yield async_sessionmaker(engine, expire_on_commit=False)


async def create_messages(
    sessions: async_sessionmaker[AsyncSession],
    settings: QueueSettings,
    count: int,
    *,
    to: str | None = None,
    callback_url: str | None = None,
) -> list[str]:
    """Create `count` messages (each with its outbox row) in one transaction; return their ids.

    Without `to`, each goes to its own number (+14155550100, …0101, …): one number's messages are
    sent one after another, so tests that are not about order should not queue them on one number.
    """
    async with sessions.begin() as session:
        return [
            await create_message(
                session,
                NewMessage(to or f"+1415555{100 + n:04d}", f"hello {n}", callback_url),
                settings=settings,
            )
            for n in range(count)
        ]


async def scalar(sessions: async_sessionmaker[AsyncSession], sql: str) -> Any:
    async with sessions() as session:
        return (await session.execute(text(sql))).scalar()


async def wait_for(
    condition: str | Callable[[], str],
    check: Callable[[], Awaitable[bool]],
    *,
    timeout_s: float = 60.0,
) -> None:
    """Poll `check` until it is true, or fail naming the `condition` that never came (a callable
    is asked for its words only then, so they can say how far the run got).

    The timeout guards against a hang; it is not a speed claim. The one poll loop of these tests.
    """
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            what = condition if isinstance(condition, str) else condition()
            raise AssertionError(f"not within {timeout_s} s: {what}")
        await asyncio.sleep(0.02)  # the nap between two looks, not a wait for anything


async def run_until(
    workers: list[Callable[[asyncio.Event], Coroutine[Any, Any, None]]],
    done: Callable[[], Awaitable[bool]],
    *,
    timeout_s: float = 20.0,
) -> None:
    """Run the workers until `done()` is true (polled), then stop them and wait for them to finish."""
    stop = asyncio.Event()
    tasks = [asyncio.create_task(worker(stop)) for worker in workers]

    async def finished() -> bool:
        for task in tasks:
            if task.done():
                task.result()  # surface a crash instead of waiting for the deadline
        return await done()

    try:
        await wait_for("the workers' run was done", finished, timeout_s=timeout_s)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
