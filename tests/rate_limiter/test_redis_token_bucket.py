"""The Redis token bucket against a real Redis: arithmetic, policies, clock, expiry, NOSCRIPT."""

from __future__ import annotations

import asyncio
import time
from typing import cast

import pytest
import redis.asyncio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rate_limiter import Policy, RedisTokenBucket, TokenBucket
from rate_limiter.redis_token_bucket import SCRIPT_SHA
from tests.rate_limiter.conftest import ManualClock, eventually


async def test_a_full_bucket_admits_its_capacity_then_denies(
    redis_client: redis.asyncio.Redis,
) -> None:
    # Rule: capacity calls pass back to back; the next is denied with a retry time.
    bucket = RedisTokenBucket(redis_client, capacity=3, refill_per_second=0.01)

    decisions = [await bucket.acquire("k") for _ in range(4)]

    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert decisions[-1].retry_after_s == pytest.approx((1 - decisions[-1].remaining) / 0.01)


async def test_weighted_cost_takes_that_many_tokens(redis_client: redis.asyncio.Redis) -> None:
    # Rule: cost=n passes only if n tokens are there; a denial takes nothing.
    bucket = RedisTokenBucket(redis_client, capacity=10, refill_per_second=0.001)

    first = await bucket.acquire("k", cost=7)
    second = await bucket.acquire("k", cost=4)
    third = await bucket.acquire("k", cost=3)

    assert first.allowed and first.remaining == pytest.approx(3, abs=0.01)
    assert not second.allowed
    assert third.allowed and third.remaining == pytest.approx(0, abs=0.01)


async def test_several_policies_deny_if_any_denies_and_then_consume_from_none(
    redis_client: redis.asyncio.Redis,
) -> None:
    # Rule: burst 5 and sustained 3 per hour in one call; when the sustained limit denies, the
    # burst bucket, which had room, is left exactly as it was.
    bucket = RedisTokenBucket(
        redis_client, 5, 0.001, name="burst", extra_policies=[Policy("hourly", 3, 3 / 3600)]
    )
    for _ in range(3):
        assert (await bucket.acquire("k")).allowed
    burst_before = await redis_client.hgetall("ratelimit:{k}:burst")

    decisions = await bucket.acquire_all("k")

    by_policy = {d.policy: d for d in decisions}
    assert by_policy["burst"].allowed and not by_policy["hourly"].allowed
    assert by_policy["hourly"].retry_after_s == pytest.approx(1200, rel=0.01)
    assert (await bucket.acquire("k")).policy == "hourly"  # the verdict that binds
    assert await redis_client.hgetall("ratelimit:{k}:burst") == burst_before


async def test_the_redis_bucket_agrees_with_the_in_memory_one(
    redis_client: redis.asyncio.Redis,
) -> None:
    # Rule: given the times Redis used, the in-memory bucket reaches the same verdicts and levels.
    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        capacity=st.integers(2, 8),
        rate=st.sampled_from([200.0, 500.0, 1000.0]),
        script=st.lists(
            st.tuples(st.sampled_from([0, 0, 0.001, 0.003]), st.integers(1, 2)),
            min_size=5,
            max_size=25,
        ),
    )
    def agree(capacity: int, rate: float, script: list[tuple[float, int]]) -> None:
        # Hypothesis drives sync functions: run each example on the test's own event loop.
        future = asyncio.run_coroutine_threadsafe(compare(capacity, rate, script), loop)
        future.result(timeout=30)

    async def compare(capacity: int, rate: float, script: list[tuple[float, int]]) -> None:
        await redis_client.delete("agree:{k}:default")
        remote = RedisTokenBucket(
            redis_client, capacity, rate, prefix="agree", local_deny_cache=False
        )
        clock = ManualClock()
        local = TokenBucket(capacity, rate, clock=clock)
        for pause, cost in script:
            # Time is the subject: real time passes on Redis's clock (TIME, the unmodified script)
            # and the local bucket is told the times Redis used, so any pause length agrees.
            await asyncio.sleep(pause)
            theirs = await remote.acquire("k", cost=cost)
            clock.now = theirs.decided_at_s
            ours = local.acquire("k", cost=cost)
            assert ours.allowed == theirs.allowed
            assert ours.remaining == pytest.approx(theirs.remaining, abs=1e-6 * rate)
            assert ours.retry_after_s == pytest.approx(theirs.retry_after_s, abs=1e-6)

    loop = asyncio.get_running_loop()
    await asyncio.to_thread(agree)


async def test_two_clients_whose_clocks_disagree_share_one_bucket(
    redis_client: redis.asyncio.Redis,
) -> None:
    # Rule: only Redis TIME counts; an instance whose clock runs an hour ahead gets no extra
    # tokens, and both report the server's time for their decisions.
    honest = RedisTokenBucket(redis_client, 4, 0.001, local_clock=time.monotonic)
    ahead = RedisTokenBucket(redis_client, 4, 0.001, local_clock=lambda: time.monotonic() + 3600)

    admitted = [(await bucket.acquire("k")).allowed for bucket in (honest, ahead, ahead, honest)]
    denied_ahead, denied_honest = await ahead.acquire("k"), await honest.acquire("k")

    assert admitted == [True, True, True, True]
    assert not denied_ahead.allowed and not denied_honest.allowed
    assert denied_ahead.remaining == pytest.approx(denied_honest.remaining, abs=0.01)
    assert abs(denied_ahead.decided_at_s - denied_honest.decided_at_s) < 60


async def test_every_key_has_a_ttl_and_idle_buckets_disappear(
    redis_client: redis.asyncio.Redis,
) -> None:
    # Rule: each hash expires when it would be full again (1 token at 1/s: 1 s; at 0.5/s: 2 s),
    # so idle callers cost no memory.
    bucket = RedisTokenBucket(
        redis_client, 2, 1, prefix="ttl", name="fast", extra_policies=[Policy("slow", 10, 0.5)]
    )
    for caller in ("a", "b", "c"):
        await bucket.acquire(caller)

    # The fixture decodes replies, so the keys are str (redis-py types them for either client).
    keys = sorted(cast(list[str], await redis_client.keys("ttl:*")))
    ttls = {key: await redis_client.pttl(key) for key in keys}

    assert len(keys) == 6
    assert all(0 < ttl <= 1000 for key, ttl in ttls.items() if key.endswith(":fast"))
    assert all(0 < ttl <= 2000 for key, ttl in ttls.items() if key.endswith(":slow"))

    async def all_expired() -> bool:
        return await redis_client.exists(*keys) == 0

    # Time is the subject: Redis's own clock runs past the TTLs. Nothing announces an expiry
    # (keyspace events are server config), so this polls, failing after the deadline.
    await eventually(all_expired, what="every bucket expiring", timeout_s=15)
    assert await redis_client.exists(*keys) == 0


async def test_a_flushed_script_cache_is_reloaded_and_the_call_succeeds(
    private_redis_url: str,
) -> None:
    # Rule: after SCRIPT FLUSH (restart, failover) the next acquire loads the script and works.
    client = redis.asyncio.Redis.from_url(private_redis_url)
    try:
        bucket = RedisTokenBucket(client, 2, 0.01)
        await bucket.acquire("k")
        await client.script_flush()
        assert await client.script_exists(SCRIPT_SHA) == [False]

        decision = await bucket.acquire("k")

        assert decision.allowed and decision.remaining == pytest.approx(0, abs=0.01)
        assert await client.script_exists(SCRIPT_SHA) == [True]
    finally:
        await client.aclose()


async def test_the_local_deny_cache_answers_without_redis_until_tokens_could_be_back(
    private_redis_url: str,
) -> None:
    # Rule: after a denial, the same instance denies locally (no round trip) while the refill
    # cannot have brought the tokens back, then asks Redis again. A private server, so that the
    # command counter counts only this test's commands.
    client = redis.asyncio.Redis.from_url(private_redis_url, decode_responses=True)
    clock = ManualClock()
    bucket = RedisTokenBucket(client, 1, 0.5, local_clock=clock)
    try:
        await bucket.acquire("k")
        first_denial = await bucket.acquire("k")
        commands_before = (await client.info("stats"))["total_commands_processed"]

        local = await bucket.acquire("k")
        commands_after = (await client.info("stats"))["total_commands_processed"]
        clock.advance(2.5)  # the whole refill time (1 token at 0.5/s) and then some
        await client.delete("ratelimit:{k}:default")  # as if the bucket had refilled
        asked_again = await bucket.acquire("k")
    finally:
        await client.aclose()

    assert not first_denial.allowed and not local.allowed
    assert commands_after - commands_before == 1  # only the first INFO itself
    assert local.retry_after_s == pytest.approx(first_denial.retry_after_s, abs=1e-3)
    assert asked_again.allowed


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"prefix": "a{b}"}, "prefix 'a{b}' must be non-empty and free of braces"),
        ({"name": "x y"}, "policy name 'x y' must be non-empty"),
        ({"extra_policies": [Policy("default", 1, 1)]}, "policy names must be unique"),
    ],
)
async def test_a_misconfigured_bucket_is_refused(
    redis_client: redis.asyncio.Redis, kwargs: dict[str, object], message: str
) -> None:
    # Rule: configuration mistakes fail at construction with a message naming the problem.
    with pytest.raises(ValueError, match=message):
        RedisTokenBucket(redis_client, 5, 1, **kwargs)  # type: ignore[arg-type]


async def test_a_cost_above_any_policy_capacity_is_refused(
    redis_client: redis.asyncio.Redis,
) -> None:
    # Rule: a cost the smallest policy can never hold is a caller bug, reported before Redis.
    bucket = RedisTokenBucket(redis_client, 100, 1, extra_policies=[Policy("small", 5, 1)])

    with pytest.raises(ValueError, match="cost 6 exceeds capacity 5: it could never be admitted"):
        await bucket.acquire("k", cost=6)
