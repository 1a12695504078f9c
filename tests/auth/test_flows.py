"""The happy paths, end to end over HTTP: register, log in, call, refresh, log out, publish keys."""

from __future__ import annotations

import time

import httpx
import jwt
import pytest
import redis.asyncio
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.access_tokens import UNKNOWN_KID
from auth.app import build_auth_service
from auth.errors import InvalidGrant
from auth.keys import thumbprint
from auth.models import RefreshToken, User
from auth.refresh_tokens import EXPIRED, digest
from auth.service import AuthService
from auth.settings import AuthSettings
from auth.users import user_by_username
from error_handling.problems import Unauthorized
from tests.auth.conftest import PASSWORD, LoggedIn, log_in, refresh


async def test_login_returns_a_bearer_pair_with_the_roles_scopes_and_no_store(
    client: httpx.AsyncClient, alice: LoggedIn
) -> None:
    # RFC 6749 §5.1: the token response is not cacheable; scopes come from the role policy.
    response = await client.post(
        "/auth/token", data={"grant_type": "password", "username": "alice", "password": PASSWORD}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 300
    assert body["scope"] == "messages:read messages:write profile:read profile:write"
    assert body["refresh_token"].startswith("rt_")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"


async def test_me_returns_the_caller_without_the_password_hash(
    client: httpx.AsyncClient, alice: LoggedIn
) -> None:
    # OWASP API3:2023: the response lists only the fields a user may see.
    response = await client.get("/auth/me", headers=alice.headers)

    assert response.status_code == 200
    assert response.json() == {
        "id": alice.user_id,
        "username": "alice",
        "role": "user",
        "display_name": "",
    }


async def test_refresh_rotates_the_refresh_token_and_issues_a_new_access_token(
    client: httpx.AsyncClient, alice: LoggedIn
) -> None:
    # RFC 9700 §4.14.2: each refresh returns a new refresh token; the new pair works.
    response = await refresh(client, alice.refresh_token)

    assert response.status_code == 200
    body = response.json()
    assert body["refresh_token"] != alice.refresh_token
    assert body["access_token"] != alice.access_token
    me = await client.get("/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert (await refresh(client, body["refresh_token"])).status_code == 200


async def test_logout_is_204_and_needs_a_token(client: httpx.AsyncClient, alice: LoggedIn) -> None:
    # Logging out is an authenticated act: without a token it is a 401, with one a 204.
    anonymous = await client.post("/auth/logout")
    response = await client.post("/auth/logout", headers=alice.headers)

    assert anonymous.status_code == 401
    assert response.status_code == 204


async def test_a_profile_update_changes_the_display_name(
    client: httpx.AsyncClient, alice: LoggedIn
) -> None:
    # The one writable property is written; the response shows it.
    response = await client.patch("/auth/me", json={"display_name": "Alice"}, headers=alice.headers)

    assert response.status_code == 200
    assert response.json()["display_name"] == "Alice"


async def test_a_user_sends_and_reads_their_own_messages(
    client: httpx.AsyncClient, alice: LoggedIn
) -> None:
    # Own account, right scopes: the object-level check lets the owner through.
    sent = await client.post(
        f"/auth/accounts/{alice.user_id}/messages", json={"body": "ahoy"}, headers=alice.headers
    )
    listed = await client.get(f"/auth/accounts/{alice.user_id}/messages", headers=alice.headers)

    assert sent.status_code == 201
    assert [m["body"] for m in listed.json()] == ["ahoy"]
    assert listed.json()[0]["account_id"] == alice.user_id


async def test_an_admin_with_accounts_any_reads_but_cannot_write_another_account(
    client: httpx.AsyncClient, auth_service: AuthService, alice: LoggedIn
) -> None:
    # `accounts:any` lifts the object-level check for reading only; writing stays owner-only.
    await auth_service.register("root", PASSWORD, role="admin")
    root = await log_in(client, "root")
    await client.post(
        f"/auth/accounts/{alice.user_id}/messages", json={"body": "mine"}, headers=alice.headers
    )

    read = await client.get(f"/auth/accounts/{alice.user_id}/messages", headers=root.headers)
    write = await client.post(
        f"/auth/accounts/{alice.user_id}/messages", json={"body": "x"}, headers=root.headers
    )

    assert read.status_code == 200
    assert [m["body"] for m in read.json()] == ["mine"]
    assert write.status_code == 404


async def test_a_demoted_user_gets_the_smaller_scope_at_the_next_refresh(
    client: httpx.AsyncClient, auth_service: AuthService, alice: LoggedIn
) -> None:
    # Scopes follow today's policy: a role change takes effect within one access-token lifetime.
    async with auth_service.sessions.begin() as session:
        await session.execute(update(User).where(User.username == "alice").values(role="viewer"))

    response = await refresh(client, alice.refresh_token)

    assert response.status_code == 200
    assert response.json()["scope"] == "messages:read profile:read"


async def test_login_rehashes_a_password_stored_with_older_parameters(
    client: httpx.AsyncClient,
    auth_settings: AuthSettings,
    redis_client: redis.asyncio.Redis,
    engine: AsyncEngine,
    alice: LoggedIn,
) -> None:
    # OWASP Password Storage: when the Argon2 parameters go up, the next login upgrades the hash.
    stronger = auth_settings.model_copy(update={"argon2_time_cost": 3})
    service = await build_auth_service(stronger, redis_client, engine)

    await service.login("alice", PASSWORD, None, "127.0.0.1")

    user = await user_by_username(service.sessions, "alice")
    assert user is not None
    assert "$argon2id$v=19$m=19456,t=3,p=1$" in user.password_hash
    assert (await service.login("alice", PASSWORD, None, "127.0.0.1")).access_token


async def test_passwords_are_stored_as_argon2id_at_owasp_minimum_parameters(
    auth_service: AuthService, alice: LoggedIn
) -> None:
    # OWASP Password Storage Cheat Sheet: Argon2id, m=19 MiB, t=2, p=1.
    user = await user_by_username(auth_service.sessions, "alice")

    assert user is not None
    assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert PASSWORD not in user.password_hash


async def test_refresh_tokens_are_stored_only_as_sha256_digests(
    auth_service: AuthService, alice: LoggedIn
) -> None:
    # A database dump must not hand out live sessions.
    async with auth_service.sessions() as session:
        stored = list(await session.scalars(select(RefreshToken.token_hash)))

    assert stored == [digest(alice.refresh_token)]
    assert alice.refresh_token not in stored


async def test_an_expired_refresh_token_is_refused(
    auth_settings: AuthSettings,
    redis_client: redis.asyncio.Redis,
    engine: AsyncEngine,
    auth_service: AuthService,
    alice: LoggedIn,
) -> None:
    # Refresh tokens live 14 days; one day later than that, the grant is refused.
    later = time.time() + auth_settings.refresh_token_ttl_s + 86_400
    future = await build_auth_service(auth_settings, redis_client, engine, clock=lambda: later)

    with pytest.raises(InvalidGrant) as refused:
        await future.refresh(alice.refresh_token)

    assert refused.value.detail == EXPIRED


async def test_key_rotation_switches_the_signer_and_keeps_old_tokens_valid_until_retirement(
    client: httpx.AsyncClient,
    auth_settings: AuthSettings,
    redis_client: redis.asyncio.Redis,
    engine: AsyncEngine,
    auth_service: AuthService,
    alice: LoggedIn,
) -> None:
    # After rotation: new tokens carry the new kid, old tokens still verify, both keys are published;
    # once the overlap (access TTL + leeway) has passed, the old key is gone from the ring and the JWKS.
    old_kid = jwt.get_unverified_header(alice.access_token)["kid"]

    await auth_service.rotate_keys()
    fresh = await log_in(client, "alice")

    new_kid = jwt.get_unverified_header(fresh.access_token)["kid"]
    assert new_kid != old_kid
    assert (await client.get("/auth/me", headers=alice.headers)).status_code == 200
    published = {key["kid"] for key in (await client.get("/.well-known/jwks.json")).json()["keys"]}
    assert published == {old_kid, new_kid}

    overlap = auth_settings.access_token_ttl_s + auth_settings.leeway_s
    later = time.time() + overlap + 1
    after_overlap = await build_auth_service(
        auth_settings, redis_client, engine, clock=lambda: later
    )
    ring = await after_overlap.key_ring()
    assert [key.kid for key in ring.keys] == [new_kid]
    assert ring.jwks(later)["keys"][0]["kid"] == new_kid
    with pytest.raises(Unauthorized) as refused:
        await after_overlap.authenticate(alice.access_token)
    assert refused.value.detail == UNKNOWN_KID


async def test_the_jwks_publishes_public_keys_only(client: httpx.AsyncClient) -> None:
    # RFC 7517: the key set carries x (public) but never d (private); kid is the RFC 7638 thumbprint.
    response = await client.get("/.well-known/jwks.json")

    (key,) = response.json()["keys"]
    assert response.headers["cache-control"] == "public, max-age=60"
    assert {"kty", "crv", "x", "kid", "alg", "use"} <= key.keys()
    assert "d" not in key
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("OKP", "Ed25519", "Ed25519", "sig")
    assert key["kid"] == thumbprint(key)
