"""Start relays and workers as real processes (`python -m queue_demo.cli ...`) for chaos and SIGTERM tests,
and check what a chaos run must leave behind."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Collection, Sequence
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backing_services.local_processes import stop
from tests.queue_demo.conftest import scalar

# Tests run with short leases and blocks so that recovery after a kill takes a fraction of a second.
FAST = {
    "QUEUE_DEMO_BATCH_SIZE": "20",
    "QUEUE_DEMO_BLOCK_MS": "50",
    "QUEUE_DEMO_LEASE_MS": "600",
    "QUEUE_DEMO_BACKOFF_BASE_S": "0.001",
    "QUEUE_DEMO_BACKOFF_CAP_S": "0.01",
    "QUEUE_DEMO_MAX_ATTEMPTS": "3",
    "QUEUE_DEMO_RELAY_BATCH": "25",
    "QUEUE_DEMO_RELAY_IDLE_S": "0.01",
}


class Fleet:
    """The processes one test started; `close()` stops every one of them, however the test ended."""

    def __init__(
        self, redis_url: str, database_url: str, logs: Path, module: str = "queue_demo.cli"
    ) -> None:
        self.module = module  # queue_demo.brokers.cli for the RabbitMQ and JetStream twins
        self.env = {**os.environ, **FAST, "REDIS_URL": redis_url, "DATABASE_URL": database_url}
        self.logs = logs
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str, **settings: str) -> subprocess.Popen[bytes]:
        """Start `python -m <module> <args>` with extra QUEUE_DEMO_<NAME> settings."""
        env = {**self.env, **{f"QUEUE_DEMO_{k.upper()}": v for k, v in settings.items()}}
        log = open(self.logs / f"{'-'.join(args)}-{len(self.processes)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", self.module, *args], env=env, stdout=log, stderr=log
        )
        log.close()  # the child holds its own copy of the descriptor
        self.processes.append(process)
        return process

    def close(self) -> None:
        """SIGTERM them all at once, then wait for each (SIGKILL after the grace period)."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            stop(process, grace_s=5.0)


async def assert_each_effect_once(
    sessions: async_sessionmaker[AsyncSession],
    ids: Sequence[str],
    poison_ids: Sequence[str],
    dead_lettered: Collection[str],
    unfinished: int,
) -> None:
    """What a chaos run must leave, whatever the broker: every good message applied exactly once,
    exactly the poison dead-lettered, and nothing still held unacknowledged.

    `dead_lettered` holds the message id of each dead letter: pass a list to also forbid a message
    dead-lettered twice, a set where the broker may keep two copies of one.
    """
    duplicates = await scalar(
        sessions,
        "SELECT count(*) FROM (SELECT message_id FROM deliveries GROUP BY message_id"
        " HAVING count(*) > 1) AS d",
    )
    assert duplicates == 0, f"{duplicates} message(s) applied more than once"
    delivered = await scalar(
        sessions, "SELECT array_agg(DISTINCT message_id::text) FROM deliveries"
    )
    assert sorted(delivered or []) == sorted(ids), "the applied messages are not the good ones"
    assert sorted(dead_lettered) == sorted(poison_ids), "the dead letters are not the poison"
    assert unfinished == 0, f"{unfinished} message(s) still held unacknowledged"
