"""The Redis chaos test's shape on RabbitMQ and NATS JetStream: relays and workers SIGKILLed at
chosen points and on progress; every effect still happens exactly once, poison is dead-lettered.

Kept short (fewer messages and kills than the Redis one); more trials: QUEUE_DEMO_CHAOS_TRIALS=5.
"""

from __future__ import annotations

import json
import os
import random
import signal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from queue_demo.settings import QueueSettings
from tests.queue_demo.brokers.conftest import Harness
from tests.queue_demo.conftest import create_messages, scalar, wait_for
from tests.queue_demo.processes import Fleet, assert_each_effect_once

TRIALS = int(os.environ.get("QUEUE_DEMO_CHAOS_TRIALS", "1"))
MESSAGES = 80
POISON = 2
RANDOM_KILLS = 2
POISON_NUMBER = "+15005550001"
HANG_GUARD_S = 240


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(TRIALS))
async def test_killed_relays_and_workers_still_apply_every_effect_exactly_once(
    seed: int,
    broker: Harness,
    broker_fleet: Fleet,
    sessions: async_sessionmaker[AsyncSession],
    broker_settings: QueueSettings,
) -> None:
    # Rule: at-least-once delivery plus the idempotent inbox survives any kill: no message lost,
    # no effect doubled, poison dead-lettered (RabbitMQ may hold two copies of one if the relay
    # published it twice: dead letters are compared by message), nothing left unacked.
    rng = random.Random(seed)
    ids = await create_messages(sessions, broker_settings, MESSAGES - POISON)
    poison_ids = await create_messages(sessions, broker_settings, POISON, to=POISON_NUMBER)
    on = ("--broker", broker.name)

    # Crashes placed exactly: after publishing before marking the outbox, after commit before ack,
    # and with a batch in hand; then SIGKILLs on progress, each victim replaced by a fresh process.
    relay = broker_fleet.start(
        "relay", *on, crash_after="xadd_before_mark", crash_on_hit=str(rng.randint(1, 2))
    )
    workers = {
        "w1": broker_fleet.start("worker", *on, "--name", "w1", crash_after="commit_before_ack"),
        "w2": broker_fleet.start(
            "worker", *on, "--name", "w2", crash_after="mid_batch", crash_on_hit="2"
        ),
    }

    def replace_the_dead() -> None:
        nonlocal relay
        if relay.poll() is not None:
            relay = broker_fleet.start("relay", *on)
        for name, process in workers.items():
            if process.poll() is not None:
                workers[name] = broker_fleet.start("worker", *on, "--name", name)

    kill_at = sorted(rng.sample(range(5, (MESSAGES - POISON) * 2 // 3), RANDOM_KILLS))
    kills = 0

    async def delivered_so_far() -> int:
        return int(await scalar(sessions, "SELECT count(DISTINCT message_id) FROM deliveries"))

    async def dead_messages() -> set[str]:
        letters = await broker.dead_letters()
        return {json.loads(letter.event["payload"])["message_id"] for letter in letters}

    async def done() -> bool:
        unpublished = await scalar(
            sessions, "SELECT count(*) FROM outbox WHERE published_at IS NULL"
        )
        return (
            await delivered_so_far() == len(ids)
            and len(await dead_messages()) == POISON
            and unpublished == 0
            and await broker.unfinished() == 0
        )

    async def kill_on_progress_until_done() -> bool:
        """One look: finished once every kill is made and the run is done; else kill on progress
        and replace the dead."""
        nonlocal kills
        if kills == RANDOM_KILLS and await done():
            return True
        if kills < RANDOM_KILLS and await delivered_so_far() >= kill_at[kills]:
            victim = rng.choice([relay, *workers.values()])
            if victim.poll() is None:
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

    # A set: RabbitMQ may hold two copies of one dead letter, if the relay published it twice.
    dead = await dead_messages()
    await assert_each_effect_once(sessions, ids, poison_ids, dead, await broker.unfinished())
