"""Retries back off with full jitter and keep every attempt; trace context rides along with each event."""

from __future__ import annotations

import random

import pytest
import redis.asyncio
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from error_handling.correlation import is_well_formed_request_id
from queue_demo.carrier import CarrierUnavailable, SimulatedCarrier
from queue_demo.consumer import Consumer
from queue_demo.delivery import DeliverMessages
from queue_demo.outbox import NewMessage, create_message
from queue_demo.relay import Relay
from queue_demo.retry import Backoff, GaveUp, call_with_retries
from queue_demo.settings import QueueSettings
from tests.queue_demo.conftest import run_until

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_full_jitter_waits_between_zero_and_the_capped_exponential() -> None:
    # Rule: the n-th wait is uniform in [0, min(cap, base·2^(n-1))]: spread out, never above the cap.
    backoff = Backoff(base_s=0.1, cap_s=1.0, max_attempts=10)
    rng = random.Random(7)

    for failures, ceiling in [(1, 0.1), (2, 0.2), (3, 0.4), (4, 0.8), (5, 1.0), (9, 1.0)]:
        waits = [backoff.delay(failures, rng.random) for _ in range(500)]
        assert 0 <= min(waits) < ceiling * 0.1
        assert ceiling * 0.9 < max(waits) <= ceiling


async def test_a_transient_error_is_retried_until_it_succeeds_and_the_attempts_are_counted() -> (
    None
):
    # Rule: TransientError is retried; the result comes back with how many attempts it took.
    outcomes: list[Exception | str] = [CarrierUnavailable("503"), CarrierUnavailable("503"), "ok"]

    async def flaky() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert await call_with_retries(flaky, Backoff(0.001, 0.001, 5)) == ("ok", 3)


async def test_an_error_that_is_not_transient_gives_up_at_once_with_its_history() -> None:
    # Rule: anything but TransientError is final: one attempt, recorded, no retry.
    calls = 0

    async def broken() -> None:
        nonlocal calls
        calls += 1
        raise ValueError("bad number")

    with pytest.raises(GaveUp) as gave_up:
        await call_with_retries(broken, Backoff(0.001, 0.001, 5))

    assert calls == 1
    assert [attempt.error for attempt in gave_up.value.history] == ["ValueError: bad number"]


class RecordingCarrier(SimulatedCarrier):
    """Notes the log context in force while each message is handed to the carrier."""

    contexts: list[dict[str, object]]

    async def send(self, *, to: str, body: str, idempotency_key: str) -> str:
        self.contexts.append(structlog.contextvars.get_contextvars())
        return await super().send(to=to, body=body, idempotency_key=idempotency_key)


async def test_request_id_and_traceparent_travel_from_the_producer_to_the_handlers_log_context(
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
) -> None:
    # Rule: the ids given at create time are stored on the outbox row, carried on the stream
    # entry, and bound to structlog's context while that event is handled.
    async with sessions.begin() as session:
        await create_message(
            session,
            NewMessage("+14155550100", "hi"),
            settings=settings,
            request_id="req-42",
            traceparent=TRACEPARENT,
        )
    carrier = RecordingCarrier()
    carrier.contexts = []
    consumer = Consumer(
        redis_client, DeliverMessages(sessions, carrier, settings), name="c1", settings=settings
    )

    async def handled() -> bool:
        return bool(carrier.contexts)

    await run_until([Relay(sessions, redis_client, settings).run, consumer.run], handled)

    [context] = carrier.contexts
    assert context["request_id"] == "req-42"
    # The handling is a child span of the producer's: same trace, a new span id.
    assert context["trace_id"] == TRACEPARENT.split("-")[1]
    assert str(context["traceparent"]).startswith(f"00-{TRACEPARENT.split('-')[1]}-")
    assert context["traceparent"] != TRACEPARENT
    [(_, fields)] = await redis_client.xrange(settings.stream)
    assert (fields["request_id"], fields["traceparent"]) == ("req-42", TRACEPARENT)


async def test_a_malformed_request_id_on_an_event_is_replaced_before_it_reaches_the_logs(
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
) -> None:
    # Rule: workers bind ids through error_handling's one correlation helper, which refuses an id
    # that could forge log fields and binds a fresh one instead.
    forged = 'req-1" level=critical\nfake line'
    async with sessions.begin() as session:
        await create_message(
            session, NewMessage("+14155550100", "hi"), settings=settings, request_id=forged
        )
    carrier = RecordingCarrier()
    carrier.contexts = []
    consumer = Consumer(
        redis_client, DeliverMessages(sessions, carrier, settings), name="c1", settings=settings
    )

    async def handled() -> bool:
        return bool(carrier.contexts)

    await run_until([Relay(sessions, redis_client, settings).run, consumer.run], handled)

    [context] = carrier.contexts
    assert context["request_id"] != forged
    assert is_well_formed_request_id(str(context["request_id"]))
