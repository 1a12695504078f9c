"""The queue's retries: the repo's one backoff (`error_handling.retry`), with the queue's two needs.

A queued job has no caller waiting, so its backoff has no deadline, only an attempt limit; and when
it gives up, the attempt history goes into the dead-letter entry (`GaveUp.history`).
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from error_handling.retry import Attempt, retry
from error_handling.retry import Backoff as _Backoff

T = TypeVar("T")

__all__ = ["Attempt", "Backoff", "GaveUp", "TransientError", "call_with_retries"]


class TransientError(Exception):
    """Worth retrying: a timeout, a 5xx, a connection reset."""


@dataclass(frozen=True)
class Backoff(_Backoff):
    """Full jitter as everywhere in the repo, bounded by attempts only: no caller is waiting."""

    deadline_s: float = math.inf


@dataclass
class GaveUp(Exception):
    """Every attempt failed, or one failed for good; `history` is what the dead-letter keeps."""

    history: list[Attempt] = field(default_factory=list)

    def __str__(self) -> str:
        last = self.history[-1].error if self.history else "no attempts"
        return f"gave up after {len(self.history)} attempt(s): {last}"


async def call_with_retries(call: Callable[[], Awaitable[T]], backoff: Backoff) -> tuple[T, int]:
    """Await `call()`, retrying TransientError with backoff; return (result, attempts it took).

    Raises GaveUp with the attempt history when the attempts run out or an error is not transient.
    """
    history: list[Attempt] = []
    try:
        result = await retry(
            call, idempotent=True, transient=(TransientError,), backoff=backoff, history=history
        )
    except Exception:  # any error, transient or not, ends here with its history
        raise GaveUp(history) from None
    return result, len(history) + 1
