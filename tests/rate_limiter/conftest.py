"""Fixtures for the rate limiter's tests: a hand-moved clock, a private Redis, a silent port."""

from __future__ import annotations

import socket
from collections.abc import Iterator
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
