"""The in-memory token bucket: lazy refill arithmetic, weighted cost, thread safety."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rate_limiter import TokenBucket
from tests.rate_limiter.conftest import ManualClock


def test_a_full_bucket_admits_its_capacity_at_once_and_then_denies(clock: ManualClock) -> None:
    # Rule: a new key starts full; capacity calls pass back to back, the next one is denied.
    bucket = TokenBucket(capacity=3, refill_per_second=1, clock=clock)

    outcomes = [bucket.acquire("k").allowed for _ in range(4)]

    assert outcomes == [True, True, True, False]


def test_a_denial_says_how_long_until_the_same_call_would_pass(clock: ManualClock) -> None:
    # Rule: retry_after_s is exactly the time the missing tokens take to refill.
    bucket = TokenBucket(capacity=2, refill_per_second=4, clock=clock)
    bucket.acquire("k", cost=2)
    clock.advance(0.125)  # half a token back

    decision = bucket.acquire("k", cost=2)

    assert not decision.allowed
    assert decision.remaining == pytest.approx(0.5)
    assert decision.retry_after_s == pytest.approx(0.375)
    assert decision.reset_after_s == pytest.approx(0.375)
    clock.advance(decision.retry_after_s)
    assert bucket.acquire("k", cost=2).allowed


def test_weighted_cost_takes_that_many_tokens(clock: ManualClock) -> None:
    # Rule: cost=n passes only when n tokens are there, and takes all n.
    bucket = TokenBucket(capacity=10, refill_per_second=1, clock=clock)

    first = bucket.acquire("k", cost=7)
    second = bucket.acquire("k", cost=4)

    assert first.allowed and first.remaining == 3
    assert not second.allowed and second.remaining == 3


def test_keys_have_separate_buckets(clock: ManualClock) -> None:
    # Rule: one caller emptying its bucket leaves another caller's untouched.
    bucket = TokenBucket(capacity=1, refill_per_second=1, clock=clock)

    bucket.acquire("alice")

    assert not bucket.acquire("alice").allowed
    assert bucket.acquire("bob").allowed


def test_a_clock_that_steps_back_refills_nothing(clock: ManualClock) -> None:
    # Rule: time going backwards must not create or destroy tokens.
    bucket = TokenBucket(capacity=2, refill_per_second=1, clock=clock)
    bucket.acquire("k", cost=2)
    clock.advance(-50)

    decision = bucket.acquire("k")

    assert not decision.allowed and decision.remaining == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"capacity": 0, "refill_per_second": 1}, "capacity must be a positive number, not 0"),
        (
            {"capacity": 5, "refill_per_second": 0},
            "refill_per_second must be a positive number, not 0",
        ),
    ],
)
def test_a_bucket_that_could_never_work_is_refused(kwargs: dict[str, float], message: str) -> None:
    # Rule: nonsense shapes fail at construction with a message naming the field.
    with pytest.raises(ValueError, match=message):
        TokenBucket(**kwargs)


@pytest.mark.parametrize(
    ("cost", "message"),
    [
        (0, "cost must be a positive number, not 0"),
        (6, "cost 6 exceeds capacity 5: it could never be admitted"),
    ],
)
def test_a_cost_that_could_never_pass_is_refused(cost: float, message: str) -> None:
    # Rule: a zero cost, or one above capacity, is a caller bug, not a denial.
    bucket = TokenBucket(capacity=5, refill_per_second=1)

    with pytest.raises(ValueError, match=message):
        bucket.acquire("k", cost=cost)


def test_idle_full_buckets_are_forgotten_when_memory_fills(clock: ManualClock) -> None:
    # Rule: memory stays bounded by active callers; a full bucket is the same as no entry.
    bucket = TokenBucket(capacity=1, refill_per_second=1, clock=clock, max_keys=10)
    for n in range(10):
        bucket.acquire(f"idle-{n}")
    clock.advance(5)

    bucket.acquire("busy-1")
    bucket.acquire("busy-2")

    assert len(bucket._buckets) <= 2


def test_threads_never_get_more_than_capacity() -> None:
    # Rule: the lock makes acquire atomic; 8 threads racing admit exactly the capacity.
    bucket = TokenBucket(capacity=100, refill_per_second=1e-6)
    admitted: list[bool] = []
    start = threading.Barrier(8)

    def hammer() -> None:
        start.wait()
        admitted.extend(bucket.acquire("shared").allowed for _ in range(50))

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(admitted) == 100


steps = st.lists(
    st.tuples(st.floats(0, 5, allow_nan=False), st.integers(1, 5)), min_size=1, max_size=60
)


@settings(max_examples=200, deadline=None)
@given(
    capacity=st.integers(5, 50),
    rate=st.floats(0.1, 20, allow_nan=False),
    script=steps,
)
def test_refill_never_exceeds_capacity_nor_goes_negative_nor_over_admits(
    capacity: int, rate: float, script: list[tuple[float, int]]
) -> None:
    # Rule: tokens stay in [0, capacity], and over any span what was admitted is at most
    # capacity + rate × span (the bucket's defining promise).
    clock = ManualClock()
    bucket = TokenBucket(capacity=capacity, refill_per_second=rate, clock=clock)
    admitted: list[tuple[float, int]] = []

    for gap, cost in script:
        clock.advance(gap)
        decision = bucket.acquire("k", cost=cost)
        assert -1e-9 <= decision.remaining <= capacity + 1e-9
        if decision.allowed:
            admitted.append((clock.now, cost))

    for i, (start, _) in enumerate(admitted):
        for end, _ in admitted[i:]:
            in_span = sum(c for t, c in admitted if start <= t <= end)
            assert in_span <= capacity + rate * (end - start) + 1e-6


def test_past_max_keys_only_buckets_spent_within_one_refill_time_are_kept(
    clock: ManualClock,
) -> None:
    # Rule: with more callers than max_keys, the table holds the keys spent within the last
    # refill time (1 s here, 100 keys at one spend every 10 ms), not every key ever seen.
    bucket = TokenBucket(capacity=1, refill_per_second=1, clock=clock, max_keys=10)
    sizes = []
    for n in range(2_000):
        clock.advance(0.01)
        bucket.acquire(f"caller-{n}")
        sizes.append(len(bucket._buckets))

    assert max(sizes) <= 101
    assert set(bucket._buckets) == {f"caller-{n}" for n in range(1_900, 2_000)}


def test_eviction_never_forgets_a_bucket_that_is_not_full(clock: ManualClock) -> None:
    # Rule: forgetting a bucket refills it, so only full ones go; 50 drained callers against a
    # max_keys of 10 all stay drained while a thousand other callers come and go.
    bucket = TokenBucket(capacity=2, refill_per_second=0.001, clock=clock, max_keys=10)
    drained = [f"drained-{n}" for n in range(50)]
    for key in drained:
        bucket.acquire(key, cost=2)
    for n in range(1_000):
        clock.advance(0.001)
        bucket.acquire(f"passer-by-{n}")

    assert not any(bucket.acquire(key).allowed for key in drained)
    assert set(drained) <= set(bucket._buckets)


class CountingKey(str):
    """A key that counts how often the table hashes it: a measure of work that is not a clock."""

    hashes = 0

    def __hash__(self) -> int:
        CountingKey.hashes += 1
        return str.__hash__(self)


def test_past_max_keys_a_call_touches_a_few_keys_not_the_whole_table(clock: ManualClock) -> None:
    # Rule: with 2,000 partly spent buckets against a max_keys of 10, none may be forgotten, and
    # a call must not walk the table looking for one: work per call stays constant.
    bucket = TokenBucket(capacity=5, refill_per_second=0.001, clock=clock, max_keys=10)
    keys = [CountingKey(f"caller-{n}") for n in range(2_000)]
    for key in keys:
        bucket.acquire(key)
    CountingKey.hashes = 0

    for key in keys[:100]:
        bucket.acquire(key)

    assert len(bucket._buckets) == 2_000
    assert CountingKey.hashes <= 100 * 10  # a handful per call, not one per key in the table
