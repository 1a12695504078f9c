"""The target app, one instance in-process against the real Redis and PostgreSQL: each route and each error."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from backing_services.local_processes import free_port
from scaling.cpu_work import busy_checksum
from scaling.target_app import create_app
from tests.scaling.conftest import SMALL

PROBLEM = "application/problem+json"


async def test_every_response_names_the_instance_that_served_it(
    app_client: httpx.AsyncClient,
) -> None:
    # Rule: the X-Instance header (name/pid) is how the load-balancer tests see who answered.
    response = await app_client.get("/whoami")

    assert response.status_code == 200
    assert response.headers["X-Instance"] == response.json()["instance"]
    assert response.json()["instance"].startswith("solo/")


async def test_cpu_route_does_the_work_it_was_asked_for(app_client: httpx.AsyncClient) -> None:
    # Rule: /cpu runs n loop steps; the checksum proves they ran.
    response = await app_client.get("/cpu", params={"n": 1234})

    assert response.status_code == 200
    assert response.json()["checksum"] == busy_checksum(1234)


async def test_cpu_route_refuses_more_work_than_allowed(app_client: httpx.AsyncClient) -> None:
    # Rule: one request cannot pin a core for long: n above cpu_max_n is a 422.
    response = await app_client.get("/cpu", params={"n": 100_001})

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["detail"] == "n must be at most 100000, not 100001"


async def test_cpu_route_refuses_a_non_positive_n(app_client: httpx.AsyncClient) -> None:
    # Rule: n is a positive count of steps.
    response = await app_client.get("/cpu", params={"n": 0})

    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == ["query", "n"]


async def test_io_route_waits_in_postgres_and_answers(app_client: httpx.AsyncClient) -> None:
    # Rule: /io runs a real query that waits `wait_ms` in PostgreSQL.
    response = await app_client.get("/io", params={"wait_ms": 2})

    assert response.status_code == 200
    assert response.json()["wait_ms"] == 2


async def test_io_route_refuses_a_wait_over_a_second(app_client: httpx.AsyncClient) -> None:
    # Rule: a request may not hold a database connection for more than a second.
    response = await app_client.get("/io", params={"wait_ms": 1001})

    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == ["query", "wait_ms"]


@pytest.mark.parametrize("store", ["memory", "redis"])
async def test_a_client_gets_its_limit_then_429_with_retry_after(
    app_client: httpx.AsyncClient, store: str
) -> None:
    # Rule: on one instance both buckets admit exactly the capacity (3), then answer 429.
    statuses = [
        (await app_client.post(f"/limited/{store}", params={"client": "alice"})).status_code
        for _ in range(5)
    ]
    denied = await app_client.post(f"/limited/{store}", params={"client": "alice"})

    assert statuses == [200, 200, 200, 429, 429]
    assert denied.headers["content-type"] == PROBLEM
    assert int(denied.headers["Retry-After"]) >= 1
    assert denied.json()["detail"] == "client 'alice' is over its limit of 3"


async def test_an_unknown_store_is_a_422(app_client: httpx.AsyncClient) -> None:
    # Rule: state lives in `memory` or `redis`; anything else is refused by name.
    response = await app_client.post("/limited/disk", params={"client": "alice"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == ["path", "store"]


async def test_a_malformed_client_name_is_a_422(app_client: httpx.AsyncClient) -> None:
    # Rule: the client name becomes part of a Redis key, so only [A-Za-z0-9_-]{1,64} passes.
    response = await app_client.post("/limited/redis", params={"client": "a b:{c}"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == ["query", "client"]


@pytest.mark.parametrize("store", ["memory", "redis"])
async def test_a_saved_session_is_read_back_from_the_same_instance(
    app_client: httpx.AsyncClient, store: str
) -> None:
    # Rule: on a single instance both stores work; the difference appears only with more instances.
    saved = await app_client.put(f"/sessions/{store}/s1", json={"user": "ada"})
    loaded = await app_client.get(f"/sessions/{store}/s1")

    assert saved.status_code == 200
    assert loaded.status_code == 200
    assert loaded.json()["user"] == "ada"


async def test_an_unknown_session_is_a_404_naming_the_instance(
    app_client: httpx.AsyncClient,
) -> None:
    # Rule: a missing session is a 404 that says which instance looked, and where.
    response = await app_client.get("/sessions/memory/nobody")
    instance = response.headers["X-Instance"]

    assert response.status_code == 404
    assert response.json()["detail"] == f"instance {instance} has no session 'nobody' in memory"


async def test_a_session_without_a_user_is_a_422(app_client: httpx.AsyncClient) -> None:
    # Rule: a session names its user; an empty name is refused.
    response = await app_client.put("/sessions/redis/s1", json={"user": ""})

    assert response.status_code == 422
    assert response.json()["errors"][0]["location"] == ["body", "user"]


@pytest.fixture
async def client_without_services(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An instance whose Redis and PostgreSQL point at ports nobody listens on."""
    dead_redis = f"redis://127.0.0.1:{free_port()}/0"
    dead_database = f"postgresql://postgres@127.0.0.1:{free_port()}/test"
    app = create_app(SMALL.model_copy(), redis_url=dead_redis, database_url=dead_database)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://x") as client,
    ):
        yield client


async def test_redis_down_is_a_503_on_the_redis_limiter(
    client_without_services: httpx.AsyncClient,
) -> None:
    # Rule: a dependency outage is a clear 503 problem, never a 500 with a stack trace.
    response = await client_without_services.post("/limited/redis", params={"client": "a"})

    assert response.status_code == 503
    assert response.json()["detail"] == "the rate limiter's Redis did not answer"


async def test_redis_down_is_a_503_on_the_redis_session_store(
    client_without_services: httpx.AsyncClient,
) -> None:
    # Rule: the session store reports its own outage, as a 503.
    response = await client_without_services.get("/sessions/redis/s1")

    assert response.status_code == 503
    assert response.json()["detail"] == "the session store's Redis did not answer"


async def test_postgres_down_is_a_503_on_the_io_route(
    client_without_services: httpx.AsyncClient,
) -> None:
    # Rule: the I/O route reports a database it cannot reach as a 503.
    response = await client_without_services.get("/io")

    assert response.status_code == 503
    assert response.json()["detail"] == "the database did not answer"


def test_an_instance_without_service_urls_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    # Rule: the factory says which settings are missing instead of failing on the first request.
    from backing_services import get_settings

    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        with pytest.raises(RuntimeError, match=r"needs REDIS_URL and DATABASE_URL"):
            create_app()
    finally:
        get_settings.cache_clear()
