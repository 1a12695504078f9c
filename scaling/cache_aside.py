"""The first step before sharding: cache-aside reads in Redis in front of PostgreSQL.

Read Redis; on a miss read the database and fill Redis with a TTL; on a write, delete the cache entry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

import psycopg
import redis.asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backing_services.urls import libpq_url

SCHEMA_SQL = files("scaling").joinpath("cache_aside.sql").read_text(encoding="utf-8")
READ_ACCOUNT = text("SELECT id, name, plan, balance_cents FROM accounts WHERE id = :id")
RENAME_ACCOUNT = text("UPDATE accounts SET name = :name WHERE id = :id")


def create_accounts(database_url: str, count: int) -> None:
    """The `accounts` table with ids 1..count, in the URL's schema."""
    if count < 1:
        raise ValueError(f"count must be at least 1, not {count}")
    # Client-side binding sends one plain query, so the file's statements run as one script.
    with psycopg.connect(
        libpq_url(database_url), autocommit=True, cursor_factory=psycopg.ClientCursor
    ) as connection:
        connection.execute(SCHEMA_SQL.encode(), {"count": count})


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0

    @property
    def hit_ratio(self) -> float:
        reads = self.hits + self.misses
        return self.hits / reads if reads else 0.0


class CachedAccounts:
    """Accounts read through Redis. Usage, inside a coroutine::

    accounts = CachedAccounts(redis_client, engine, prefix="api", ttl_s=60)
    account = await accounts.get(42)  # a miss reads PostgreSQL; the next call is a hit
    """

    def __init__(
        self, client: redis.asyncio.Redis, engine: AsyncEngine, prefix: str, ttl_s: int
    ) -> None:
        if ttl_s < 1:
            raise ValueError(f"ttl_s must be at least 1, not {ttl_s}")
        self._client, self._engine, self._prefix, self._ttl_s = client, engine, prefix, ttl_s
        self.stats = CacheStats()

    def key(self, account_id: int) -> str:
        return f"{self._prefix}:account:{account_id}"

    async def get(self, account_id: int) -> dict[str, Any] | None:
        cached = await self._client.get(self.key(account_id))
        if cached is not None:
            self.stats.hits += 1
            found: dict[str, Any] = json.loads(cached)
            return found
        self.stats.misses += 1
        account = await read_account(self._engine, account_id)
        # Only rows are cached: a burst of lookups for a missing id all reach the database,
        # which is the price of never serving a stale "not found" after the row is created.
        if account is not None:
            await self._client.set(self.key(account_id), json.dumps(account), ex=self._ttl_s)
        return account

    async def rename(self, account_id: int, name: str) -> None:
        """Write the database first, then delete the entry: the next read refills it fresh."""
        async with self._engine.begin() as connection:
            await connection.execute(RENAME_ACCOUNT, {"id": account_id, "name": name})
        await self._client.delete(self.key(account_id))


async def read_account(engine: AsyncEngine, account_id: int) -> dict[str, Any] | None:
    """The uncached read: one primary-key lookup in PostgreSQL."""
    async with engine.connect() as connection:
        row = (await connection.execute(READ_ACCOUNT, {"id": account_id})).mappings().first()
    return dict(row) if row is not None else None
