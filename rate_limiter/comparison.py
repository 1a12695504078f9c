"""Token bucket, fixed window and sliding log fed the same bursty traffic on a simulated clock.

The demo prints and plots this; the numbers show the fixed window's double burst at a boundary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rate_limiter.decision import Decision
from rate_limiter.fixed_window import FixedWindowCounter
from rate_limiter.sliding_window import SlidingWindowLog
from rate_limiter.token_bucket import TokenBucket

Limiter = TokenBucket | FixedWindowCounter | SlidingWindowLog


class SimulatedClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass(frozen=True)
class Run:
    name: str
    times: list[float]
    decisions: list[Decision]

    def most_admitted_within(self, span_s: float) -> int:
        admitted = [t for t, d in zip(self.times, self.decisions, strict=True) if d.allowed]
        return max(
            (sum(1 for t in admitted if start <= t < start + span_s) for start in admitted),
            default=0,
        )


def bursty_arrivals() -> list[float]:
    """Two bursts either side of the 1 s boundary, a trickle, a sustained flood, a late burst."""
    boundary = [0.95 + 0.003 * n for n in range(12)] + [1.0 + 0.003 * n for n in range(12)]
    trickle = [1.3 + 0.2 * n for n in range(3)]
    flood = [2.0 + 0.05 * n for n in range(20)]
    late = [3.5 + 0.004 * n for n in range(15)]
    return sorted(trickle + boundary + flood + late)


def limiters(limit: int, window_s: float) -> dict[str, Callable[[SimulatedClock], Limiter]]:
    """Three limiters of the same nominal rate: `limit` per `window_s`."""
    return {
        f"token bucket ({limit} tokens, {limit / window_s:g}/s)": lambda clock: TokenBucket(
            limit, limit / window_s, clock=clock
        ),
        f"fixed window ({limit} per {window_s:g} s)": lambda clock: FixedWindowCounter(
            limit, window_s, clock=clock
        ),
        f"sliding log ({limit} in any {window_s:g} s)": lambda clock: SlidingWindowLog(
            limit, window_s, clock=clock
        ),
    }


def compare(arrivals: list[float], limit: int = 10, window_s: float = 1.0) -> list[Run]:
    runs = []
    for name, make in limiters(limit, window_s).items():
        clock = SimulatedClock()
        limiter = make(clock)
        decisions = []
        for at in arrivals:
            clock.now = at
            decisions.append(limiter.acquire("caller"))
        runs.append(Run(name, arrivals, decisions))
    return runs
