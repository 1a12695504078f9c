"""The load the demo and the benchmark put on either architecture: POST /messages, timed one by one.

Closed loop (N requests, C at a time) for the table; open loop (fixed rate) for the timeline.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from backing_services.measure import percentile

CLIENT_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Sample:
    at_s: float  # when the request started, from the start of the run
    latency_s: float
    status: int  # 0 when no HTTP answer came back at all
    message_id: str | None
    account_check: str | None


@dataclass(frozen=True)
class Summary:
    requests: int
    p50_ms: float
    p99_ms: float
    error_rate: float
    cached_checks: int


def percentile_or_nan(values: Sequence[float], q: float) -> float:
    """The repo's one percentile (`backing_services.measure`, q in 0..100); NaN for no values."""
    return percentile(values, q) if values else math.nan


def summarize(samples: Sequence[Sample]) -> Summary:
    latencies = [s.latency_s * 1000 for s in samples]
    return Summary(
        requests=len(samples),
        p50_ms=percentile_or_nan(latencies, 50),
        p99_ms=percentile_or_nan(latencies, 99),
        error_rate=sum(s.status != 201 for s in samples) / len(samples) if samples else 0.0,
        cached_checks=sum(s.account_check == "cached" for s in samples),
    )


async def send_one(client: httpx.AsyncClient, account_id: str, started: float) -> Sample:
    begin = time.perf_counter()
    payload = {"account_id": account_id, "to": "+14155550100", "body": "load"}
    try:
        response = await client.post("/messages", json=payload)
    except httpx.HTTPError:
        return Sample(begin - started, time.perf_counter() - begin, 0, None, None)
    latency = time.perf_counter() - begin
    body = response.json() if response.status_code == 201 else {}
    return Sample(
        begin - started, latency, response.status_code, body.get("id"), body.get("account_check")
    )


def load_client(base_url: str, concurrency: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=CLIENT_TIMEOUT_S,
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
    )


async def closed_loop(
    base_url: str, account_ids: Sequence[str], requests: int, concurrency: int
) -> list[Sample]:
    """`requests` sends, `concurrency` at a time, cycling through the accounts."""
    accounts = itertools.cycle(account_ids)
    queue = [next(accounts) for _ in range(requests)]
    samples: list[Sample] = []
    started = time.perf_counter()

    async with load_client(base_url, concurrency) as client:

        async def worker() -> None:
            while queue:
                samples.append(await send_one(client, queue.pop(), started))

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return samples


async def open_loop(
    base_url: str, account_ids: Sequence[str], rate_per_s: float, duration_s: float
) -> list[Sample]:
    """One send every 1/rate seconds for `duration_s`, whatever the answers' latency.

    Open loop, so a slow dependency shows as latency, not as a quietly lower request rate.
    """
    accounts = itertools.cycle(account_ids)
    started = time.perf_counter()
    count = int(rate_per_s * duration_s)
    async with load_client(base_url, max(8, int(rate_per_s * 2))) as client:
        tasks = []
        for n in range(count):
            delay = started + n / rate_per_s - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(send_one(client, next(accounts), started)))
        return list(await asyncio.gather(*tasks))
