"""SIGTERM stops reading, finishes the batch in hand and acks it; the CLI answers bad input in one line."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backing_services.local_processes import free_port
from queue_demo.relay import Relay
from queue_demo.settings import QueueSettings
from tests.queue_demo.conftest import create_messages, scalar, wait_for
from tests.queue_demo.processes import Fleet


@pytest.fixture
def fleet(redis_url: str, database_url: str, tmp_path: Path) -> Iterator[Fleet]:
    fleet = Fleet(redis_url, database_url, tmp_path)
    yield fleet
    fleet.close()


async def publish_messages(
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
    count: int,
) -> None:
    await create_messages(sessions, settings, count)
    await redis_client.xgroup_create(settings.stream, settings.group, id="0", mkstream=True)
    relay = Relay(sessions, redis_client, settings)
    while await relay.publish_batch():
        pass


async def wait_until_in_flight(redis_client: redis.asyncio.Redis, settings: QueueSettings) -> int:
    pending = 0

    async def in_flight() -> bool:
        nonlocal pending
        pending = int((await redis_client.xpending(settings.stream, settings.group))["pending"])
        return pending > 0

    await wait_for("the worker started a batch", in_flight, timeout_s=30)
    return pending


async def wait_for_exit(process: subprocess.Popen[bytes], timeout_s: float) -> int:
    async def exited() -> bool:
        return process.poll() is not None

    await wait_for("the worker exited", exited, timeout_s=timeout_s)
    return process.returncode


@pytest.mark.slow
async def test_sigterm_finishes_and_acks_the_batch_in_hand_and_reads_no_more(
    fleet: Fleet,
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
) -> None:
    # Rule: on SIGTERM a worker stops reading, completes the batches it holds, acks them, exits 0.
    await publish_messages(sessions, redis_client, settings, 100)
    # A batch of 20 takes 20 × 0.8 s ÷ 5 = 3.2 s: the third batch can be read only that long after
    # the first, a window no scheduler delay on a loaded machine comes near; the deadline is ample.
    worker = fleet.start(
        "worker", "--name", "w1", carrier_delay_s="0.8", concurrency="5", shutdown_deadline_s="30"
    )
    await wait_until_in_flight(redis_client, settings)

    worker.send_signal(signal.SIGTERM)

    assert await wait_for_exit(worker, 40) == 0
    groups: Any = await redis_client.xinfo_groups(settings.stream)
    [group] = groups
    read = group["entries-read"]
    # At most two batches of 20 were in hand (batches_in_flight=2); the other 60 were never read.
    assert read in (20, 40)
    assert (group["pending"], group["lag"]) == (0, 100 - read)
    assert await scalar(sessions, "SELECT count(*) FROM deliveries") == read


@pytest.mark.slow
async def test_a_worker_past_its_shutdown_deadline_exits_1_and_leaves_its_batch_pending(
    fleet: Fleet,
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
) -> None:
    # Rule: the deadline bounds shutdown; unfinished entries stay pending for another consumer.
    await publish_messages(sessions, redis_client, settings, 20)
    worker = fleet.start("worker", "--name", "w1", carrier_delay_s="5", shutdown_deadline_s="0.2")
    in_flight = await wait_until_in_flight(redis_client, settings)

    worker.send_signal(signal.SIGTERM)

    assert await wait_for_exit(worker, 10) == 1
    assert (await redis_client.xpending(settings.stream, settings.group))["pending"] == in_flight
    assert await scalar(sessions, "SELECT count(*) FROM deliveries") == 0


def cli(redis_url: str, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"REDIS_URL": redis_url, "DATABASE_URL": database_url, "COLUMNS": "200", "PATH": ""}
    return subprocess.run(
        [sys.executable, "-m", "queue_demo.cli", *args],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_showing_an_unknown_dead_letter_exits_2_naming_it(
    redis_url: str, database_url: str
) -> None:
    # Rule: the CLI names the id it could not find and exits 2, without a traceback.
    result = cli(redis_url, database_url, "dead-letters", "show", "1-0")

    assert result.returncode == 2
    assert result.stdout.strip() == "no dead letter 1-0 in queue_demo:dead_letters"
    assert "Traceback" not in result.stderr


def test_the_cli_says_in_one_line_when_redis_is_unreachable(database_url: str) -> None:
    # Rule: a missing service is one line naming it, its address and the variable, exit code 1.
    port = free_port()

    result = cli(f"redis://127.0.0.1:{port}/0", database_url, "status")

    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"queue_demo: Redis is not answering at 127.0.0.1:{port} (REDIS_URL): Connection refused."
        " Start it, or unset REDIS_URL to use Docker."
    )


def test_status_reports_lag_and_pending_per_group(redis_url: str, database_url: str) -> None:
    # Rule: `status` shows each group's length, consumers, lag and pending from XINFO GROUPS.
    import redis as sync_redis

    client = sync_redis.Redis.from_url(redis_url, decode_responses=True)
    client.xgroup_create("queue_demo:messages", "deliverers", id="0", mkstream=True)
    for n in range(5):
        client.xadd("queue_demo:messages", {"n": str(n)})
    client.xreadgroup("deliverers", "c1", {"queue_demo:messages": ">"}, count=2)
    client.close()

    result = cli(redis_url, database_url, "status")

    assert result.returncode == 0, result.stderr
    [row] = [line for line in result.stdout.splitlines() if "deliverers" in line]
    assert row.split("│")[1:-1] == [
        " queue_demo:messages ", " deliverers ", " 5      ", " 1         ", " 3   ", " 2       ",
    ]  # fmt: skip
    assert "dead letters: 0 in queue_demo:dead_letters" in result.stdout
