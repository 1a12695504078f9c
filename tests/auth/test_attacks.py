"""The attack suite: each test is one known attack on token auth, labelled with the rule that stops it.

Every forged token is sent over HTTP to `/auth/me` and must be refused with the exact reason.
"""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
import redis.asyncio
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from sqlalchemy.ext.asyncio import AsyncEngine

from auth import access_tokens as at
from auth import refresh_tokens as rt
from auth.app import build_auth_service, create_auth_app, create_tables
from auth.errors import InvalidGrant
from auth.keys import Key, KeyRing, new_key
from auth.login_throttle import TOO_MANY_ATTEMPTS
from auth.passwords import Passwords
from auth.service import REVOCATION_UNCHECKED, AuthService
from auth.settings import AuthSettings
from backing_services.local_processes import free_port
from error_handling.problems import RateLimited
from tests.auth import forge
from tests.auth.conftest import PASSWORD, LoggedIn, log_in, refresh, register


async def our_key(auth_service: AuthService) -> Key:
    return (await auth_service.key_ring()).signing_key()


async def assert_refused(client: httpx.AsyncClient, token: str, detail: str) -> None:
    response = await client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, response.text
    assert response.json()["detail"] == detail
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith(
        'Bearer realm="api", error="invalid_token"'
    )


# --- signature and algorithm (RFC 8725 §2.1, §3.1) ---------------------------------------------


async def test_alg_none_is_refused(
    client: httpx.AsyncClient, auth_service: AuthService, alice: LoggedIn
) -> None:
    """RFC 8725 §2.1/§3.1: an unsigned token (`alg: none`) is never accepted."""
    key = await our_key(auth_service)
    payload = forge.claims(auth_service.settings, alice.user_id)
    token = forge.compact(
        {"alg": "none", "typ": "at+jwt", "kid": key.kid}, payload, forge.no_signature
    )

    await assert_refused(client, token, at.WRONG_ALGORITHM)


async def test_hs256_signed_with_our_public_key_pem_is_refused(
    client: httpx.AsyncClient, auth_service: AuthService, alice: LoggedIn
) -> None:
    """RFC 8725 §2.1/§3.1 (algorithm confusion): the public key, used as an HMAC secret, forges nothing."""
    key = await our_key(auth_service)
    pem = key.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    payload = forge.claims(auth_service.settings, alice.user_id)
    token = forge.compact(
        {"alg": "HS256", "typ": "at+jwt", "kid": key.kid}, payload, forge.hmac_with(pem)
    )

    await assert_refused(client, token, at.WRONG_ALGORITHM)


async def test_hs256_signed_with_our_public_jwk_is_refused(
    client: httpx.AsyncClient, auth_service: AuthService, alice: LoggedIn
) -> None:
    """RFC 8725 §2.1/§3.1 (algorithm confusion): the JWK from our own JWKS, used as an HMAC secret."""
    key = await our_key(auth_service)
    jwks = (await client.get("/.well-known/jwks.json")).json()
    secret = json.dumps(jwks["keys"][0]).encode()
    payload = forge.claims(auth_service.settings, alice.user_id)
    token = forge.compact(
        {"alg": "HS256", "typ": "at+jwt", "kid": key.kid}, payload, forge.hmac_with(secret)
    )

    await assert_refused(client, token, at.WRONG_ALGORITHM)


@pytest.mark.parametrize("algorithm", ["ES256", "RS256", "HS512", "EdDSA", "Ed25519 "])
async def test_an_algorithm_other_than_the_keys_own_is_refused(
    client: httpx.AsyncClient, auth_service: AuthService, alice: LoggedIn, algorithm: str
) -> None:
    """RFC 8725 §3.1: the algorithm is pinned per key; the token's `alg` header cannot choose another."""
    key = await our_key(auth_service)
    payload = forge.claims(auth_service.settings, alice.user_id)
    token = forge.signed_with(key, payload, alg=algorithm)

    await assert_refused(client, token, at.WRONG_ALGORITHM)


async def test_a_tampered_payload_is_refused(
    client: httpx.AsyncClient, auth_service: AuthService, alice: LoggedIn
) -> None:
    """RFC 7515 §5.2 / RFC 8725 §2.1: changing one claim (scope escalation) breaks the signature."""
    header, _, signature = alice.access_token.split(".")
    claims = forge.header_and_payload(alice.access_token)[1]
    claims["scope"] += " accounts:any"
    tampered = f"{header}.{forge.b64url(json.dumps(claims).encode())}.{signature}"

    await assert_refused(client, tampered, at.BAD_SIGNATURE)


async def test_a_token_signed_by_another_key_under_our_kid_is_refused(
    client: httpx.AsyncClient, auth_service: AuthService, alice: LoggedIn
) -> None:
    """RFC 8725 §3.10: a `kid` only names which of our keys to use; the attacker's key never verifies."""
    ours = await our_key(auth_service)
    attacker = Key(ours.kid, "Ed25519", ed25519.Ed25519PrivateKey.generate(), created_at=0)
    token = forge.signed_with(attacker, forge.claims(auth_service.settings, alice.user_id))

    await assert_refused(client, token, at.BAD_SIGNATURE)


async def test_tokens_are_issued_under_the_fully_specified_ed25519_name(
    client: httpx.AsyncClient, alice: LoggedIn
) -> None:
    """RFC 9864 §2.2: `EdDSA` is deprecated for JOSE; new tokens and the JWKS say `Ed25519`."""
    header = forge.header_of(alice.access_token)
    (jwk,) = (await client.get("/.well-known/jwks.json")).json()["keys"]

    assert header["alg"] == "Ed25519"
    assert (jwk["alg"], jwk["crv"]) == ("Ed25519", "Ed25519")


def test_a_key_pinned_to_eddsa_before_the_rename_verifies_only_its_own_name() -> None:
    """RFC 9864 + RFC 8725 §3.1: a key made before the rename still verifies `EdDSA`, never `Ed25519`."""
    now = int(time.time())
    legacy = KeyRing((new_key("EdDSA", now),))
    token = at.issue_access_token(
        legacy,
        issuer="i",
        audience="a",
        subject="s",
        scope="x",
        session_id="sid",
        now=now,
        ttl_s=60,
    )
    renamed = forge.signed_with(legacy.keys[0], forge.header_and_payload(token)[1], alg="Ed25519")

    assert forge.header_of(token)["alg"] == "EdDSA"
    assert (
        at.verify_access_token(token, legacy, issuer="i", audience="a", leeway_s=0, now=now).subject
        == "s"
    )
    with pytest.raises(
        at.InvalidAccessToken, match="algorithm is not the one its key is pinned to"
    ):
        at.verify_access_token(renamed, legacy, issuer="i", audience="a", leeway_s=0, now=now)


# --- time claims (RFC 7519 §4.1.4–4.1.6, RFC 8725 §3.10) ----------------------------------------


async def test_a_token_expired_within_the_leeway_is_still_accepted(
    client: httpx.AsyncClient, auth_service: AuthService, alice: LoggedIn
) -> None:
    """RFC 7519 §4.1.4: a small leeway (30 s) absorbs clock skew between issuer and API."""
    payload = forge.claims(auth_service.settings, alice.user_id, exp=int(time.time()) - 10)
    token = forge.signed_with(await our_key(auth_service), payload)

    response = await client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200


async def test_a_token_expired_beyond_the_leeway_is_refused(
    client: httpx.AsyncClient, auth_service: AuthService, alice: LoggedIn
) -> None:
    """RFC 7519 §4.1.4: past `exp` plus the leeway, the token is dead."""
    payload = forge.claims(auth_service.settings, alice.user_id, exp=int(time.time()) - 60)

    await assert_refused(
        client, forge.signed_with(await our_key(auth_service), payload), at.EXPIRED
    )


@pytest.mark.parametrize("claim", ["nbf", "iat"])
async def test_a_token_from_the_future_is_refused(
    client: httpx.AsyncClient, auth_service: AuthService, alice: LoggedIn, claim: str
) -> None:
    """RFC 7519 §4.1.5/§4.1.6: `nbf` or `iat` beyond now plus leeway means not valid yet."""
    overrides = {claim: int(time.time()) + 120}
    payload = forge.claims(auth_service.settings, alice.user_id, **overrides)

    await assert_refused(
        client, forge.signed_with(await our_key(auth_service), payload), at.NOT_YET_VALID
    )


# --- required claims, audience, issuer, type (RFC 8725 §3.8, §3.9, §3.11; RFC 9068 §4) --------


@pytest.mark.parametrize("claim", at.REQUIRED_CLAIMS)
async def test_a_token_missing_a_required_claim_is_refused(
    client: httpx.AsyncClient, auth_service: AuthService, alice: LoggedIn, claim: str
) -> None:
    """RFC 9068 §4 / RFC 8725 §3.8–3.9: every claim the checks rely on must be present."""
    payload = forge.claims(auth_service.settings, alice.user_id, **{claim: None})
    token = forge.signed_with(await our_key(auth_service), payload)

    await assert_refused(client, token, at.MISSING_CLAIM.format(claim=claim))


@pytest.mark.parametrize(
    "audience",
    ["https://other-api.example", ["https://api.mini-twilio.local", "https://x.example"]],
)
async def test_a_token_for_another_audience_is_refused(
    client: httpx.AsyncClient, auth_service: AuthService, alice: LoggedIn, audience: object
) -> None:
    """RFC 8725 §3.9: a token minted for another API (or for several) is not accepted here."""
    payload = forge.claims(auth_service.settings, alice.user_id, aud=audience)

    await assert_refused(
        client, forge.signed_with(await our_key(auth_service), payload), at.WRONG_AUDIENCE
    )


async def test_a_token_from_another_issuer_is_refused(
    client: httpx.AsyncClient, auth_service: AuthService, alice: LoggedIn
) -> None:
    """RFC 8725 §3.8: the issuer must be us."""
    payload = forge.claims(auth_service.settings, alice.user_id, iss="https://evil.example")

    await assert_refused(
        client, forge.signed_with(await our_key(auth_service), payload), at.WRONG_ISSUER
    )


async def test_a_refresh_token_is_not_accepted_as_an_access_token(
    client: httpx.AsyncClient, alice: LoggedIn
) -> None:
    """RFC 8725 §3.11 / RFC 6749 §1.5: a refresh token goes to the token endpoint only."""
    await assert_refused(client, alice.refresh_token, at.MALFORMED)


@pytest.mark.parametrize("typ", ["JWT", "id_token+jwt", None])
async def test_a_jwt_of_another_type_is_not_accepted_as_an_access_token(
    client: httpx.AsyncClient, auth_service: AuthService, alice: LoggedIn, typ: str | None
) -> None:
    """RFC 8725 §3.11 / RFC 9068 §2.1: explicit typing; only `typ: at+jwt` is an access token."""
    payload = forge.claims(auth_service.settings, alice.user_id)

    await assert_refused(
        client, forge.signed_with(await our_key(auth_service), payload, typ=typ), at.WRONG_TYPE
    )


# --- key selection (RFC 8725 §3.10) -------------------------------------------------------------


@pytest.mark.parametrize(
    "kid",
    ["unknown-key", "../../../../dev/null", "' OR '1'='1", "k" * 65, "", None],
)
async def test_unknown_or_injected_kids_are_refused(
    client: httpx.AsyncClient, auth_service: AuthService, alice: LoggedIn, kid: object
) -> None:
    """RFC 8725 §3.10: `kid` is matched against our ring by exact shape and value; never a path or a query."""
    payload = forge.claims(auth_service.settings, alice.user_id)

    await assert_refused(
        client, forge.signed_with(await our_key(auth_service), payload, kid=kid), at.UNKNOWN_KID
    )


async def test_a_kid_that_is_not_a_string_makes_the_token_malformed(
    client: httpx.AsyncClient, auth_service: AuthService, alice: LoggedIn
) -> None:
    """RFC 7515 §4.1.4: `kid` is a string; any other type is refused before a key is looked up."""
    payload = forge.claims(auth_service.settings, alice.user_id)

    await assert_refused(
        client, forge.signed_with(await our_key(auth_service), payload, kid=42), at.MALFORMED
    )


@pytest.mark.parametrize("member", ["jku", "x5u", "jwk", "x5c"])
async def test_headers_pointing_at_a_key_elsewhere_are_refused(
    client: httpx.AsyncClient, auth_service: AuthService, alice: LoggedIn, member: str
) -> None:
    """RFC 8725 §3.10: `jku`/`x5u` would make us fetch an attacker's URL (SSRF) and trust its key."""
    payload = forge.claims(auth_service.settings, alice.user_id)
    token = forge.signed_with(
        await our_key(auth_service), payload, **{member: "https://evil.example/jwks.json"}
    )

    await assert_refused(client, token, at.KEY_LOCATION)


async def test_a_token_signed_by_a_key_outside_our_ring_is_refused(
    client: httpx.AsyncClient, auth_service: AuthService, alice: LoggedIn
) -> None:
    """RFC 8725 §3.10: a key not in our current ring (never ours, or retired) verifies nothing."""
    stranger = new_key("Ed25519", time.time())
    token = forge.signed_with(stranger, forge.claims(auth_service.settings, alice.user_id))

    await assert_refused(client, token, at.UNKNOWN_KID)


async def test_an_oversized_token_is_refused_before_parsing(
    client: httpx.AsyncClient, alice: LoggedIn
) -> None:
    """OWASP API4:2023 (resource consumption): a token over 4 KiB is refused unread."""
    await assert_refused(client, "a" * (at.MAX_TOKEN_BYTES + 1), at.TOO_LARGE)


async def test_a_garbage_token_is_refused(client: httpx.AsyncClient) -> None:
    """RFC 7515 §5.2: anything that is not three base64url parts is not a JWS."""
    await assert_refused(client, "not.a.jwt", at.MALFORMED)


# --- revocation and refresh-token rotation (RFC 9700 §4.14.2, RFC 7009) ------------------------


async def test_an_access_token_is_refused_after_logout(
    client: httpx.AsyncClient, alice: LoggedIn
) -> None:
    """RFC 7009 §2 / OWASP Session Management: logout denylists the token's jti until it expires."""
    assert (await client.post("/auth/logout", headers=alice.headers)).status_code == 204

    await assert_refused(client, alice.access_token, "The access token has been revoked.")


async def test_the_refresh_token_is_refused_after_logout(
    client: httpx.AsyncClient, alice: LoggedIn
) -> None:
    """RFC 9700 §4.14.2: logout ends the session; its refresh family is revoked too."""
    await client.post("/auth/logout", headers=alice.headers)

    response = await refresh(client, alice.refresh_token)

    assert response.status_code == 400
    assert response.json()["detail"] == rt.SESSION_REVOKED
    assert response.json()["error"] == "invalid_grant"


async def test_replaying_a_rotated_refresh_token_revokes_the_whole_family(
    client: httpx.AsyncClient, alice: LoggedIn
) -> None:
    """RFC 9700 §4.14.2: reuse of a rotated refresh token revokes every token of its family."""
    rotated = (await refresh(client, alice.refresh_token)).json()

    replay = await refresh(client, alice.refresh_token)  # the attacker's stolen copy

    assert replay.status_code == 400
    assert replay.json()["detail"] == rt.REUSED
    legit = await refresh(client, rotated["refresh_token"])
    assert legit.status_code == 400
    assert legit.json()["detail"] == rt.SESSION_REVOKED
    # The session's access tokens in flight die at once, not at expiry.
    await assert_refused(client, rotated["access_token"], "The access token has been revoked.")


async def test_two_concurrent_refreshes_admit_exactly_one_and_count_the_other_as_reuse(
    client: httpx.AsyncClient, alice: LoggedIn
) -> None:
    """RFC 9700 §4.14.2: rotation is atomic; with no grace window, a racing second use is a replay."""
    first, second = await asyncio.gather(
        refresh(client, alice.refresh_token), refresh(client, alice.refresh_token)
    )

    statuses = sorted([first.status_code, second.status_code])
    assert statuses == [200, 400]
    winner, loser = (first, second) if first.status_code == 200 else (second, first)
    assert loser.json()["detail"] == rt.REUSED
    assert (await refresh(client, winner.json()["refresh_token"])).json()[
        "detail"
    ] == rt.SESSION_REVOKED


# --- authorization (RFC 6750 §3.1, RFC 6749 §3.3, OWASP API1/API3/API5:2023) ------------------


async def test_asking_for_scopes_beyond_the_role_is_refused(client: httpx.AsyncClient) -> None:
    """RFC 6749 §3.3/§5.2: scopes come from server policy; a request for more gets `invalid_scope`."""
    await register(client, "mallory")

    response = await client.post(
        "/auth/token",
        data={
            "grant_type": "password",
            "username": "mallory",
            "password": PASSWORD,
            "scope": "messages:read accounts:any",
        },
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "Scope 'accounts:any' is not granted to role 'user'."
    assert response.json()["error"] == "invalid_scope"


async def test_a_missing_scope_is_403_insufficient_scope(client: httpx.AsyncClient) -> None:
    """RFC 6750 §3.1: a valid token without the needed scope is 403 `insufficient_scope`, not 401."""
    user_id = await register(client, "reader")
    reader = await log_in(client, "reader", scope="messages:read")

    response = await client.post(
        f"/auth/accounts/{user_id}/messages", json={"body": "hi"}, headers=reader.headers
    )

    assert response.status_code == 403
    assert response.json()["detail"] == "This request needs the scope 'messages:write'."
    assert response.headers["www-authenticate"] == (
        'Bearer realm="api", error="insufficient_scope", scope="messages:write"'
    )


async def test_a_user_cannot_read_another_accounts_messages(
    client: httpx.AsyncClient, alice: LoggedIn
) -> None:
    """OWASP API1:2023 (BOLA): a valid token and scope still reach only the caller's own account."""
    bob_id = await register(client, "bob")
    bob = await log_in(client, "bob")
    await client.post(
        f"/auth/accounts/{bob_id}/messages", json={"body": "secret"}, headers=bob.headers
    )

    read = await client.get(f"/auth/accounts/{bob_id}/messages", headers=alice.headers)
    write = await client.post(
        f"/auth/accounts/{bob_id}/messages", json={"body": "x"}, headers=alice.headers
    )

    assert read.status_code == 404
    assert read.json()["detail"] == f"There is no account {bob_id} that you can see."
    assert write.status_code == 404


async def test_registration_cannot_assign_a_role(client: httpx.AsyncClient) -> None:
    """OWASP API3:2023 (mass assignment): `role` in the body is refused, not applied."""
    response = await client.post(
        "/auth/users", json={"username": "eve", "password": PASSWORD, "role": "admin"}
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == ["body", "role"]
    assert response.json()["errors"][0]["type"] == "extra_forbidden"


@pytest.mark.parametrize("field", ["role", "is_admin", "id", "username"])
async def test_a_profile_update_cannot_set_privileged_fields(
    client: httpx.AsyncClient, alice: LoggedIn, field: str
) -> None:
    """OWASP API3:2023 (mass assignment): only `display_name` is writable; the role stays `user`."""
    response = await client.patch(
        "/auth/me", json={"display_name": "Alice", field: "admin"}, headers=alice.headers
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == ["body", field]
    assert (await client.get("/auth/me", headers=alice.headers)).json()["role"] == "user"


# --- login (OWASP Authentication Cheat Sheet, API2:2023) --------------------------------------


async def test_an_unknown_user_and_a_wrong_password_get_the_same_answer(
    client: httpx.AsyncClient, alice: LoggedIn
) -> None:
    """OWASP Authentication Cheat Sheet: same status, same body; no user enumeration by the reply."""
    wrong_password = await client.post(
        "/auth/token", data={"grant_type": "password", "username": "alice", "password": "x" * 20}
    )
    unknown_user = await client.post(
        "/auth/token", data={"grant_type": "password", "username": "nobody", "password": "x" * 20}
    )

    assert wrong_password.status_code == unknown_user.status_code == 400
    assert wrong_password.json() == unknown_user.json()
    assert unknown_user.json()["detail"] == "The username or password is incorrect."


async def test_password_guessing_on_one_username_is_throttled(
    client: httpx.AsyncClient, alice: LoggedIn
) -> None:
    """OWASP API2:2023: five attempts per username, then 429 — even for the right password."""
    for _ in range(4):  # the `alice` fixture already spent one attempt logging in
        guess = await client.post(
            "/auth/token",
            data={"grant_type": "password", "username": "alice", "password": "y" * 20},
        )
        assert guess.status_code == 400

    blocked = await client.post(
        "/auth/token", data={"grant_type": "password", "username": "alice", "password": PASSWORD}
    )

    assert blocked.status_code == 429
    retry_after = blocked.headers["retry-after"]
    assert 1 <= int(retry_after) <= 60
    assert blocked.json()["detail"] == TOO_MANY_ATTEMPTS.format(seconds=retry_after)


async def test_spraying_many_usernames_from_one_ip_is_throttled(
    auth_settings: AuthSettings, redis_client: redis.asyncio.Redis, engine: AsyncEngine
) -> None:
    """OWASP API2:2023 (credential stuffing): the per-IP bucket stops one client trying many usernames."""
    settings = auth_settings.model_copy(update={"login_per_ip_capacity": 3})
    await create_tables(engine)
    service = await build_auth_service(settings, redis_client, engine)
    for username in ("u1", "u2", "u3"):
        with pytest.raises(InvalidGrant):
            await service.login(username, "z" * 20, None, "203.0.113.9")

    with pytest.raises(RateLimited) as blocked:
        await service.login("u4", "z" * 20, None, "203.0.113.9")
    other_ip = service.login("u4", "z" * 20, None, "198.51.100.7")

    assert blocked.value.detail.startswith("Too many login attempts; try again in ")
    assert int(blocked.value.headers["Retry-After"]) >= 1
    with pytest.raises(InvalidGrant):  # another client is not punished for this one
        await other_ip


async def test_a_bearer_token_in_the_query_string_is_refused(
    client: httpx.AsyncClient, alice: LoggedIn
) -> None:
    """RFC 6750 §2.3/§5.3: tokens in URLs leak via logs and Referer; only the header is accepted."""
    response = await client.get("/auth/me", params={"access_token": alice.access_token})

    assert response.status_code == 400
    assert response.json()["detail"] == (
        "Access tokens are accepted only in the Authorization header, never in the URL."
    )
    assert 'error="invalid_request"' in response.headers["www-authenticate"]


@pytest.mark.parametrize("endpoint", ["register", "token"])
async def test_an_oversized_password_is_refused_before_hashing(
    client: httpx.AsyncClient, endpoint: str
) -> None:
    """OWASP Password Storage Cheat Sheet: bound the input so a 1 MB password is a 422, not a CPU burn."""
    huge = "p" * 1_000_000
    if endpoint == "register":
        response = await client.post("/auth/users", json={"username": "huge", "password": huge})
    else:
        response = await client.post(
            "/auth/token", data={"grant_type": "password", "username": "huge", "password": huge}
        )

    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == ["body", "password"]
    assert response.json()["errors"][0]["type"] == "string_too_long"


# --- registration (OWASP Authentication Cheat Sheet: account creation; API2:2023, API4:2023) ----


class CountingPasswords(Passwords):
    """The real Argon2id hasher, counting its hashes: how much CPU did a request spend?"""

    def __init__(self, settings: AuthSettings) -> None:
        super().__init__(
            memory_kib=settings.argon2_memory_kib,
            time_cost=settings.argon2_time_cost,
            parallelism=settings.argon2_parallelism,
        )
        self.hashes = 0

    async def hash(self, password: str) -> str:
        self.hashes += 1
        return await super().hash(password)


async def test_registration_from_one_client_is_throttled_and_probing_taken_names_spends_the_budget(
    auth_settings: AuthSettings, redis_client: redis.asyncio.Redis, engine: AsyncEngine
) -> None:
    """OWASP API4:2023 + enumeration: sign-ups per client are metered; each probe, free or taken, costs one."""
    settings = auth_settings.model_copy(update={"register_per_ip_capacity": 3})
    await create_tables(engine)
    service = await build_auth_service(settings, redis_client, engine)
    transport = httpx.ASGITransport(app=create_auth_app(service), client=("203.0.113.9", 1234))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        statuses = [
            (
                await http.post("/auth/users", json={"username": name, "password": PASSWORD})
            ).status_code
            for name in ("carol", "carol", "carol", "dave")
        ]
        blocked = await http.post("/auth/users", json={"username": "erin", "password": PASSWORD})
    other_client = await service.register("erin", PASSWORD, client_ip="198.51.100.7")

    assert statuses == [201, 409, 409, 429]
    assert blocked.status_code == 429
    assert blocked.json()["detail"].startswith("Too many sign-ups from this client; try again in ")
    assert int(blocked.headers["retry-after"]) >= 1
    assert other_client.username == "erin"  # another client is not punished for this one


async def test_a_taken_username_is_refused_before_any_password_is_hashed(
    client: httpx.AsyncClient, auth_service: AuthService, alice: LoggedIn
) -> None:
    """Resource consumption (OWASP API4:2023): probing a taken name costs the server no Argon2 run."""
    counting = CountingPasswords(auth_service.settings)
    auth_service.passwords = counting

    taken = await client.post("/auth/users", json={"username": "alice", "password": PASSWORD})

    assert taken.status_code == 409
    assert counting.hashes == 0


# --- the denylist store is down (fail closed: a revoked token must never pass) ----------------


async def test_when_the_denylist_store_is_down_tokens_are_refused_with_a_503_not_accepted(
    auth_settings: AuthSettings, auth_service: AuthService, engine: AsyncEngine, alice: LoggedIn
) -> None:
    """Fail closed: if revocation cannot be checked, a logged-out token could pass; refuse, retryably."""
    # No client-side retries: the point is what one request sees while Redis does not answer.
    down = redis.asyncio.Redis(port=free_port(), decode_responses=True, retry=Retry(NoBackoff(), 0))
    blind = await build_auth_service(auth_settings, down, engine)
    transport = httpx.ASGITransport(app=create_auth_app(blind))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/auth/me", headers=alice.headers)
    await down.aclose()

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == REVOCATION_UNCHECKED
    assert response.headers["retry-after"] == "1"
