"""API keys: a secret shown once and stored as a keyed hash; 401 for who you are, 403 for what you may do."""

from __future__ import annotations

import base64
import hashlib
import hmac

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from api_security.api_key_routes import ESCALATION, MALFORMED, MAX_PAGE_SIZE, NO_CREDENTIALS
from api_security.api_keys import REVOKED, WRONG_CREDENTIALS, ApiKey, ApiKeyStore, NewApiKey

CHALLENGE = 'Basic realm="api"'


def assert_problem(response: httpx.Response, status: int, detail: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == detail


async def test_a_new_key_returns_its_secret_once_and_stores_only_a_keyed_hash(
    client: httpx.AsyncClient, root_auth: tuple[str, str], app: FastAPI
) -> None:
    # Rule: the create response is the only place the secret appears; the row holds HMAC(pepper, secret).
    created = await client.post(
        "/api-keys", auth=root_auth, json={"friendly_name": "ci", "scopes": ["messages:write"]}
    )
    listed = await client.get("/api-keys", auth=root_auth)

    assert created.status_code == 201
    secret, sid = created.json()["secret"], created.json()["sid"]
    assert sid.startswith("SK") and len(secret) >= 43  # 32 random bytes, base64url
    assert all("secret" not in key and "secret_hash" not in key for key in listed.json())
    async with app.state.engine.connect() as connection:
        stored = (
            await connection.execute(select(ApiKey.secret_hash).where(ApiKey.sid == sid))
        ).scalar_one()
    assert stored == hmac.new(b"test-pepper", secret.encode(), hashlib.sha256).digest()
    assert secret.encode() not in stored


async def test_the_new_key_authenticates_with_its_secret(
    client: httpx.AsyncClient, root_auth: tuple[str, str]
) -> None:
    # Rule: SID as user, secret as password, over HTTP Basic (as Twilio's API keys work).
    created = (
        await client.post(
            "/api-keys", auth=root_auth, json={"friendly_name": "r", "scopes": ["api-keys:read"]}
        )
    ).json()

    response = await client.get("/api-keys", auth=(created["sid"], created["secret"]))

    assert response.status_code == 200


async def test_using_a_key_records_when_it_was_last_used(
    client: httpx.AsyncClient, root_key: NewApiKey, root_auth: tuple[str, str]
) -> None:
    # Rule: last_used_at is null until the first use, then set (at most once a minute).
    before = (await client.get("/api-keys", auth=root_auth)).json()
    after = (await client.get("/api-keys", auth=root_auth)).json()

    assert root_key.key.last_used_at is None
    assert before[0]["last_used_at"] is not None
    assert after[0]["last_used_at"] == before[0]["last_used_at"]


async def test_no_credentials_is_a_401_with_a_challenge(client: httpx.AsyncClient) -> None:
    # Rule: no Authorization header → 401, WWW-Authenticate says how to authenticate.
    response = await client.get("/api-keys")

    assert_problem(response, 401, NO_CREDENTIALS)
    assert response.headers["www-authenticate"] == CHALLENGE


async def test_malformed_basic_credentials_are_a_401(client: httpx.AsyncClient) -> None:
    # Rule: a header that is not Basic base64(sid:secret) is a 401, not a 500.
    for header in ("Bearer abc", "Basic !!!", "Basic " + base64.b64encode(b"no-colon").decode()):
        response = await client.get("/api-keys", headers={"Authorization": header})
        assert_problem(response, 401, MALFORMED)


async def test_a_wrong_secret_is_a_401(client: httpx.AsyncClient, root_key: NewApiKey) -> None:
    # Rule: the right SID with the wrong secret is refused.
    response = await client.get("/api-keys", auth=(root_key.key.sid, root_key.secret + "x"))

    assert_problem(response, 401, WRONG_CREDENTIALS)


async def test_an_unknown_sid_gets_the_same_answer_as_a_wrong_secret(
    client: httpx.AsyncClient,
) -> None:
    # Rule: the answer does not reveal whether a SID exists.
    response = await client.get("/api-keys", auth=("SK" + "0" * 32, "whatever"))

    assert_problem(response, 401, WRONG_CREDENTIALS)


async def test_a_malformed_sid_with_a_nul_byte_is_a_401_not_a_500(
    client: httpx.AsyncClient,
) -> None:
    # Rule: credentials never reach the database unless the SID has the SID shape.
    response = await client.get("/api-keys", auth=("SK\x00", "whatever"))

    assert_problem(response, 401, WRONG_CREDENTIALS)


async def test_a_revoked_key_is_a_401(
    client: httpx.AsyncClient, root_auth: tuple[str, str]
) -> None:
    # Rule: after DELETE, the key's holder is told it was revoked and gets nothing else.
    created = (
        await client.post(
            "/api-keys", auth=root_auth, json={"friendly_name": "old", "scopes": ["api-keys:read"]}
        )
    ).json()

    revoked = await client.delete(f"/api-keys/{created['sid']}", auth=root_auth)
    response = await client.get("/api-keys", auth=(created["sid"], created["secret"]))

    assert revoked.status_code == 204
    assert_problem(response, 401, REVOKED)


async def test_revoking_an_unknown_key_is_a_404(
    client: httpx.AsyncClient, root_auth: tuple[str, str]
) -> None:
    # Rule: deleting what does not exist says so.
    unknown = "SK" + "0" * 32
    response = await client.delete(f"/api-keys/{unknown}", auth=root_auth)

    assert_problem(response, 404, f"No API key {unknown}.")


async def test_revoking_a_malformed_sid_is_a_422(
    client: httpx.AsyncClient, root_auth: tuple[str, str]
) -> None:
    # Rule: a path that cannot be a SID (here with a NUL byte) is refused by validation, not by the database.
    response = await client.delete("/api-keys/SK%00", auth=root_auth)

    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == ["path", "sid"]


async def test_a_key_without_the_scope_is_a_403(
    client: httpx.AsyncClient, root_auth: tuple[str, str]
) -> None:
    # Rule: authenticated but not allowed → 403, naming the missing scope.
    created = (
        await client.post(
            "/api-keys",
            auth=root_auth,
            json={"friendly_name": "sender", "scopes": ["messages:write"]},
        )
    ).json()

    response = await client.get("/api-keys", auth=(created["sid"], created["secret"]))

    assert_problem(response, 403, "This API key lacks the scope 'api-keys:read'.")


async def test_a_key_cannot_mint_a_key_with_more_scopes_than_its_own(
    client: httpx.AsyncClient, store: ApiKeyStore
) -> None:
    # Rule: no privilege escalation through key creation (OWASP API5, broken function-level authz).
    minter = await store.create("minter", ["api-keys:write"], owner="ACminter")

    response = await client.post(
        "/api-keys",
        auth=(minter.key.sid, minter.secret),
        json={"friendly_name": "bigger", "scopes": ["api-keys:write", "messages:write"]},
    )

    assert_problem(response, 403, ESCALATION.format(missing="messages:write"))


async def test_unknown_fields_in_a_new_key_are_refused(
    client: httpx.AsyncClient, root_auth: tuple[str, str]
) -> None:
    # Rule: mass assignment is refused: a client cannot set fields the API does not accept.
    response = await client.post(
        "/api-keys",
        auth=root_auth,
        json={"friendly_name": "x", "scopes": ["api-keys:read"], "revoked_at": None},
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["type"] == "extra_forbidden"


async def test_an_unknown_scope_is_refused(
    client: httpx.AsyncClient, root_auth: tuple[str, str]
) -> None:
    # Rule: scopes come from a closed list.
    response = await client.post(
        "/api-keys", auth=root_auth, json={"friendly_name": "x", "scopes": ["admin"]}
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == ["body", "scopes", 0]


async def test_a_page_larger_than_the_cap_is_refused(
    client: httpx.AsyncClient, root_auth: tuple[str, str]
) -> None:
    # Rule: pagination is capped, so one request cannot dump the table (OWASP API4).
    response = await client.get(f"/api-keys?limit={MAX_PAGE_SIZE + 1}", auth=root_auth)

    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == ["query", "limit"]
