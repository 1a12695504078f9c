"""Fixtures for the scaling tests: one target-app instance in this process, on the test's services."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from backing_services.resolve import ServiceURLs
from backing_services.schemas import drop_schema, recreate_schema
from scaling.settings import ScalingSettings
from scaling.target_app import create_app
from tests.isolation import flushed_redis_url

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
    rendered = flushed_redis_url(service_urls.redis_url, "scaling")
    schema = f"t_scaling_{uuid.uuid4().hex[:10]}"
    database_url = recreate_schema(service_urls.database_url, schema)
    yield {"REDIS_URL": rendered, "DATABASE_URL": database_url}
    drop_schema(service_urls.database_url, schema)
