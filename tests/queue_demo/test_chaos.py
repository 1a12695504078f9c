"""Chaos: relays and workers SIGKILLed at chosen and random points; every effect still happens once.

More trials for the README figure: QUEUE_DEMO_CHAOS_TRIALS=20 pytest tests/queue_demo/test_chaos.py
"""

from __future__ import annotations

import json
import os
import random
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis.asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from queue_demo.settings import QueueSettings
from tests.queue_demo.conftest import create_messages, scalar, wait_for
from tests.queue_demo.processes import Fleet, assert_each_effect_once
from tests.streams import stream_entries

TRIALS = int(os.environ.get("QUEUE_DEMO_CHAOS_TRIALS", "2"))
MESSAGES = 150
POISON = 3
RANDOM_KILLS = 4
POISON_NUMBER = "+15005550001"
HANG_GUARD_S = 300


@pytest.fixture
def fleet(redis_url: str, database_url: str, tmp_path: Path) -> Iterator[Fleet]:
    fleet = Fleet(redis_url, database_url, tmp_path)
    yield fleet
    fleet.close()


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(TRIALS))
async def test_killed_relays_and_workers_still_apply_every_effect_exactly_once(
    seed: int,
    fleet: Fleet,
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
) -> None:
    # Rule: with at-least-once delivery and an idempotent effect, no crash anywhere loses a message
    # or doubles an effect; poison ends in the dead-letter stream, and nothing stays pending.
    rng = random.Random(seed)
    ids = await create_messages(sessions, settings, MESSAGES - POISON)
    poison_ids = await create_messages(sessions, settings, POISON, to=POISON_NUMBER)
    await redis_client.xgroup_create(settings.stream, settings.group, id="0", mkstream=True)

    # Crashes placed exactly: after XADD before marking the outbox, after commit before XACK,
    # and with a batch in hand; then random SIGKILLs, each victim replaced by a fresh process.
    relay = fleet.start(
        "relay", crash_after="xadd_before_mark", crash_on_hit=str(rng.randint(1, 3))
    )
    workers = {
        "w1": fleet.start("worker", "--name", "w1", crash_after="commit_before_ack"),
        "w2": fleet.start("worker", "--name", "w2", crash_after="mid_batch", crash_on_hit="2"),
    }

    def replace_the_dead() -> None:
        nonlocal relay
        if relay.poll() is not None:
            relay = fleet.start("relay")
        for name, process in workers.items():
            if process.poll() is not None:
                # Half come back under the same name (and drain their own pending entries first),
                # half as a new consumer (their old entries are claimed after the lease).
                new_name = name if rng.random() < 0.5 else f"{name}-{len(fleet.processes)}"
                workers[name] = fleet.start("worker", "--name", new_name)

    # The random kills fire on progress, not on the clock: each at a number of delivered messages
    # drawn in the first two thirds of the run, so a fast run still takes every one of them.
    kill_at = sorted(rng.sample(range(5, (MESSAGES - POISON) * 2 // 3), RANDOM_KILLS))
    kills = 0

    async def delivered_so_far() -> int:
        return int(await scalar(sessions, "SELECT count(DISTINCT message_id) FROM deliveries"))

    async def done() -> bool:
        delivered = await delivered_so_far()
        dead = await redis_client.xlen(settings.dead_letter_stream)
        pending = (await redis_client.xpending(settings.stream, settings.group))["pending"]
        unpublished = await scalar(
            sessions, "SELECT count(*) FROM outbox WHERE published_at IS NULL"
        )
        return bool(delivered == len(ids) and dead == POISON and pending == 0 and unpublished == 0)

    async def kill_on_progress_until_done() -> bool:
        """One look: finished once every kill is made and the run is done; else kill on progress
        and replace the dead."""
        nonlocal kills
        if kills == RANDOM_KILLS and await done():
            return True
        if kills < RANDOM_KILLS and await delivered_so_far() >= kill_at[kills]:
            victim = rng.choice([relay, *workers.values()])
            if victim.poll() is None:  # one that died at its crash point is replaced first
                victim.send_signal(signal.SIGKILL)
                victim.wait()
                kills += 1
        replace_the_dead()
        return False

    # A guard against a hang, not a speed claim: on a loaded machine each restart costs seconds.
    await wait_for(
        lambda: f"the run's end after {RANDOM_KILLS} kills ({kills} made)",
        kill_on_progress_until_done,
        timeout_s=HANG_GUARD_S,
    )

    dead = await stream_entries(redis_client, settings.dead_letter_stream)
    dead_messages = [
        json.loads(json.loads(f["original"])["payload"])["message_id"] for _, f in dead
    ]
    pending = (await redis_client.xpending(settings.stream, settings.group))["pending"]
    await assert_each_effect_once(sessions, ids, poison_ids, dead_messages, pending)
    assert kills == RANDOM_KILLS
