"""How much does a cache in front of the database save? Replay one skewed read pattern both ways.

Reads follow a Zipf law (a few hot accounts), as real traffic does; we count hits, queries and time.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import redis.asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from backing_services.measure import percentile
from scaling.cache_aside import CachedAccounts, read_account


def zipf_ids(accounts: int, reads: int, exponent: float = 1.1, seed: int = 8) -> list[int]:
    """`reads` account ids in 1..accounts; id k is read in proportion to 1 / k**exponent."""
    if accounts < 1 or reads < 1:
        raise ValueError("accounts and reads must both be at least 1")
    weights = itertools.accumulate(1 / k**exponent for k in range(1, accounts + 1))
    return random.Random(seed).choices(range(1, accounts + 1), cum_weights=list(weights), k=reads)


@dataclass(frozen=True)
class CacheRow:
    path: str
    reads: int
    database_queries: int
    hit_ratio: float
    p50_us: float
    p99_us: float
    per_second: float


async def timed(
    read: Callable[[int], Awaitable[Any]], ids: Sequence[int]
) -> tuple[list[float], float]:
    latencies = []
    started = time.perf_counter()
    for account_id in ids:
        begun = time.perf_counter()
        await read(account_id)
        latencies.append(time.perf_counter() - begun)
    return latencies, time.perf_counter() - started


def summarise(
    path: str, latencies: list[float], elapsed_s: float, queries: int, hit_ratio: float
) -> CacheRow:
    return CacheRow(
        path,
        len(latencies),
        queries,
        hit_ratio,
        1e6 * percentile(latencies, 50),
        1e6 * percentile(latencies, 99),
        len(latencies) / elapsed_s,
    )


async def compare_cache(
    client: redis.asyncio.Redis,
    engine: AsyncEngine,
    ids: Sequence[int],
    prefix: str,
    ttl_s: int = 300,
) -> list[CacheRow]:
    """The same reads straight from PostgreSQL, then through a cold cache-aside cache."""
    direct, direct_s = await timed(lambda i: read_account(engine, i), ids)
    cached = CachedAccounts(client, engine, prefix, ttl_s)
    through_cache, cache_s = await timed(cached.get, ids)
    return [
        summarise("PostgreSQL only", direct, direct_s, len(ids), 0.0),
        summarise(
            "Redis cache-aside", through_cache, cache_s, cached.stats.misses, cached.stats.hit_ratio
        ),
    ]
