"""The measured runs behind the demo and the benchmark: the same load on the monolith and the services,
healthy and under injected faults, billing stopped and restarted, and latency across an outage."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from microservices.consistency import BillingOutage, billing_lag, billing_outage
from microservices.hop_cost import account_check_costs
from microservices.load import (
    Sample,
    Summary,
    closed_loop,
    open_loop,
    percentile_or_nan,
    summarize,
)
from microservices.stack import Stack


@dataclass(frozen=True)
class DemoConfig:
    requests: int = 60
    outage_requests: int = 20
    concurrency: int = 4
    accounts: int = 20
    billing_down_messages: int = 30
    hop_checks: int = 100
    timeline_rate_per_s: float = 10.0
    timeline_phases_s: tuple[float, float, float] = (1.5, 2.0, 1.5)


@dataclass(frozen=True)
class Row:
    scenario: str
    summary: Summary
    failed_fast: int | None  # None: the monolith has no remote call to fail fast
    retries: int | None
    lag_p50_ms: float
    lag_p99_ms: float


@dataclass
class Timeline:
    with_breaker: list[Sample] = field(default_factory=list)
    without_breaker: list[Sample] = field(default_factory=list)
    outage_from_s: float = 0.0
    outage_to_s: float = 0.0


async def set_faults(stack: Stack, **faults: Any) -> None:
    async with httpx.AsyncClient(base_url=stack.accounts_url) as client:
        (await client.put("/admin/faults", json=faults)).raise_for_status()


async def service_stats(url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url) as client:
        stats: dict[str, Any] = (await client.get("/internal/stats")).json()
        return stats


async def open_accounts(stack: Stack, count: int) -> list[str]:
    """Accounts with plenty of credit, opened through the accounts service (the monolith shares the table)."""
    async with httpx.AsyncClient(base_url=stack.accounts_url) as client:
        replies = [
            await client.post("/accounts", json={"name": f"demo {n}", "credit_cents": 10**9})
            for n in range(count)
        ]
    return [str(reply.json()["id"]) for reply in replies]


async def measure(
    stack: Stack,
    database_url: str,
    scenario: str,
    url: str,
    accounts: Sequence[str],
    requests: int,
    concurrency: int,
    *,
    remote: bool,
    **faults: Any,
) -> Row:
    """Run one closed-loop load with `faults` on the accounts service, then wait for billing."""
    await set_faults(stack, **faults)
    before = await service_stats(url) if remote else {}
    samples = await closed_loop(url, accounts, requests, concurrency)
    after = await service_stats(url) if remote else {}
    await set_faults(stack)
    ids = [s.message_id for s in samples if s.message_id]
    lag_p50, lag_p99, _, _ = await billing_lag(database_url, ids)
    return Row(
        scenario,
        summarize(samples),
        after["failed_fast"] - before["failed_fast"] if remote else None,
        after["retries"] - before["retries"] if remote else None,
        lag_p50,
        lag_p99,
    )


async def outage_timeline(stack: Stack, accounts: Sequence[str], config: DemoConfig) -> Timeline:
    """Open-loop load on each messages service in turn while accounts goes dark and comes back."""
    healthy, dark, recovered = config.timeline_phases_s
    duration = healthy + dark + recovered
    rate = config.timeline_rate_per_s

    async def switch_faults() -> None:
        await asyncio.sleep(healthy)
        await set_faults(stack, outage=True)
        await asyncio.sleep(dark)
        await set_faults(stack)

    # One after the other, not side by side: on a small machine the two runs would slow each other.
    runs = []
    for url in (stack.messages_url, stack.messages_without_breaker_url):
        samples, _ = await asyncio.gather(open_loop(url, accounts, rate, duration), switch_faults())
        runs.append(samples)
    return Timeline(runs[0], runs[1], healthy, healthy + dark)


def phase_p50_ms(samples: Sequence[Sample], start_s: float, end_s: float) -> float:
    return percentile_or_nan([s.latency_s * 1000 for s in samples if start_s <= s.at_s < end_s], 50)


@dataclass
class Results:
    rows: list[Row]
    billing_outage: BillingOutage
    timeline: Timeline
    hop: dict[str, dict[str, float]]


# What each scenario should show, said before it runs.
EXPECT = {
    "monolith, healthy": "one process, one transaction: the floor.",
    "services, healthy": "the same work plus an HTTP hop to accounts and a relay to billing.",
    "services, accounts +20 ms": "the dependency's latency adds straight onto ours.",
    "services, accounts 20% errors": "retries (within the budget) hide most errors; the fallback hides the rest.",
    "services, accounts down, breaker": "after 5 timeouts the breaker opens: fast answers from the fallback.",
    "services, accounts down, no breaker": "every call waits out its timeouts before the fallback.",
}


async def run_all(stack: Stack, database_url: str, config: DemoConfig, say: Any = print) -> Results:
    """Every measurement, in order, narrating each step through `say`."""
    stack.start_billing()
    accounts = await open_accounts(stack, config.accounts)
    say(f"Opened {len(accounts)} accounts through the accounts service.")
    n, c, outage_n = config.requests, config.concurrency, config.outage_requests
    rows: list[Row] = []
    plan: list[tuple[str, str, int, bool, dict[str, Any]]] = [
        ("monolith, healthy", stack.monolith_url, n, False, {}),
        ("services, healthy", stack.messages_url, n, True, {}),
        ("services, accounts +20 ms", stack.messages_url, n, True, {"latency_s": 0.02}),
        ("services, accounts 20% errors", stack.messages_url, n, True, {"error_rate": 0.2}),
        ("services, accounts down, breaker", stack.messages_url, outage_n, True, {"outage": True}),
        (
            "services, accounts down, no breaker",
            stack.messages_without_breaker_url,
            outage_n,
            True,
            {"outage": True},
        ),
    ]
    # Warm every process up, and both messages services' fallback caches with a live check each.
    for url in (stack.monolith_url, stack.messages_url, stack.messages_without_breaker_url):
        await closed_loop(url, accounts, len(accounts), c)
    for scenario, url, requests, remote, faults in plan:
        say(f"Sending {requests} messages, {c} at a time: {scenario}. Expect {EXPECT[scenario]}")
        rows.append(
            await measure(
                stack, database_url, scenario, url, accounts, requests, c, remote=remote, **faults
            )
        )
    say(
        f"Stopping billing and sending {config.billing_down_messages} messages. Expect them"
        " accepted, their events waiting on the stream, then each billed once after the restart."
    )
    outage = await billing_outage(
        stack, database_url, accounts, config.billing_down_messages, config.concurrency
    )
    say(
        f"Timeline: {sum(config.timeline_phases_s):.0f} s at {config.timeline_rate_per_s:.0f}"
        " requests/s, accounts down in the middle; with the breaker, then without …"
    )
    timeline = await outage_timeline(stack, accounts, config)
    say(f"Timing {config.hop_checks} single account checks each way, one at a time: the hop alone.")
    hop = await account_check_costs(stack, database_url, accounts, config.hop_checks)
    return Results(rows, outage, timeline, hop)
