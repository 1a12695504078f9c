"""Sending through the two services: the live check, every refusal, and the fallback when accounts fails."""

from __future__ import annotations

import uuid

import httpx

from tests.microservices.conftest import open_account, query_one

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
INVALID_REQUEST = "The request is not valid; see `errors` for each field."


async def send(messages_url: str, account_id: str, to: str = "+14155550100") -> httpx.Response:
    async with httpx.AsyncClient(base_url=messages_url) as client:
        return await client.post(
            "/messages", json={"account_id": account_id, "to": to, "body": "hello"}
        )


async def test_a_message_is_stored_with_its_billing_event_after_a_live_account_check(
    accounts_url: str, messages_url: str, shared_database_url: str
) -> None:
    # Rule: a 201 means the message and its outbox event were committed together.
    account_id = await open_account(accounts_url)

    response = await send(messages_url, account_id)

    assert response.status_code == 201
    assert response.json()["account_check"] == "live"
    message_id = response.json()["id"]
    assert (
        await query_one(
            shared_database_url, "SELECT count(*) FROM sent_messages WHERE id = %s", message_id
        )
        == 1
    )
    assert (
        await query_one(
            shared_database_url,
            "SELECT count(*) FROM outbox WHERE payload->>'message_id' = %s AND event_type = 'message.sent'",
            message_id,
        )
        == 1
    )


async def test_one_trace_spans_the_request_the_account_check_and_the_billing_event(
    accounts_url: str,
    messages_url: str,
    shared_database_url: str,
    accounts_admin: httpx.AsyncClient,
) -> None:
    # Rule: the caller's W3C trace continues as child spans (same trace id, new span ids) into the
    # call to accounts and into the outbox event, so work done elsewhere, later, joins one trace.
    account_id = await open_account(accounts_url)
    incoming = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
    async with httpx.AsyncClient(base_url=messages_url) as client:
        response = await client.post(
            "/messages",
            json={"account_id": account_id, "to": "+14155550100", "body": "traced"},
            headers={"traceparent": incoming},
        )

    to_accounts = (await accounts_admin.get("/admin/faults")).json()["last_traceparent"]
    to_billing = await query_one(
        shared_database_url,
        "SELECT traceparent FROM outbox WHERE payload->>'message_id' = %s",
        response.json()["id"],
    )
    assert to_accounts.startswith(f"00-{TRACE_ID}-")
    assert to_billing.startswith(f"00-{TRACE_ID}-")
    assert len({incoming, to_accounts, to_billing}) == 3  # three spans of one trace


async def test_sending_for_an_unknown_account_is_a_404_problem(messages_url: str) -> None:
    # Rule: the accounts service's 404 becomes the messages service's 404, naming the account.
    missing = str(uuid.uuid4())

    response = await send(messages_url, missing)

    assert response.status_code == 404
    assert response.json()["detail"] == f"account {missing} does not exist"


async def test_sending_without_credit_is_a_402_problem_and_stores_nothing(
    accounts_url: str, messages_url: str, shared_database_url: str
) -> None:
    # Rule: an account with less credit than the price is refused, and no message row is written.
    account_id = await open_account(accounts_url, credit_cents=0)

    response = await send(messages_url, account_id)

    assert response.status_code == 402
    assert response.json()["detail"] == (
        f"account {account_id} has 0 cents of credit; a message costs 1"
    )
    assert (
        await query_one(
            shared_database_url,
            "SELECT count(*) FROM sent_messages WHERE account_id = %s",
            account_id,
        )
        == 0
    )


async def test_sending_from_a_suspended_account_is_a_403_problem(
    accounts_url: str, messages_url: str, shared_database_url: str
) -> None:
    # Rule: a suspended account may not send, whatever its credit.
    account_id = await open_account(accounts_url)
    await query_one(
        shared_database_url,
        "UPDATE customer_accounts SET status = 'suspended' WHERE id = %s RETURNING id",
        account_id,
    )

    response = await send(messages_url, account_id)

    assert response.status_code == 403
    assert response.json()["detail"] == f"account {account_id} is suspended"


async def test_a_number_that_is_not_e164_is_a_422_problem(messages_url: str) -> None:
    # Rule: input is validated before any call to another service; the error names the field.
    response = await send(messages_url, str(uuid.uuid4()), to="0415 555 0100")

    assert response.status_code == 422
    assert response.json()["detail"] == INVALID_REQUEST
    assert response.json()["errors"][0]["location"] == ["body", "to"]


async def test_a_body_with_a_nul_character_is_a_422_problem(messages_url: str) -> None:
    # Rule: a body PostgreSQL cannot store is refused up front, naming the field, never a 500.
    async with httpx.AsyncClient(base_url=messages_url) as client:
        response = await client.post(
            "/messages",
            json={"account_id": str(uuid.uuid4()), "to": "+14155550100", "body": "a\u0000b"},
        )

    assert response.status_code == 422
    assert response.json()["detail"] == INVALID_REQUEST
    assert response.json()["errors"][0]["location"] == ["body", "body"]


async def test_a_recently_checked_account_is_served_from_the_fallback_when_accounts_fails(
    accounts_url: str, messages_url: str, accounts_admin: httpx.AsyncClient
) -> None:
    # Rule: with accounts failing, an account checked live before is allowed on its cached check.
    account_id = await open_account(accounts_url)
    assert (await send(messages_url, account_id)).json()["account_check"] == "live"
    await accounts_admin.put("/admin/faults", json={"error_rate": 1.0})

    response = await send(messages_url, account_id)

    assert response.status_code == 201
    assert response.json()["account_check"] == "cached"


async def test_an_unseen_account_gets_a_503_with_retry_after_when_accounts_fails(
    messages_url: str, accounts_admin: httpx.AsyncClient
) -> None:
    # Rule: no cached check to fall back on means a 503 problem with Retry-After, never a 500.
    await accounts_admin.put("/admin/faults", json={"error_rate": 1.0})
    account_id = str(uuid.uuid4())

    response = await send(messages_url, account_id)

    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["detail"] == (
        f"cannot check account {account_id}: accounts: 503 on GET /accounts/{account_id}"
    )
