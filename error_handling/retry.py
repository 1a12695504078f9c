"""When is a retry safe? When the operation is idempotent, the error transient, and time remains.

Exponential backoff with full jitter (AWS Architecture Blog, 2015), bounded by attempts and a deadline.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import structlog

T = TypeVar("T")
log = structlog.get_logger("error_handling.retry")


@dataclass(frozen=True)
class Backoff:
    """After failed attempt n (from 0), wait a uniform random time in [0, min(cap_s, base_s · 2ⁿ)].

    With the defaults: up to 0.1, 0.2, 0.4, 0.8 s between five attempts, all within 10 s.
    """

    base_s: float = 0.1
    cap_s: float = 2.0
    max_attempts: int = 5
    deadline_s: float = 10.0

    def __post_init__(self) -> None:
        if self.base_s <= 0 or self.cap_s < self.base_s:
            raise ValueError("need 0 < base_s <= cap_s")
        if self.max_attempts < 1 or self.deadline_s <= 0:
            raise ValueError("need max_attempts >= 1 and deadline_s > 0")

    def ceilings(self) -> Iterator[float]:
        """The upper bound of each wait, before jitter: base, 2·base, 4·base, … up to cap."""
        for attempt in range(self.max_attempts - 1):
            yield min(self.cap_s, self.base_s * 2**attempt)


async def retry(
    operation: Callable[[], Awaitable[T]],
    *,
    idempotent: bool,
    transient: tuple[type[BaseException], ...],
    backoff: Backoff | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
    rand: Callable[[], float] = random.random,
) -> T:
    """Await `operation`, retrying it on a `transient` error; re-raise the last error when done.

    A non-idempotent operation runs exactly once: repeating it after a timeout might do it twice.
    Any error not listed as transient (a 4xx, a bug) is raised at once — retrying cannot fix it.
    """
    backoff = backoff or Backoff()
    deadline = clock() + backoff.deadline_s
    ceilings = backoff.ceilings() if idempotent else iter(())
    attempt = 1
    while True:
        try:
            return await operation()
        except transient as error:
            ceiling = next(ceilings, None)
            if ceiling is None:
                log.warning("giving up", attempt=attempt, error=type(error).__name__)
                raise
            # Full jitter: spread the clients out so they do not retry in lockstep.
            delay = rand() * ceiling
            if clock() + delay > deadline:
                log.warning("giving up: deadline", attempt=attempt, error=type(error).__name__)
                raise
            log.info(
                "retrying",
                attempt=attempt,
                delay_s=round(delay, 4),
                error=type(error).__name__,
            )
            await sleep(delay)
            attempt += 1
