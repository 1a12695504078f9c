"""Read-your-writes against a real primary and a replica that has fallen behind."""

import pytest

from backing_services.local_processes import redis_server_available
from cap_theorem.cluster import primary_and_replica, wait_until_in_sync
from cap_theorem.sessions import Read, ReadYourWritesSession

pytestmark = pytest.mark.skipif(
    not redis_server_available(), reason="needs the redis-server binary on PATH"
)


async def test_a_plain_replica_read_misses_your_own_write_while_the_replica_lags() -> None:
    # The anomaly the session exists for: the replica, cut off, still answers, with the old value.
    async with primary_and_replica() as cluster:
        await cluster.primary.admin.set("greeting", "old")
        await wait_until_in_sync(cluster.primary, cluster.replica)
        cluster.link.cut()

        await cluster.primary.admin.set("greeting", "new")

        assert await cluster.replica.admin.get("greeting") == "old"


async def test_a_session_reads_its_own_write_from_the_primary_while_the_replica_lags() -> None:
    # The replica has not reached the session's last write, so the read goes to the primary.
    async with primary_and_replica() as cluster:
        session = ReadYourWritesSession(cluster.primary, cluster.replica)
        await session.write("greeting", "old")
        await wait_until_in_sync(cluster.primary, cluster.replica)
        cluster.link.cut()

        await session.write("greeting", "new")

        assert await session.read("greeting") == Read("new", "primary")


async def test_a_session_reads_from_the_replica_again_once_it_has_caught_up() -> None:
    # Falling back is temporary: once replication has passed the session's write, the replica
    # serves it, so reads still spread over replicas.
    async with primary_and_replica() as cluster:
        session = ReadYourWritesSession(cluster.primary, cluster.replica)
        cluster.link.cut()
        await session.write("greeting", "new")
        assert (await session.read("greeting")).served_by == "primary"

        cluster.link.heal()
        await wait_until_in_sync(cluster.primary, cluster.replica)

        assert await session.read("greeting") == Read("new", "replica")


async def test_a_session_that_has_written_nothing_may_read_a_stale_replica() -> None:
    # The guarantee is per session: another client's write is not this session's to see yet.
    async with primary_and_replica() as cluster:
        cluster.link.cut()
        await cluster.primary.admin.set("greeting", "someone else's")
        session = ReadYourWritesSession(cluster.primary, cluster.replica)

        assert await session.read("greeting") == Read(None, "replica")


async def test_every_read_sees_the_sessions_latest_write_over_a_slow_link() -> None:
    # The property, whatever the timing: over a link that delays replication, each read returns
    # the write just made, served by whichever node has it.
    async with primary_and_replica() as cluster:
        cluster.link.latency_s = 0.02
        session = ReadYourWritesSession(cluster.primary, cluster.replica)

        for value in map(str, range(30)):
            await session.write("counter", value)
            assert (await session.read("counter")).value == value
