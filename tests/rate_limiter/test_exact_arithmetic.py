"""Fractional rates and costs: the documented numbers hold exactly, in both buckets.

Both buckets count micro-tokens and microseconds in integers, so a tenth is a tenth and a wait
is rounded up to the microsecond. The Redis tests run the real script on a real server with
Redis's clock replaced by one the test sets, so that elapsed time is exact.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
import redis.asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rate_limiter import Decision, Policy, TokenBucket
from rate_limiter.decision import MICRO, micro_cost
from rate_limiter.redis_token_bucket import SCRIPT, decisions_from_reply, script_shapes
from tests.rate_limiter.conftest import BucketShape, ManualClock

# The script with two changes: the time comes from the last two arguments instead of TIME, and
# no expiry is set, because Redis expires keys on its real clock, which the chosen times do not
# move (expiry has its own test in test_redis_token_bucket.py).
CLOCKED_SCRIPT = SCRIPT.replace("redis.call('TIME')", "{ARGV[#ARGV - 1], ARGV[#ARGV]}").replace(
    "redis.call('PEXPIRE', key, string.format('%d', ttl))", "local _ = ttl"
)
assert "redis.call('TIME')" not in CLOCKED_SCRIPT and "redis.call('PEXPIRE'" not in CLOCKED_SCRIPT

fractions = st.sampled_from([0.1, 0.2, 0.3, 0.7, 1 / 3, 0.25, 1.5, 2.5, 3.7, 1 / 7])
shapes = st.tuples(st.sampled_from([1, 2, 3, 2.5, 10, 7.3]), fractions)  # capacity, rate


def test_twenty_tenths_fill_a_bucket_of_two(clock: ManualClock) -> None:
    # Rule: capacity 2 at cost 0.1 admits exactly 20, then denies.
    bucket = TokenBucket(capacity=2, refill_per_second=1e-6, clock=clock)

    outcomes = [bucket.acquire("k", cost=0.1).allowed for _ in range(21)]

    assert outcomes == [True] * 20 + [False]


@settings(max_examples=300, deadline=None)
@given(shape=shapes, cost=fractions, spends=st.integers(1, 30), gap_us=st.integers(0, 3_000_000))
def test_waiting_exactly_retry_after_is_admitted_and_a_microsecond_less_is_not(
    shape: tuple[float, float], cost: float, spends: int, gap_us: int
) -> None:
    # Rule: retry_after_s is the shortest wait (to the microsecond) after which the same call passes.
    capacity, rate = shape
    cost = min(cost, capacity)
    clock = ManualClock()

    def tick(us: int) -> None:
        # Whole microseconds, the buckets' resolution. They read a clock to the nearest one, so
        # a clock between microseconds can stretch a wait by up to 1 µs: a float clock once went
        # from 1000250002.4999999 µs to 1011083337.5 µs, read as 002 and 338, and "a microsecond
        # less" was admitted (capacity 10, rate 0.1, cost 3.7, 12 spends over 1.00001 s).
        clock.now = (round(clock.now * MICRO) + us) / MICRO

    early = TokenBucket(capacity, rate, clock=clock)
    exact = TokenBucket(capacity, rate, clock=clock)
    denial = None
    for _ in range(spends):
        tick(gap_us // spends)
        early.acquire("k", cost)
        if not (denial := exact.acquire("k", cost)).allowed:
            break
    if denial is None or denial.allowed:
        return  # the refill kept up; nothing to wait for

    retry_after_us = round(denial.retry_after_s * MICRO)
    tick(retry_after_us - 1)
    assert not early.acquire("k", cost).allowed
    tick(1)
    assert exact.acquire("k", cost).allowed


Call = Callable[[int, float], Awaitable[Decision]]


def clocked_bucket(client: redis.asyncio.Redis, policy: Policy, key: str) -> Call:
    """The real script, on the real server, at a time the test chooses (microseconds)."""
    keys = [f"clocked:{{{key}}}:{policy.name}"]

    async def call(now_us: int, cost: float) -> Decision:
        cost_u = micro_cost(cost, policy.capacity)
        argv = [cost_u, *script_shapes([policy]), now_us // 10**6, now_us % 10**6]
        reply = await client.eval(CLOCKED_SCRIPT, len(keys), *keys, *argv)
        return decisions_from_reply([policy], cost_u, reply)[0]

    return call


async def test_the_lua_bucket_admits_twenty_tenths_of_two(
    redis_client: redis.asyncio.Redis,
) -> None:
    # Rule: the same exactness in the script: capacity 2 at cost 0.1 admits 20, then denies.
    call = clocked_bucket(redis_client, Policy("p", 2, 1e-6), "tenths")

    outcomes = [(await call(10**15, 0.1)).allowed for _ in range(21)]

    assert outcomes == [True] * 20 + [False]


async def test_the_lua_bucket_agrees_exactly_with_the_in_memory_one(
    redis_client: redis.asyncio.Redis,
) -> None:
    # Rule: on the same times, the script and the in-memory bucket give the same verdict, the
    # same micro-tokens left and the same wait, for fractional rates and costs; and waiting
    # exactly the wait the script reports is admitted by the script.
    loop = asyncio.get_running_loop()

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        shape=shapes,
        steps=st.lists(st.tuples(st.integers(0, 2_000_000), fractions), min_size=1, max_size=30),
    )
    def agree(shape: tuple[float, float], steps: list[tuple[int, float]]) -> None:
        # Hypothesis drives sync functions: run each example on the test's own event loop.
        asyncio.run_coroutine_threadsafe(compare(*shape, steps), loop).result(timeout=30)

    async def compare(capacity: float, rate: float, steps: list[tuple[int, float]]) -> None:
        await redis_client.delete("clocked:{k}:p")
        call = clocked_bucket(redis_client, Policy("p", capacity, rate), "k")
        now_us = 1_700_000_000 * 10**6
        clock = ManualClock(now_us / 1e6)
        local = TokenBucket(capacity, rate, clock=clock, name="p")
        for gap_us, cost in steps:
            cost = min(cost, capacity)
            now_us += gap_us
            clock.now = now_us / 1e6
            theirs = await call(now_us, cost)
            ours = local.acquire("k", cost)
            assert theirs._replace(decided_at_s=0) == ours._replace(decided_at_s=0)
            if not theirs.allowed:
                wait_us = round(theirs.retry_after_s * 1e6)
                assert not (await call(now_us + wait_us - 1, cost)).allowed
                assert (await call(now_us + wait_us, cost)).allowed
                return

    await asyncio.to_thread(agree)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"capacity": 5, "refill_per_second": 1e-7},
            "refill_per_second must be at least 1e-06 \\(one micro-token a second\\), not 1e-07",
        ),
        (
            {"capacity": 1e12, "refill_per_second": 1},
            "capacity must be between 1e-06 and 9e\\+09, not 1e\\+12",
        ),
    ],
)
def test_a_shape_finer_or_larger_than_the_arithmetic_is_refused(
    kwargs: BucketShape, message: str
) -> None:
    # Rule: integer micro-tokens have limits; a shape beyond them fails at construction.
    with pytest.raises(ValueError, match=message):
        TokenBucket(**kwargs)


def test_a_cost_below_one_micro_token_is_refused() -> None:
    # Rule: a cost that would round to nothing is a caller bug, not a free call.
    bucket = TokenBucket(capacity=5, refill_per_second=1)

    with pytest.raises(ValueError, match="cost must be at least 1e-06, not 1e-07"):
        bucket.acquire("k", cost=1e-7)


def test_a_cost_equal_to_a_fractional_capacity_takes_the_whole_bucket(clock: ManualClock) -> None:
    # Rule: a third of a token, rounded up as a cost and down as a capacity, still fits its bucket.
    bucket = TokenBucket(capacity=1 / 3, refill_per_second=1e-6, clock=clock)

    outcomes = [bucket.acquire("k", cost=1 / 3).allowed for _ in range(2)]

    assert outcomes == [True, False]
