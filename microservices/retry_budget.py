"""How do retries not turn a brown-out into a black-out? A retry budget: retries are a share of requests.

Each request earns `ratio` of a token, each retry spends one, so retries ≤ reserve + ratio · requests.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RetryBudget:
    """`ratio=0.2, reserve=10`: at most 10 retries from a cold start, then one per five requests.

    Per-call attempt limits do not bound the total: when every call fails, each retries its
    maximum and the dependency sees max_attempts times its load. The budget bounds the sum.
    """

    ratio: float = 0.2
    reserve: int = 10
    requests: int = 0
    retries: int = 0
    denied: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.ratio <= 1 or self.reserve < 0:
            raise ValueError("need 0 <= ratio <= 1 and reserve >= 0")
        self.balance = float(self.reserve)

    def record_request(self) -> None:
        """A first attempt: it earns a fraction of a retry, up to the reserve."""
        self.requests += 1
        self.balance = min(float(self.reserve), self.balance + self.ratio)

    def try_spend(self) -> bool:
        """Take one token for a retry; False (and no retry) when the budget is spent."""
        if self.balance < 1:
            self.denied += 1
            return False
        self.balance -= 1
        self.retries += 1
        return True
