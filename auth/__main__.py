"""`python -m auth`: register, log in, call, rotate, replay a stolen refresh token, rotate keys — narrated.

Runs against the real Redis and PostgreSQL (in schema `demo_auth`, dropped at the end).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
from dataclasses import dataclass

import httpx
import redis.asyncio
from sqlalchemy.ext.asyncio import create_async_engine

from auth.app import build_auth_service, create_auth_app, create_tables
from auth.service import AuthService
from auth.settings import AuthSettings
from backing_services import sqlalchemy_async_url
from backing_services.resolve import services_for_demo
from backing_services.schemas import drop_schema, recreate_schema

SCHEMA = "demo_auth"
PASSWORD = "correct horse battery staple"  # noqa: S105 - the demo users' password


def claims_of(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    decoded: dict[str, object] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def header_of(token: str) -> dict[str, object]:
    header = token.split(".")[0]
    decoded: dict[str, object] = json.loads(
        base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))
    )
    return decoded


def say(step: str, response: httpx.Response | None = None) -> None:
    if response is None:
        print(step)
        return
    body = response.json() if response.content else {}
    detail = body.get("detail", "") if isinstance(body, dict) else ""
    print(f"{step}\n    → {response.status_code} {detail}".rstrip())


async def demo(redis_url: str, database_url: str, algorithm: str) -> None:
    settings = AuthSettings(redis_prefix=SCHEMA, signing_algorithm=algorithm)
    redis_client = redis.asyncio.Redis.from_url(redis_url)
    engine = create_async_engine(sqlalchemy_async_url(database_url))
    try:
        await create_tables(engine)
        service = await build_auth_service(settings, redis_client, engine)
        transport = httpx.ASGITransport(app=create_auth_app(service))
        async with httpx.AsyncClient(transport=transport, base_url="http://demo") as http:
            await narrate(http, service)
    finally:
        async for key in redis_client.scan_iter(match=f"{SCHEMA}:*"):
            await redis_client.delete(key)
        await redis_client.aclose()
        await engine.dispose()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Demo:
    """The client and the service the steps share, with the two requests most steps make."""

    http: httpx.AsyncClient
    service: AuthService

    async def password_login(self, username: str) -> dict[str, str]:
        form = {"grant_type": "password", "username": username, "password": PASSWORD}
        result: dict[str, str] = (await self.http.post("/auth/token", data=form)).json()
        return result

    async def refresh(self, token: str) -> httpx.Response:
        form = {"grant_type": "refresh_token", "refresh_token": token}
        return await self.http.post("/auth/token", data=form)


async def narrate(http: httpx.AsyncClient, service: AuthService) -> None:
    """The story in eleven steps; each step is one function below, in order."""
    demo = Demo(http, service)
    ada_id = await sign_up(demo)
    pair = await log_in_and_read(demo)
    await read_someone_elses_messages(demo, ada_id)
    await fail_to_log_in(demo)
    await replay_a_stolen_refresh_token(demo, pair["refresh_token"])
    await log_out(demo)
    await rotate_keys(demo)
    await guess_a_password(demo)


async def sign_up(demo: Demo) -> str:
    ada = (
        await demo.http.post("/auth/users", json={"username": "ada", "password": PASSWORD})
    ).json()
    await demo.http.post("/auth/users", json={"username": "bob", "password": PASSWORD})
    say(
        f"1. Ada and Bob register; the server gives both the role {ada['role']!r} (the request cannot pick one)."
    )
    return str(ada["id"])


async def log_in_and_read(demo: Demo) -> dict[str, str]:
    pair = await demo.password_login("ada")
    header, claims = header_of(pair["access_token"]), claims_of(pair["access_token"])
    say(
        f"2. Ada logs in. Her access token is an {header['alg']} JWT, typ={header['typ']}, kid={str(header['kid'])[:12]}…,\n"
        f"   valid {pair['expires_in']} s, scope '{claims['scope']}' (from her role's policy).\n"
        f"   Her refresh token is opaque ({pair['refresh_token'][:8]}…) and stored only as a SHA-256 digest."
    )
    say(
        "3. Ada reads /auth/me with the token.",
        await demo.http.get("/auth/me", headers=bearer(pair["access_token"])),
    )
    return pair


async def read_someone_elses_messages(demo: Demo, ada_id: str) -> None:
    bob = await demo.password_login("bob")
    say(
        "4. Bob, logged in with a valid token, asks for Ada's messages (object-level check, BOLA):",
        await demo.http.get(
            f"/auth/accounts/{ada_id}/messages", headers=bearer(bob["access_token"])
        ),
    )


async def fail_to_log_in(demo: Demo) -> None:
    wrong, unknown = [
        await demo.http.post(
            "/auth/token", data={"grant_type": "password", "username": name, "password": "x" * 20}
        )
        for name in ("ada", "zed")
    ]
    same = "the same" if wrong.json() == unknown.json() else "DIFFERENT"
    say(
        f"5. A wrong password and an unknown user get {same} answer: {wrong.status_code} {wrong.json()['detail']}"
    )


async def replay_a_stolen_refresh_token(demo: Demo, stolen: str) -> None:
    rotated = await demo.refresh(stolen)
    current = rotated.json()
    say("6. Ada's app refreshes: a new pair; the old refresh token is now spent.", rotated)
    say("7. An attacker who copied the old refresh token replays it:", await demo.refresh(stolen))
    say(
        "   …so the whole family is revoked: Ada's newest refresh token is refused too,",
        await demo.refresh(current["refresh_token"]),
    )
    say(
        "   …and her newest access token dies at once (its session id is on the Redis denylist):",
        await demo.http.get("/auth/me", headers=bearer(current["access_token"])),
    )


async def log_out(demo: Demo) -> None:
    pair = await demo.password_login("ada")
    say(
        "8. Ada logs in again and logs out:",
        await demo.http.post("/auth/logout", headers=bearer(pair["access_token"])),
    )
    say(
        "   the access token is denylisted until it expires:",
        await demo.http.get("/auth/me", headers=bearer(pair["access_token"])),
    )


async def rotate_keys(demo: Demo) -> None:
    before = await demo.password_login("ada")
    await demo.service.rotate_keys()
    after = await demo.password_login("ada")
    jwks = (await demo.http.get("/.well-known/jwks.json")).json()
    old_kid = header_of(before["access_token"])["kid"]
    new_kid = header_of(after["access_token"])["kid"]
    say(
        f"9. Keys rotate: new tokens carry kid {str(new_kid)[:12]}… instead of {str(old_kid)[:12]}…;\n"
        f"   the JWKS publishes {len(jwks['keys'])} keys until the old one retires (access TTL + leeway),\n"
        "   so a token signed before the rotation still works:",
        await demo.http.get("/auth/me", headers=bearer(before["access_token"])),
    )
    unsigned_header = json.dumps({"alg": "none", "typ": "at+jwt", "kid": new_kid}).encode()
    forged = f"{base64.urlsafe_b64encode(unsigned_header).decode().rstrip('=')}.{after['access_token'].split('.')[1]}."
    say(
        "10. A forged token with alg=none and a valid kid:",
        await demo.http.get("/auth/me", headers=bearer(forged)),
    )


async def guess_a_password(demo: Demo) -> None:
    guesses = []
    for guess in range(5):  # Bob has spent one of his five attempts logging in
        form = {
            "grant_type": "password",
            "username": "bob",
            "password": f"guess number {guess:05d}",
        }
        guesses.append(await demo.http.post("/auth/token", data=form))
    codes = ", ".join(str(response.status_code) for response in guesses)
    say(f"11. Someone guesses Bob's password five times: {codes}", guesses[-1])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m auth", description=__doc__)
    parser.add_argument(
        "--algorithm", choices=["Ed25519", "ES256"], default="Ed25519", help="signing algorithm"
    )
    arguments = parser.parse_args()
    with services_for_demo() as services:
        database_url = recreate_schema(services.database_url, SCHEMA)
        try:
            asyncio.run(demo(services.redis_url, database_url, arguments.algorithm))
        finally:
            drop_schema(services.database_url, SCHEMA)


if __name__ == "__main__":
    main()
