"""The service-to-service client against a real accounts service with faults injected at runtime."""

from __future__ import annotations

import asyncio
import random
import statistics
import uuid

import httpx
import pytest

from backing_services.local_processes import free_port
from microservices.accounts import NewAccount
from microservices.accounts_client import AccountsClient
from microservices.circuit_breaker import State
from microservices.failures import BulkheadFull, CircuitOpen, UpstreamError
from microservices.settings import MicroservicesSettings


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def no_sleep(_: float) -> None:
    """Retries happen at once: the tests check which retries happen, not how long they wait."""


def settings(**overrides: object) -> MicroservicesSettings:
    # A generous deadline, so that on a slow machine it is the attempt limit or the budget that
    # stops the retries under test, never the clock.
    base: dict[str, object] = {
        "total_timeout_s": 2.0,
        "retry_deadline_s": 30.0,
        "max_attempts": 3,
        "breaker_failure_threshold": 1000,
        "retry_reserve": 1000,
    }
    return MicroservicesSettings.model_validate({**base, **overrides})


async def requests_seen(admin: httpx.AsyncClient, method: str) -> int:
    report = (await admin.get("/admin/faults")).json()
    return int(report["requests"].get(method, 0))


async def test_an_idempotent_read_is_retried_up_to_max_attempts(
    accounts_url: str, accounts_admin: httpx.AsyncClient
) -> None:
    # Rule: a GET that keeps failing with 503 is attempted max_attempts times, then UpstreamError.
    client = AccountsClient(accounts_url, settings(), sleep=no_sleep)
    await accounts_admin.put("/admin/faults", json={"error_rate": 1.0})
    before = await requests_seen(accounts_admin, "GET")

    with pytest.raises(UpstreamError, match="accounts: 503 on GET /accounts/"):
        await client.get_account(uuid.uuid4())

    assert await requests_seen(accounts_admin, "GET") - before == 3
    await client.aclose()


async def test_a_non_idempotent_call_is_sent_once_even_when_it_fails(
    accounts_url: str, accounts_admin: httpx.AsyncClient
) -> None:
    # Rule: a POST is never retried: repeating it after a failure could open two accounts.
    client = AccountsClient(accounts_url, settings(), sleep=no_sleep)
    await accounts_admin.put("/admin/faults", json={"error_rate": 1.0})
    before = await requests_seen(accounts_admin, "POST")

    with pytest.raises(UpstreamError, match="accounts: 503 on POST /accounts"):
        await client.open_account(NewAccount(name="once", credit_cents=10))

    assert await requests_seen(accounts_admin, "POST") - before == 1
    assert client.budget.retries == 0
    await client.aclose()


async def test_retries_never_exceed_the_budget_when_every_call_fails(
    accounts_url: str, accounts_admin: httpx.AsyncClient
) -> None:
    # Rule: under a total failure the dependency sees calls + at most reserve + ratio · calls retries,
    # not calls × max_attempts.
    client = AccountsClient(
        accounts_url,
        settings(max_attempts=5, retry_reserve=2, retry_ratio=0.1),
        sleep=no_sleep,
    )
    await accounts_admin.put("/admin/faults", json={"error_rate": 1.0})
    before = await requests_seen(accounts_admin, "GET")

    for _ in range(30):
        with pytest.raises(UpstreamError):
            await client.get_account(uuid.uuid4())

    sent = await requests_seen(accounts_admin, "GET") - before
    assert sent == 30 + client.budget.retries
    assert client.budget.retries <= 2 + 0.1 * 30
    assert sent < 30 * 5
    assert client.budget.denied > 0
    await client.aclose()


async def test_no_retry_is_made_once_the_deadline_has_passed(
    accounts_url: str, accounts_admin: httpx.AsyncClient
) -> None:
    # Rule: attempts remain, but a retry that would start after the call's deadline is not made.
    clock = FakeClock()

    async def slow_sleep(delay: float) -> None:
        clock.now += 5.0  # the backoff wait (as this fake clock sees it) outlasts the deadline

    client = AccountsClient(
        accounts_url,
        settings(max_attempts=5, retry_deadline_s=2.0),
        clock=clock,
        sleep=slow_sleep,
    )
    await accounts_admin.put("/admin/faults", json={"error_rate": 1.0})
    before = await requests_seen(accounts_admin, "GET")

    with pytest.raises(UpstreamError):
        await client.get_account(uuid.uuid4())

    assert await requests_seen(accounts_admin, "GET") - before == 2
    await client.aclose()


async def test_full_jitter_spreads_retry_delays_and_a_seed_repeats_them(
    accounts_url: str, accounts_admin: httpx.AsyncClient
) -> None:
    # Rule: each delay is uniform in [0, ceiling]; seeded clients draw the same spread delays.
    await accounts_admin.put("/admin/faults", json={"error_rate": 1.0})
    delays = []
    for _ in range(2):
        client = AccountsClient(
            accounts_url,
            settings(max_attempts=2, backoff_base_s=0.1, backoff_cap_s=0.1),
            rng=random.Random(42),
            sleep=no_sleep,
        )
        for _ in range(20):
            with pytest.raises(UpstreamError):
                await client.get_account(uuid.uuid4())
        delays.append(client.retry_delays)
        await client.aclose()

    first, second = delays
    assert first == second
    assert len(first) == 20
    assert all(0 <= delay <= 0.1 for delay in first)
    assert len(set(first)) == 20
    assert statistics.pstdev(first) > 0.02  # spread out, not bunched at one instant


async def test_the_breaker_opens_fails_fast_probes_and_closes_against_a_real_outage(
    accounts_url: str, accounts_admin: httpx.AsyncClient
) -> None:
    # Rule: timeouts open the breaker; while open, calls fail without a request reaching the service;
    # after the reset timeout one probe goes through, and its success closes the breaker.
    clock = FakeClock()
    client = AccountsClient(
        accounts_url,
        settings(
            total_timeout_s=0.3,
            max_attempts=1,
            breaker_failure_threshold=3,
            breaker_reset_timeout_s=10,
        ),
        clock=clock,
    )
    await accounts_admin.put("/admin/faults", json={"outage": True})
    for _ in range(3):
        with pytest.raises(UpstreamError, match="TimeoutError on GET"):
            await client.get_account(uuid.uuid4())
    assert client.breaker is not None
    assert client.breaker.state is State.OPEN

    before = await requests_seen(accounts_admin, "GET")
    for _ in range(5):
        with pytest.raises(CircuitOpen, match="accounts: circuit open"):
            await client.get_account(uuid.uuid4())
    assert await requests_seen(accounts_admin, "GET") == before
    assert client.failed_fast() == 5

    await accounts_admin.put("/admin/faults", json={"outage": False})
    clock.now += 10
    assert await client.get_account(uuid.uuid4()) is None  # the probe: a 404 is a healthy answer

    assert await requests_seen(accounts_admin, "GET") == before + 1
    assert [state for _, state in client.breaker.transitions] == [
        State.OPEN,
        State.HALF_OPEN,
        State.CLOSED,
    ]
    await client.aclose()


async def test_the_bulkhead_caps_calls_in_flight_to_the_dependency(
    accounts_url: str, accounts_admin: httpx.AsyncClient
) -> None:
    # Rule: with 2 slots and a slow dependency, 2 of 6 concurrent calls go out; 4 fail fast.
    client = AccountsClient(
        accounts_url, settings(bulkhead_max_concurrent=2, bulkhead_max_wait_s=0)
    )
    await accounts_admin.put("/admin/faults", json={"latency_s": 0.5})
    before = await requests_seen(accounts_admin, "GET")

    results = await asyncio.gather(
        *(client.get_account(uuid.uuid4()) for _ in range(6)), return_exceptions=True
    )

    assert sum(isinstance(r, BulkheadFull) for r in results) == 4
    assert sum(r is None for r in results) == 2
    assert await requests_seen(accounts_admin, "GET") - before == 2
    await client.aclose()


async def test_a_refused_connection_is_an_upstream_error_not_a_crash() -> None:
    # Rule: nothing listening is a transient failure like any other: retried, then UpstreamError.
    client = AccountsClient(f"http://127.0.0.1:{free_port()}", settings(), sleep=no_sleep)

    with pytest.raises(UpstreamError, match="ConnectError on GET"):
        await client.get_account(uuid.uuid4())

    assert client.stats.attempts == 3
    await client.aclose()


async def test_the_servers_retry_after_sets_the_wait_before_each_retry(
    accounts_url: str, accounts_admin: httpx.AsyncClient
) -> None:
    # Rule: a 503 with `Retry-After: 2` is retried 2 s later, not after our few-millisecond guess.
    waits: list[float] = []

    async def record(delay: float) -> None:
        waits.append(delay)

    client = AccountsClient(accounts_url, settings(), sleep=record)
    await accounts_admin.put("/admin/faults", json={"error_rate": 1.0, "retry_after_s": 2})

    with pytest.raises(UpstreamError, match="503 on GET"):
        await client.get_account(uuid.uuid4())

    assert waits == [2.0, 2.0]
    await client.aclose()


async def test_a_retry_after_longer_than_the_deadline_is_not_waited_for(
    accounts_url: str, accounts_admin: httpx.AsyncClient
) -> None:
    # Rule: if the server's wait ends after our deadline, fail now and let the caller fall back.
    client = AccountsClient(accounts_url, settings(retry_deadline_s=1.0), sleep=no_sleep)
    await accounts_admin.put("/admin/faults", json={"error_rate": 1.0, "retry_after_s": 5})
    before = await requests_seen(accounts_admin, "GET")

    with pytest.raises(UpstreamError, match="503 on GET"):
        await client.get_account(uuid.uuid4())

    assert await requests_seen(accounts_admin, "GET") - before == 1
    assert client.retry_delays == []
    await client.aclose()
