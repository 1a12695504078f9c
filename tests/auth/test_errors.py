"""One test per error path of the endpoints: exact status, exact message, problem+json."""

from __future__ import annotations

import httpx
import pytest

from tests.auth.conftest import PASSWORD, LoggedIn


async def test_a_request_without_a_token_gets_a_bare_bearer_challenge(
    client: httpx.AsyncClient,
) -> None:
    # RFC 6750 §3.1: with no credentials, 401 and a challenge without an error code.
    response = await client.get("/auth/me")

    assert response.status_code == 401
    assert response.json()["detail"] == (
        "This request needs a bearer access token in the Authorization header."
    )
    assert response.headers["www-authenticate"] == 'Bearer realm="api"'


async def test_another_authorization_scheme_is_treated_as_no_token(
    client: httpx.AsyncClient,
) -> None:
    # Only `Bearer` is spoken here; Basic credentials are not a bearer token.
    response = await client.get("/auth/me", headers={"Authorization": "Basic YWxpY2U6cGFzcw=="})

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="api"'


async def test_registering_a_taken_username_is_409(
    client: httpx.AsyncClient, alice: LoggedIn
) -> None:
    # Usernames are unique; the database's constraint decides, so two racing sign-ups cannot both win.
    response = await client.post("/auth/users", json={"username": "alice", "password": PASSWORD})

    assert response.status_code == 409
    assert response.json()["detail"] == "The username 'alice' is taken."


async def test_a_password_shorter_than_15_characters_is_refused(
    client: httpx.AsyncClient,
) -> None:
    # OWASP Authentication Cheat Sheet: without MFA, at least 15 characters.
    response = await client.post("/auth/users", json={"username": "shorty", "password": "x" * 14})

    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == ["body", "password"]
    assert response.json()["errors"][0]["type"] == "string_too_short"


@pytest.mark.parametrize("username", ["ab", "Alice", "a b c", "a" * 33, "../etc"])
async def test_a_malformed_username_is_refused(client: httpx.AsyncClient, username: str) -> None:
    # Usernames are 3–32 lowercase letters, digits and `_.-`, starting with a letter or digit.
    response = await client.post("/auth/users", json={"username": username, "password": PASSWORD})

    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == ["body", "username"]


async def test_an_unsupported_grant_type_is_400(client: httpx.AsyncClient) -> None:
    # RFC 6749 §5.2: `unsupported_grant_type`.
    response = await client.post("/auth/token", data={"grant_type": "client_credentials"})

    assert response.status_code == 400
    assert response.json()["detail"] == "Supported grant types are 'password' and 'refresh_token'."
    assert response.json()["error"] == "unsupported_grant_type"


@pytest.mark.parametrize(
    ("form", "missing"),
    [
        ({"grant_type": "password", "password": PASSWORD}, "username"),
        ({"grant_type": "password", "username": "alice"}, "password"),
        ({"grant_type": "refresh_token"}, "refresh_token"),
    ],
)
async def test_a_grant_missing_a_field_is_422(
    client: httpx.AsyncClient, form: dict[str, str], missing: str
) -> None:
    # Each grant names the field it lacks.
    response = await client.post("/auth/token", data=form)

    assert response.status_code == 422
    grant = form["grant_type"]
    assert response.json()["detail"] == f"The {grant} grant needs the form field {missing!r}."


async def test_an_unknown_refresh_token_is_invalid_grant(client: httpx.AsyncClient) -> None:
    # RFC 6749 §5.2: an unknown refresh token is `invalid_grant`.
    response = await client.post(
        "/auth/token", data={"grant_type": "refresh_token", "refresh_token": "rt_made-up"}
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "The refresh token is not recognised."
    assert response.json()["error"] == "invalid_grant"


async def test_a_refresh_asking_for_a_scope_is_refused(
    client: httpx.AsyncClient, alice: LoggedIn
) -> None:
    # A refresh keeps the session's scope (cut to the role's); it cannot be used to change it.
    response = await client.post(
        "/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": alice.refresh_token, "scope": "x"},
    )

    assert response.status_code == 400
    assert response.json()["detail"] == (
        "The refresh_token grant keeps the session's scope; log in again for a different one."
    )
    assert response.json()["error"] == "invalid_scope"


async def test_an_oversized_refresh_token_is_refused_unread(client: httpx.AsyncClient) -> None:
    # Refresh tokens are 46 characters; anything over 64 is not one of ours.
    response = await client.post(
        "/auth/token", data={"grant_type": "refresh_token", "refresh_token": "r" * 65}
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == ["body", "refresh_token"]


async def test_a_message_for_a_malformed_account_id_is_422(
    client: httpx.AsyncClient, alice: LoggedIn
) -> None:
    # Path parameters are validated before any lookup.
    response = await client.get("/auth/accounts/not-a-uuid/messages", headers=alice.headers)

    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == ["path", "account_id"]


@pytest.mark.parametrize(
    ("body", "error_type"),
    [({"body": ""}, "string_too_short"), ({"body": "x" * 1601}, "string_too_long")],
)
async def test_a_message_body_out_of_bounds_is_422(
    client: httpx.AsyncClient, alice: LoggedIn, body: dict[str, str], error_type: str
) -> None:
    # A message is 1 to 1600 characters (an SMS concatenation limit).
    response = await client.post(
        f"/auth/accounts/{alice.user_id}/messages", json=body, headers=alice.headers
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["type"] == error_type


async def test_a_message_cannot_set_its_own_owner(
    client: httpx.AsyncClient, alice: LoggedIn
) -> None:
    # OWASP API3:2023: the owner comes from the URL and the token, never from the body.
    response = await client.post(
        f"/auth/accounts/{alice.user_id}/messages",
        json={"body": "hi", "account_id": "00000000-0000-0000-0000-000000000000"},
        headers=alice.headers,
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == ["body", "account_id"]


async def test_me_for_a_deleted_user_is_404(
    client: httpx.AsyncClient, alice: LoggedIn, auth_service: object
) -> None:
    # A valid token can outlive its user by up to one TTL; the route says so plainly.
    from sqlalchemy import delete

    from auth.models import User
    from auth.service import AuthService

    assert isinstance(auth_service, AuthService)
    async with auth_service.sessions.begin() as session:
        await session.execute(delete(User).where(User.username == "alice"))

    response = await client.get("/auth/me", headers=alice.headers)

    assert response.status_code == 404
    assert response.json()["detail"] == "The user of this token no longer exists."
