"""The webhook receiver (the customer's server): signed callbacks in, everything else refused."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from api_security.body_limit import TOO_LARGE
from api_security.callback_signer import CallbackSigner
from api_security.settings import PLACEHOLDER
from api_security.trusted_hosts import UNTRUSTED_HOST
from app.webhook_receiver import ReceiverSettings, create_receiver

FORM = {"MessageSid": "SM1", "MessageStatus": "delivered"}
LIMIT = 512


@pytest.fixture
async def receiver(redis_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_receiver(
        redis_url, ReceiverSettings(allowed_hosts=["receiver.test"], max_body_bytes=LIMIT)
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://receiver.test") as c:
            yield c


async def test_a_signed_callback_to_a_listed_host_is_received(receiver: httpx.AsyncClient) -> None:
    # Rule: the limits refuse only what they must (in development the secret is the placeholder).
    callback = CallbackSigner(PLACEHOLDER).sign("http://receiver.test/status-callbacks", FORM)

    response = await receiver.post(callback.url, data=FORM, headers=callback.headers)

    assert response.status_code == 204
    assert [item["params"] for item in (await receiver.get("/status-callbacks")).json()] == [FORM]


async def test_attack_a_body_over_the_receivers_limit_is_a_413_before_it_is_read(
    receiver: httpx.AsyncClient,
) -> None:
    """Resource exhaustion (OWASP API4:2023): the receiver had no body limit at all."""
    response = await receiver.post(
        "/status-callbacks",
        content=b"a=" + b"x" * LIMIT,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == TOO_LARGE.format(limit=LIMIT)


async def test_attack_a_host_header_the_receiver_does_not_serve_is_a_400(
    receiver: httpx.AsyncClient,
) -> None:
    """Host header injection: absolute URLs (and the URL a signature is checked against) come from Host."""
    response = await receiver.get("/status-callbacks", headers={"Host": "evil.example"})

    assert response.status_code == 400
    assert response.json()["detail"] == UNTRUSTED_HOST.format(host="evil.example")
