"""What a rate limiter answers: allowed or not, what is left, and when to come back.

`Policy` names one limit (a bucket's size and refill rate); `Decision` is one verdict on one policy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple


class Decision(NamedTuple):
    """One verdict (a named tuple: immutable, and cheap to make on every request).

    >>> Decision(allowed=False, remaining=0.4, retry_after_s=0.6, reset_after_s=9.6).allowed
    False
    """

    allowed: bool
    remaining: float  # tokens (or requests) left after this call; fractional for a bucket
    retry_after_s: float  # 0 when allowed; otherwise how long until the same call would pass
    reset_after_s: float  # how long until the limit is back to full (a bucket's key expires then)
    policy: str = "default"  # which policy this verdict is about
    decided_at_s: float = 0.0  # the clock the decision used: Redis `TIME` for the Redis bucket


@dataclass(frozen=True, slots=True)
class Policy:
    """A token bucket's shape: `capacity` tokens, refilled at `refill_per_second`."""

    name: str
    capacity: float
    refill_per_second: float

    def __post_init__(self) -> None:
        if not self.name or any(ch in self.name for ch in '{}"; ,'):
            raise ValueError(
                f'policy name {self.name!r} must be non-empty, without {{}}"; or spaces'
            )
        if not (math.isfinite(self.capacity) and self.capacity > 0):
            raise ValueError(f"capacity must be a positive number, not {self.capacity!r}")
        if not (math.isfinite(self.refill_per_second) and self.refill_per_second > 0):
            # A zero rate would also mean a key that never expires.
            raise ValueError(
                f"refill_per_second must be a positive number, not {self.refill_per_second!r}"
            )

    @property
    def window_s(self) -> float:
        """How long an empty bucket takes to fill: the `w` of the `RateLimit-Policy` header."""
        return self.capacity / self.refill_per_second


def check_cost(cost: float, capacity: float) -> None:
    """Refuse a cost no bucket of this size could ever admit, instead of denying it forever."""
    if not (math.isfinite(cost) and cost > 0):
        raise ValueError(f"cost must be a positive number, not {cost!r}")
    if cost > capacity:
        raise ValueError(f"cost {cost:g} exceeds capacity {capacity:g}: it could never be admitted")


def binding(decisions: list[Decision]) -> Decision:
    """The verdict that matters when several policies were checked at once.

    If any policy denies, the one that makes the caller wait longest; else the one with least left.
    """
    if len(decisions) == 1:
        return decisions[0]
    denied = [d for d in decisions if not d.allowed]
    if denied:
        return max(denied, key=lambda d: d.retry_after_s)
    return min(decisions, key=lambda d: (d.remaining, -d.reset_after_s))
