"""Deadline propagation: what is left of the caller's deadline travels with each call, and bounds it."""

from __future__ import annotations

import uuid

import httpx
import pytest

from microservices.accounts_client import AccountsClient
from microservices.deadlines import DEADLINE_PASSED, HEADER, Deadline, parse_timeout_ms
from microservices.failures import UpstreamError
from microservices.settings import MicroservicesSettings
from tests.microservices.conftest import open_account

PROBLEM_JSON = "application/problem+json"


def patient_settings() -> MicroservicesSettings:
    # Our own timeouts are long, so that only the caller's deadline can cut a call short.
    return MicroservicesSettings(
        total_timeout_s=5.0, retry_deadline_s=30.0, max_attempts=3, breaker_failure_threshold=1000
    )


async def requests_seen(admin: httpx.AsyncClient) -> int:
    return int((await admin.get("/admin/faults")).json()["requests"].get("GET", 0))


async def test_the_account_check_carries_what_is_left_of_the_callers_deadline(
    accounts_url: str, messages_url: str, accounts_admin: httpx.AsyncClient
) -> None:
    # Rule: a caller that allows 5 s gets a check to accounts that is told it has at most that.
    account_id = await open_account(accounts_url)

    async with httpx.AsyncClient(base_url=messages_url) as client:
        response = await client.post(
            "/messages",
            json={"account_id": account_id, "to": "+14155550100", "body": "hello"},
            headers={HEADER: "5000"},
        )

    assert response.status_code == 201, response.text
    forwarded = (await accounts_admin.get("/admin/faults")).json()["last_timeout_ms"]
    assert 0 < int(forwarded) <= 5000


async def test_a_request_whose_deadline_has_passed_is_refused_without_work(
    accounts_url: str, accounts_admin: httpx.AsyncClient
) -> None:
    # Rule: no time left means the caller has gone; doing the work would only load the service.
    before = await requests_seen(accounts_admin)

    response = await accounts_admin.get(f"/accounts/{uuid.uuid4()}", headers={HEADER: "0"})

    assert response.status_code == 504
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["detail"] == DEADLINE_PASSED
    assert await requests_seen(accounts_admin) == before


async def test_the_provider_stops_working_when_the_callers_deadline_runs_out(
    accounts_url: str, accounts_admin: httpx.AsyncClient
) -> None:
    # Rule: a request that would take 2 s, sent with 100 ms left, is abandoned with a 504 problem.
    await accounts_admin.put("/admin/faults", json={"latency_s": 2.0})

    response = await accounts_admin.get(f"/accounts/{uuid.uuid4()}", headers={HEADER: "100"})

    assert response.status_code == 504
    assert response.json()["detail"] == DEADLINE_PASSED


async def test_the_client_waits_no_longer_than_the_callers_deadline(
    accounts_url: str, accounts_admin: httpx.AsyncClient
) -> None:
    # Rule: our own timeout allows 5 s, but the caller's 200 ms rule; no retry is left after it.
    client = AccountsClient(accounts_url, patient_settings())
    await accounts_admin.put("/admin/faults", json={"latency_s": 2.0})

    with pytest.raises(UpstreamError, match="TimeoutError on GET"):
        await client.get_account(uuid.uuid4(), deadline=Deadline.after(0.2))

    assert client.stats.attempts == 1
    await client.aclose()


async def test_a_call_whose_deadline_has_already_passed_is_not_sent(
    accounts_url: str, accounts_admin: httpx.AsyncClient
) -> None:
    # Rule: nothing is sent for a caller that has already given up.
    client = AccountsClient(accounts_url, patient_settings())
    before = await requests_seen(accounts_admin)

    with pytest.raises(UpstreamError, match="deadline passed before GET"):
        await client.get_account(uuid.uuid4(), deadline=Deadline.after(0))

    assert (client.stats.attempts, await requests_seen(accounts_admin)) == (0, before)
    await client.aclose()


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("1500", 1.5), ("0", 0.0), (None, None), ("-1", None), ("1e3", None), ("²", None)],
)
def test_the_timeout_header_is_whole_milliseconds_or_ignored(
    header: str | None, seconds: float | None
) -> None:
    # Rule: a malformed header is ignored (our own timeouts still apply), never a 500.
    assert parse_timeout_ms(header) == seconds
