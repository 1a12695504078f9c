"""Bad input to the REST twin gets a clear problem+json with the right 4xx status, never a 500."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from error_handling.problems import install_problem_handlers
from rest_vs_graphql.rest_api import create_rest_router
from rest_vs_graphql.seed import SeedReport

PROBLEM = "application/problem+json"


def messages_url(account_sid: str) -> str:
    return f"/2010-04-01/Accounts/{account_sid}/Messages.json"


async def test_an_invalid_page_token_is_a_400(client: httpx.AsyncClient, account_sid: str) -> None:
    # Rule: a token we did not issue is refused, with advice, not a crash.
    response = await client.get(messages_url(account_sid), params={"PageToken": "not-a-token"})

    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["detail"] == (
        "The page token is not one this API issued; start again from the first page."
    )


async def test_an_oversized_page_size_is_a_422(client: httpx.AsyncClient, account_sid: str) -> None:
    # Rule: PageSize is bounded by settings (100), and the message says so.
    response = await client.get(messages_url(account_sid), params={"PageSize": 1000})

    assert response.status_code == 422
    assert response.json()["detail"] == "PageSize must be between 1 and 100; got 1000."


async def test_a_page_size_that_is_not_a_number_is_a_422(
    client: httpx.AsyncClient, account_sid: str
) -> None:
    # Rule: FastAPI's own validation also answers as problem+json, naming the parameter.
    response = await client.get(messages_url(account_sid), params={"PageSize": "many"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == ["query", "PageSize"]


async def test_an_unknown_account_sid_is_a_404(
    client: httpx.AsyncClient, seeded: SeedReport
) -> None:
    # Rule: an empty list and a missing account are told apart.
    response = await client.get(messages_url("AC" + "0" * 32))

    assert response.status_code == 404
    assert response.json()["detail"] == f"No account AC{'0' * 32} is visible to you."


async def test_an_unknown_message_sid_is_a_404(client: httpx.AsyncClient, account_sid: str) -> None:
    # Rule: fetching a message that is not in the account names both SIDs.
    sid = "SM" + "f" * 32

    response = await client.get(f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json")

    assert response.status_code == 404
    assert response.json()["detail"] == f"No message {sid} in account {account_sid}."


async def test_creating_a_message_with_bad_fields_lists_each_error(
    client: httpx.AsyncClient, account_sid: str
) -> None:
    # Rule: validation reports every bad field at once, by its Twilio parameter name.
    response = await client.post(
        messages_url(account_sid), data={"To": "555", "From": "+1415", "Body": "  "}
    )

    assert response.status_code == 422
    assert response.json()["detail"] == "The message is not valid; see `errors` for each field."
    assert response.json()["errors"] == [
        {"field": "To", "message": "must be an E.164 number"},
        {"field": "Body", "message": "must not be empty"},
    ]


async def test_sending_from_a_number_the_account_does_not_own_is_a_422(
    client: httpx.AsyncClient, account_sid: str
) -> None:
    # Rule: From must be one of the account's own numbers.
    response = await client.post(
        messages_url(account_sid), data={"To": "+16285550100", "From": "+19995550000", "Body": "hi"}
    )

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "From", "message": "is not a phone number of this account"}
    ]


async def test_a_missing_form_field_is_a_422(client: httpx.AsyncClient, account_sid: str) -> None:
    # Rule: a missing Body is named in `errors`, not a 500.
    response = await client.post(messages_url(account_sid), data={"To": "+1", "From": "+1"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == ["body", "Body"]


async def test_a_json_body_is_a_415_naming_the_form_encoding(
    client: httpx.AsyncClient, account_sid: str
) -> None:
    # Rule: like Twilio's API, creation takes form fields; JSON is refused with the reason.
    response = await client.post(
        messages_url(account_sid), json={"To": "+16285550100", "From": "+1", "Body": "hi"}
    )

    assert response.status_code == 415
    assert response.json()["detail"] == (
        "Send the message as application/x-www-form-urlencoded (To, From, Body), as Twilio's API takes it."
    )


@pytest.fixture
async def signed_in_client(
    engine: AsyncEngine, seeded: SeedReport
) -> AsyncIterator[httpx.AsyncClient]:
    """A REST twin whose caller is always the first account, as an auth dependency would say."""

    async def first_account() -> str:
        return seeded.account_sids[0]

    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(create_rest_router(async_sessionmaker(engine), caller=first_account))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://twins.test") as client:
        yield client


async def test_another_accounts_data_is_a_404_for_a_signed_in_caller(
    signed_in_client: httpx.AsyncClient, seeded: SeedReport
) -> None:
    # Rule: the service layer's authorization hook hides other accounts (404, not 403).
    own, other = seeded.account_sids

    mine = await signed_in_client.get(messages_url(own))
    theirs = await signed_in_client.get(messages_url(other))

    assert mine.status_code == 200
    assert theirs.status_code == 404
    assert theirs.json()["detail"] == f"No account {other} is visible to you."
