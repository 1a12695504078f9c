"""The partition switch: traffic flows through the proxy until it is cut, and again once healed."""

from collections.abc import Iterator

import pytest
import redis.asyncio
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from backing_services.local_processes import (
    LOOPBACK,
    free_port,
    redis_server_argv,
    redis_server_available,
    running,
)
from cap_theorem.fault_proxy import FaultProxy

pytestmark = pytest.mark.skipif(
    not redis_server_available(), reason="needs the redis-server binary on PATH"
)


@pytest.fixture(scope="module")
def redis_port() -> Iterator[int]:
    port = free_port()
    with running(redis_server_argv(port), port=port, name="redis for the proxy tests"):
        yield port


def through(proxy: FaultProxy) -> redis.asyncio.Redis:
    return redis.asyncio.Redis(
        host=LOOPBACK, port=proxy.port, decode_responses=True, retry=Retry(NoBackoff(), 0)
    )


async def test_commands_pass_through_an_intact_proxy(redis_port: int) -> None:
    # A healthy link is invisible: what is written through the proxy is read back through it.
    async with FaultProxy(redis_port) as proxy:
        client = through(proxy)

        await client.set("proxied", "yes")

        assert await client.get("proxied") == "yes"
        await client.aclose()


async def test_cutting_breaks_open_connections_and_refuses_new_ones(redis_port: int) -> None:
    # A partition: the open connection dies at once, and reconnecting does not help.
    async with FaultProxy(redis_port) as proxy:
        client = through(proxy)
        assert await client.ping() is True

        proxy.cut()

        with pytest.raises(RedisConnectionError):
            await client.ping()
        with pytest.raises(RedisConnectionError):
            await client.ping()  # a fresh connection through a cut link
        await client.aclose()


async def test_healing_lets_new_connections_through_again(redis_port: int) -> None:
    # After the heal, the next connection works; nothing about the server changed.
    async with FaultProxy(redis_port) as proxy:
        client = through(proxy)
        proxy.cut()
        with pytest.raises(RedisConnectionError):
            await client.ping()

        proxy.heal()

        assert await client.ping() is True
        await client.aclose()


async def test_added_latency_delays_but_never_reorders_or_drops(redis_port: int) -> None:
    # A slow link still delivers every byte, in order: 500 pipelined replies come back intact.
    async with FaultProxy(redis_port, latency_s=0.002) as proxy:
        client = through(proxy)
        await client.delete("counter")

        async with client.pipeline(transaction=False) as pipe:
            for _ in range(500):
                pipe.incr("counter")
            replies = await pipe.execute()

        assert replies == list(range(1, 501))
        await client.aclose()
