"""The queue's Redis client packs commands in C and still sends exactly what redis-py would."""

from __future__ import annotations

from typing import Any

import pytest
import redis.asyncio
from hypothesis import given
from hypothesis import strategies as st
from redis.exceptions import DataError

from queue_demo.connections import HiredisPackedConnection, stream_client

STOCK = redis.asyncio.Connection()
PACKED = HiredisPackedConnection()

arguments = st.one_of(
    st.text(),
    st.binary(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False),
)
commands = st.sampled_from(["XACK", "XADD", "XREADGROUP", "CONFIG GET", "SET"])


@given(command=commands, args=st.lists(arguments, max_size=20))
def test_commands_are_packed_to_the_bytes_redis_py_packs(command: str, args: list[Any]) -> None:
    # Rule: the same protocol bytes, for text (UTF-8), bytes, big integers and floats.
    assert b"".join(PACKED.pack_command(command, *args)) == b"".join(
        STOCK.pack_command(command, *args)
    )


@pytest.mark.parametrize("bad", [True, None, ["a"], {"a": 1}], ids=repr)
def test_an_argument_redis_py_refuses_is_refused_as_a_data_error(bad: Any) -> None:
    with pytest.raises(DataError):
        STOCK.pack_command("SET", "key", bad)

    with pytest.raises(DataError):
        PACKED.pack_command("SET", "key", bad)


async def test_the_stream_client_reads_and_acks_what_it_wrote(redis_url: str) -> None:
    # Rule: a round trip through the real server: publish, read in a group, ack, nothing pending.
    client = stream_client(redis_url)
    stream = "test:connections:packed"
    try:
        await client.delete(stream)
        await client.xgroup_create(stream, "g", id="0", mkstream=True)
        sent = {"body": "héllo ☃", "n": "42"}
        entry_id = await client.xadd(stream, sent)  # type: ignore[arg-type]

        reply = await client.xreadgroup("g", "c", {stream: ">"}, count=10)
        acked = await client.xack(stream, "g", entry_id)
        pending = await client.xpending(stream, "g")
    finally:
        await client.delete(stream)
        await client.aclose()

    assert reply == [[stream, [(entry_id, sent)]]]
    assert acked == 1
    assert pending["pending"] == 0
