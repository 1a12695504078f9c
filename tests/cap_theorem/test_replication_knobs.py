"""The knobs that move Redis between the CAP corners, checked one at a time on a real pair."""

import asyncio
import time

import pytest
from redis.exceptions import ResponseError

from backing_services.local_processes import redis_server_available
from cap_theorem.cluster import primary_and_replica, promote, wait_until_in_sync

pytestmark = pytest.mark.skipif(
    not redis_server_available(), reason="needs the redis-server binary on PATH"
)


async def test_the_replica_receives_the_primary_writes_through_the_proxy() -> None:
    # Replication flows over the proxied link: the replica ends up with the primary's write.
    async with primary_and_replica() as cluster:
        await cluster.primary.admin.set("greeting", "hello")

        await wait_until_in_sync(cluster.primary, cluster.replica)

        assert await cluster.replica.admin.get("greeting") == "hello"


async def test_wait_counts_the_replica_while_linked_and_times_out_to_zero_when_cut() -> None:
    # PACELC's "else": WAIT 1 buys an acknowledged copy, and under a partition it cannot.
    async with primary_and_replica() as cluster:
        primary = cluster.primary.admin
        await primary.set("a", "1")
        assert await primary.wait(1, 5_000) == 1

        cluster.link.cut()
        await primary.set("b", "2")

        assert await primary.wait(1, 50) == 0


async def test_min_replicas_to_write_refuses_writes_once_the_replica_is_gone() -> None:
    # The CP knob: with no replica connected, the primary answers NOREPLICAS instead of "OK".
    async with primary_and_replica(primary_config=("--min-replicas-to-write", "1")) as cluster:
        primary = cluster.primary.admin
        assert await primary.set("before", "1") is True

        cluster.link.cut()

        deadline = time.monotonic() + 5
        while (await primary.info("replication"))["connected_slaves"] > 0:
            assert time.monotonic() < deadline, "the primary never noticed the cut"
            await asyncio.sleep(0.01)  # the nap of this poll; the deadline above bounds it
        with pytest.raises(ResponseError) as refusal:
            await primary.set("during", "1")
        assert str(refusal.value) == "NOREPLICAS Not enough good replicas to write."


async def test_a_promoted_replica_accepts_writes_while_the_old_primary_still_does() -> None:
    # Split brain in two commands: after promotion both nodes say OK to a write.
    async with primary_and_replica() as cluster:
        cluster.link.cut()

        await promote(cluster.replica)

        assert await cluster.replica.admin.set("side", "replica") is True
        assert await cluster.primary.admin.set("side", "primary") is True
        assert await cluster.replica.admin.get("side") == "replica"
        assert await cluster.primary.admin.get("side") == "primary"


async def test_after_wait_acknowledges_a_write_the_replica_already_serves_it() -> None:
    # What WAIT buys in normal operation: a write it acknowledged is readable on the replica at once.
    async with primary_and_replica() as cluster:
        primary, replica = cluster.primary.admin, cluster.replica.admin

        for value in range(50):
            await primary.rpush("register", value)
            assert await primary.wait(1, 5_000) == 1
            assert await replica.lindex("register", -1) == str(value)


async def test_a_write_whose_wait_timed_out_stays_visible_on_the_primary() -> None:
    # WAIT returning 0 does not undo the write: the primary serves it, the replica never got it.
    # PostgreSQL's cancelled synchronous-commit wait behaves the same: committed locally, visible.
    async with primary_and_replica() as cluster:
        primary = cluster.primary.admin
        cluster.link.cut()
        await primary.set("unconfirmed", "1")

        assert await primary.wait(1, 50) == 0

        assert await primary.get("unconfirmed") == "1"
        assert await cluster.replica.admin.get("unconfirmed") is None
