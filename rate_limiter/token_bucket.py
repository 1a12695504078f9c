"""An in-memory token bucket: lazy refill on each call, no background thread, one lock.

`tokens = min(capacity, tokens + elapsed * rate)`; a call of cost n passes if n tokens are there.
Tokens are counted in integer micro-tokens and time in microseconds (see `decision.refilled`).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from rate_limiter.decision import MICRO, Decision, Policy, micro_cost, refilled, verdict


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
        # key -> (micro-tokens, as of microsecond), least recently spent first.
        self._buckets: OrderedDict[str, tuple[int, int]] = OrderedDict()
        self._lock = threading.Lock()

    def acquire(self, key: str, cost: float = 1) -> Decision:
        policy = self.policy
        cost_u = micro_cost(cost, policy.capacity)
        with self._lock:
            now = self._clock()
            now_us = round(now * MICRO)
            base_u, last_us = self._buckets.get(key, (policy.capacity_u, now_us))
            tokens_u = refilled(policy, base_u, now_us - last_us)
            allowed = tokens_u >= cost_u
            if allowed:
                base_u, last_us = tokens_u - cost_u, max(now_us, last_us)
                self._buckets[key] = (base_u, last_us)
                self._buckets.move_to_end(key)
                if len(self._buckets) > self._max_keys:
                    self._forget_full_buckets(now_us)
        return verdict(policy, base_u, now_us - last_us, cost_u, allowed, now)

    def _forget_full_buckets(self, now_us: int) -> None:
        # A full bucket and a missing one behave the same, so forgetting one is always safe.
        # Oldest first: every bucket spent more than one refill time ago is full, so the table
        # keeps only the keys spent within that time. Each key is dropped at most once per
        # spend, so the sweep costs O(1) per call on average instead of a pass over every key.
        buckets, policy = self._buckets, self.policy
        while buckets:
            key, (base_u, last_us) = next(iter(buckets.items()))
            if refilled(policy, base_u, now_us - last_us) < policy.capacity_u:
                return
            del buckets[key]
