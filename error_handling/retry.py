"""When is a retry safe? When the operation is idempotent, the error transient, and time remains.

The one backoff of the repo: exponential with full jitter (AWS Architecture Blog, 2015), bounded by
attempts, a deadline and, if the caller has one, a retry budget; a server's `Retry-After` wins over
our own guess. Every failed attempt can be kept, so a caller that gives up can say why.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

import structlog

T = TypeVar("T")
log = structlog.get_logger("error_handling.retry")


@dataclass(frozen=True)
class Backoff:
    """After the n-th failure (from 1), wait a uniform random time in [0, min(cap_s, base_s · 2ⁿ⁻¹)].

    With the defaults: up to 0.1, 0.2, 0.4, 0.8 s between five attempts, all within 10 s.
    `deadline_s=float("inf")` leaves only the attempt limit (a queue consumer's redelivery loop).
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

    def ceiling(self, failures: int) -> float:
        """The longest wait after `failures` failures in a row: base, 2·base, 4·base, … up to cap."""
        # Clamp the exponent: with unlimited attempts, base · 2ⁿ would overflow a float.
        doublings = min(failures - 1, 64)
        return min(self.cap_s, self.base_s * 2.0**doublings)

    def delay(self, failures: int, rand: Callable[[], float] = random.random) -> float:
        """Full jitter: spread the clients out so they do not all retry at the same instant."""
        return rand() * self.ceiling(failures)


@dataclass(frozen=True)
class Attempt:
    """One failed attempt: its number (from 1), the error as text, and when (Unix time)."""

    number: int
    error: str
    at: float


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """A `Retry-After` header as seconds to wait (RFC 9110 §10.2.3), or None if absent or malformed.

    The server may send delta-seconds (`120`) or an HTTP-date; a date in the past means "now".
    """
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():  # isdigit alone accepts "²", which float() refuses
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # HTTP-dates are GMT; a naive result means the zone was missing
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _no_hint(_error: BaseException) -> float | None:
    return None


def _always() -> bool:
    return True


async def retry(
    operation: Callable[[], Awaitable[T]],
    *,
    idempotent: bool,
    transient: tuple[type[Exception], ...],
    backoff: Backoff | None = None,
    history: list[Attempt] | None = None,
    may_retry: Callable[[], bool] = _always,
    retry_after: Callable[[BaseException], float | None] = _no_hint,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
    rand: Callable[[], float] = random.random,
) -> T:
    """Await `operation`, retrying it on a `transient` error; re-raise the last error when done.

    A non-idempotent operation runs exactly once: repeating it after a timeout might do it twice.
    Any error not listed as transient (a 4xx, a bug) is raised at once — retrying cannot fix it.

    - `history`: every failed attempt is appended to it (what a dead-letter keeps); on success,
      `len(history) + 1` is the number of attempts it took.
    - `may_retry`: asked just before each retry, after every other check (a retry budget's
      `try_spend`); False gives up.
    - `retry_after`: the server's own wait, read from the error (see `parse_retry_after`); we wait
      at least that long, and give up at once if it ends after the deadline.
    """
    backoff = backoff or Backoff()
    failed = history if history is not None else []
    deadline = clock() + backoff.deadline_s
    number = 1
    while True:
        try:
            return await operation()
        except Exception as error:
            failed.append(Attempt(number, f"{type(error).__name__}: {error}", time.time()))
            if not isinstance(error, transient):
                raise
            delay, reason = 0.0, None
            if not idempotent:
                reason = "not idempotent"
            elif number >= backoff.max_attempts:
                reason = "out of attempts"
            else:
                delay = max(backoff.delay(number, rand), retry_after(error) or 0.0)
                if clock() + delay > deadline:
                    reason = "deadline"
                elif not may_retry():  # asked last: a budget token pays only for a real retry
                    reason = "retry budget spent"
            if reason is not None:
                log.warning("giving up", reason=reason, attempt=number, error=type(error).__name__)
                raise
            log.info(
                "retrying", attempt=number, delay_s=round(delay, 4), error=type(error).__name__
            )
            await sleep(delay)
            number += 1
