"""A batch reaches PostgreSQL as one JSON array (inbox ids, delivery rows, the messages to mark
delivered or sending): exact, whatever the text."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

import pytest
import redis.asyncio
from sqlalchemy import text
from sqlalchemy.exc import DataError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from queue_demo import inbox
from queue_demo.carrier import SimulatedCarrier
from queue_demo.delivery import DeliverMessages
from queue_demo.events import Event
from queue_demo.metering import Meter, MeteredDelivery, MeterSettings
from queue_demo.retry import GaveUp
from queue_demo.settings import QueueSettings
from tests.queue_demo.conftest import create_messages

# What another carrier's ids could hold: each of JSON's, PostgreSQL arrays' and SQL's special
# characters, and text beyond ASCII.
HOSTILE_SIDS = [
    'SM"quoted"',
    "SM\\back\\slash\\",
    "SM{braces},comma",
    'SM"]},{"event_id": "x"}',
    "SM'single' -- ;",
    "SM ünïcödé ☃ 🚀",
    "SM\u2028\ttab\nnewline",
    "NULL",
    "",
]


# Two ids joined into one, in each shape that would split if the text were spliced into SQL or an array.
TWO_IDS_JOINED = pytest.mark.parametrize(
    "shape",
    ["{a},{b}", '["{a}", "{b}"]', '{a}", "{b}', "{{{a},{b}}}"],
    ids=["comma", "a JSON array", "quote-breaking", "an array literal"],
)


class CarrierReturning(SimulatedCarrier):
    """A carrier whose message ids are chosen by the test, one per recipient."""

    def __init__(self, sids: dict[str, str]) -> None:
        super().__init__()
        self.sids = sids

    async def send(self, *, to: str, body: str, idempotency_key: str) -> str:
        await super().send(to=to, body=body, idempotency_key=idempotency_key)
        return self.sids[to]


def queued(n: int, message_id: str | None = None) -> Event:
    payload = {
        "message_id": message_id or str(uuid.uuid4()),
        "to": f"+1415555{n:04d}",
        "body": "hi",
    }
    return Event(str(uuid.uuid4()), "message.queued", payload, entry_id=f"1-{n}")


async def test_hostile_carrier_ids_are_recorded_exactly_as_the_carrier_returned_them(
    sessions: async_sessionmaker[AsyncSession], settings: QueueSettings
) -> None:
    events = [queued(n) for n in range(len(HOSTILE_SIDS))]
    sids = {event.payload["to"]: sid for event, sid in zip(events, HOSTILE_SIDS, strict=True)}
    deliver = DeliverMessages(sessions, CarrierReturning(sids), settings)

    assert await deliver(events) == {}

    async with sessions() as session:
        rows = await session.execute(text("SELECT event_id::text, carrier_sid FROM deliveries"))
    assert dict(rows.all()) == {event.event_id: sids[event.payload["to"]] for event in events}


async def test_a_carrier_id_the_database_cannot_store_refuses_that_delivery_alone(
    sessions: async_sessionmaker[AsyncSession], settings: QueueSettings
) -> None:
    # PostgreSQL text cannot hold NUL: the batch is recorded one by one, and only that one refused.
    events = [queued(n) for n in range(3)]
    sids = {event.payload["to"]: f"SM{n}" for n, event in enumerate(events)}
    sids[events[1].payload["to"]] = "SM\x00nul"
    deliver = DeliverMessages(sessions, CarrierReturning(sids), settings)

    refused = await deliver(events)

    assert list(refused) == [events[1].entry_id]
    assert str(refused[events[1].entry_id]).startswith(
        "gave up after 1 attempt(s): refused by the database:"
    )
    async with sessions() as session:
        stored = await session.execute(text("SELECT carrier_sid FROM deliveries ORDER BY 1"))
    assert stored.scalars().all() == ["SM0", "SM2"]


async def test_the_inbox_answers_only_the_ids_it_had_not_seen(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    first, second, third = (str(uuid.uuid4()) for _ in range(3))
    async with sessions.begin() as session:
        assert await inbox.record_new(session, "c", [first, second, first]) == {first, second}
    async with sessions.begin() as session:
        assert await inbox.record_new(session, "c", [second, third]) == {third}
        unseen = str(uuid.uuid4())
        assert await inbox.already_processed(session, "c", [first, third, unseen]) == {first, third}


@TWO_IDS_JOINED
async def test_an_id_that_is_not_one_uuid_is_refused_and_never_read_as_two(
    sessions: async_sessionmaker[AsyncSession], shape: str
) -> None:
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    with pytest.raises(DataError, match="uuid"):
        async with sessions.begin() as session:
            await inbox.record_new(session, "c", [shape.format(a=a, b=b)])
    async with sessions() as session:
        assert await inbox.already_processed(session, "c", [a, b]) == set()


@TWO_IDS_JOINED
async def test_a_message_id_that_is_two_ids_joined_marks_neither_delivered_and_is_refused_alone(
    sessions: async_sessionmaker[AsyncSession], settings: QueueSettings, shape: str
) -> None:
    a, b, c = await create_messages(sessions, settings, 3)
    hostile, honest = queued(0, shape.format(a=a, b=b)), queued(1, c)

    refused = await DeliverMessages(sessions, SimulatedCarrier(), settings)([hostile, honest])

    assert list(refused) == [hostile.entry_id]
    assert "refused by the database" in str(refused[hostile.entry_id])
    async with sessions() as session:
        rows = await session.execute(text("SELECT id::text, status FROM messages"))
    assert dict(rows.all()) == {a: "queued", b: "queued", c: "delivered"}


@TWO_IDS_JOINED
async def test_a_message_id_that_is_two_ids_joined_marks_neither_sending_and_its_batch_goes_on(
    sessions: async_sessionmaker[AsyncSession],
    settings: QueueSettings,
    redis_client: redis.asyncio.Redis,
    shape: str,
) -> None:
    a, b, c = await create_messages(sessions, settings, 3)
    events = [queued(0, shape.format(a=a, b=b)), queued(1, c)]
    handed_on: list[Event] = []

    async def deliver(events: Sequence[Event]) -> Mapping[str, GaveUp]:
        handed_on.extend(events)
        return {}

    meter = Meter(redis_client, settings, MeterSettings())
    assert await MeteredDelivery(deliver, meter, sessions).send(events) == {}

    assert handed_on == events
    async with sessions() as session:
        rows = await session.execute(text("SELECT id::text, status FROM messages"))
    assert dict(rows.all()) == {a: "queued", b: "queued", c: "sending"}
