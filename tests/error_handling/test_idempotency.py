"""Idempotency-Key with Stripe's semantics, stored in real Redis: replay, mismatch, concurrency, expiry."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
import pytest
import redis.asyncio
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from backing_services.local_processes import free_port
from error_handling.idempotency import (
    ANYONE,
    IN_PROGRESS,
    MISMATCH,
    STORE_DOWN,
    idempotent_route,
    scoped_key,
)
from error_handling.idempotency_store import KEY_PREFIX, IdempotencyStore, StoredResponse
from error_handling.install import install_error_handling
from error_handling.problems import PROBLEM_JSON
from error_handling.settings import ErrorHandlingSettings

Client = Callable[[FastAPI], httpx.AsyncClient]
# Where the ledger's key "k1" lives: the demo route has no authentication, so its owner is anyone.
K1 = KEY_PREFIX + scoped_key(ANYONE, "POST /charges", "k1")


class Charge(BaseModel):
    amount: int


class Ledger:
    """An endpoint with a visible side effect: how many times did it really run?"""

    def __init__(self) -> None:
        self.runs = 0
        self.entered = asyncio.Event()
        self.proceed = asyncio.Event()
        self.proceed.set()
        self.outcome = "ok"

    def app(self, store: IdempotencyStore) -> FastAPI:
        app = FastAPI()
        router = APIRouter(route_class=idempotent_route(store))

        @router.post("/charges", status_code=201)
        async def charge(charge: Charge) -> JSONResponse:
            self.runs += 1
            self.entered.set()
            await self.proceed.wait()
            if self.outcome == "crash":
                raise RuntimeError("card network timeout")
            if self.outcome == "503":
                return JSONResponse({"retry": True}, status_code=503)
            return JSONResponse({"id": f"ch_{self.runs}", "amount": charge.amount}, status_code=201)

        app.include_router(router)
        install_error_handling(app)
        return app


async def wait_until_expired(client: redis.asyncio.Redis, key: str, timeout_s: float = 5) -> None:
    """Poll Redis (it expires keys on its own clock) until the key is gone, or fail."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not await client.exists(key):
            return
        await asyncio.sleep(0.01)  # the nap of this poll; the deadline above bounds it
    raise AssertionError(f"{key} still exists after {timeout_s} s")


@pytest.fixture
def ledger() -> Ledger:
    return Ledger()


@pytest.fixture
def store(redis_client: redis.asyncio.Redis) -> IdempotencyStore:
    return IdempotencyStore(redis_client)


async def test_a_retry_with_the_same_key_and_body_replays_the_stored_response(
    ledger: Ledger, store: IdempotencyStore, client_for: Client, log_stream: object
) -> None:
    # Rule: the second attempt gets the first attempt's response; the charge happens once.
    async with client_for(ledger.app(store)) as client:
        first = await client.post("/charges", json={"amount": 5}, headers={"Idempotency-Key": "k1"})
        again = await client.post("/charges", json={"amount": 5}, headers={"Idempotency-Key": "k1"})

    assert ledger.runs == 1
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json() == {"id": "ch_1", "amount": 5}
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers


async def test_the_same_key_with_a_different_body_is_a_422(
    ledger: Ledger, store: IdempotencyStore, client_for: Client, log_stream: object
) -> None:
    # Rule: a key names one request; reusing it for another is a client bug, said out loud.
    async with client_for(ledger.app(store)) as client:
        await client.post("/charges", json={"amount": 5}, headers={"Idempotency-Key": "k1"})
        other = await client.post("/charges", json={"amount": 6}, headers={"Idempotency-Key": "k1"})

    assert ledger.runs == 1
    assert other.status_code == 422
    assert other.headers["content-type"] == PROBLEM_JSON
    assert other.json()["detail"] == MISMATCH


async def test_a_concurrent_duplicate_is_a_409_while_the_first_still_runs(
    ledger: Ledger, store: IdempotencyStore, client_for: Client, log_stream: object
) -> None:
    # Rule: two in-flight requests with one key must not both run; the second is told to retry.
    ledger.proceed.clear()
    async with client_for(ledger.app(store)) as client:
        first = asyncio.create_task(
            client.post("/charges", json={"amount": 5}, headers={"Idempotency-Key": "k1"})
        )
        await asyncio.wait_for(ledger.entered.wait(), timeout=5)
        duplicate = await client.post(
            "/charges", json={"amount": 5}, headers={"Idempotency-Key": "k1"}
        )
        ledger.proceed.set()
        original = await first
        after = await client.post("/charges", json={"amount": 5}, headers={"Idempotency-Key": "k1"})

    assert duplicate.status_code == 409
    assert duplicate.json()["detail"] == IN_PROGRESS
    assert duplicate.headers["retry-after"] == "1"
    assert original.status_code == 201
    assert after.json() == original.json()
    assert ledger.runs == 1


async def test_many_simultaneous_duplicates_run_the_handler_once(
    ledger: Ledger, store: IdempotencyStore, client_for: Client, log_stream: object
) -> None:
    # Rule: the claim is atomic (one Lua script), so a burst of duplicates cannot slip through.
    ledger.proceed.clear()
    async with client_for(ledger.app(store)) as client:
        burst = [
            asyncio.create_task(
                client.post("/charges", json={"amount": 5}, headers={"Idempotency-Key": "burst"})
            )
            for _ in range(20)
        ]
        await asyncio.wait_for(ledger.entered.wait(), timeout=5)
        ledger.proceed.set()
        statuses = sorted(response.status_code for response in await asyncio.gather(*burst))

    assert ledger.runs == 1
    assert statuses.count(201) >= 1
    assert set(statuses) <= {201, 409}


async def test_an_expired_key_runs_the_request_again(
    ledger: Ledger, redis_client: redis.asyncio.Redis, client_for: Client, log_stream: object
) -> None:
    # Rule: keys are kept for a retention window (24 h by default), then forgotten.
    settings = ErrorHandlingSettings(idempotency_retention_ms=50)
    app = ledger.app(IdempotencyStore(redis_client, settings))
    async with client_for(app) as client:
        await client.post("/charges", json={"amount": 5}, headers={"Idempotency-Key": "k1"})
        await wait_until_expired(redis_client, K1)
        later = await client.post("/charges", json={"amount": 5}, headers={"Idempotency-Key": "k1"})

    assert later.json() == {"id": "ch_2", "amount": 5}
    assert ledger.runs == 2


async def test_a_running_key_holds_the_lock_ttl_and_a_finished_one_the_retention_ttl(
    ledger: Ledger,
    store: IdempotencyStore,
    redis_client: redis.asyncio.Redis,
    client_for: Client,
    log_stream: object,
) -> None:
    # Rule: a finished key carries the retention TTL, a running one only the (shorter) lock TTL.
    ledger.proceed.clear()
    async with client_for(ledger.app(store)) as client:
        task = asyncio.create_task(
            client.post("/charges", json={"amount": 5}, headers={"Idempotency-Key": "k1"})
        )
        await asyncio.wait_for(ledger.entered.wait(), timeout=5)
        running_ttl = await redis_client.pttl(K1)
        ledger.proceed.set()
        await task
    done_ttl = await redis_client.pttl(K1)

    assert 0 < running_ttl <= store.settings.idempotency_lock_ms
    assert store.settings.idempotency_lock_ms < done_ttl <= store.settings.idempotency_retention_ms


@pytest.mark.parametrize("outcome", ["crash", "503"])
async def test_a_failed_attempt_releases_the_key_so_a_retry_runs_again(
    ledger: Ledger, store: IdempotencyStore, client_for: Client, log_stream: object, outcome: str
) -> None:
    # Rule: only answers worth repeating are stored; after a crash or a 5xx the retry really retries.
    async with client_for(ledger.app(store)) as client:
        ledger.outcome = outcome
        failed = await client.post(
            "/charges", json={"amount": 5}, headers={"Idempotency-Key": "k1"}
        )
        ledger.outcome = "ok"
        retried = await client.post(
            "/charges", json={"amount": 5}, headers={"Idempotency-Key": "k1"}
        )

    assert failed.status_code in {500, 503}
    assert retried.status_code == 201
    assert ledger.runs == 2


async def test_without_a_key_every_post_runs(
    ledger: Ledger, store: IdempotencyStore, client_for: Client, log_stream: object
) -> None:
    # Rule: the key is the client's opt-in; without it a POST is an ordinary POST.
    async with client_for(ledger.app(store)) as client:
        await client.post("/charges", json={"amount": 5})
        await client.post("/charges", json={"amount": 5})

    assert ledger.runs == 2


async def test_an_unreachable_store_is_a_503_and_the_request_does_not_run(
    ledger: Ledger, client_for: Client, log_stream: object
) -> None:
    # Rule: if duplicates cannot be detected, refusing beats charging twice.
    # No client-side retries: the point is what happens once the store does not answer.
    down = redis.asyncio.Redis(port=free_port(), decode_responses=True, retry=Retry(NoBackoff(), 0))
    async with client_for(ledger.app(IdempotencyStore(down))) as client:
        response = await client.post(
            "/charges", json={"amount": 5}, headers={"Idempotency-Key": "k1"}
        )
    await down.aclose()

    assert response.status_code == 503
    assert response.json()["detail"] == STORE_DOWN
    assert ledger.runs == 0


async def test_a_lapsed_claim_cannot_overwrite_the_new_holders_record(
    store: IdempotencyStore, redis_client: redis.asyncio.Redis
) -> None:
    # Rule: a request slower than its lock must not clobber the request that took the key over.
    first = await store.claim("k1", "fingerprint")
    await redis_client.delete(KEY_PREFIX + "k1")  # the lock lapsed
    second = await store.claim("k1", "fingerprint")

    assert first.token and second.token
    assert not await store.finish("k1", first.token, StoredResponse(201, [], b"{}"))
    assert await store.finish("k1", second.token, StoredResponse(201, [], b"{}"))


def test_the_store_refuses_a_client_that_returns_bytes() -> None:
    # Rule: a misconfigured client fails at start-up, not at the first duplicate.
    with pytest.raises(ValueError, match="decode_responses=True"):
        IdempotencyStore(redis.asyncio.Redis())
