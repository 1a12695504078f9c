"""What an operator reads: the relay and the worker say what they serve when they start and log
each batch at info level, and libraries' debug chatter stays out of the logs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from queue_demo.settings import QueueSettings
from tests.queue_demo.conftest import create_messages, scalar, wait_for
from tests.queue_demo.processes import Fleet


@pytest.fixture
def fleet(redis_url: str, database_url: str, tmp_path: Path) -> Iterator[Fleet]:
    fleet = Fleet(redis_url, database_url, tmp_path)
    fleet.env["LOG_LEVEL"] = "DEBUG"  # the level a developer runs locally: the noisiest one
    yield fleet
    fleet.close()


async def wait_until_delivered(sessions: async_sessionmaker[AsyncSession], count: int) -> None:
    async def delivered() -> bool:
        sql = "SELECT count(*) FROM messages WHERE status = 'delivered'"
        return bool(await scalar(sessions, sql) >= count)

    await wait_for(f"{count} messages delivered", delivered)


async def test_the_relay_and_the_worker_announce_what_they_serve_and_log_each_batch(
    fleet: Fleet,
    sessions: async_sessionmaker[AsyncSession],
    settings: QueueSettings,
    tmp_path: Path,
) -> None:
    await create_messages(sessions, settings, 5)

    fleet.start("relay")
    fleet.start("worker", "--name", "w1")
    await wait_until_delivered(sessions, 5)
    fleet.close()

    relay_log = (tmp_path / "relay-0.log").read_text()
    worker_log = (tmp_path / "worker---name-w1-1.log").read_text()
    assert "relay started" in relay_log and "publishes_to" in relay_log
    assert "published a batch" in relay_log
    assert "consumer started" in worker_log and settings.stream in worker_log
    assert "batch handled" in worker_log
    for log in (relay_log, worker_log):
        assert "maintenance notifications" not in log  # redis-py's DEBUG line on every connection
        assert "Using selector" not in log  # asyncio's
