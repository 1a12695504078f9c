"""The webhook dependency: it rebuilds the public URL, checks the signature and, for callbacks, freshness."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from urllib.parse import urlencode

import httpx
from fastapi import FastAPI

from api_security.callback_signer import CallbackSigner
from api_security.replay_guard import REPLAYED
from api_security.signatures import SIGNATURE_HEADER, RequestValidator
from api_security.webhooks import BAD_SIGNATURE, MISSING_SIGNATURE, NOT_UTF8
from tests.api_security.conftest import AUTH_TOKEN

Serve = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]
SIGNER = RequestValidator(AUTH_TOKEN)
INBOUND = "http://testserver/webhooks/inbound"
FORM = {"MessageSid": "SM1", "From": "+14158675309", "Body": "hello"}
PUBLIC = "https://api.example.com/webhooks/inbound"
FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "api.example.com"}


def signed(url: str, params: dict[str, str]) -> dict[str, str]:
    return {SIGNATURE_HEADER: SIGNER.compute_signature(url, params)}


async def test_a_signed_form_webhook_is_accepted(client: httpx.AsyncClient) -> None:
    # Rule: a signature over the URL the client used and the form fields lets the request through.
    response = await client.post("/webhooks/inbound", data=FORM, headers=signed(INBOUND, FORM))

    assert response.status_code == 200
    assert response.json() == {"verified": True, "fields": 3}


async def test_a_webhook_with_a_tampered_field_is_refused(client: httpx.AsyncClient) -> None:
    # Rule: changing any field after signing is a 403 with BAD_SIGNATURE.
    response = await client.post(
        "/webhooks/inbound", data={**FORM, "Body": "send money"}, headers=signed(INBOUND, FORM)
    )

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == BAD_SIGNATURE


async def test_a_webhook_without_the_signature_header_is_refused(client: httpx.AsyncClient) -> None:
    # Rule: an unsigned request is refused before its body is even read.
    response = await client.post("/webhooks/inbound", data=FORM)

    assert response.status_code == 403
    assert response.json()["detail"] == MISSING_SIGNATURE


async def test_a_form_body_that_is_not_utf8_is_a_400(client: httpx.AsyncClient) -> None:
    # Rule: undecodable input is bad input (400), never a 500.
    response = await client.post(
        "/webhooks/inbound",
        content=b"Body=\xff\xfe",
        headers={"content-type": "application/x-www-form-urlencoded", SIGNATURE_HEADER: "x"},
    )

    assert response.status_code == 400
    assert response.json()["detail"] == NOT_UTF8


async def test_a_signed_json_webhook_is_accepted_and_a_tampered_body_refused(
    client: httpx.AsyncClient,
) -> None:
    # Rule: JSON webhooks are checked through the bodySHA256 in the signed URL.
    body = b'{"event": "delivered"}'
    url = f"{INBOUND}?{urlencode({'bodySHA256': SIGNER.compute_hash(body)})}"
    headers = {"content-type": "application/json", **signed(url, {})}
    path = url.removeprefix("http://testserver")

    accepted = await client.post(path, content=body, headers=headers)
    refused = await client.post(path, content=b'{"event": "failed!!!"}', headers=headers)

    assert accepted.status_code == 200
    assert refused.status_code == 403
    assert refused.json()["detail"] == BAD_SIGNATURE


async def test_behind_a_trusted_proxy_the_public_url_is_what_was_signed(
    app: FastAPI, serve: Serve
) -> None:
    # Rule: from a configured proxy (10.0.0.0/8 here), X-Forwarded-Proto/Host rebuild the signed URL.
    async with serve(app, client_ip="10.1.2.3") as proxy:
        response = await proxy.post(
            "/webhooks/inbound", data=FORM, headers={**FORWARDED, **signed(PUBLIC, FORM)}
        )

    assert response.status_code == 200


async def test_forwarded_headers_from_an_untrusted_peer_are_ignored(
    client: httpx.AsyncClient,
) -> None:
    # Rule: anyone else's X-Forwarded-* is ignored, so a signature for another URL cannot be borrowed.
    response = await client.post(
        "/webhooks/inbound", data=FORM, headers={**FORWARDED, **signed(PUBLIC, FORM)}
    )

    assert response.status_code == 403
    assert response.json()["detail"] == BAD_SIGNATURE


async def test_a_status_callback_is_accepted_once_and_its_replay_refused(
    client: httpx.AsyncClient,
) -> None:
    # Rule: our own callbacks carry a signed timestamp and id; the second delivery of an id is a 403.
    callback = CallbackSigner(AUTH_TOKEN).sign("http://testserver/callbacks/status", FORM)
    path = callback.url.removeprefix("http://testserver")

    first = await client.post(path, data=FORM, headers=callback.headers)
    replay = await client.post(path, data=FORM, headers=callback.headers)

    assert first.status_code == 200
    assert replay.status_code == 403
    assert replay.json()["detail"] == REPLAYED


async def test_a_status_callback_signed_with_another_token_stores_no_id(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    # Rule: the signature is checked before the seen-set is touched, so forgeries cannot fill it.
    forged = CallbackSigner("not-the-token").sign("http://testserver/callbacks/status", FORM)

    response = await client.post(
        forged.url.removeprefix("http://testserver"), data=FORM, headers=forged.headers
    )

    assert response.status_code == 403
    assert await app.state.redis.dbsize() == 0
