"""Fixtures for the scaling tests: one target-app instance in this process, on the test's services."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import redis
from sqlalchemy.engine import make_url

from backing_services.resolve import ServiceURLs
from backing_services.schemas import drop_schema, recreate_schema
from scaling.settings import ScalingSettings
from scaling.target_app import create_app
from tests.packages import PACKAGES

SMALL = ScalingSettings(limit_capacity=3, cpu_max_n=100_000, io_default_wait_ms=1)


@pytest.fixture
async def app_client(redis_url: str, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client wired to one in-process instance (its lifespan runs around the test)."""
    app = create_app(SMALL, redis_url=redis_url, database_url=database_url)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://instance"
        ) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def module_services(service_urls: ServiceURLs) -> Iterator[dict[str, str]]:
    """REDIS_URL / DATABASE_URL for app processes shared by a whole test module.

    Starting uvicorn processes costs seconds, so a module starts them once; its tests keep apart
    by using distinct client and session names. Same Redis index as `redis_url`, own schema.
    """
    index = PACKAGES.index("scaling") + 1
    redis_url = make_url(service_urls.redis_url).set(database=str(index))
    rendered = redis_url.render_as_string(hide_password=False)
    client = redis.Redis.from_url(rendered, socket_timeout=5)
    try:
        client.flushdb()
    finally:
        client.close()
    schema = f"t_scaling_{uuid.uuid4().hex[:10]}"
    database_url = recreate_schema(service_urls.database_url, schema)
    yield {"REDIS_URL": rendered, "DATABASE_URL": database_url}
    drop_schema(service_urls.database_url, schema)
