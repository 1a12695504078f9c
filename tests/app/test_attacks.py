"""The composed app's attack suite: each test is one attack on the mini Twilio, labelled with the rule.

Two tenants, Alice and Bob, each with a token and an account, talk to the app over HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.walkthrough import PASSWORD
from backing_services import Settings
from error_handling.problems import PROBLEM_JSON

TO = "+15558675310"


@dataclass(frozen=True)
class Tenant:
    auth: dict[str, str]
    account: str
    sender: str

    def messages(self) -> str:
        return f"/2010-04-01/Accounts/{self.account}/Messages.json"

    def send(self, body: str = "hello") -> dict[str, str]:
        return {"To": TO, "From": self.sender, "Body": body}


def sign_up(client: TestClient, username: str) -> Tenant:
    client.post("/auth/users", json={"username": username, "password": PASSWORD})
    token = client.post(
        "/auth/token", data={"grant_type": "password", "username": username, "password": PASSWORD}
    ).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    account = client.post(
        "/2010-04-01/Accounts.json", data={"FriendlyName": username}, headers=auth
    )
    body = account.json()
    return Tenant(auth, body["sid"], body["phone_numbers"][0]["phone_number"])


@pytest.fixture
def client(redis_url: str, migrated_database_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(redis_url=redis_url, database_url=migrated_database_url))
    with TestClient(app, base_url="http://localhost") as client:
        yield client


@pytest.fixture
def alice(client: TestClient) -> Tenant:
    return sign_up(client, "alice")


@pytest.fixture
def bob(client: TestClient) -> Tenant:
    return sign_up(client, "bob")


def message_count(client: TestClient, tenant: Tenant) -> int:
    return len(client.get(tenant.messages(), headers=tenant.auth).json()["messages"])


# --- Idempotency-Key (Stripe's semantics: keys belong to one principal) ------------------------


@pytest.mark.parametrize(
    "credentials",
    [{}, {"Authorization": "Bearer garbage"}],
    ids=["no token", "garbage token"],
)
def test_a_stored_send_is_not_replayed_without_authentication(
    client: TestClient, alice: Tenant, credentials: dict[str, str]
) -> None:
    """Idempotency scope: a replay must authenticate first, so a key alone reveals nothing."""
    key = {"Idempotency-Key": "alice-send-1"}
    sent = client.post(alice.messages(), data=alice.send(), headers={**alice.auth, **key})

    replay = client.post(alice.messages(), data=alice.send(), headers={**credentials, **key})

    assert sent.status_code == 201
    assert replay.status_code == 401, replay.text
    assert replay.headers["content-type"] == PROBLEM_JSON
    assert "idempotent-replayed" not in replay.headers
    assert sent.json()["sid"] not in replay.text


def test_another_tenants_token_does_not_replay_a_stored_send(
    client: TestClient, alice: Tenant, bob: Tenant
) -> None:
    """Idempotency scope + BOLA: Bob's token on Alice's URL with Alice's key is Bob's request."""
    key = {"Idempotency-Key": "alice-send-1"}
    sent = client.post(alice.messages(), data=alice.send(), headers={**alice.auth, **key})

    replay = client.post(alice.messages(), data=alice.send(), headers={**bob.auth, **key})

    assert sent.status_code == 201
    assert replay.status_code == 404, replay.text
    assert "idempotent-replayed" not in replay.headers
    assert sent.json()["sid"] not in replay.text


def test_the_same_key_value_in_two_tenants_names_two_independent_requests(
    client: TestClient, alice: Tenant, bob: Tenant
) -> None:
    """Idempotency scope: Bob choosing the key Alice chose sends Bob's message, not a 422."""
    key = {"Idempotency-Key": "order-42"}
    alices = client.post(alice.messages(), data=alice.send(), headers={**alice.auth, **key})

    bobs = client.post(bob.messages(), data=bob.send(), headers={**bob.auth, **key})
    bobs_again = client.post(bob.messages(), data=bob.send(), headers={**bob.auth, **key})

    assert (alices.status_code, bobs.status_code) == (201, 201), bobs.text
    assert bobs.json()["account_sid"] == bob.account
    assert bobs_again.json()["sid"] == bobs.json()["sid"]
    assert bobs_again.headers["idempotent-replayed"] == "true"
    assert message_count(client, bob) == 1


def test_the_owner_still_gets_the_replay_of_their_own_send(
    client: TestClient, alice: Tenant
) -> None:
    """Idempotency: with the same credentials, the retry replays and sends nothing twice."""
    key = {"Idempotency-Key": "alice-send-1"}
    sent = client.post(alice.messages(), data=alice.send(), headers={**alice.auth, **key})

    again = client.post(alice.messages(), data=alice.send(), headers={**alice.auth, **key})

    assert again.status_code == 201
    assert again.json() == sent.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert message_count(client, alice) == 1
