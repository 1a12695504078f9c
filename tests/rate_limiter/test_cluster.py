"""The Redis bucket on a real 3-master Redis Cluster started from redis-server processes."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import redis
import redis.asyncio
from redis.crc import key_slot

from backing_services.local_processes import (
    LOOPBACK,
    free_port,
    port_answers,
    redis_server_argv,
    redis_server_available,
    running,
)
from rate_limiter import Policy, RedisTokenBucket
from tests.rate_limiter.conftest import eventually

MASTERS = 3


def cluster_ports(count: int) -> list[int]:
    # Each node also listens on port + 10000 for the cluster bus; both must be free.
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port + 10000 < 65536 and not port_answers(port + 10000) and port not in ports:
            ports.append(port)
    return ports


@pytest.fixture
async def cluster_port(tmp_path: Path) -> AsyncIterator[int]:
    """Start 3 cluster-enabled redis-servers, join them with redis-cli, wait for cluster_state:ok."""
    if not redis_server_available():
        pytest.skip("redis-server / redis-cli binaries are not installed")
    ports = cluster_ports(MASTERS)
    with ExitStack() as stack:
        for port in ports:
            argv = redis_server_argv(
                port,
                "--cluster-enabled", "yes",
                "--cluster-config-file", str(tmp_path / f"nodes-{port}.conf"),
                "--dir", str(tmp_path),
            )  # fmt: skip
            stack.enter_context(running(argv, port=port, name=f"redis-server :{port}"))
        await asyncio.to_thread(
            subprocess.run,
            [
                "redis-cli",
                "--cluster",
                "create",
                *(f"{LOOPBACK}:{p}" for p in ports),
                "--cluster-replicas",
                "0",
                "--cluster-yes",
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
        await eventually(
            lambda: cluster_ok(ports), what=f"cluster_state:ok on all {MASTERS} masters"
        )
        yield ports[0]


async def cluster_ok(ports: list[int]) -> bool:
    """Every node reports cluster_state:ok (each learns the slot map over the cluster bus)."""
    for port in ports:
        node = redis.asyncio.Redis(host=LOOPBACK, port=port, socket_timeout=1)
        try:
            if (await node.cluster("INFO"))["cluster_state"] != "ok":
                return False
        finally:
            await node.aclose()
    return True


def owner_port(cluster: redis.asyncio.RedisCluster, key: str) -> str | int:
    """The port of the master that owns `key`'s slot."""
    node = cluster.get_node_from_key(key)
    assert node is not None, f"no node owns {key!r}"
    return node.port


async def test_the_bucket_works_on_a_three_master_cluster(cluster_port: int) -> None:
    # Rule: keys reach the script through KEYS[] and share a hash tag per caller, so a
    # multi-policy decision runs in one slot; callers spread over the masters; exactness holds.
    cluster = redis.asyncio.RedisCluster(host=LOOPBACK, port=cluster_port)
    try:
        bucket = RedisTokenBucket(
            cluster, 5, 0.001, name="burst", extra_policies=[Policy("hourly", 100, 100 / 3600)]
        )
        callers = [f"caller-{n}" for n in range(12)]

        # Initialise at startup, as an app would: redis-py 8.1's lazy initialisation races when
        # the first 30 commands arrive at once (AttributeError on a half-made connection).
        await cluster.initialize()
        racing = await asyncio.gather(*(bucket.acquire("hot") for _ in range(30)))
        for caller in callers:
            await bucket.acquire(caller)
        owners = {owner_port(cluster, bucket.keys_for(caller)[0]) for caller in callers}
        slots = {key_slot(key.encode()) for key in bucket.keys_for("hot")}
        ttls = [await cluster.pttl(key) for key in bucket.keys_for("hot")]

        assert sum(d.allowed for d in racing) == 5
        assert len(slots) == 1
        assert len(owners) > 1
        assert all(ttl > 0 for ttl in ttls)
    finally:
        await cluster.aclose()
