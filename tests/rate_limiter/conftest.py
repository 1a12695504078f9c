"""Fixtures for the rate limiter's tests: a hand-moved clock, a private Redis, a silent port, a poll."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TypedDict

import pytest

from backing_services.local_processes import (
    LOOPBACK,
    free_port,
    redis_server_argv,
    redis_server_available,
    running,
)


class BucketShape(TypedDict):
    """A bucket's shape as keyword arguments, for tests that parametrize `TokenBucket(**shape)`."""

    capacity: float
    refill_per_second: float


class ManualClock:
    """A clock that moves only when the test says so."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def private_redis_url() -> Iterator[str]:
    """A throwaway redis-server of our own, for commands that act on the whole server."""
    if not redis_server_available():
        pytest.skip("redis-server / redis-cli binaries are not installed")
    port = free_port()
    with running(redis_server_argv(port), port=port, name="redis-server"):
        yield f"redis://{LOOPBACK}:{port}/0"


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts TCP connections and never answers: Redis hung, not down."""
    with socket.socket() as listener:
        listener.bind((LOOPBACK, 0))
        listener.listen(64)
        yield int(listener.getsockname()[1])


async def eventually(
    condition: Callable[[], Awaitable[bool]], *, what: str, timeout_s: float = 20.0
) -> None:
    """Poll `condition` until it holds; fail naming `what` if the deadline passes first.

    For states nothing announces: a cluster agreeing it is up, Redis expiring a key on its clock.
    """
    deadline = time.monotonic() + timeout_s
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout_s:.0f} s")
        await asyncio.sleep(0.05)  # the nap of this poll; the deadline above bounds it
