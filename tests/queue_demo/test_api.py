"""The HTTP edge: 201 with the message's sid on success; problem+json 422 and 404 on bad input."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from error_handling.problems import install_problem_handlers
from queue_demo.api import create_router
from queue_demo.settings import QueueSettings
from tests.queue_demo.conftest import scalar


@pytest.fixture
async def client(
    sessions: async_sessionmaker[AsyncSession], settings: QueueSettings
) -> AsyncIterator[httpx.AsyncClient]:
    async def get_session() -> AsyncIterator[AsyncSession]:
        async with sessions() as session:
            yield session

    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(create_router(get_session, settings))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_posting_a_message_answers_201_and_queues_it_with_its_outbox_row(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    # Rule: 201 Created with the sid (the resource exists; delivery comes later); the message and its event are stored, the request id kept.
    response = await client.post(
        "/messages", json={"to": "+14155550100", "body": "hi"}, headers={"X-Request-ID": "req-7"}
    )

    assert response.status_code == 201
    sid = response.json()["sid"]
    assert response.json() == {"sid": sid, "to": "+14155550100", "status": "queued"}
    assert await scalar(sessions, "SELECT request_id FROM outbox") == "req-7"
    assert (await client.get(f"/messages/{sid}")).json()["status"] == "queued"


async def test_an_invalid_number_answers_422_problem_json_naming_the_field(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    # Rule: domain validation failures are 422 problem+json with one error per bad field.
    response = await client.post("/messages", json={"to": "555", "body": "hi"})

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "The message is not valid."
    assert response.json()["errors"] == [
        {"field": "to", "message": "must be an E.164 number like +14155550100"}
    ]
    assert await scalar(sessions, "SELECT count(*) FROM messages") == 0


async def test_a_missing_body_field_answers_422_problem_json(client: httpx.AsyncClient) -> None:
    # Rule: schema errors are problem+json too, never a 500.
    response = await client.post("/messages", json={"to": "+14155550100"})

    assert response.status_code == 422
    assert response.json()["detail"] == "The request is not valid; see `errors` for each field."


async def test_an_unknown_message_answers_404_naming_it(client: httpx.AsyncClient) -> None:
    # Rule: reading a sid that does not exist is 404 with the sid in the detail.
    sid = "6f1c8f0e-7f6a-4a7e-9d57-2d7c61b7b7a1"

    response = await client.get(f"/messages/{sid}")

    assert response.status_code == 404
    assert response.json()["detail"] == f"No message {sid}."


async def test_a_sid_that_is_not_a_uuid_answers_422(client: httpx.AsyncClient) -> None:
    # Rule: a malformed path parameter is refused before any query runs.
    response = await client.get("/messages/forty-two")

    assert response.status_code == 422
