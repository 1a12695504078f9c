"""A primary and a replica as real `redis-server` processes, the replica linked through a FaultProxy.

Started on free loopback ports with fast replication settings, always stopped on the way out.
"""

from __future__ import annotations

import asyncio
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis.asyncio

from backing_services.local_processes import LOOPBACK, free_port, redis_server_argv, running
from cap_theorem.fault_proxy import FaultProxy

# Replication as fast as Redis allows: no fork-and-write RDB file, no batching delay, and a
# replica ping every second so the primary notices a silent replica quickly. On SIGTERM, do not
# wait for replicas to catch up (Redis 7 waits up to 10 s by default): these are throwaway nodes.
FAST_REPLICATION = (
    "--repl-diskless-sync", "yes",
    "--repl-diskless-sync-delay", "0",
    "--repl-ping-replica-period", "1",
    "--repl-timeout", "5",
    "--shutdown-timeout", "0",
)  # fmt: skip
SYNC_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class Node:
    name: str
    port: int
    admin: redis.asyncio.Redis


@dataclass(frozen=True)
class Cluster:
    primary: Node
    replica: Node
    link: FaultProxy  # the replica reaches the primary only through this proxy


@asynccontextmanager
async def primary_and_replica(
    *, primary_config: Sequence[str] = (), replica_config: Sequence[str] = ()
) -> AsyncIterator[Cluster]:
    """Start both servers, wait until the replica has synced, and stop both afterwards.

    The replica stops before its proxy closes, and the primary last.
    """
    primary_port, replica_port = free_port(), free_port()
    # Each server gets its own scratch directory: a replica writes the RDB it receives to
    # disk, and a stray dump.rdb in the working directory would be loaded by the next server.
    with (
        tempfile.TemporaryDirectory(prefix="cap-theorem-") as scratch,
        _redis_server("primary", primary_port, Path(scratch), *primary_config),
    ):
        async with FaultProxy(primary_port) as link:
            via_proxy = ("--replicaof", LOOPBACK, str(link.port))
            with _redis_server("replica", replica_port, Path(scratch), *via_proxy, *replica_config):
                primary = Node("primary", primary_port, _admin_client(primary_port))
                replica = Node("replica", replica_port, _admin_client(replica_port))
                try:
                    await wait_until_in_sync(primary, replica)
                    yield Cluster(primary, replica, link)
                finally:
                    await primary.admin.aclose()
                    await replica.admin.aclose()


def _redis_server(
    name: str, port: int, scratch: Path, *config: str
) -> AbstractContextManager[subprocess.Popen[bytes]]:
    directory = scratch / name
    directory.mkdir()
    argv = redis_server_argv(port, *FAST_REPLICATION, "--dir", str(directory), *config)
    return running(argv, port=port, name=f"redis {name}")


def _admin_client(port: int) -> redis.asyncio.Redis:
    return redis.asyncio.Redis(host=LOOPBACK, port=port, decode_responses=True, socket_timeout=2.0)


async def replication(node: Node) -> dict[str, Any]:
    return dict(await node.admin.info("replication"))


async def wait_until_in_sync(
    primary: Node, replica: Node, timeout_s: float = SYNC_TIMEOUT_S
) -> None:
    """Poll until the replica's link is up and it has applied everything the primary has sent."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        leader, follower = await replication(primary), await replication(replica)
        if (
            follower.get("master_link_status") == "up"
            and follower["master_repl_offset"] >= leader["master_repl_offset"]
            # With min-replicas-to-write set, the primary must also count the replica as good,
            # or its first writes are refused as if the replica were missing.
            and leader.get("min_slaves_good_slaves", 1) >= 1
        ):
            return
        await asyncio.sleep(0.02)
    raise TimeoutError(f"{replica.name} did not catch up with {primary.name} in {timeout_s:.0f} s")


async def wait_until_partitioned(
    primary: Node, replica: Node, timeout_s: float = SYNC_TIMEOUT_S
) -> None:
    """Poll until both sides see the link down: the proxy resets connections, so this is quick.

    A silent partition (packets dropped, no reset) is noticed only after timeouts (`repl-timeout`,
    `min-replicas-max-lag`); until then the primary keeps accepting writes it may lose.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        leader, follower = await replication(primary), await replication(replica)
        if leader["connected_slaves"] == 0 and follower.get("master_link_status") != "up":
            return
        await asyncio.sleep(0.01)
    raise TimeoutError(
        f"{primary.name} and {replica.name} did not notice the cut in {timeout_s:.0f} s"
    )


async def promote(node: Node) -> None:
    """What a failover (Sentinel, an operator) does on the replica's side of a partition."""
    await node.admin.replicaof("NO", "ONE")


async def demote(node: Node, new_primary: Node) -> None:
    """What Sentinel does to the old primary once it is reachable again: follow the new one."""
    await node.admin.replicaof(LOOPBACK, new_primary.port)
