"""What a rate limiter answers: allowed or not, what is left, and when to come back.

`Policy` names one limit (a bucket's size and refill rate); `Decision` is one verdict on one policy.
Both token buckets count in integers, micro-tokens and microseconds, so that a tenth is a tenth
(`2 - 20 × 0.1` is not 0 in floating point) and the two buckets agree to the last unit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import NamedTuple

MICRO = 1_000_000  # micro-tokens per token, and microseconds per second
MIN_RATE = 1 / MICRO  # one micro-token a second: the finest rate the integers can hold
# Lua numbers are doubles, exact up to 2**53: a capacity in micro-tokens must stay below it.
MAX_CAPACITY = 9e9


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
    capacity_u: int = field(init=False, repr=False, compare=False)  # micro-tokens
    rate_u: int = field(init=False, repr=False, compare=False)  # micro-tokens per second

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
        if self.refill_per_second < MIN_RATE:
            raise ValueError(
                f"refill_per_second must be at least {MIN_RATE:g} (one micro-token a second),"
                f" not {self.refill_per_second:g}"
            )
        if not MIN_RATE <= self.capacity <= MAX_CAPACITY:
            raise ValueError(
                f"capacity must be between {MIN_RATE:g} and {MAX_CAPACITY:g}, not {self.capacity:g}"
            )
        # A bucket never holds more than its capacity as written. The rate goes to the nearest
        # micro-token a second: "1000 an hour" is 277,777.8 and must not make every wait a little
        # longer than the hour promises; the cost is at most half a micro-token a second too many
        # (one token in 23 days).
        object.__setattr__(self, "capacity_u", to_micro(self.capacity, ROUND_FLOOR))
        object.__setattr__(self, "rate_u", to_micro(self.refill_per_second, ROUND_HALF_EVEN))

    @property
    def window_s(self) -> float:
        """How long an empty bucket takes to fill: the `w` of the `RateLimit-Policy` header."""
        return self.capacity / self.refill_per_second


def to_micro(number: float, rounding: str) -> int:
    """`number` in millionths, as written in decimal (0.1 is 100000, not 100000.00000000001)."""
    scaled = float(number) * MICRO
    if scaled.is_integer():  # whole tokens and most everyday numbers: no Decimal needed
        return int(scaled)
    return int((Decimal(repr(number)) * MICRO).to_integral_value(rounding))


def micro_cost(cost: float, capacity: float) -> int:
    """A cost in micro-tokens, rounded up (never charged less than asked), checked like any cost."""
    check_cost(cost, capacity)
    if cost < MIN_RATE:
        raise ValueError(f"cost must be at least {MIN_RATE:g}, not {cost:g}")
    if cost == 1:
        return MICRO
    # Rounded up, but never past the capacity: a cost equal to a capacity of 1/3 takes the bucket.
    return min(to_micro(float(cost), ROUND_CEILING), to_micro(capacity, ROUND_FLOOR))


def ceil_div(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def refilled(policy: Policy, base_u: int, elapsed_us: int) -> int:
    """Micro-tokens after `elapsed_us` of refill from `base_u`; the same sum as token_bucket.lua."""
    if elapsed_us <= 0:  # a clock that steps back refills nothing instead of going negative
        return base_u
    return min(policy.capacity_u, base_u + elapsed_us * policy.rate_u // MICRO)


def verdict(
    policy: Policy, base_u: int, elapsed_us: int, cost_u: int, allowed: bool, decided_at_s: float
) -> Decision:
    """The decision on one policy whose bucket held `base_u` micro-tokens `elapsed_us` ago.

    Waits are counted from that stamp, so the fraction of a micro-token already refilled counts:
    `retry_after_s` is the shortest wait, to the microsecond, after which the same call passes.
    """
    rate_u = policy.rate_u
    tokens_u = refilled(policy, base_u, elapsed_us)
    reset_us = max(0, ceil_div((policy.capacity_u - base_u) * MICRO, rate_u) - elapsed_us)
    if allowed or tokens_u >= cost_u:  # positional: this runs on every request
        return Decision(True, tokens_u / MICRO, 0.0, reset_us / MICRO, policy.name, decided_at_s)
    retry_us = ceil_div((cost_u - base_u) * MICRO, rate_u) - elapsed_us
    return Decision(
        False, tokens_u / MICRO, retry_us / MICRO, reset_us / MICRO, policy.name, decided_at_s
    )


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
