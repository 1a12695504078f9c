"""Cache-aside against the real Redis and PostgreSQL: misses fill, hits skip the database, writes invalidate."""

from __future__ import annotations

import pytest
import redis.asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from scaling.cache_aside import CachedAccounts, create_accounts
from scaling.cache_experiment import compare_cache, zipf_ids


@pytest.fixture
def accounts_table(database_url: str) -> int:
    create_accounts(database_url, 50)
    return 50


async def test_a_miss_reads_postgres_and_fills_redis_with_a_ttl(
    accounts_table: int, redis_client: redis.asyncio.Redis, engine: AsyncEngine
) -> None:
    # Rule: the first read of an id misses, reads the row, and leaves it in Redis with a TTL.
    accounts = CachedAccounts(redis_client, engine, "t", ttl_s=60)

    account = await accounts.get(7)

    assert account == {"id": 7, "name": "account 7", "plan": "pro", "balance_cents": 55433}
    assert (accounts.stats.hits, accounts.stats.misses) == (0, 1)
    assert 0 < await redis_client.ttl("t:account:7") <= 60


async def test_a_hit_is_served_from_redis_without_the_database(
    accounts_table: int, redis_client: redis.asyncio.Redis, engine: AsyncEngine
) -> None:
    # Rule: once cached, a read is answered from Redis: changing the row behind the cache's back
    # (as a missed invalidation would) is not seen until the entry goes.
    accounts = CachedAccounts(redis_client, engine, "t", ttl_s=60)
    await accounts.get(7)
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE accounts SET plan = 'changed' WHERE id = 7"))

    account = await accounts.get(7)

    assert account is not None and account["plan"] == "pro"
    assert (accounts.stats.hits, accounts.stats.misses) == (1, 1)


async def test_a_write_through_the_cache_invalidates_the_entry(
    accounts_table: int, redis_client: redis.asyncio.Redis, engine: AsyncEngine
) -> None:
    # Rule: rename writes PostgreSQL, then deletes the key, so the next read is fresh.
    accounts = CachedAccounts(redis_client, engine, "t", ttl_s=60)
    await accounts.get(7)

    await accounts.rename(7, "renamed")
    account = await accounts.get(7)

    assert account is not None and account["name"] == "renamed"
    assert accounts.stats.misses == 2


async def test_a_missing_row_is_none_and_is_not_cached(
    accounts_table: int, redis_client: redis.asyncio.Redis, engine: AsyncEngine
) -> None:
    # Rule: an unknown id answers None and leaves nothing in Redis (no stale "not found").
    accounts = CachedAccounts(redis_client, engine, "t", ttl_s=60)

    assert await accounts.get(999) is None
    assert await redis_client.exists("t:account:999") == 0


async def test_skewed_reads_hit_the_cache_and_spare_the_database(
    accounts_table: int, redis_client: redis.asyncio.Redis, engine: AsyncEngine
) -> None:
    # Rule: with 400 Zipf reads over 50 accounts the cache-aside path queries PostgreSQL at most
    # once per distinct id; the direct path queries it for every read.
    ids = zipf_ids(accounts_table, 400)

    direct, cached = await compare_cache(redis_client, engine, ids, prefix="t")

    assert direct.database_queries == 400
    assert cached.database_queries == len(set(ids))
    assert cached.hit_ratio == pytest.approx(1 - len(set(ids)) / 400)
    assert cached.hit_ratio > 0.8


def test_zipf_reads_favour_the_first_ids() -> None:
    # Rule: id 1 is read more often than id 10, which is read more often than id 50.
    ids = zipf_ids(50, 20_000)

    assert ids.count(1) > ids.count(10) > ids.count(50)
    assert zipf_ids(50, 100) == zipf_ids(50, 100)


def test_a_zero_ttl_is_refused(engine: AsyncEngine) -> None:
    # Rule: a cache entry without a lifetime would never expire; refuse it.
    client = redis.asyncio.Redis()

    with pytest.raises(ValueError, match=r"^ttl_s must be at least 1, not 0$"):
        CachedAccounts(client, engine, "t", ttl_s=0)


def test_an_empty_accounts_table_is_refused(database_url: str) -> None:
    # Rule: the example needs at least one account to read.
    with pytest.raises(ValueError, match=r"^count must be at least 1, not 0$"):
        create_accounts(database_url, 0)
