"""Billing hears about messages later (eventual consistency): while it is down events wait, none lost."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import uuid
from datetime import UTC, datetime

import httpx
import redis.asyncio
from msgspec.structs import replace
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from microservices.billing import MESSAGE_SENT, BillingHandler, Charge
from microservices.schema import create_tables
from microservices.settings import MicroservicesSettings
from queue_demo.events import Event
from tests.microservices.conftest import Pieces, eventually, open_account, query_one

SETTINGS = MicroservicesSettings()
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
STREAM = SETTINGS.billing_stream


async def send_many(messages_url: str, account_id: str, count: int) -> set[str]:
    """Send `count` messages, five at a time (well inside the bulkhead), and return their ids."""
    limit = asyncio.Semaphore(5)

    async def send_one(client: httpx.AsyncClient, n: int) -> httpx.Response:
        async with limit:
            return await client.post(
                "/messages",
                json={"account_id": account_id, "to": "+14155550100", "body": f"hi {n}"},
                headers={"traceparent": TRACEPARENT},
            )

    async with httpx.AsyncClient(base_url=messages_url) as client:
        responses = await asyncio.gather(*(send_one(client, n) for n in range(count)))
    assert [r.status_code for r in responses if r.status_code != 201] == []
    return {r.json()["id"] for r in responses}


async def test_while_billing_is_down_events_wait_and_each_is_billed_once_when_it_returns(
    pieces: Pieces, database_url: str, redis_client: redis.asyncio.Redis
) -> None:
    # Rule: messages keep being accepted with billing down; once billing runs again, every message
    # has exactly one billing record — even when billing crashed after a commit and before its ack,
    # so that a whole batch is delivered twice.
    accounts_url = pieces.start("accounts")
    messages_url = pieces.start("messages", accounts_url=accounts_url)
    account_id = await open_account(accounts_url, credit_cents=1_000)

    async def billed() -> int:
        return int(await query_one(database_url, "SELECT count(*) FROM billing_records"))

    async def billed_at_least(count: int) -> bool:
        return await billed() >= count

    async def exited(process: subprocess.Popen[bytes]) -> bool:
        return process.poll() is not None

    async def all_acknowledged() -> bool:
        pending = await redis_client.xpending(STREAM, SETTINGS.billing_group)
        return bool(pending["pending"] == 0)

    async def published(count: int) -> bool:
        return await redis_client.xlen(STREAM) == count

    sent = await send_many(messages_url, account_id, 30)
    await eventually(lambda: published(30), what="30 events on the stream")
    assert await billed() == 0  # billing is down: the events wait on the stream

    # queue_demo's crash point: SIGKILL after the billing commit, before the XACK.
    crashing = pieces.start_billing({"QUEUE_DEMO_CRASH_AFTER": "commit_before_ack"})
    await eventually(lambda: exited(crashing), what="billing to crash after its commit")
    assert crashing.returncode == -signal.SIGKILL
    assert await billed() == 30
    pending = await redis_client.xpending(STREAM, SETTINGS.billing_group)
    assert pending["pending"] == 30  # billed but never acknowledged: they will be delivered again

    sent |= await send_many(messages_url, account_id, 20)
    await eventually(lambda: published(50), what="50 events on the stream")
    billing = pieces.start_billing()  # the same consumer name: it first re-reads its pending 30
    await eventually(lambda: billed_at_least(50), what="50 billing records", watch=billing)

    billed_ids = await query_one(
        database_url, "SELECT array_agg(message_id::text) FROM billing_records"
    )
    assert len(billed_ids) == 50  # none doubled
    assert set(billed_ids) == sent  # none lost
    await eventually(lambda: all_acknowledged(), what="every event acknowledged", watch=billing)


def charge_event(message_id: uuid.UUID | None = None) -> Event:
    charge = Charge(message_id or uuid.uuid4(), uuid.uuid4(), 1, datetime(2026, 1, 1, tzinfo=UTC))
    return Event(
        event_id=str(uuid.uuid4()),
        type=MESSAGE_SENT,
        payload=charge.to_payload(),
        entry_id=f"{uuid.uuid4().int % 10**9}-0",
    )


async def test_the_billing_record_keeps_the_trace_id_of_its_event(engine: AsyncEngine) -> None:
    # Rule: the trace crosses the asynchronous hop: the record names the trace of the sending request.
    await create_tables(engine)
    handler = BillingHandler(async_sessionmaker(engine, expire_on_commit=False))
    event = replace(charge_event(), traceparent=TRACEPARENT)

    await handler([event])

    async with engine.connect() as connection:
        trace_id = (await connection.execute(text("SELECT trace_id FROM billing_records"))).scalar()
    assert trace_id == TRACE_ID


async def test_a_redelivered_event_bills_nothing_the_second_time(engine: AsyncEngine) -> None:
    # Rule: the inbox row commits with the billing record, so the same event twice bills once.
    await create_tables(engine)
    handler = BillingHandler(async_sessionmaker(engine, expire_on_commit=False))
    events = [charge_event() for _ in range(3)]

    await handler(events)
    await handler(events)

    async with engine.connect() as connection:
        count = (await connection.execute(text("SELECT count(*) FROM billing_records"))).scalar()
    assert count == 3
    assert handler.billed == 3


async def test_an_event_with_a_bad_payload_is_given_up_and_the_rest_of_its_batch_is_billed(
    engine: AsyncEngine,
) -> None:
    # Rule: a poison event goes to the dead letters with its reason; it does not block its batch.
    await create_tables(engine)
    handler = BillingHandler(async_sessionmaker(engine, expire_on_commit=False))
    good = charge_event()
    bad = Event(
        event_id=str(uuid.uuid4()),
        type=MESSAGE_SENT,
        payload={**good.payload, "amount_cents": -5},
        entry_id="1-0",
    )

    gave_up = await handler([good, bad])

    assert list(gave_up) == ["1-0"]
    assert str(gave_up["1-0"]) == (
        "gave up after 1 attempt(s): ValueError: amount_cents must be a non-negative integer, not -5"
    )
    assert handler.billed == 1
