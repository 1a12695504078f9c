"""Per-sender metering with real processes: a burst leaves at its sender's pace, others do not wait.

The spacing is read from the carrier's side (QUEUE_DEMO_CARRIER_LOG, one line per call as it arrives).
The bounds below are lower bounds of a rate limit, not speed assertions: nothing asserts how fast.
"""

from __future__ import annotations

import asyncio
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
import redis

from app.local_stack import LocalStack, local_stack
from app.walkthrough import open_account, poll, sign_in
from queue_demo.carrier_log import read_carrier_log
from queue_demo.metering import MeterSettings
from tests.app.test_mini_twilio import deliveries_by_message

INTERVAL_S = 0.8
# Reading two clocks a few statements apart; far below the interval it is subtracted from.
TOLERANCE_S = 0.2


def metered_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "QUEUE_DEMO_SENDER_PER_SECOND": str(1 / INTERVAL_S),
        "QUEUE_DEMO_CARRIER_LOG": str(tmp_path / "carrier.jsonl"),
        "SEND_BURST": "50",
        **extra,
    }


class Sender:
    """One account with its own number, sending through the REST API."""

    def __init__(self, api: httpx.AsyncClient, auth: dict[str, str], account: str, number: str):
        self.api, self.auth, self.account, self.number = api, auth, account, number

    @classmethod
    async def open(cls, api: httpx.AsyncClient, username: str) -> Sender:
        auth = await sign_in(api, username)
        return cls(api, auth, *await open_account(api, auth))

    async def send(self, body: str, callback_url: str | None = None) -> str:
        form = {"To": "+15558675310", "From": self.number, "Body": body}
        if callback_url:
            form["StatusCallback"] = callback_url
        sent = await self.api.post(
            f"/2010-04-01/Accounts/{self.account}/Messages.json", data=form, headers=self.auth
        )
        assert sent.status_code == 201, sent.text
        return str(sent.json()["sid"])

    async def status(self, sid: str) -> str:
        url = f"/2010-04-01/Accounts/{self.account}/Messages/{sid}.json"
        return str((await self.api.get(url, headers=self.auth)).json()["status"])

    async def all_delivered(self, sids: list[str]) -> bool | None:
        return all([await self.status(sid) == "delivered" for sid in sids]) or None


def first_calls(carrier_log: Path, prefix: str) -> list[dict[str, Any]]:
    """The first carrier call of each message whose body starts with `prefix`, in call order."""
    seen: dict[str, dict[str, Any]] = {}
    for call in read_carrier_log(carrier_log):
        if str(call["body"]).startswith(prefix):
            seen.setdefault(str(call["key"]), call)
    return list(seen.values())


async def burst_and_bystander(stack: LocalStack, carrier_log: Path, n: int) -> list[str]:
    """Send `n` from one number, then one from another once the burst has begun to leave."""
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=20) as api:
        busy, other = await Sender.open(api, "busy"), await Sender.open(api, "other")
        # A first message warms the worker (connections, statement caches), so that the burst's
        # first departure is not late by a cold start that would shrink the gap after it.
        warm_up = await other.send("warm-up")
        await poll("the warm-up message", lambda: other.all_delivered([warm_up]))
        sids = [await busy.send(f"busy-{i}") for i in range(n)]

        async def last_one_status() -> str | None:
            return await busy.status(sids[-1])

        seen = [await last_one_status() or ""]

        async def burst_started() -> bool | None:
            return bool(first_calls(carrier_log, "busy-")) or None

        await poll("the burst's first departure", burst_started)
        bystander = await other.send("other-0")

        async def drained() -> bool | None:
            if seen[-1] != (status := await last_one_status() or ""):
                seen.append(status)
            return status == "delivered" or None

        await poll("the burst to drain", drained, timeout_s=60)
        await poll("the rest of the burst", lambda: busy.all_delivered(sids))
        await poll("the other number's message", lambda: other.all_delivered([bystander]))
        return seen


def test_a_burst_from_one_number_leaves_one_interval_apart_and_another_number_does_not_wait(
    redis_url: str, database_url: str, tmp_path: Path
) -> None:
    # Rule: a sender's messages leave at its rate (queued → sending → delivered, never a 429), in
    # order; a second sender's message goes out while the first sender's burst is still draining.
    n, carrier_log = 4, tmp_path / "carrier.jsonl"
    # Order is promised with one consumer and one batch in flight (queue_demo's README, "What order
    # do you guarantee?"). With two in flight, two batches of one sender reserve their slots in
    # whichever order their MULTI/EXECs reach Redis: busy-1 left first in 2 of 12 runs.
    env = metered_env(tmp_path, QUEUE_DEMO_CARRIER_DELAY_S="0.3", QUEUE_DEMO_BATCHES_IN_FLIGHT="1")
    with local_stack(redis_url, database_url, tmp_path, extra_env=env) as stack:
        statuses = asyncio.run(burst_and_bystander(stack, carrier_log, n))

    busy = first_calls(carrier_log, "busy-")
    assert [call["body"] for call in busy] == [f"busy-{i}" for i in range(n)]
    times = [float(call["at"]) for call in busy]
    gaps = [later - earlier for earlier, later in pairwise(times)]
    assert all(gap >= INTERVAL_S - TOLERANCE_S for gap in gaps), gaps
    assert times[-1] - times[0] >= (n - 1) * INTERVAL_S - TOLERANCE_S
    calls = [call["body"] for call in read_carrier_log(carrier_log)]
    assert calls.index("other-0") < calls.index(f"busy-{n - 1}"), calls
    assert statuses == ["queued", "sending", "delivered"], statuses


def test_a_worker_killed_while_messages_are_parked_loses_and_doubles_nothing(
    redis_url: str, database_url: str, tmp_path: Path
) -> None:
    # Rule: parked messages live in Redis, not in the worker; a message claimed by the killed worker
    # returns when its lease ends, and the inbox keeps its second send from being a second delivery.
    n, carrier_log = 5, tmp_path / "carrier.jsonl"
    env = metered_env(tmp_path, QUEUE_DEMO_CARRIER_DELAY_S="0.3", QUEUE_DEMO_LEASE_MS="1000")
    parked_key = f"{MeterSettings().key_prefix}:parked"
    with local_stack(redis_url, database_url, tmp_path, extra_env=env) as stack:

        async def scenario() -> tuple[list[str], list[dict[str, Any]]]:
            async with httpx.AsyncClient(base_url=stack.api_url, timeout=20) as api:
                busy = await Sender.open(api, "busy")
                sids = [await busy.send(f"busy-{i}", stack.callback_url) for i in range(n)]

                async def second_departure_in_flight() -> bool | None:
                    # Its carrier call is under way (0.3 s) and not committed; others are parked.
                    return len(first_calls(carrier_log, "busy-")) >= 2 or None

                await poll("the second departure", second_departure_in_flight)
                with redis.Redis.from_url(redis_url) as client:
                    parked = int(client.zcard(parked_key))
                stack.kill_worker()
                assert parked >= 1
                stack.start_worker()
                await poll("the burst to drain", lambda: busy.all_delivered(sids), timeout_s=60)

                async def every_callback() -> list[dict[str, Any]] | None:
                    got = (await api.get(f"{stack.receiver_url}/status-callbacks")).json()
                    return got if len(got) >= n else None

                return sids, await poll("every status callback", every_callback)

        sids, callbacks = asyncio.run(scenario())

    assert deliveries_by_message(database_url) == {sid: 1 for sid in sids}
    # Callbacks are at-least-once (a crash between POST and inbox repeats one): each one arrived.
    assert {c["params"]["MessageSid"] for c in callbacks} == set(sids)
    # The killed worker's message may reach the carrier twice (same idempotency key); each once here.
    assert {call["body"] for call in read_carrier_log(carrier_log)} == {
        f"busy-{i}" for i in range(n)
    }
