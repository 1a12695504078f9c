"""The two foils against the token bucket: what each admits at a window boundary."""

from __future__ import annotations

import pytest

from rate_limiter import Decision, FixedWindowCounter, SlidingWindowLog, TokenBucket
from tests.rate_limiter.conftest import ManualClock


def burst(limiter: FixedWindowCounter | SlidingWindowLog | TokenBucket, count: int) -> int:
    return sum(limiter.acquire("k").allowed for _ in range(count))


def test_a_fixed_window_admits_twice_its_limit_across_a_boundary(clock: ManualClock) -> None:
    # Rule (the flaw shown): 10 per second, yet 20 calls pass within 0.1 s around the boundary.
    clock.now = 0.95
    window = FixedWindowCounter(limit=10, window_s=1, clock=clock)

    before = burst(window, 10)
    clock.advance(0.1)
    after = burst(window, 10)

    assert before + after == 20


def test_a_sliding_log_admits_at_most_its_limit_in_any_window(clock: ManualClock) -> None:
    # Rule: the same boundary burst gets exactly the limit through a sliding log.
    clock.now = 0.95
    log = SlidingWindowLog(limit=10, window_s=1, clock=clock)

    before = burst(log, 10)
    clock.advance(0.1)
    after = burst(log, 10)

    assert (before, after) == (10, 0)


def test_a_token_bucket_admits_capacity_plus_what_refilled(clock: ManualClock) -> None:
    # Rule: the same burst gets capacity + rate × 0.1 s = 11 through a bucket of 10 at 10/s.
    clock.now = 0.95
    bucket = TokenBucket(capacity=10, refill_per_second=10, clock=clock)

    before = burst(bucket, 10)
    clock.advance(0.1)
    after = burst(bucket, 10)

    assert (before, after) == (10, 1)


@pytest.mark.parametrize("kind", [FixedWindowCounter, SlidingWindowLog])
def test_a_window_denial_says_when_there_is_room_again(
    clock: ManualClock, kind: type[FixedWindowCounter | SlidingWindowLog]
) -> None:
    # Rule: after waiting retry_after_s, the same call passes (same contract as the bucket).
    clock.now = 10.25
    limiter = kind(limit=2, window_s=1, clock=clock)
    limiter.acquire("k")
    clock.advance(0.5)
    limiter.acquire("k")

    denied: Decision = limiter.acquire("k")
    clock.advance(denied.retry_after_s + 1e-9)

    assert not denied.allowed and denied.remaining == 0
    assert denied.retry_after_s == pytest.approx(0.25 if kind is FixedWindowCounter else 0.5)
    assert limiter.acquire("k").allowed


@pytest.mark.parametrize("kind", [FixedWindowCounter, SlidingWindowLog])
def test_windows_take_weighted_costs(
    clock: ManualClock, kind: type[FixedWindowCounter | SlidingWindowLog]
) -> None:
    # Rule: cost=n counts as n calls, as in the bucket.
    limiter = kind(limit=10, window_s=1, clock=clock)

    assert limiter.acquire("k", cost=7).allowed
    assert not limiter.acquire("k", cost=4).allowed
    assert limiter.acquire("k", cost=3).remaining == 0


@pytest.mark.parametrize("kind", [FixedWindowCounter, SlidingWindowLog])
def test_windows_refuse_a_cost_above_their_limit(
    kind: type[FixedWindowCounter | SlidingWindowLog],
) -> None:
    # Rule: as for the bucket, a cost that could never pass is a caller bug.
    limiter = kind(limit=5, window_s=1)

    with pytest.raises(ValueError, match="cost 6 exceeds capacity 5: it could never be admitted"):
        limiter.acquire("k", cost=6)
