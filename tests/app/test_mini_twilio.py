"""The mini Twilio end to end: real api, relay, worker and receiver processes on real Redis and Postgres."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import psycopg

from app.local_stack import LocalStack, local_stack
from app.walkthrough import open_account, poll, sign_in, walk

BURST = 5


def deliveries_by_message(database_url: str) -> dict[str, int]:
    with psycopg.connect(database_url) as connection:
        rows = connection.execute("SELECT message_id, count(*) FROM deliveries GROUP BY message_id")
        return {message_id: count for message_id, count in rows}


async def send(
    api: httpx.AsyncClient, auth: dict[str, str], account: str, sender: str, n: int
) -> httpx.Response:
    return await api.post(
        f"/2010-04-01/Accounts/{account}/Messages.json",
        data={"To": "+15558675310", "From": sender, "Body": f"message {n}"},
        headers=auth,
    )


def test_a_sent_message_is_delivered_its_callback_verified_and_its_request_id_logged_everywhere(
    redis_url: str, database_url: str, tmp_path: Path
) -> None:
    # Rule: API → outbox → relay → stream → worker → signed callback; one id joins every log,
    # and every line every process writes is a JSON object.
    with local_stack(redis_url, database_url, tmp_path) as stack:
        walked = asyncio.run(
            walk(stack.api_url, stack.receiver_url, stack.callback_url, say=lambda line: None)
        )
        logs = {name: stack.log(name) for name in ("api", "relay", "worker", "receiver")}

    assert (walked.rest_status, walked.graphql_status) == ("delivered", "delivered")
    assert walked.callback["params"]["MessageSid"] == walked.message_sid
    assert walked.callback["params"]["MessageStatus"] == "delivered"
    assert deliveries_by_message(database_url) == {walked.message_sid: 1}
    for name, log in logs.items():
        assert walked.request_id in log, f"the {name} log never mentions {walked.request_id}"
        for line in log.splitlines():
            assert isinstance(json.loads(line), dict), (
                f"{name} wrote a line that is not JSON: {line}"
            )


async def burst(
    stack: LocalStack, accounts: int, per_account: int
) -> list[tuple[str, httpx.Response]]:
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=20) as api:
        callers = []
        for index in range(accounts):
            auth = await sign_in(api, f"burst{index}")
            account, sender = await open_account(api, auth)
            callers.append((auth, account, sender))
        sends = [
            send(api, auth, account, sender, n)
            for auth, account, sender in callers
            for n in range(per_account)
        ]
        responses = await asyncio.gather(*sends)
        return [(response.request.url.path.split("/")[3], response) for response in responses]


def test_a_burst_admits_exactly_the_limit_per_account_and_delivers_each_admitted_message_once(
    redis_url: str, database_url: str, tmp_path: Path
) -> None:
    # Rule: over the limit is 429 with Retry-After; under it, each message is delivered exactly once.
    limits = {"SEND_BURST": str(BURST), "SEND_PER_SECOND": "0.001"}
    with local_stack(redis_url, database_url, tmp_path, extra_env=limits) as stack:
        results = asyncio.run(burst(stack, accounts=3, per_account=12))
        admitted = {r.json()["sid"] for _, r in results if r.status_code == 201}

        async def all_delivered() -> bool | None:
            return True if set(deliveries_by_message(database_url)) == admitted else None

        asyncio.run(poll("delivery of every admitted message", all_delivered))

    statuses = sorted(r.status_code for _, r in results)
    assert statuses == [201] * 15 + [429] * 21
    for account in {account for account, _ in results}:
        assert sum(1 for a, r in results if a == account and r.status_code == 201) == BURST
    refused = [r for _, r in results if r.status_code == 429]
    assert all(int(r.headers["Retry-After"]) >= 1 for r in refused)
    assert all(r.headers["content-type"] == "application/problem+json" for r in refused)
    assert set(deliveries_by_message(database_url).values()) == {1}


def test_killing_the_worker_mid_burst_loses_and_doubles_nothing(
    redis_url: str, database_url: str, tmp_path: Path
) -> None:
    # Rule: at-least-once delivery plus the inbox: a SIGKILLed worker's batch is redone, once.
    slow = {"SEND_BURST": "100", "QUEUE_DEMO_CARRIER_DELAY_S": "0.05", "QUEUE_DEMO_BATCH_SIZE": "5"}
    with local_stack(redis_url, database_url, tmp_path, extra_env=slow) as stack:
        results = asyncio.run(burst(stack, accounts=1, per_account=40))
        admitted = {r.json()["sid"] for _, r in results if r.status_code == 201}

        async def some_delivered() -> bool | None:
            return True if deliveries_by_message(database_url) else None

        asyncio.run(poll("a first delivery", some_delivered))
        stack.kill_worker()
        after_kill = len(deliveries_by_message(database_url))
        stack.start_worker()

        async def all_delivered() -> bool | None:
            return True if set(deliveries_by_message(database_url)) == admitted else None

        asyncio.run(poll("delivery of every message after the restart", all_delivered))

    assert len(admitted) == 40
    assert 0 < after_kill < 40, "the kill should land mid-burst"
    assert set(deliveries_by_message(database_url).values()) == {1}
