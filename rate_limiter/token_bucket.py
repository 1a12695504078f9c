"""An in-memory token bucket: lazy refill on each call, no background thread, one lock.

`tokens = min(capacity, tokens + elapsed * rate)`; a call of cost n passes if n tokens are there.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from rate_limiter.decision import Decision, Policy, check_cost


class TokenBucket:
    """Token buckets for many keys in one process.

    >>> now = [0.0]
    >>> bucket = TokenBucket(capacity=2, refill_per_second=1, clock=lambda: now[0])
    >>> [bucket.acquire("alice").allowed for _ in range(3)]
    [True, True, False]
    >>> now[0] = 1.0; bucket.acquire("alice").allowed
    True
    """

    def __init__(
        self,
        capacity: float,
        refill_per_second: float,
        clock: Callable[[], float] = time.monotonic,
        *,
        name: str = "default",
        max_keys: int = 100_000,
    ) -> None:
        self.policy = Policy(name, capacity, refill_per_second)
        self.capacity, self.refill_per_second = capacity, refill_per_second
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, as of clock time)
        self._lock = threading.Lock()

    def acquire(self, key: str, cost: float = 1) -> Decision:
        check_cost(cost, self.capacity)
        rate = self.refill_per_second
        with self._lock:
            now = self._clock()
            tokens, last = self._buckets.get(key, (self.capacity, now))
            if now > last:  # a clock that steps back refills nothing instead of going negative
                tokens = min(self.capacity, tokens + (now - last) * rate)
            allowed = tokens >= cost
            if allowed:
                tokens -= cost
                self._buckets[key] = (tokens, max(now, last))
                if len(self._buckets) > self._max_keys:
                    self._forget_full_buckets(now)
        return Decision(
            allowed=allowed,
            remaining=tokens,
            retry_after_s=0.0 if allowed else (cost - tokens) / rate,
            reset_after_s=(self.capacity - tokens) / rate,
            policy=self.policy.name,
            decided_at_s=now,
        )

    def _forget_full_buckets(self, now: float) -> None:
        # A full bucket and a missing one behave the same, so memory stays bounded by active keys.
        self._buckets = {
            key: (tokens, last)
            for key, (tokens, last) in self._buckets.items()
            if tokens + (now - last) * self.refill_per_second < self.capacity
        }
