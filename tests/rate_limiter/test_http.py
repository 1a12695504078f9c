"""The FastAPI integration: 429 problem+json, IETF RateLimit fields, identity, Redis outages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
import redis.asyncio
from fastapi import Depends, FastAPI, Header
from fastapi.responses import PlainTextResponse

from backing_services.local_processes import free_port
from error_handling.problems import install_problem_handlers
from rate_limiter import Policy, RedisTokenBucket
from rate_limiter.http import (
    STORE_UNAVAILABLE,
    FailureCounts,
    FailurePolicy,
    RateLimitHeadersMiddleware,
    rate_limit,
)
from rate_limiter.settings import RateLimiterSettings, limiter_redis


async def signed_in_user(x_user: Annotated[str | None, Header()] = None) -> str | None:
    # Stands in for the auth package's "current user" dependency.
    return x_user


def limited_app(bucket: RedisTokenBucket, **options: object) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(RateLimitHeadersMiddleware)
    limit = rate_limit(bucket, identity=signed_in_user, **options)  # type: ignore[arg-type]

    @app.get("/messages", dependencies=[Depends(limit)])
    async def messages() -> dict[str, bool]:
        return {"sent": True}

    @app.get("/raw", dependencies=[Depends(limit)])
    async def raw() -> PlainTextResponse:
        return PlainTextResponse("made by hand")

    return app


@pytest.fixture
async def bucket(redis_client: redis.asyncio.Redis) -> RedisTokenBucket:
    return RedisTokenBucket(redis_client, 2, 0.5, name="burst")


async def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api.test")


@pytest.fixture
async def api(bucket: RedisTokenBucket) -> AsyncIterator[httpx.AsyncClient]:
    async with await client_for(limited_app(bucket)) as client:
        yield client


async def test_allowed_responses_carry_the_policy_and_what_is_left(api: httpx.AsyncClient) -> None:
    # Rule: every allowed response states the policy (q=2 per w=4 s) and what remains.
    first = await api.get("/messages")
    second = await api.get("/messages")

    assert first.status_code == second.status_code == 200
    assert first.headers["RateLimit-Policy"] == '"burst";q=2;w=4'
    assert first.headers["RateLimit"] == '"burst";r=1;t=2'
    assert second.headers["RateLimit"] == '"burst";r=0;t=4'
    assert "X-RateLimit-Limit" not in first.headers


async def test_an_exhausted_caller_gets_429_problem_json_with_retry_after(
    api: httpx.AsyncClient,
) -> None:
    # Rule: past the limit, 429 as problem+json, Retry-After in whole seconds rounded up (1 token
    # at 0.5/s = 2 s), and the RateLimit fields on the error too.
    await api.get("/messages")
    await api.get("/messages")

    denied = await api.get("/messages")

    assert denied.status_code == 429
    assert denied.headers["content-type"] == "application/problem+json"
    assert denied.headers["Retry-After"] == "2"
    assert denied.headers["RateLimit"] == '"burst";r=0;t=4'
    assert denied.headers["RateLimit-Policy"] == '"burst";q=2;w=4'
    body = denied.json()
    assert body["status"] == 429 and body["title"] == "Too Many Requests"
    assert body["type"].endswith("/rate-limited")
    assert body["detail"] == "Rate limit 'burst' exceeded; retry after 2 s."
    assert body["instance"] == "/messages"


async def test_headers_are_set_even_on_a_response_the_route_built_itself(
    api: httpx.AsyncClient,
) -> None:
    # Rule: the middleware, not the route, writes the fields, so hand-made responses get them.
    response = await api.get("/raw")

    assert response.text == "made by hand"
    assert response.headers["RateLimit"] == '"burst";r=1;t=2'


async def test_signed_in_callers_are_limited_by_identity_not_by_address(
    api: httpx.AsyncClient,
) -> None:
    # Rule: alice exhausting her bucket does not touch bob's, nor the anonymous bucket of the IP
    # they all share.
    for _ in range(2):
        await api.get("/messages", headers={"X-User": "alice"})

    alice = await api.get("/messages", headers={"X-User": "alice"})
    bob = await api.get("/messages", headers={"X-User": "bob"})
    anonymous = await api.get("/messages")

    assert (alice.status_code, bob.status_code, anonymous.status_code) == (429, 200, 200)


async def test_anonymous_callers_are_limited_by_the_last_forwarded_hop_only_when_trusted(
    bucket: RedisTokenBucket,
) -> None:
    # Rule: behind one proxy of ours, X-Forwarded-For's last entry is the client; the forgeable
    # first entry is ignored. Without the setting, the header is ignored altogether.
    trusting = limited_app(bucket, settings=RateLimiterSettings(trusted_proxy_hops=1))
    async with await client_for(trusting) as client:
        for _ in range(2):
            await client.get("/messages", headers={"X-Forwarded-For": "6.6.6.6, 10.0.0.1"})

        same_last_hop = await client.get(
            "/messages", headers={"X-Forwarded-For": "1.1.1.1, 10.0.0.1"}
        )
        other_last_hop = await client.get("/messages", headers={"X-Forwarded-For": "10.0.0.2"})
        no_header = await client.get("/messages")

    assert (same_last_hop.status_code, other_last_hop.status_code) == (429, 200)
    assert no_header.status_code == 200  # keyed by the socket address, 127.0.0.1


async def test_behind_two_proxies_the_client_is_the_entry_before_the_trusted_hops(
    bucket: RedisTokenBucket,
) -> None:
    # Rule: with a load balancer and an ingress of ours, the ingress appends the balancer's
    # address, so the client is the second entry from the right. Keying by the last entry would
    # put every caller in the balancer's bucket; entries left of the client stay forgeable.
    app = limited_app(bucket, settings=RateLimiterSettings(trusted_proxy_hops=2))
    async with await client_for(app) as client:
        for forged in ("6.6.6.6", "7.7.7.7"):
            await client.get(
                "/messages", headers={"X-Forwarded-For": f"{forged}, 1.1.1.1, 10.0.0.9"}
            )

        same_client = await client.get(
            "/messages", headers={"X-Forwarded-For": "1.1.1.1, 10.0.0.9"}
        )
        other_client = await client.get(
            "/messages", headers={"X-Forwarded-For": "2.2.2.2, 10.0.0.9"}
        )
        bypassed_a_proxy = await client.get("/messages", headers={"X-Forwarded-For": "3.3.3.3"})

    assert (same_client.status_code, other_client.status_code) == (429, 200)
    # Fewer entries than trusted hops: not through our proxies, so keyed by the socket address.
    assert bypassed_a_proxy.status_code == 200


async def test_legacy_x_ratelimit_headers_are_sent_only_when_enabled(
    bucket: RedisTokenBucket,
) -> None:
    # Rule: X-RateLimit-Limit / -Remaining / -Reset appear behind the legacy_headers setting.
    app = limited_app(bucket, settings=RateLimiterSettings(legacy_headers=True))
    async with await client_for(app) as client:
        response = await client.get("/messages")

    assert response.headers["X-RateLimit-Limit"] == "2"
    assert response.headers["X-RateLimit-Remaining"] == "1"
    assert response.headers["X-RateLimit-Reset"] == "2"


async def test_several_policies_are_all_listed_in_the_fields(
    redis_client: redis.asyncio.Redis,
) -> None:
    # Rule: burst and hourly policies both appear, in order, in RateLimit-Policy and RateLimit.
    bucket = RedisTokenBucket(
        redis_client, 10, 10, name="burst", extra_policies=[Policy("hourly", 1000, 1000 / 3600)]
    )
    async with await client_for(limited_app(bucket, cost=5)) as client:
        response = await client.get("/messages")

    assert response.headers["RateLimit-Policy"] == '"burst";q=10;w=1, "hourly";q=1000;w=3600'
    assert response.headers["RateLimit"] == '"burst";r=5;t=1, "hourly";r=995;t=18'


@pytest.mark.parametrize("redis_state", ["down", "hung"])
async def test_fail_open_admits_and_counts_when_redis_is_unreachable(
    redis_state: str, silent_port: int
) -> None:
    # Rule: with fail-open, a refused or a silent Redis lets the request through (never a 500)
    # and counts it; the short socket timeout is what ends the hung case.
    port = free_port() if redis_state == "down" else silent_port
    settings = RateLimiterSettings(redis_timeout_s=0.05)
    client = limiter_redis(f"redis://127.0.0.1:{port}/0", settings)
    counts = FailureCounts()
    app = limited_app(RedisTokenBucket(client, 2, 1), on_redis_error="open", counts=counts)
    try:
        async with await client_for(app) as api:
            responses = [await api.get("/messages") for _ in range(3)]
    finally:
        await client.aclose()

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert "RateLimit" not in responses[0].headers
    assert counts == FailureCounts(allowed=3, refused=0)


@pytest.mark.parametrize("redis_state", ["down", "hung"])
async def test_fail_closed_answers_503_problem_json_when_redis_is_unreachable(
    redis_state: str, silent_port: int
) -> None:
    # Rule: with fail-closed, the same outage answers 503 problem+json with Retry-After, not 500.
    port = free_port() if redis_state == "down" else silent_port
    client = limiter_redis(f"redis://127.0.0.1:{port}/0", RateLimiterSettings(redis_timeout_s=0.05))
    counts = FailureCounts()
    policy: FailurePolicy = "closed"
    app = limited_app(RedisTokenBucket(client, 2, 1), on_redis_error=policy, counts=counts)
    try:
        async with await client_for(app) as api:
            response = await api.get("/messages")
    finally:
        await client.aclose()

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["Retry-After"] == "1"
    assert response.json()["detail"] == STORE_UNAVAILABLE
    assert counts == FailureCounts(allowed=0, refused=1)
