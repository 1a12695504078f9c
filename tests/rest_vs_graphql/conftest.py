"""Fixtures for the twins: a seeded schema, the app over it, and a client that calls it in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from rest_vs_graphql.seed import SeedReport, SeedSize, seed
from rest_vs_graphql.settings import TwinSettings
from rest_vs_graphql.twins import create_twins_app

# Small, but with more messages than the largest page so that paging is exercised.
TEST_SIZE = SeedSize(accounts=2, numbers_per_account=4, messages=240, conversations_per_account=12)


@pytest.fixture
def seeded(database_url: str) -> SeedReport:
    return seed(database_url, TEST_SIZE)


@pytest.fixture
def account_sid(seeded: SeedReport) -> str:
    return seeded.account_sids[0]


@pytest.fixture
def settings() -> TwinSettings:
    return TwinSettings(environment="production")


@pytest.fixture
def app(engine: AsyncEngine, seeded: SeedReport, settings: TwinSettings) -> FastAPI:
    return create_twins_app(engine, settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://twins.test") as client:
        yield client
