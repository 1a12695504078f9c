"""Service fixtures for every test: one Redis and one PostgreSQL per run, a clean slice per test.

Redis: each test package owns a database index, flushed before each of its tests.
PostgreSQL: each test gets a fresh schema (named in the URL's search_path) and it is dropped after.
"""

from __future__ import annotations

import gc
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import redis
import redis.asyncio
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from backing_services import ServiceUnavailable, resolve_services, sqlalchemy_async_url
from backing_services.resolve import ServiceURLs
from backing_services.schemas import drop_schema, recreate_schema
from tests.isolation import flushed_redis_url

TESTS = Path(__file__).parent


def package_of(path: Path) -> str:
    relative = path.resolve().relative_to(TESTS)
    return relative.parts[0] if len(relative.parts) > 1 else "top"


@pytest.fixture(scope="session")
def service_urls() -> Iterator[ServiceURLs]:
    with ExitStack() as stack:
        try:
            urls = resolve_services(stack)
        except ServiceUnavailable as error:
            pytest.exit(str(error), returncode=3)
        yield urls


@pytest.fixture
def redis_url(service_urls: ServiceURLs, request: pytest.FixtureRequest) -> str:
    """A Redis URL whose database index belongs to this test's package, flushed for this test."""
    return flushed_redis_url(service_urls.redis_url, package_of(request.path))


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[redis.asyncio.Redis]:
    """An async Redis client on this test's clean database; replies are `str`, not bytes."""
    client = redis.asyncio.Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture
def database_url(service_urls: ServiceURLs, request: pytest.FixtureRequest) -> Iterator[str]:
    """A plain `postgresql://` URL whose search_path is a schema made for this test alone."""
    schema = f"t_{package_of(request.path)}_{uuid.uuid4().hex[:10]}"
    # A test that leaked a connection holding locks fails at the drop instead of hanging the run.
    yield recreate_schema(service_urls.database_url, schema)
    drop_schema(service_urls.database_url, schema)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An async SQLAlchemy engine (psycopg 3) bound to this test's schema."""
    engine = create_async_engine(sqlalchemy_async_url(database_url))
    yield engine
    await engine.dispose()


@pytest.fixture
def unfrozen_heap() -> Iterator[None]:
    """A collector with nothing frozen, before and after: for tests of an app's `gc.freeze()` at startup."""
    gc.unfreeze()  # whatever else ran in this process, start from a collector with nothing frozen
    yield
    gc.unfreeze()
