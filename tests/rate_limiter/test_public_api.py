"""The names other packages import stay put: `from rate_limiter import TokenBucket, ...`."""

from __future__ import annotations

import inspect

import redis.asyncio

import rate_limiter
from rate_limiter import Decision, RedisTokenBucket, TokenBucket


def test_the_public_names_are_exported() -> None:
    # Rule: the auth and scaling packages import these three names from the package itself.
    assert {"TokenBucket", "RedisTokenBucket", "Decision"} <= set(rate_limiter.__all__)


def test_a_decision_is_built_from_four_positional_fields() -> None:
    # Rule: Decision(allowed, remaining, retry_after_s, reset_after_s), in that order.
    decision = Decision(False, 0.5, 1.5, 9.5)

    assert (
        decision.allowed,
        decision.remaining,
        decision.retry_after_s,
        decision.reset_after_s,
    ) == (
        False,
        0.5,
        1.5,
        9.5,
    )


def test_the_constructors_and_acquire_keep_their_signatures() -> None:
    # Rule: TokenBucket(capacity, refill_per_second, clock=...), RedisTokenBucket(redis, capacity,
    # refill_per_second, prefix=...), and acquire(key, cost=1) on both; the Redis one is async.
    assert list(inspect.signature(TokenBucket).parameters)[:3] == [
        "capacity",
        "refill_per_second",
        "clock",
    ]
    assert list(inspect.signature(RedisTokenBucket).parameters)[:4] == [
        "redis",
        "capacity",
        "refill_per_second",
        "prefix",
    ]
    for acquire in (TokenBucket.acquire, RedisTokenBucket.acquire):
        parameters = inspect.signature(acquire).parameters
        assert list(parameters)[1:] == ["key", "cost"] and parameters["cost"].default == 1
    assert inspect.iscoroutinefunction(RedisTokenBucket.acquire)
    assert not inspect.iscoroutinefunction(TokenBucket.acquire)


async def test_the_redis_bucket_takes_a_prefix_keyword(redis_client: redis.asyncio.Redis) -> None:
    # Rule: the auth package builds RedisTokenBucket(redis, capacity, rate, prefix="login").
    bucket = RedisTokenBucket(redis_client, 5, 1, prefix="login")

    decision = await bucket.acquire("alice@example.com", cost=1)

    assert decision.allowed
    assert await redis_client.exists("login:{alice@example.com}:default") == 1
