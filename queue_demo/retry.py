"""How long to wait before retrying? Exponential backoff with full jitter, for a bounded number of tries.

Full jitter (a random wait between 0 and the capped exponential) keeps retrying clients from syncing up.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")
_JITTER = random.Random()


class TransientError(Exception):
    """Worth retrying: a timeout, a 5xx, a connection reset."""


@dataclass(frozen=True)
class Attempt:
    number: int
    error: str
    at: float


@dataclass
class GaveUp(Exception):
    """Every attempt failed, or one failed for good; `history` is what the dead-letter keeps."""

    history: list[Attempt] = field(default_factory=list)

    def __str__(self) -> str:
        last = self.history[-1].error if self.history else "no attempts"
        return f"gave up after {len(self.history)} attempt(s): {last}"


@dataclass(frozen=True)
class Backoff:
    base_s: float
    cap_s: float
    max_attempts: int

    def delay(self, failures: int, rng: random.Random | None = None) -> float:
        """The wait after the `failures`-th failure: uniform in [0, min(cap, base·2^(failures-1))]."""
        return (rng or _JITTER).uniform(0, min(self.cap_s, self.base_s * 2 ** (failures - 1)))


async def call_with_retries(call: Callable[[], Awaitable[T]], backoff: Backoff) -> tuple[T, int]:
    """Await `call()`, retrying TransientError with backoff; return (result, attempts it took).

    Raises GaveUp with the attempt history when the attempts run out or an error is not transient.
    """
    history: list[Attempt] = []
    for number in range(1, backoff.max_attempts + 1):
        try:
            return await call(), number
        except TransientError as error:
            history.append(Attempt(number, f"{type(error).__name__}: {error}", time.time()))
            if number < backoff.max_attempts:
                await asyncio.sleep(backoff.delay(number))
        except Exception as error:  # anything else will not get better by waiting
            history.append(Attempt(number, f"{type(error).__name__}: {error}", time.time()))
            break
    raise GaveUp(history)
