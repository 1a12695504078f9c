"""Fixtures for the auth tests: a started AuthService on this test's Redis database and schema, and an HTTP client.

Everything runs against the real Redis and PostgreSQL from tests/conftest.py; nothing is faked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import redis.asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.app import build_auth_service, create_auth_app, create_tables
from auth.service import AuthService
from auth.settings import AuthSettings

PASSWORD = "correct horse battery staple"


@pytest.fixture
def auth_settings() -> AuthSettings:
    # OWASP's minimum Argon2id parameters are the defaults; tests keep them, not something cheaper.
    return AuthSettings(key_passphrase="test-passphrase")


@pytest.fixture
async def auth_service(
    auth_settings: AuthSettings, redis_client: redis.asyncio.Redis, engine: AsyncEngine
) -> AuthService:
    await create_tables(engine)
    return await build_auth_service(auth_settings, redis_client, engine)


@pytest.fixture
async def client(auth_service: AuthService) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_auth_app(auth_service))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@dataclass
class LoggedIn:
    user_id: str
    username: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


async def register(client: httpx.AsyncClient, username: str) -> str:
    response = await client.post("/auth/users", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def log_in(client: httpx.AsyncClient, username: str, scope: str | None = None) -> LoggedIn:
    form = {"grant_type": "password", "username": username, "password": PASSWORD}
    if scope is not None:
        form["scope"] = scope
    response = await client.post("/auth/token", data=form)
    assert response.status_code == 200, response.text
    body = response.json()
    me = await client.get("/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    user_id = me.json()["id"] if me.status_code == 200 else ""
    return LoggedIn(user_id, username, body["access_token"], body["refresh_token"])


@pytest.fixture
async def alice(client: httpx.AsyncClient) -> LoggedIn:
    await register(client, "alice")
    return await log_in(client, "alice")


async def refresh(client: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    return await client.post(
        "/auth/token", data={"grant_type": "refresh_token", "refresh_token": refresh_token}
    )
