"""Status callbacks: written to the outbox with the delivery, POSTed signed like Twilio, retried, dead-lettered on 4xx."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
import redis.asyncio
from fastapi import FastAPI, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api_security.signatures import SIGNATURE_HEADER, RequestValidator
from queue_demo import dead_letters
from queue_demo.callbacks import SendStatusCallbacks
from queue_demo.carrier import SimulatedCarrier
from queue_demo.consumer import Consumer
from queue_demo.delivery import DeliverMessages
from queue_demo.relay import Relay
from queue_demo.settings import QueueSettings
from tests.queue_demo.conftest import create_messages, run_until

CALLBACK_URL = "https://customer.example/status"


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
) -> list[Callable[[asyncio.Event], Coroutine[Any, Any, None]]]:
    deliver = DeliverMessages(sessions, SimulatedCarrier(), settings)
    send = SendStatusCallbacks(sessions, http, settings)
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
    app = receiver([503, 503], received, settings.callback_auth_token)
    [message_id] = await create_messages(sessions, settings, 1, callback_url=CALLBACK_URL)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:

        async def called_back() -> bool:
            return len(received) == 1

        await run_until(pipeline(sessions, redis_client, settings, http), called_back)

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
    app = receiver([410], [], settings.callback_auth_token)
    await create_messages(sessions, settings, 1, callback_url=CALLBACK_URL)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:

        async def dead() -> bool:
            return bool(await redis_client.xlen(settings.dead_letter_stream) == 1)

        await run_until(pipeline(sessions, redis_client, settings, http), dead)

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

        await run_until(pipeline(sessions, redis_client, settings, http), dead)

    [letter] = await dead_letters.list_dead_letters(redis_client, settings.dead_letter_stream)
    assert letter["reason"] == "gave up after 1 attempt(s): CallbackRejected: receiver answered 403"
