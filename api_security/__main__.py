"""`python -m api_security`: each security layer of the demo app, exercised and explained step by step.

Runs in-process against real Redis and PostgreSQL (schema `demo_api_security`, dropped at the end).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from ipaddress import ip_network
from urllib.parse import urlencode

import httpx
from fastapi import FastAPI

from api_security.api_keys import ApiKeyStore
from api_security.callback_signer import CallbackSigner
from api_security.demo_app import create_app
from api_security.security_headers import security_headers
from api_security.settings import SecuritySettings
from api_security.signatures import SIGNATURE_HEADER, RequestValidator
from backing_services.resolve import services_for_demo
from backing_services.schemas import drop_schema, recreate_schema

SCHEMA = "demo_api_security"
TOKEN = "demo-auth-token"  # noqa: S105 - a demo token, printed on purpose
BASE = "http://testserver"


def say(step: str, response: httpx.Response | None = None) -> None:
    if response is None:
        print(f"\n{step}")
        return
    body = response.json() if response.content else {}
    why = body.get("detail") if isinstance(body, dict) and "detail" in body else "ok"
    if isinstance(body, dict) and body.get("errors"):
        first = body["errors"][0]
        why = f"{'.'.join(map(str, first['location']))}: {first['message']}"
    print(f"   {step:<58} → {response.status_code}  {why}")


async def webhooks(client: httpx.AsyncClient) -> None:
    validator = RequestValidator(TOKEN)
    form = {"From": "+14158675309", "To": "+18005551212", "Body": "hello"}
    url = f"{BASE}/webhooks/inbound"
    signature = validator.compute_signature(url, form)
    say("1. Webhooks, signed like Twilio's: HMAC-SHA1 over the URL and the sorted form fields.")
    print(f"   signature for {url} + {form}: {signature}")
    signed = {SIGNATURE_HEADER: signature}
    say("genuine webhook", await client.post(url, data=form, headers=signed))
    tampered = {**form, "Body": "send me the money"}
    say("same signature, Body changed", await client.post(url, data=tampered, headers=signed))
    say("no signature header", await client.post(url, data=form))

    body = b'{"event": "message.delivered"}'
    json_url = f"{url}?{urlencode({'bodySHA256': validator.compute_hash(body)})}"
    json_signed = {SIGNATURE_HEADER: validator.compute_signature(json_url, {})}
    json_headers = {**json_signed, "content-type": "application/json"}
    say(
        "JSON webhook: the body's SHA-256 rides in the signed URL",
        await client.post(json_url, content=body, headers=json_headers),
    )
    forged = b'{"event": "message.failed"}'
    say(
        "JSON webhook, body swapped",
        await client.post(json_url, content=forged, headers=json_headers),
    )


async def callbacks(client: httpx.AsyncClient, tolerance_s: int) -> None:
    say(f"2. Our own status callbacks carry a signed timestamp and id (window ±{tolerance_s} s).")
    form = {"MessageSid": "SM1", "MessageStatus": "delivered"}
    fresh = CallbackSigner(TOKEN).sign(f"{BASE}/callbacks/status", form)
    print(f"   signed callback URL: {fresh.url}")
    say("first delivery", await client.post(fresh.url, data=form, headers=fresh.headers))
    say(
        "the same request captured and replayed",
        await client.post(fresh.url, data=form, headers=fresh.headers),
    )
    old = CallbackSigner(TOKEN, clock=lambda: time.time() - 2 * tolerance_s).sign(
        f"{BASE}/callbacks/status", form
    )
    say(
        f"a genuine callback signed {2 * tolerance_s} s ago",
        await client.post(old.url, data=form, headers=old.headers),
    )


async def limits(client: httpx.AsyncClient, max_body_bytes: int) -> None:
    say(f"3. Input limits: bodies up to {max_body_bytes} bytes, JSON or form only.")
    big = b"x" * (max_body_bytes + 1)
    json = {"content-type": "application/json"}
    say(f"a {len(big)}-byte body", await client.post("/messages", content=big, headers=json))
    say(
        "an XML body",
        await client.post(
            "/messages", content=b"<m/>", headers={"content-type": "application/xml"}
        ),
    )
    say("a forged Host header", await client.get("/api-keys", headers={"Host": "evil.example"}))


async def api_keys(client: httpx.AsyncClient, app: FastAPI, settings: SecuritySettings) -> None:
    say(
        "4. API keys: SID + secret over HTTP Basic; the secret is shown once and stored as HMAC-SHA256."
    )
    store = ApiKeyStore(app.state.engine, settings.api_key_pepper.get_secret_value())
    root = await store.create(
        "demo root", ["api-keys:read", "api-keys:write", "messages:write"], owner="ACdemo"
    )
    print(f"   root key {root.key.sid}, secret {root.secret[:6]}… (never retrievable again)")
    auth = (root.key.sid, root.secret)
    created = await client.post(
        "/api-keys", auth=auth, json={"friendly_name": "sender", "scopes": ["messages:write"]}
    )
    say("root creates a key that may only send messages", created)
    sender = (created.json()["sid"], created.json()["secret"])
    say("no credentials", await client.get("/api-keys"))
    say("right SID, wrong secret", await client.get("/api-keys", auth=(root.key.sid, "guess")))
    say("sender key lists keys (scope it lacks)", await client.get("/api-keys", auth=sender))
    mass = {"friendly_name": "x", "scopes": ["messages:write"], "revoked_at": None}
    say(
        "a body with a field the API does not accept",
        await client.post("/api-keys", auth=auth, json=mass),
    )
    say("a page of 1000 keys", await client.get("/api-keys?limit=1000", auth=auth))
    # Object-level authorisation: the scope is right, the account is not.
    other = await store.create("another account", ["api-keys:write"], owner="ACother")
    say(
        "another account's key revokes root's key (BOLA)",
        await client.delete(f"/api-keys/{root.key.sid}", auth=(other.key.sid, other.secret)),
    )
    say("root revokes the sender key", await client.delete(f"/api-keys/{sender[0]}", auth=auth))
    message = {"to": "+14155550100", "body": "hi"}
    say(
        "the revoked key sends a message", await client.post("/messages", auth=sender, json=message)
    )

    say("5. Outbound callback URLs are resolved and must be public (SSRF).")
    for target in (
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.7/",
        "http://127.0.0.1:8080/hook",
    ):
        response = await client.post(
            "/messages", auth=auth, json={**message, "status_callback": target}
        )
        say(f"status_callback {target}", response)
    print("   (127.0.0.1 passes only because this demo allow-lists 127.0.0.0/8)")

    say("6. The headers every response carries (this one was a 200):")
    response = await client.get("/api-keys", auth=auth)
    for name in [*security_headers(settings.hsts_max_age_s), "Cache-Control"]:
        print(f"   {name}: {response.headers[name]}")


async def run(redis_url: str, database_url: str, max_body_bytes: int) -> None:
    settings = SecuritySettings(
        webhook_auth_token=TOKEN,
        max_body_bytes=max_body_bytes,
        outbound_allowed_networks=[ip_network("127.0.0.0/8")],
    )
    app = create_app(settings, redis_url=redis_url, database_url=database_url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            await webhooks(client)
            await callbacks(client, settings.callback_tolerance_s)
            await limits(client, max_body_bytes)
            await api_keys(client, app, settings)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m api_security", description=__doc__)
    parser.add_argument(
        "--max-body-bytes", type=int, default=64 * 1024, help="the body size limit to demonstrate"
    )
    args = parser.parse_args()
    if args.max_body_bytes < 1:
        parser.error("--max-body-bytes must be at least 1")
    with services_for_demo() as services:
        database_url = recreate_schema(services.database_url, SCHEMA)
        try:
            # Seen-callback ids the demo writes expire by their own TTL.
            asyncio.run(run(services.redis_url, database_url, args.max_body_bytes))
        finally:
            drop_schema(services.database_url, SCHEMA)
    print(
        "\nEvery refusal above is a problem+json body with a status a client can act on; see README.md."
    )


if __name__ == "__main__":
    main()
