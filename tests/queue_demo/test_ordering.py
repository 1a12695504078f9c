"""Order: what holds, under injected failures. Sends to one number follow the stream's order when one
consumer handles one batch at a time; a retry holds back that number's later messages."""

from __future__ import annotations

import redis.asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from queue_demo.carrier import CarrierUnavailable, SimulatedCarrier
from queue_demo.consumer import Consumer
from queue_demo.delivery import DeliverMessages
from queue_demo.outbox import NewMessage, create_message
from queue_demo.relay import Relay
from queue_demo.settings import QueueSettings
from tests.queue_demo.conftest import run_until, scalar

ALICE, BOB = "+14155550100", "+14155550199"


class FailsEachNumbersFirstCall(SimulatedCarrier):
    """Answers 503 to the first call for each number, then records what it accepted, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.accepted: list[tuple[str, str]] = []
        self.failed_once: set[str] = set()

    async def send(self, *, to: str, body: str, idempotency_key: str) -> str:
        if to not in self.failed_once:
            self.failed_once.add(to)
            raise CarrierUnavailable("carrier answered 503")
        sid = await super().send(to=to, body=body, idempotency_key=idempotency_key)
        self.accepted.append((to, body))
        return sid


async def test_sends_to_one_number_keep_the_stream_order_when_a_retry_intervenes(
    sessions: async_sessionmaker[AsyncSession],
    redis_client: redis.asyncio.Redis,
    settings: QueueSettings,
) -> None:
    # Rule: within a batch each number's messages are sent one after another, so a transient failure
    # of the first delays the rest instead of letting them overtake it; numbers still run in parallel.
    settings = settings.model_copy(update={"batches_in_flight": 1})
    async with sessions.begin() as session:
        for n in range(6):
            to = (ALICE, BOB)[n % 2]
            await create_message(session, NewMessage(to, f"message {n}"), settings=settings)
    await Relay(sessions, redis_client, settings).publish_batch()
    carrier = FailsEachNumbersFirstCall()
    handler = DeliverMessages(sessions, carrier, settings, consumer="c1")
    consumer = Consumer(redis_client, handler, name="c1", settings=settings)

    async def delivered() -> bool:
        return bool(await scalar(sessions, "SELECT count(*) FROM deliveries") == 6)

    await run_until([consumer.run], delivered)

    assert [body for to, body in carrier.accepted if to == ALICE] == [
        "message 0", "message 2", "message 4",
    ]  # fmt: skip
    assert [body for to, body in carrier.accepted if to == BOB] == [
        "message 1", "message 3", "message 5",
    ]  # fmt: skip
