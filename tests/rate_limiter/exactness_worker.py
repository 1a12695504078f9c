"""One process of the exactness test: 50 concurrent acquires per trial on one shared key."""

from __future__ import annotations

import asyncio
from threading import Barrier  # what a Manager().Barrier() proxy stands for (typeshed agrees)

import redis.asyncio

from rate_limiter import RedisTokenBucket

CONCURRENCY = 50


async def run_trials(redis_url: str, trials: list[tuple[str, bool]], barrier: Barrier) -> list[int]:
    client = redis.asyncio.Redis.from_url(redis_url, max_connections=CONCURRENCY)
    admitted = []
    try:
        await client.ping()
        for key, deny_cache in trials:
            bucket = RedisTokenBucket(client, 20, 1e-6, prefix="exact", local_deny_cache=deny_cache)
            await asyncio.to_thread(barrier.wait, 30)  # all processes start each trial together
            decisions = await asyncio.gather(*(bucket.acquire(key) for _ in range(CONCURRENCY)))
            admitted.append(sum(decision.allowed for decision in decisions))
    finally:
        await client.aclose()
    return admitted


def admitted_per_trial(
    redis_url: str, trials: list[tuple[str, bool]], barrier: Barrier
) -> list[int]:
    return asyncio.run(run_trials(redis_url, trials, barrier))
