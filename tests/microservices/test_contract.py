"""The accounts service's OpenAPI schema is the contract; the client's expectations are checked against it."""

import uuid
from typing import Literal

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from microservices.accounts_client import AccountsClient
from microservices.accounts_service import create_accounts_app
from microservices.contract import contract_violations
from microservices.failures import UpstreamError
from microservices.settings import MicroservicesSettings


async def test_the_running_accounts_service_satisfies_the_clients_expectations(
    accounts_url: str,
) -> None:
    # Rule: the schema the live provider serves meets every expectation of the client: no violations.
    async with httpx.AsyncClient(base_url=accounts_url) as client:
        openapi = (await client.get("/openapi.json")).json()

    assert contract_violations(openapi) == []


def test_the_providers_own_app_satisfies_the_contract_without_a_database() -> None:
    # Rule: the check needs only the schema, so it runs in the provider's CI before it deploys.
    app = create_accounts_app("postgresql://unused@127.0.0.1/unused")

    assert contract_violations(app.openapi()) == []


class RenamedCredit(BaseModel):
    """A provider change that looks harmless: `credit_cents` becomes `credit`."""

    id: uuid.UUID
    name: str
    status: Literal["active", "suspended"]
    credit: int


class NewStatus(BaseModel):
    """A provider change that adds a status the consumer has never heard of."""

    id: uuid.UUID
    name: str
    status: Literal["active", "suspended", "closed"]
    credit_cents: int


class StricterSignup(BaseModel):
    name: str
    credit_cents: int
    country: str  # newly required: the consumer never sends it


class SignupWithCredit(BaseModel):
    name: str
    credit_cents: int


def incompatible_provider(
    account: type[BaseModel],
    signup: type[BaseModel] = SignupWithCredit,
    read_path: str = "/accounts/{account_id}",
) -> FastAPI:
    """A fixture provider: the real routes' shapes, with one deliberate incompatible change.

    (No `from __future__ import annotations` in this file: the route signatures use local classes.)
    """
    app = FastAPI(title="accounts (incompatible)")

    @app.post("/accounts", status_code=201, response_model=account)
    async def open_account(new: signup) -> None:  # type: ignore[valid-type]
        raise NotImplementedError

    @app.get(read_path, response_model=account)
    async def get_account(account_id: uuid.UUID) -> None:
        raise NotImplementedError

    return app


@pytest.mark.parametrize(
    ("provider", "violation"),
    [
        (
            incompatible_provider(RenamedCredit),
            "GET /accounts/{account_id} response: field 'credit_cents' is not guaranteed (missing or optional)",
        ),
        (
            incompatible_provider(NewStatus),
            "GET /accounts/{account_id} response: field 'status' may be ['closed'], which the consumer rejects",
        ),
        (
            incompatible_provider(NewStatus, StricterSignup),
            "POST /accounts request: field 'country' is required but the consumer never sends it",
        ),
        (
            incompatible_provider(NewStatus, read_path="/v2/accounts/{account_id}"),
            "GET /accounts/{account_id}: the provider has no such operation",
        ),
    ],
    ids=["renamed-field", "new-enum-value", "new-required-input", "moved-route"],
)
def test_the_contract_check_catches_a_deliberately_incompatible_provider(
    provider: FastAPI, violation: str
) -> None:
    # Rule: each breaking change is reported, by operation and field, before anything deploys.
    assert violation in contract_violations(provider.openapi())


async def test_the_client_reports_a_provider_that_breaks_the_contract_as_a_dependency_failure() -> (
    None
):
    # Rule: at run time, an answer off the contract is an UpstreamError (the caller falls back),
    # not a crash in the consumer that becomes its own 500.
    provider = FastAPI()

    @provider.get("/accounts/{account_id}")
    async def renamed(account_id: uuid.UUID) -> dict[str, object]:
        return {"id": str(account_id), "name": "acme", "status": "active", "credit": 5}

    client = AccountsClient(
        "http://accounts.test",
        MicroservicesSettings(),
        transport=httpx.ASGITransport(app=provider),
    )
    account_id = uuid.uuid4()

    with pytest.raises(UpstreamError) as raised:
        await client.get_account(account_id)

    assert str(raised.value) == (
        f"accounts: answer to GET /accounts/{account_id} breaks the contract"
    )
    await client.aclose()


def test_a_provider_that_only_adds_a_response_field_stays_compatible() -> None:
    # Rule: the consumer is a tolerant reader: a new field it does not read breaks nothing.
    class AddedField(BaseModel):
        id: uuid.UUID
        name: str
        status: Literal["active", "suspended"]
        credit_cents: int
        currency: str

    assert contract_violations(incompatible_provider(AddedField).openapi()) == []
