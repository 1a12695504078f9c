"""The foil: a fixed-window counter, `limit` calls per aligned window of `window_s` seconds.

Cheap (one counter per key) but it admits up to twice the limit across a window boundary.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from rate_limiter.decision import Decision, check_cost


class FixedWindowCounter:
    """Counts calls per key in the current window; the count starts over when the window turns.

    >>> now = [0.9]
    >>> window = FixedWindowCounter(limit=2, window_s=1, clock=lambda: now[0])
    >>> [window.acquire("k").allowed for _ in range(2)], window.acquire("k").allowed
    ([True, True], False)
    >>> now[0] = 1.0; window.acquire("k").allowed    # 0.1 s later, a fresh window
    True
    """

    def __init__(
        self, limit: float, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit <= 0 or window_s <= 0:
            raise ValueError("limit and window_s must be positive")
        self.limit, self.window_s = limit, window_s
        self._clock = clock
        self._counts: dict[str, tuple[int, float]] = {}  # key -> (window number, used)
        self._lock = threading.Lock()

    def acquire(self, key: str, cost: float = 1) -> Decision:
        check_cost(cost, self.limit)
        with self._lock:
            now = self._clock()
            window = math.floor(now / self.window_s)
            seen, used = self._counts.get(key, (window, 0.0))
            if seen != window:
                used = 0.0
            allowed = used + cost <= self.limit
            if allowed:
                used += cost
            # Only the current window matters, so stale keys are overwritten, never accumulated.
            self._counts[key] = (window, used)
        until_next_window = (window + 1) * self.window_s - now
        return Decision(
            allowed=allowed,
            remaining=self.limit - used,
            retry_after_s=0.0 if allowed else until_next_window,
            reset_after_s=until_next_window,
            decided_at_s=now,
        )
