"""What does the network hop cost by itself? One account check in-process, over pooled HTTP, over fresh HTTP."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence

import httpx
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from backing_services.urls import sqlalchemy_async_url
from microservices.accounts import find_account
from microservices.accounts_client import AccountsClient
from microservices.load import percentile_or_nan
from microservices.settings import MicroservicesSettings
from microservices.stack import Stack


async def account_check_costs(
    stack: Stack, database_url: str, accounts: Sequence[str], checks: int
) -> dict[str, dict[str, float]]:
    """The price of the hop, alone: one account check in-process, over pooled HTTP, over fresh HTTP."""
    ids = [uuid.UUID(a) for a in accounts]
    engine = create_async_engine(sqlalchemy_async_url(database_url), pool_size=1)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    client = AccountsClient(stack.accounts_url, MicroservicesSettings(total_timeout_s=5.0))

    async def in_process(account_id: uuid.UUID) -> None:
        async with sessions.begin() as session:
            await find_account(session, account_id)

    async def pooled_http(account_id: uuid.UUID) -> None:
        await client.get_account(account_id)

    # No keep-alive: a new TCP connection per call, as a client built per request would pay (minus
    # building the client itself, which costs more still).
    fresh = httpx.AsyncClient(
        base_url=stack.accounts_url, limits=httpx.Limits(max_keepalive_connections=0)
    )

    async def fresh_http(account_id: uuid.UUID) -> None:
        (await fresh.get(f"/accounts/{account_id}")).raise_for_status()

    costs = {}
    try:
        for name, check in (
            ("in-process call (SQL)", in_process),
            ("HTTP, pooled connection", pooled_http),
            ("HTTP, new TCP connection each", fresh_http),
        ):
            latencies = []
            for n in range(checks):
                begin = time.perf_counter()
                await check(ids[n % len(ids)])
                latencies.append((time.perf_counter() - begin) * 1000)
            costs[name] = {
                "p50_ms": percentile_or_nan(latencies, 50),
                "p99_ms": percentile_or_nan(latencies, 99),
            }
    finally:
        await client.aclose()
        await fresh.aclose()
        await engine.dispose()
    return costs
