"""The retry budget bounds retries to a share of requests; the bulkhead bounds calls in flight."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microservices.bulkhead import Bulkhead
from microservices.failures import BulkheadFull
from microservices.retry_budget import RetryBudget
from tests.microservices.conftest import eventually


@given(
    ratio=st.floats(min_value=0, max_value=1),
    reserve=st.integers(min_value=0, max_value=20),
    steps=st.lists(st.sampled_from(["request", "retry"]), max_size=300),
)
def test_retries_never_exceed_the_reserve_plus_the_ratio_of_requests(
    ratio: float, reserve: int, steps: list[str]
) -> None:
    # Rule: whatever the mix of requests and retry attempts, granted retries ≤ reserve + ratio · requests.
    budget = RetryBudget(ratio=ratio, reserve=reserve)

    for step in steps:
        if step == "request":
            budget.record_request()
        else:
            budget.try_spend()

    assert budget.retries <= reserve + ratio * budget.requests + 1e-9


def test_a_spent_budget_refuses_retries_until_requests_earn_a_token() -> None:
    # Rule: with the reserve spent, five requests at ratio 0.2 earn exactly one more retry.
    budget = RetryBudget(ratio=0.2, reserve=1)
    assert budget.try_spend()
    assert not budget.try_spend()

    for _ in range(5):
        budget.record_request()

    assert budget.try_spend()
    assert not budget.try_spend()
    assert budget.denied == 2


def test_a_budget_with_a_ratio_above_one_is_refused() -> None:
    # Rule: more retries than requests is not a budget; the constructor says so.
    with pytest.raises(ValueError, match="need 0 <= ratio <= 1 and reserve >= 0"):
        RetryBudget(ratio=1.5)


async def test_the_bulkhead_refuses_calls_beyond_its_slots_and_frees_them_after() -> None:
    # Rule: with every slot held, the next call fails fast; when a slot frees, calls pass again.
    bulkhead = Bulkhead("accounts", max_concurrent=2, max_wait_s=0)
    release = asyncio.Event()
    entered = asyncio.Semaphore(0)

    async def hold() -> None:
        async with bulkhead.slot():
            entered.release()
            await release.wait()

    holders = [asyncio.create_task(hold()) for _ in range(2)]
    for _ in range(2):
        await entered.acquire()

    with pytest.raises(BulkheadFull, match="accounts: all 2 slots busy for 0 s"):
        async with bulkhead.slot():
            pass
    release.set()
    await asyncio.gather(*holders)
    async with bulkhead.slot():
        assert bulkhead.in_flight == 1
    assert bulkhead.rejected == 1


async def test_a_waiting_call_gets_the_slot_that_frees_within_its_wait() -> None:
    # Rule: max_wait_s lets a call queue briefly for a slot instead of failing at once.
    bulkhead = Bulkhead("accounts", max_concurrent=1, max_wait_s=5)
    holder_in = asyncio.Event()
    release = asyncio.Event()

    async def hold() -> None:
        async with bulkhead.slot():
            holder_in.set()
            await release.wait()

    async def wait_then_enter() -> int:
        async with bulkhead.slot():
            return bulkhead.in_flight

    async def waiter_queued() -> bool:
        return bulkhead.waiting == 1

    holder = asyncio.create_task(hold())
    await holder_in.wait()
    waiter = asyncio.create_task(wait_then_enter())
    await eventually(waiter_queued, timeout_s=5, what="the second call queueing for the slot")
    assert not waiter.done()
    release.set()

    assert await waiter == 1
    await holder
    assert (bulkhead.rejected, bulkhead.waiting) == (0, 0)
