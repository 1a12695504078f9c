"""The demo app on this test's Redis database and Postgres schema, driven in-process through httpx."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from ipaddress import ip_network

import httpx
import pytest
from fastapi import FastAPI

from api_security.api_keys import ApiKeyStore, NewApiKey
from api_security.demo_app import create_app
from api_security.settings import SecuritySettings

ALL_SCOPES = ["api-keys:read", "api-keys:write", "messages:write"]
AUTH_TOKEN = "12345"
ROOT_ACCOUNT = "ACroot"


@pytest.fixture
def settings() -> SecuritySettings:
    return SecuritySettings(
        webhook_auth_token=AUTH_TOKEN,
        api_key_pepper="test-pepper",
        max_body_bytes=1024,
        cors_allow_origins=["https://console.example.com"],
        trusted_proxies=[ip_network("10.0.0.0/8")],
    )


@pytest.fixture
def app(settings: SecuritySettings, redis_url: str, database_url: str) -> FastAPI:
    return create_app(settings, redis_url=redis_url, database_url=database_url)


@asynccontextmanager
async def in_process(
    app: FastAPI, client_ip: str = "127.0.0.1"
) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client wired straight to the app; ASGITransport skips lifespan, so run it here."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(
            app=app, raise_app_exceptions=False, client=(client_ip, 50_000)
        )
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


@pytest.fixture
def serve() -> Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]:
    return in_process


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with in_process(app) as c:
        yield c


@pytest.fixture
def store(app: FastAPI, client: httpx.AsyncClient, settings: SecuritySettings) -> ApiKeyStore:
    """The app's own store (its engine exists once `client` has run the lifespan)."""
    return ApiKeyStore(app.state.engine, settings.api_key_pepper.get_secret_value())


@pytest.fixture
async def root_key(store: ApiKeyStore) -> NewApiKey:
    return await store.create("root", ALL_SCOPES, owner=ROOT_ACCOUNT)


@pytest.fixture
def root_auth(root_key: NewApiKey) -> tuple[str, str]:
    return (root_key.key.sid, root_key.secret)
