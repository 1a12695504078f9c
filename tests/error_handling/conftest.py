"""Fixtures for the error-handling tests: captured JSON log lines and the demo app on real Redis."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
import redis.asyncio
import structlog
from fastapi import FastAPI

from error_handling.demo_app import create_demo_app
from error_handling.structured_logging import configure_logging

LogLines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """Every log line of the test, as the production JSON renderer writes it."""
    stream = io.StringIO()
    structlog.contextvars.clear_contextvars()
    configure_logging(json=True, stream=stream, level="INFO")
    # The test's own HTTP client logs each call; those lines are the client's, not the service's.
    httpx_logger = logging.getLogger("httpx")
    previous = httpx_logger.level
    httpx_logger.setLevel(logging.WARNING)
    yield stream
    httpx_logger.setLevel(previous)


@pytest.fixture
def log_lines(log_stream: io.StringIO) -> LogLines:
    """Parse the captured lines; a line that is not JSON fails the test right there."""

    def parse() -> list[dict[str, Any]]:
        return [json.loads(line) for line in log_stream.getvalue().splitlines() if line]

    return parse


@pytest.fixture
def demo_app(redis_client: redis.asyncio.Redis, log_stream: io.StringIO) -> FastAPI:
    return create_demo_app(redis_client)


@pytest.fixture
async def http(demo_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=demo_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def make_client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


@pytest.fixture
def client_for() -> Callable[[FastAPI], httpx.AsyncClient]:
    """An in-process client for an app a test builds itself."""
    return make_client
