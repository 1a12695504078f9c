"""The monolith: check, message and billing record in one transaction — all three, or none."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from microservices.monolith import create_monolith_app
from microservices.settings import MicroservicesSettings
from tests.microservices.conftest import query_one


async def open_account_in(database_url: str, credit_cents: int) -> str:
    account_id = str(uuid.uuid4())
    await query_one(
        database_url,
        "INSERT INTO customer_accounts (id, name, credit_cents) VALUES (%s, 'acme', %s) RETURNING id",
        account_id,
        credit_cents,
    )
    return account_id


def send(client: TestClient, account_id: str) -> dict[str, object]:
    response = client.post(
        "/messages", json={"account_id": account_id, "to": "+14155550100", "body": "hello"}
    )
    return {"status": response.status_code, **response.json()}


async def test_the_billing_record_is_committed_with_the_message_no_lag_to_wait_for(
    database_url: str,
) -> None:
    # Rule: when the monolith answers 201, the billing record already exists (same transaction).
    with TestClient(create_monolith_app(database_url, MicroservicesSettings())) as client:
        account_id = await open_account_in(database_url, 10)
        sent = send(client, account_id)

    assert sent["status"] == 201
    assert sent["account_check"] == "in-process"
    assert (
        await query_one(
            database_url, "SELECT count(*) FROM billing_records WHERE message_id = %s", sent["id"]
        )
        == 1
    )


async def test_a_refused_send_leaves_neither_a_message_nor_a_billing_record(
    database_url: str,
) -> None:
    # Rule: a 402 rolls the whole transaction back: nothing half-written.
    with TestClient(create_monolith_app(database_url, MicroservicesSettings())) as client:
        account_id = await open_account_in(database_url, 0)
        sent = send(client, account_id)

    assert sent["status"] == 402
    assert sent["detail"] == f"account {account_id} has 0 cents of credit; a message costs 1"
    assert await query_one(database_url, "SELECT count(*) FROM sent_messages") == 0
    assert await query_one(database_url, "SELECT count(*) FROM billing_records") == 0


async def test_the_monolith_answers_an_unknown_account_with_the_same_404(
    database_url: str,
) -> None:
    # Rule: both architectures give the client the same answer for the same mistake.
    missing = str(uuid.uuid4())
    with TestClient(create_monolith_app(database_url, MicroservicesSettings())) as client:
        sent = send(client, missing)

    assert sent["status"] == 404
    assert sent["detail"] == f"account {missing} does not exist"
