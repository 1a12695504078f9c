"""A request id sent to the API appears in the worker's log lines for that message, across Redis."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import cast

import httpx
import pytest
import redis.asyncio
import structlog
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from error_handling.correlation import bound_correlation, current_correlation
from error_handling.demo_app import STREAM
from error_handling.install import install_error_handling
from error_handling.stream_worker import deliver_pending
from tests.error_handling.conftest import LogLines
from tests.streams import stream_entries

VALID = {"to": "+14155550100", "body": "hello"}
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


async def test_the_request_id_sent_to_the_api_is_in_the_workers_log_lines(
    http: httpx.AsyncClient, redis_client: redis.asyncio.Redis, log_lines: LogLines
) -> None:
    # Rule: one id finds a message's whole life, from the API call to its delivery.
    response = await http.post(
        "/messages", json=VALID, headers={"X-Request-ID": "trace-me-1", "traceparent": TRACEPARENT}
    )
    await http.post("/messages", json=VALID, headers={"X-Request-ID": "someone-else"})

    await deliver_pending(redis_client)

    worker = [line for line in log_lines() if line["logger"] == "error_handling.worker"]
    mine = [line for line in worker if line["message_id"] == response.json()["id"]]
    assert [line["event"] for line in mine] == ["delivering message", "message delivered"]
    assert {line["request_id"] for line in mine} == {"trace-me-1"}
    assert {line["trace_id"] for line in mine} == {"4bf92f3577b34da6a3ce929d0e0e4736"}
    assert {line["request_id"] for line in worker} == {"trace-me-1", "someone-else"}


async def test_queued_messages_carry_request_id_and_traceparent_as_plain_strings(
    http: httpx.AsyncClient, redis_client: redis.asyncio.Redis
) -> None:
    # Rule: the contract with any queue or outbox is two string fields any consumer can read.
    await http.post("/messages", json=VALID, headers={"X-Request-ID": "contract-1"})

    [(_entry_id, fields)] = await stream_entries(redis_client, STREAM)
    assert fields["request_id"] == "contract-1"
    assert fields["traceparent"].startswith("00-")


def test_the_worker_restores_its_own_context_after_each_message() -> None:
    # Rule: ids bound for one message must not leak into the next message's lines.
    with bound_correlation({"request_id": "first", "traceparent": TRACEPARENT}):
        assert current_correlation()["request_id"] == "first"

    assert current_correlation() == {}


def test_a_message_handled_inside_a_request_gives_the_request_its_ids_back_even_if_it_fails() -> (
    None
):
    # Rule: restoring means the outer values come back, not merely that the inner ones go away.
    with bound_correlation({"request_id": "outer", "traceparent": TRACEPARENT}) as outer:
        with (
            pytest.raises(RuntimeError),
            bound_correlation({"request_id": "inner"}, event_id="e-1"),
        ):
            assert structlog.contextvars.get_contextvars()["event_id"] == "e-1"
            raise RuntimeError("the handler failed")
        assert current_correlation() == {
            "request_id": "outer",
            "traceparent": outer["traceparent"],
        }
        assert "event_id" not in structlog.contextvars.get_contextvars()


def test_malformed_ids_in_a_message_are_replaced_not_logged_as_they_came() -> None:
    # Rule: a message is input too; a forged id must not reach the logs verbatim.
    with bound_correlation({"request_id": 'x" level="error', "traceparent": "garbage"}) as ids:
        bound = structlog.contextvars.get_contextvars()

    assert bound["request_id"] == ids["request_id"] != 'x" level="error'
    assert len(ids["request_id"]) == 32
    assert ids["traceparent"].startswith("00-")


async def test_an_outbox_row_carries_the_ids_and_its_relay_logs_under_them(
    engine: AsyncEngine, client_for: Callable[[FastAPI], httpx.AsyncClient], log_lines: LogLines
) -> None:
    # Rule: an outbox row is a message too; the relay that publishes it logs under the request's ids.
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "CREATE TABLE outbox (id bigserial PRIMARY KEY, payload text NOT NULL,"
                " request_id text NOT NULL, traceparent text NOT NULL)"
            )
        )
    app = FastAPI()

    @app.post("/events", status_code=202)
    async def record() -> None:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO outbox (payload, request_id, traceparent)"
                    " VALUES ('{}', :request_id, :traceparent)"
                ),
                current_correlation(),
            )

    install_error_handling(app)
    async with client_for(app) as client:
        await client.post(
            "/events", headers={"X-Request-ID": "outbox-1", "traceparent": TRACEPARENT}
        )

    relay_log = structlog.get_logger("relay")
    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT * FROM outbox"))).mappings().all()
    for row in rows:
        # Typing: a text() SELECT's row is keyed by column name, str, though RowMapping allows columns.
        with bound_correlation(cast(Mapping[str, object], row)):
            relay_log.info("outbox row published", outbox_id=row["id"])

    [relayed] = [line for line in log_lines() if line["logger"] == "relay"]
    assert relayed["request_id"] == "outbox-1"
    assert relayed["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
