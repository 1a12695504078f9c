"""Keys: identified by RFC 7638 thumbprints, stored encrypted, pinned to one algorithm each (Ed25519 or ES256)."""

from __future__ import annotations

import time

import httpx
import pytest
import redis.asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.access_tokens import UNKNOWN_KID, issue_access_token, verify_access_token
from auth.app import build_auth_service, create_auth_app, create_tables
from auth.keys import KeyRing, new_key, thumbprint
from auth.models import SigningKey
from auth.service import AuthService
from auth.settings import AuthSettings
from backing_services import get_settings
from error_handling.problems import Unauthorized
from tests.auth.conftest import register


def test_the_kid_is_the_rfc_7638_thumbprint_of_the_rfc_8037_example_key() -> None:
    # RFC 8037 Appendix A.3 gives this Ed25519 public key and its thumbprint.
    jwk = {"crv": "Ed25519", "kty": "OKP", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}

    assert thumbprint(jwk) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


@pytest.mark.parametrize("algorithm", ["Ed25519", "ES256", "EdDSA"])
def test_a_token_issued_with_each_offered_algorithm_verifies(algorithm: str) -> None:
    # Both algorithms on offer round-trip through the same strict verifier.
    ring = KeyRing((new_key(algorithm, time.time()),))
    token = issue_access_token(
        ring,
        issuer="i",
        audience="a",
        subject="s",
        scope="x y",
        session_id="sid",
        now=int(time.time()),
        ttl_s=60,
    )

    claims = verify_access_token(token, ring, issuer="i", audience="a", leeway_s=0, now=time.time())

    assert (claims.subject, claims.scopes, claims.session_id) == ("s", frozenset({"x", "y"}), "sid")


async def test_private_keys_are_stored_encrypted(auth_service: AuthService) -> None:
    # A database dump alone does not yield a signing key: PKCS#8 encrypted with the passphrase.
    async with auth_service.sessions() as session:
        (pem,) = list(await session.scalars(select(SigningKey.private_pem)))

    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")


async def test_the_wrong_passphrase_cannot_load_the_keys(
    auth_service: AuthService, redis_client: redis.asyncio.Redis, engine: AsyncEngine
) -> None:
    # Without the passphrase the stored key is useless, and the service refuses to start.
    wrong = AuthSettings(key_passphrase="not-the-passphrase")

    with pytest.raises(ValueError, match="Incorrect password, could not decrypt key"):
        await build_auth_service(wrong, redis_client, engine)


async def test_an_es256_deployment_publishes_an_ec_key_and_accepts_its_tokens(
    redis_client: redis.asyncio.Redis, engine: AsyncEngine
) -> None:
    # AUTH_SIGNING_ALGORITHM=ES256 for verifiers without Ed25519; the flow is unchanged.
    await create_tables(engine)
    settings = AuthSettings(key_passphrase="test", signing_algorithm="ES256")
    service = await build_auth_service(settings, redis_client, engine)
    transport = httpx.ASGITransport(app=create_auth_app(service))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        await register(client, "carol")
        pair = await service.login("carol", "correct horse battery staple", None, "127.0.0.1")
        me = await client.get("/auth/me", headers={"Authorization": f"Bearer {pair.access_token}"})
        (key,) = (await client.get("/.well-known/jwks.json")).json()["keys"]

    assert me.status_code == 200
    assert (key["kty"], key["crv"], key["alg"]) == ("EC", "P-256", "ES256")


async def test_another_instance_sees_a_rotation_at_its_next_ring_reload(
    auth_settings: AuthSettings,
    auth_service: AuthService,
    redis_client: redis.asyncio.Redis,
    engine: AsyncEngine,
) -> None:
    # Instances share the ring through PostgreSQL and re-read it every `key_reload_s` (60 s).
    offset = [0.0]
    other = await build_auth_service(
        auth_settings, redis_client, engine, clock=lambda: time.time() + offset[0]
    )
    await auth_service.register("dora", "correct horse battery staple")
    await auth_service.rotate_keys()
    pair = await auth_service.login("dora", "correct horse battery staple", None, "127.0.0.1")

    with pytest.raises(Unauthorized) as before_reload:
        await other.authenticate(pair.access_token)
    offset[0] = auth_settings.key_reload_s + 1
    principal = await other.authenticate(pair.access_token)

    assert before_reload.value.detail == UNKNOWN_KID
    assert principal.scopes == frozenset(pair.scope.split())


def test_the_placeholder_key_passphrase_is_refused_in_production(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A deployment that forgot AUTH_KEY_PASSPHRASE must not start with a passphrase everyone can read here.
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.delenv("AUTH_KEY_PASSPHRASE", raising=False)
    get_settings.cache_clear()
    try:
        with pytest.raises(ValueError, match="set AUTH_KEY_PASSPHRASE"):
            AuthSettings()
        assert AuthSettings(key_passphrase="a real secret").key_passphrase == "a real secret"
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
