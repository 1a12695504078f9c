"""Status callbacks: written to the outbox with the delivery, POSTed signed like Twilio, retried, dead-lettered on 4xx."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from ipaddress import ip_network
from typing import Any

import httpx
import redis.asyncio
from fastapi import FastAPI, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api_security.settings import SecuritySettings
from api_security.signatures import SIGNATURE_HEADER, RequestValidator
from api_security.ssrf import check_outbound_url
from queue_demo import dead_letters
from queue_demo.callbacks import SendStatusCallbacks
from queue_demo.carrier import SimulatedCarrier
from queue_demo.consumer import Consumer
from queue_demo.delivery import DeliverMessages
from queue_demo.relay import Relay
from queue_demo.settings import QueueSettings
from tests.api_security.loopback import loopback_listener
from tests.queue_demo.conftest import create_messages, run_until

CALLBACK_URL = "https://customer.example/status"
TOKEN = "callback-test-token"
SECURITY = SecuritySettings(webhook_auth_token=TOKEN)
# The test receivers are in-process (ASGI): the address only has to pass the SSRF check.
PUBLIC = "93.184.215.14"


async def public_dns(host: str, port: int) -> list[str]:
    return [PUBLIC]


def receiver(answers: list[int], received: list[dict[str, str]], token: str) -> FastAPI:
    """The customer's endpoint: checks the signature, records the callback, answers from `answers`."""
    app = FastAPI()
    validator = RequestValidator(token)

    @app.post("/status")
    async def status(request: Request) -> Response:
        form = {key: str(value) for key, value in (await request.form()).items()}
        if not validator.validate(str(request.url), form, request.headers.get(SIGNATURE_HEADER)):
            return Response(status_code=403)
        code = answers.pop(0) if answers else 204
        if code < 300:
            received.append(form)
        return Response(status_code=code)

    return app


def pipeline(
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
    http: httpx.AsyncClient,
    **sender: Any,
) -> list[Callable[[asyncio.Event], Coroutine[Any, Any, None]]]:
    deliver = DeliverMessages(sessions, SimulatedCarrier(), settings)
    send = SendStatusCallbacks(sessions, http, settings, **sender)
    return [
        Relay(sessions, redis_client, settings).run,
        Consumer(redis_client, deliver, name="d1", settings=settings).run,
        Consumer(
            redis_client, send, name="s1", settings=settings,
            stream=settings.callbacks_stream, group=settings.callbacks_group,
        ).run,
    ]  # fmt: skip


async def test_a_delivered_message_gets_one_signed_status_callback_after_transient_failures(
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
) -> None:
    # Rule: after delivery the customer receives a callback whose X-Twilio-Signature validates with
    # the auth token; 503s are retried with backoff until it is taken.
    received: list[dict[str, str]] = []
    app = receiver([503, 503], received, TOKEN)
    [message_id] = await create_messages(sessions, settings, 1, callback_url=CALLBACK_URL)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:

        async def called_back() -> bool:
            return len(received) == 1

        await run_until(
            pipeline(
                sessions, redis_client, settings, http, security=SECURITY, resolver=public_dns
            ),
            called_back,
        )

    assert received[0]["MessageSid"] == message_id
    assert received[0]["MessageStatus"] == "delivered"
    assert received[0]["To"] == "+14155550100"
    assert received[0]["CarrierSid"].startswith("SM")
    assert await redis_client.xlen(settings.dead_letter_stream) == 0


async def test_a_callback_the_receiver_rejects_is_dead_lettered_after_one_attempt(
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
) -> None:
    # Rule: a 4xx from the receiver is final: no retries, the callback goes to the dead letters.
    app = receiver([410], [], TOKEN)
    await create_messages(sessions, settings, 1, callback_url=CALLBACK_URL)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:

        async def dead() -> bool:
            return bool(await redis_client.xlen(settings.dead_letter_stream) == 1)

        await run_until(
            pipeline(
                sessions, redis_client, settings, http, security=SECURITY, resolver=public_dns
            ),
            dead,
        )

    [letter] = await dead_letters.list_dead_letters(redis_client, settings.dead_letter_stream)
    assert letter["reason"] == "gave up after 1 attempt(s): CallbackRejected: receiver answered 410"
    assert letter["source_stream"] == settings.callbacks_stream


async def test_a_callback_signed_with_another_token_is_refused_by_the_receiver(
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
) -> None:
    # Rule: the signature really covers the request: a receiver with a different token answers
    # 403, which the sender treats as final.
    app = receiver([], [], "another-token")
    await create_messages(sessions, settings, 1, callback_url=CALLBACK_URL)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:

        async def dead() -> bool:
            return bool(await redis_client.xlen(settings.dead_letter_stream) == 1)

        await run_until(
            pipeline(
                sessions, redis_client, settings, http, security=SECURITY, resolver=public_dns
            ),
            dead,
        )

    [letter] = await dead_letters.list_dead_letters(redis_client, settings.dead_letter_stream)
    assert letter["reason"] == "gave up after 1 attempt(s): CallbackRejected: receiver answered 403"


async def only_dead_letter_reason(
    redis_client: redis.asyncio.Redis, settings: QueueSettings
) -> str:
    [letter] = await dead_letters.list_dead_letters(redis_client, settings.dead_letter_stream)
    return str(letter["reason"])


async def test_attack_a_callback_host_that_now_resolves_to_loopback_gets_no_request(
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
) -> None:
    """OWASP API7:2023 (SSRF, DNS rebinding): the URL passed when accepted; the sender checks again.

    `localhost` stands for a name whose DNS answer turned to 127.0.0.1 after the message was accepted.
    """
    async with loopback_listener() as inside, httpx.AsyncClient() as http:
        await create_messages(sessions, settings, 1, callback_url=inside.url("localhost"))

        async def refused_or_reached() -> bool:
            return bool(inside.heads) or await redis_client.xlen(settings.dead_letter_stream) == 1

        await run_until(pipeline(sessions, redis_client, settings, http), refused_or_reached)

    assert inside.heads == []
    reason = await only_dead_letter_reason(redis_client, settings)
    assert reason.startswith("gave up after 1 attempt(s): CallbackRejected: Callback URL refused:")
    assert "which is loopback" in reason


async def test_attack_a_rebinding_dns_answer_between_accept_and_send_reaches_nothing(
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
) -> None:
    """OWASP API7:2023 (SSRF, DNS rebinding): public when accepted, 127.0.0.1 when sent: refused."""
    answers = iter([[PUBLIC], ["127.0.0.1"], ["127.0.0.1"]])

    async def rebinding_dns(host: str, port: int) -> list[str]:
        return next(answers)

    async with loopback_listener() as inside, httpx.AsyncClient() as http:
        url = inside.url("rebind.example")
        assert await check_outbound_url(url, resolver=rebinding_dns)  # accepted: it looked public
        await create_messages(sessions, settings, 1, callback_url=url)

        async def dead() -> bool:
            return bool(await redis_client.xlen(settings.dead_letter_stream) == 1)

        workers = pipeline(
            sessions, redis_client, settings, http, security=SECURITY, resolver=rebinding_dns
        )
        await run_until(workers, dead)

    assert inside.heads == []
    assert "rebind.example resolves to 127.0.0.1, which is loopback" in (
        await only_dead_letter_reason(redis_client, settings)
    )


async def test_the_callback_goes_to_the_vetted_address_with_the_customers_host_header(
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
) -> None:
    # Rule: the sender connects to the address it vetted, and tells the server which host was meant,
    # so virtual hosting and the signature (over the customer's URL) both still work.
    security = SecuritySettings(
        webhook_auth_token=TOKEN, outbound_allowed_networks=[ip_network("127.0.0.0/8")]
    )

    async def customer_dns(host: str, port: int) -> list[str]:
        assert host == "customer.example"
        return ["127.0.0.1"]

    async with loopback_listener() as customer, httpx.AsyncClient() as http:
        await create_messages(sessions, settings, 1, callback_url=customer.url("customer.example"))

        async def called_back() -> bool:
            return len(customer.heads) == 1

        workers = pipeline(
            sessions, redis_client, settings, http, security=security, resolver=customer_dns
        )
        await run_until(workers, called_back)

    request_line, *header_lines = customer.heads[0].split("\r\n")
    headers = {
        name.lower(): value
        for name, value in (line.split(": ", 1) for line in header_lines if line)
    }
    assert request_line.startswith("POST /status?CallbackTimestamp=")
    assert headers["host"] == f"customer.example:{customer.port}"
    assert SIGNATURE_HEADER.lower() in headers


async def test_attack_a_redirect_from_the_receiver_is_not_followed_and_is_final(
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
) -> None:
    """OWASP API7:2023 (SSRF via redirect): a 3xx could point anywhere unvetted; it is not followed."""
    security = SecuritySettings(
        webhook_auth_token=TOKEN, outbound_allowed_networks=[ip_network("127.0.0.0/8")]
    )
    async with loopback_listener() as inside:
        moved = f"Location: {inside.url(path='/admin')}\r\n"
        async with (
            loopback_listener("307 Temporary Redirect", moved) as customer,
            httpx.AsyncClient() as http,
        ):
            await create_messages(sessions, settings, 1, callback_url=customer.url())

            async def dead() -> bool:
                return bool(await redis_client.xlen(settings.dead_letter_stream) == 1)

            await run_until(
                pipeline(sessions, redis_client, settings, http, security=security), dead
            )

    assert len(customer.heads) == 1
    assert inside.heads == []
    assert await only_dead_letter_reason(redis_client, settings) == (
        "gave up after 1 attempt(s): CallbackRejected: receiver answered 307"
    )
