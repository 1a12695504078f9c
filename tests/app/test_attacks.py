"""The composed app's attack suite: each test is one attack on the mini Twilio, labelled with the rule.

Two tenants, Alice and Bob, each with a token and an account, talk to the app over HTTP.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import AppSettings
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


# --- control characters (PostgreSQL refuses NUL in text; OWASP Input Validation Cheat Sheet) ---

CONTROL_CHARACTERS = ["\x00", "\x1b", "\x7f", "\x85"]
SM = "SM" + "0" * 32


# (what, method, path template, request kwargs with {nul} where the attack goes, error location)
NUL_CASES: list[tuple[str, str, str, dict[str, Any], list[str]]] = [
    (
        "login username",
        "POST",
        "/auth/token",
        {"data": {"grant_type": "password", "username": "a{nul}", "password": PASSWORD}},
        ["body", "username"],
    ),
    (
        "message id",
        "GET",
        "/2010-04-01/Accounts/{account}/Messages/SM{nul}.json",
        {},
        ["path", "MessageSid"],
    ),
    (
        "phone number id",
        "GET",
        "/2010-04-01/Accounts/{account}/IncomingPhoneNumbers/PN{nul}.json",
        {},
        ["path", "PhoneNumberSid"],
    ),
    (
        "conversation id",
        "GET",
        "/2010-04-01/Accounts/{account}/Conversations/CV{nul}/Participants.json",
        {},
        ["path", "ConversationSid"],
    ),
    (
        "message body",
        "POST",
        "/2010-04-01/Accounts/{account}/Messages.json",
        {"data": {"To": TO, "From": "{sender}", "Body": "hi{nul}"}},
        ["body", "Body"],
    ),
    (
        "status callback",
        "POST",
        "/2010-04-01/Accounts/{account}/Messages.json",
        {
            "data": {
                "To": TO,
                "From": "{sender}",
                "Body": "hi",
                "StatusCallback": "https://a{nul}.example/",
            }
        },
        ["body", "StatusCallback"],
    ),
    (
        "friendly name",
        "POST",
        "/2010-04-01/Accounts.json",
        {"data": {"FriendlyName": "a{nul}"}},
        ["body", "FriendlyName"],
    ),
    (
        "display name",
        "PATCH",
        "/auth/me",
        {"json": {"display_name": "a{nul}"}},
        ["body", "display_name"],
    ),
]


def _fill(value: Any, fill: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, fill) for k, v in value.items()}
    return value.replace("{nul}", fill["nul"]).format_map(fill) if isinstance(value, str) else value


@pytest.mark.parametrize("control", CONTROL_CHARACTERS[:2], ids=repr)
@pytest.mark.parametrize(
    ("what", "method", "path", "kwargs", "location"), NUL_CASES, ids=[c[0] for c in NUL_CASES]
)
def test_a_control_character_in_any_text_input_is_a_422_naming_the_field(
    client: TestClient,
    alice: Tenant,
    control: str,
    what: str,
    method: str,
    path: str,
    kwargs: dict[str, Any],
    location: list[str],
) -> None:
    """Input validation: NUL and other control characters are refused where text comes in."""
    fill = {"nul": control, "account": alice.account, "sender": alice.sender}
    url = path.replace("{nul}", quote(control)).format_map(fill)

    response = client.request(method, url, headers=alice.auth, **_fill(kwargs, fill))

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    [error] = [e for e in response.json()["errors"] if e["location"] == location]
    assert "control characters" in error["message"]


def test_a_message_body_may_still_hold_line_breaks_and_tabs(
    client: TestClient, alice: Tenant
) -> None:
    """Input validation: an SMS body is free text; refusing controls must not refuse a new line."""
    sent = client.post(
        alice.messages(), data=alice.send("line one\r\nline two\tend"), headers=alice.auth
    )

    assert sent.status_code == 201, sent.text
    assert sent.json()["body"] == "line one\r\nline two\tend"


def _url_with(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda match: quote(values.get(match[1], "x")), path)


def _inputs(app: FastAPI) -> Iterator[tuple[str, str, str, str]]:
    """Every (method, path, where, name) of a text input the OpenAPI document declares."""
    document = app.openapi()
    schemas = document.get("components", {}).get("schemas", {})
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if (
                    parameter["schema"].get("type", "string") == "string"
                    or "anyOf" in parameter["schema"]
                ):
                    yield method.upper(), path, parameter["in"], parameter["name"]
            for media, body in operation.get("requestBody", {}).get("content", {}).items():
                schema = body["schema"]
                schema = schemas[schema["$ref"].rsplit("/", 1)[1]] if "$ref" in schema else schema
                for name in schema.get("properties", {}):
                    yield method.upper(), path, media, name


@pytest.mark.parametrize("control", CONTROL_CHARACTERS, ids=repr)
def test_no_route_answers_a_control_character_with_a_5xx(
    client: TestClient, alice: Tenant, control: str
) -> None:
    """Input validation sweep: every text input of every route, one at a time, holds a control character."""
    assert isinstance(client.app, FastAPI)
    fill = {"AccountSid": alice.account, "MessageSid": SM, "PhoneNumberSid": "PN" + SM[2:]}
    bad = f"x{control}y"
    swept = 0
    for method, path, where, name in _inputs(client.app):
        url = _url_with(path, {**fill, **({name: bad} if where == "path" else {})})
        query = {name: bad} if where == "query" else {}
        form = {name: bad} if where == "application/x-www-form-urlencoded" else None
        body = {name: bad} if where == "application/json" else None
        response = client.request(
            method, url, params=query, data=form, json=body, headers=alice.auth
        )
        assert response.status_code < 500, (method, path, name, response.text)
        swept += 1
    assert swept >= 20, "the sweep found too few inputs: has the OpenAPI document changed?"


GRAPHQL_NUL_CASES = [
    ("message id", 'query($a: String!) { message(accountSid: $a, sid: "SM\\u0000") { sid } }'),
    (
        "message body",
        "mutation($a: String!, $f: String!) { createMessage(input: "
        '{accountSid: $a, from: $f, to: "+15558675310", body: "hi\\u0000"}) { sid } }',
    ),
]


@pytest.mark.parametrize(
    ("what", "document"), GRAPHQL_NUL_CASES, ids=[c[0] for c in GRAPHQL_NUL_CASES]
)
def test_a_nul_in_a_graphql_argument_is_a_validation_error_not_a_5xx(
    client: TestClient, alice: Tenant, what: str, document: str
) -> None:
    """Input validation: GraphQL arguments get the same plain-text rule as REST fields."""
    variables = {"a": alice.account, "f": alice.sender}

    response = client.post(
        "/graphql", json={"query": document, "variables": variables}, headers=alice.auth
    )

    assert response.status_code < 500, response.text
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "validation-failed"
    assert "control characters" in error["message"]
    assert message_count(client, alice) == 0


PAGES_ONLY = (
    "query($a: String!) { account(sid: $a) { messages(first: 5) { edges { node { sid body } } } } }"
)


def test_another_tenants_messages_by_graphql_are_not_found_when_only_pages_are_asked(
    client: TestClient, alice: Tenant, bob: Tenant
) -> None:
    """BOLA (OWASP API1:2023): an account asked only for its pages is never read, so the page
    itself must refuse a stranger, in the same words as a missing account."""
    client.post(bob.messages(), data=bob.send(), headers=bob.auth)

    response = client.post(
        "/graphql", json={"query": PAGES_ONLY, "variables": {"a": bob.account}}, headers=alice.auth
    )

    body = response.json()
    assert response.status_code == 200, response.text
    assert body["data"] == {"account": None}
    [error] = body["errors"]
    assert error["message"] == f"No account {bob.account} is visible to you."
    assert error["extensions"]["code"] == "not-found"
    assert message_count(client, bob) == 1  # Bob's message exists, and Alice saw none of it


# --- GraphQL batching (OWASP API4:2023): aliased mutations each get their own outcome ----------

SEND = (
    '{alias}: createMessage(input: {{accountSid: $a, from: $f, to: "+15558675310", body: "hi"}})'
    " {{ sid }}"
)


def test_aliased_sends_past_the_limit_each_report_their_own_outcome(
    redis_url: str, migrated_database_url: str
) -> None:
    """Per-mutation outcome: sends that committed keep their result; the refused one is null + error."""
    settings = Settings(redis_url=redis_url, database_url=migrated_database_url)
    app = create_app(settings, AppSettings(send_burst=2))
    with TestClient(app, base_url="http://localhost") as client:
        alice = sign_up(client, "alice")
        sends = " ".join(SEND.format(alias=alias) for alias in ("first", "second", "third"))
        document = f"mutation($a: String!, $f: String!) {{ {sends} }}"

        response = client.post(
            "/graphql",
            json={"query": document, "variables": {"a": alice.account, "f": alice.sender}},
            headers=alice.auth,
        )
        stored = message_count(client, alice)

    data, [error] = response.json()["data"], response.json()["errors"]
    assert data["first"]["sid"].startswith("SM") and data["second"]["sid"].startswith("SM")
    assert data["third"] is None
    assert error["path"] == ["third"]
    assert error["extensions"]["code"] == "rate-limited"
    assert stored == 2  # exactly the sends the response reports, no more, no fewer
