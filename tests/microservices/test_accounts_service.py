"""The accounts service's routes and its fault switch answer bad input with exact problem+json errors."""

from __future__ import annotations

import uuid

import httpx
from fastapi.testclient import TestClient

from microservices.accounts_service import (
    FAULTS_DISABLED,
    FAULTS_LOOPBACK_ONLY,
    create_accounts_app,
)
from microservices.faults import INJECTED_ERROR
from microservices.settings import MicroservicesSettings

PROBLEM_JSON = "application/problem+json"
INVALID_REQUEST = "The request is not valid; see `errors` for each field."


async def test_an_opened_account_can_be_read_back(accounts_url: str) -> None:
    # Rule: POST /accounts answers 201 with the account; GET returns the same account, active.
    async with httpx.AsyncClient(base_url=accounts_url) as client:
        opened = await client.post("/accounts", json={"name": "acme", "credit_cents": 250})
        read = await client.get(f"/accounts/{opened.json()['id']}")

    assert opened.status_code == 201
    assert read.json() == {**opened.json(), "status": "active", "credit_cents": 250}


async def test_an_unknown_account_is_a_404_problem(accounts_url: str) -> None:
    # Rule: a well-formed id that names no account is 404 with the id in the detail.
    missing = uuid.uuid4()
    async with httpx.AsyncClient(base_url=accounts_url) as client:
        response = await client.get(f"/accounts/{missing}")

    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["detail"] == f"account {missing} does not exist"


async def test_a_malformed_account_id_is_a_422_problem(accounts_url: str) -> None:
    # Rule: an id that is not a UUID is rejected before any query, naming the parameter.
    async with httpx.AsyncClient(base_url=accounts_url) as client:
        response = await client.get("/accounts/not-a-uuid")

    assert response.status_code == 422
    assert response.json()["detail"] == INVALID_REQUEST
    assert response.json()["errors"][0]["location"] == ["path", "account_id"]


async def test_negative_credit_is_a_422_problem(accounts_url: str) -> None:
    # Rule: credit cannot be negative; the error names the field.
    async with httpx.AsyncClient(base_url=accounts_url) as client:
        response = await client.post("/accounts", json={"name": "acme", "credit_cents": -1})

    assert response.status_code == 422
    assert response.json()["detail"] == INVALID_REQUEST
    assert response.json()["errors"][0]["location"] == ["body", "credit_cents"]


async def test_a_name_with_a_control_character_is_a_422_problem_not_a_500(
    accounts_url: str,
) -> None:
    # Rule: PostgreSQL text cannot hold NUL; the model refuses it before the database does.
    # (Schemathesis found this one: it was a 500.)
    async with httpx.AsyncClient(base_url=accounts_url) as client:
        response = await client.post("/accounts", json={"name": "a\u0000b", "credit_cents": 1})

    assert response.status_code == 422
    assert response.json()["detail"] == INVALID_REQUEST
    assert response.json()["errors"][0]["location"] == ["body", "name"]


async def test_an_error_rate_above_one_is_a_422_problem(
    accounts_admin: httpx.AsyncClient,
) -> None:
    # Rule: fault settings are validated like any input; a rate above 1 is refused, not clamped.
    response = await accounts_admin.put("/admin/faults", json={"error_rate": 1.5})

    assert response.status_code == 422
    assert response.json()["detail"] == INVALID_REQUEST
    assert response.json()["errors"][0]["location"] == ["body", "error_rate"]


async def test_an_injected_error_is_a_503_problem_that_says_it_was_injected(
    accounts_url: str, accounts_admin: httpx.AsyncClient
) -> None:
    # Rule: with error_rate 1 every non-admin request gets a 503 saying the fault is deliberate.
    await accounts_admin.put("/admin/faults", json={"error_rate": 1.0})

    async with httpx.AsyncClient(base_url=accounts_url) as client:
        response = await client.get(f"/accounts/{uuid.uuid4()}")

    assert response.status_code == 503
    assert response.json()["detail"] == INJECTED_ERROR


def test_the_fault_switch_is_refused_when_fault_injection_is_off(database_url: str) -> None:
    # Rule: by default (the safe setting) the admin route answers 403 and says how to enable it.
    app = create_accounts_app(database_url, MicroservicesSettings(fault_injection=False))
    with TestClient(app, client=("127.0.0.1", 50000)) as client:
        response = client.put("/admin/faults", json={"outage": True})

    assert response.status_code == 403
    assert response.json()["detail"] == FAULTS_DISABLED


def test_the_fault_switch_is_refused_from_a_non_loopback_address(database_url: str) -> None:
    # Rule: even when enabled, only a caller on this machine may switch faults.
    app = create_accounts_app(database_url, MicroservicesSettings(fault_injection=True))
    with TestClient(app, client=("203.0.113.7", 50000)) as client:
        response = client.put("/admin/faults", json={"outage": True})

    assert response.status_code == 403
    assert response.json()["detail"] == FAULTS_LOOPBACK_ONLY
