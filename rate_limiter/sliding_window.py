"""The second foil: a sliding-window log, at most `limit` calls in any `window_s` seconds.

Exact over every window, but it stores one timestamp per admitted call.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from rate_limiter.decision import Decision, check_cost


class SlidingWindowLog:
    """Keeps the time and cost of each admitted call; a call passes if the last window has room.

    >>> now = [0.9]
    >>> log = SlidingWindowLog(limit=2, window_s=1, clock=lambda: now[0])
    >>> [log.acquire("k").allowed for _ in range(3)]
    [True, True, False]
    >>> now[0] = 1.0; log.acquire("k").allowed       # unlike a fixed window: still full
    False
    """

    def __init__(
        self, limit: float, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit <= 0 or window_s <= 0:
            raise ValueError("limit and window_s must be positive")
        self.limit, self.window_s = limit, window_s
        self._clock = clock
        self._logs: dict[str, deque[tuple[float, float]]] = {}  # key -> (admitted at, cost)
        self._lock = threading.Lock()

    def acquire(self, key: str, cost: float = 1) -> Decision:
        check_cost(cost, self.limit)
        with self._lock:
            now = self._clock()
            log = self._logs.setdefault(key, deque())
            while log and log[0][0] <= now - self.window_s:
                log.popleft()
            used = sum(spent for _, spent in log)
            allowed = used + cost <= self.limit
            if allowed:
                log.append((now, cost))
                used += cost
            retry_after = 0.0 if allowed else self._wait_for_room(log, used + cost, now)
            reset_after = log[-1][0] + self.window_s - now if log else 0.0
            if not log:
                del self._logs[key]
        return Decision(
            allowed=allowed,
            remaining=self.limit - used,
            retry_after_s=retry_after,
            reset_after_s=reset_after,
            decided_at_s=now,
        )

    def _wait_for_room(self, log: deque[tuple[float, float]], needed: float, now: float) -> float:
        # Oldest calls leave first; wait until enough of them have left the window.
        for admitted_at, spent in log:
            needed -= spent
            if needed <= self.limit:
                return admitted_at + self.window_s - now
        return 0.0
