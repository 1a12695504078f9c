"""How far behind the message is its billing record? Measure the lag, and stop billing to see events wait.

Eventual consistency, measured: lag = billed_at − the message's creation, from the database clock.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

import psycopg

from backing_services.urls import libpq_url
from microservices.load import closed_loop, percentile_or_nan
from microservices.stack import Stack

BILLING_LAG = (
    "SELECT array_agg(extract(epoch FROM billed_at - message_created_at)::float8),"
    " count(*), count(DISTINCT message_id)"
    " FROM billing_records WHERE message_id = ANY(%s::uuid[])"
)
PUBLISHED = "SELECT count(*) FROM outbox WHERE published_at IS NOT NULL AND payload->>'message_id' = ANY(%s)"


@dataclass(frozen=True)
class BillingOutage:
    messages: int
    published_while_down: int
    billed_while_down: int
    caught_up_s: float
    billed: int
    duplicates: int
    lag_p99_ms: float


async def billing_lag(
    database_url: str, message_ids: Sequence[str], timeout_s: float = 30.0
) -> tuple[float, float, int, int]:
    """Wait until every message is billed (or time is up); return lag p50/p99 in ms, rows, distinct."""
    deadline = time.monotonic() + timeout_s
    async with await psycopg.AsyncConnection.connect(
        libpq_url(database_url), autocommit=True
    ) as db:
        while True:
            row = await (await db.execute(BILLING_LAG, (list(message_ids),))).fetchone()
            assert row is not None
            lags, rows, distinct = row
            if distinct >= len(message_ids) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
    lags_ms = [lag * 1000 for lag in lags or []]  # percentiles in Python: the repo's one definition
    return percentile_or_nan(lags_ms, 50), percentile_or_nan(lags_ms, 99), rows, distinct


async def wait_published(database_url: str, ids: Sequence[str], timeout_s: float = 10.0) -> int:
    """Poll until the relay has published every message's event; return how many it has."""
    deadline = time.monotonic() + timeout_s
    async with await psycopg.AsyncConnection.connect(
        libpq_url(database_url), autocommit=True
    ) as db:
        while True:
            row = await (await db.execute(PUBLISHED, (list(ids),))).fetchone()
            published = int(row[0]) if row else 0
            if published >= len(ids) or time.monotonic() > deadline:
                return published
            await asyncio.sleep(0.05)


async def billing_outage(
    stack: Stack, database_url: str, accounts: Sequence[str], messages: int, concurrency: int
) -> BillingOutage:
    """Stop billing, keep sending, start it again: do the events wait, and is each billed once?"""
    stack.stop_billing()
    samples = await closed_loop(stack.messages_url, accounts, messages, concurrency)
    ids = [s.message_id for s in samples if s.message_id]
    await asyncio.sleep(0.5)  # give the relay time to publish: the point is that billing is absent
    async with await psycopg.AsyncConnection.connect(
        libpq_url(database_url), autocommit=True
    ) as db:
        published = (await (await db.execute(PUBLISHED, (ids,))).fetchone() or [0])[0]
    _, _, billed_while_down, _ = await billing_lag(database_url, ids, timeout_s=0)
    restarted = time.monotonic()
    stack.start_billing()
    _, lag_p99, rows, distinct = await billing_lag(database_url, ids)
    return BillingOutage(
        messages=len(ids),
        published_while_down=int(published),
        billed_while_down=billed_while_down,
        caught_up_s=time.monotonic() - restarted,
        billed=distinct,
        duplicates=rows - distinct,
        lag_p99_ms=lag_p99,
    )
