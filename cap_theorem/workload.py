"""Clients that read and write one register and record every operation in a shared history.

The register is the last element of a Redis list: `RPUSH` writes it, `LINDEX -1` reads it, and
the list itself records which writes a node kept, so lost writes can be counted after a heal.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import redis.asyncio
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from backing_services.local_processes import LOOPBACK
from cap_theorem.history import History

KEY = "register"
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)


@dataclass(frozen=True)
class Endpoint:
    name: str
    connection: redis.asyncio.Redis


def connect(name: str, port: int, timeout_s: float) -> Endpoint:
    # No retries: a retried RPUSH could land twice, and we must record exactly what we sent.
    connection = redis.asyncio.Redis(
        host=LOOPBACK,
        port=port,
        decode_responses=True,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        retry=Retry(NoBackoff(), 0),
    )
    return Endpoint(name, connection)


@dataclass
class Route:
    """Where one client sends reads and writes; a failover changes it while clients run."""

    reads_from: Endpoint
    writes_to: Endpoint


class Gate:
    """Lets the fault schedule act at a quiet instant, with no operation half done."""

    def __init__(self) -> None:
        self._open = asyncio.Event()
        self._open.set()
        self._in_flight = 0
        self._idle = asyncio.Condition()

    @asynccontextmanager
    async def operation(self) -> AsyncIterator[None]:
        await self._open.wait()
        self._in_flight += 1
        try:
            yield
        finally:
            self._in_flight -= 1
            async with self._idle:
                self._idle.notify_all()

    @asynccontextmanager
    async def quiet(self) -> AsyncIterator[None]:
        self._open.clear()
        try:
            async with self._idle:
                await self._idle.wait_for(lambda: self._in_flight == 0)
            yield
        finally:
            self._open.set()


@dataclass(frozen=True)
class Workload:
    history: History
    values: Iterator[int]  # one counter for all clients, so every written value is unique
    gate: Gate
    stop: asyncio.Event
    think_s: float
    # CP mode: after each write, `WAIT 1 <ms>` for the replica; None in the other modes.
    wait_for_replica_ms: int | None


async def run_client(client: int, route: Route, work: Workload, rng: random.Random) -> None:
    while not work.stop.is_set():
        async with work.gate.operation():
            if rng.random() < 0.5:
                await write(client, route.writes_to, next(work.values), work)
            else:
                await read(client, route.reads_from, work)
        await asyncio.sleep(work.think_s)  # pacing, so the history stays small enough to check


async def write(client: int, to: Endpoint, value: int, work: Workload) -> None:
    history = work.history
    operation = history.invoke(client, "write", to.name, value)
    try:
        await to.connection.rpush(KEY, value)
        waiting_ms = work.wait_for_replica_ms
        if waiting_ms is not None and await to.connection.wait(1, waiting_ms) < 1:
            # Applied on the primary, not yet on the replica: it may surface later, or vanish.
            history.complete(operation, "info", error="replica did not acknowledge in time")
            return
    except ResponseError as refusal:  # NOREPLICAS, READONLY: refused, so certainly not applied
        history.complete(operation, "fail", error=str(refusal))
        return
    except UNREACHABLE as error:
        history.complete(operation, "info", error=f"no answer: {error}")
        return
    history.complete(operation, "ok")


async def read(client: int, source: Endpoint, work: Workload) -> None:
    history = work.history
    operation = history.invoke(client, "read", source.name)
    try:
        raw = await source.connection.lindex(KEY, -1)
    except ResponseError as refusal:  # MASTERDOWN: a replica refusing to serve stale data
        history.complete(operation, "fail", error=str(refusal))
        return
    except UNREACHABLE as error:
        history.complete(operation, "info", error=f"no answer: {error}")
        return
    history.complete(operation, "ok", value=None if raw is None else int(raw))
