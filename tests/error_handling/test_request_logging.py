"""One canonical JSON line per request, with a request id the client can see and send."""

from __future__ import annotations

import io
from typing import cast

import httpx
import pytest
import structlog

from error_handling.structured_logging import configure_logging
from tests.error_handling.conftest import LogLines

VALID = {"to": "+14155550100", "body": "hello"}


async def test_every_log_line_is_json_and_carries_a_request_id(
    http: httpx.AsyncClient, log_lines: LogLines
) -> None:
    # Rule: a log line that cannot be parsed or joined to its request is a line nobody can use.
    await http.post("/messages", json=VALID)
    await http.get("/messages/msg_" + "0" * 32)
    await http.get("/crash")

    lines = log_lines()  # json.loads of every line: a non-JSON line fails here
    assert len(lines) >= 4
    assert all(line.get("request_id") for line in lines)


async def test_one_access_line_per_request_names_method_route_status_and_duration(
    http: httpx.AsyncClient, log_lines: LogLines
) -> None:
    # Rule: the canonical line groups by route template, not by raw path.
    await http.get("/messages/msg_" + "0" * 32)

    [access] = [line for line in log_lines() if line["logger"] == "error_handling.access"]
    assert access["method"] == "GET"
    assert access["route"] == "/messages/{message_id}"
    assert access["path"] == "/messages/msg_" + "0" * 32
    assert access["status"] == 404
    assert isinstance(access["duration_ms"], float)


@pytest.mark.parametrize(
    ("path", "status", "level"),
    [
        ("/messages/msg_" + "0" * 32, 404, "warning"),
        ("/crash", 500, "error"),
        ("/graphql?query={__typename}", 200, "info"),
    ],
)
async def test_the_level_follows_the_status_4xx_is_not_an_error_5xx_is(
    http: httpx.AsyncClient, log_lines: LogLines, path: str, status: int, level: str
) -> None:
    # Rule: only our failures (5xx) are errors; client mistakes are warnings; success is info.
    response = await http.get(path)

    assert response.status_code == status
    [access] = [line for line in log_lines() if line["logger"] == "error_handling.access"]
    assert access["level"] == level


async def test_a_well_formed_incoming_request_id_is_kept_and_echoed(
    http: httpx.AsyncClient, log_lines: LogLines
) -> None:
    # Rule: an id from the caller (a gateway, another service) is reused so its logs join ours.
    response = await http.post("/messages", json=VALID, headers={"X-Request-ID": "gw-42.a:b"})

    assert response.headers["x-request-id"] == "gw-42.a:b"
    assert {line["request_id"] for line in log_lines()} == {"gw-42.a:b"}


@pytest.mark.parametrize(
    "bad_id", ["", "has space", "x" * 129, 'quote"injection', "new\\nline", "emoji✓".encode()]
)
async def test_a_malformed_incoming_request_id_is_replaced_by_a_fresh_one(
    http: httpx.AsyncClient, log_lines: LogLines, bad_id: str | bytes
) -> None:
    # Rule: an id we cannot trust must not forge log fields; the client still gets a usable one.
    # Typing: httpx sends a str or bytes value alike, though its annotation wants one kind per mapping.
    headers = cast(dict[str, str], {"X-Request-ID": bad_id})
    response = await http.get("/messages/msg_" + "0" * 32, headers=headers)

    echoed = response.headers["x-request-id"]
    assert echoed != (bad_id.decode() if isinstance(bad_id, bytes) else bad_id)
    assert len(echoed) == 32
    assert {line["request_id"] for line in log_lines()} == {echoed}


async def test_an_incoming_traceparent_is_continued_with_a_new_span(
    http: httpx.AsyncClient, log_lines: LogLines
) -> None:
    # Rule: W3C trace context: keep the trace id, start our own span under the caller's.
    incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    await http.get("/messages/msg_" + "0" * 32, headers={"traceparent": incoming})

    [access] = log_lines()
    assert access["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert access["traceparent"].startswith("00-4bf92f3577b34da6a3ce929d0e0e4736-")
    assert access["traceparent"] != incoming


def test_development_logs_are_readable_lines_not_json() -> None:
    # Rule: the console renderer is for people; JSON is for machines in production.
    stream = io.StringIO()
    configure_logging(json=False, stream=stream)

    structlog.get_logger("dev").info("user signed in", user="ada")

    line = stream.getvalue()
    assert "user signed in" in line
    assert "user=ada" in line
    assert not line.lstrip().startswith("{")


def test_standard_library_loggers_get_the_same_json_and_context(log_lines: LogLines) -> None:
    # Rule: third-party libraries log through `logging`; their lines must join the same stream.
    import logging

    with structlog.contextvars.bound_contextvars(request_id="lib-1"):
        logging.getLogger("some.library").warning("pool exhausted after %d tries", 3)

    [line] = log_lines()
    assert line["event"] == "pool exhausted after 3 tries"
    assert line["request_id"] == "lib-1"
    assert line["level"] == "warning"
