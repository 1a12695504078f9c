"""An unhandled exception becomes a 500 problem without internals, logged once under its error id."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from error_handling.install import install_error_handling
from error_handling.request_logging import INTERNAL_ERROR_DETAIL
from tests.error_handling.conftest import LogLines

INTERNALS = ("hunter2", "postgresql://", "RuntimeError", "Traceback", "demo_app.py", "db.internal")


async def test_a_crash_is_a_500_problem_that_reveals_nothing_inside(
    http: httpx.AsyncClient,
) -> None:
    # Rule: the client learns that it failed and which id to quote — never the exception or the SQL.
    response = await http.get("/crash")

    assert response.status_code == 500
    problem = response.json()
    assert problem["detail"] == INTERNAL_ERROR_DETAIL
    assert set(problem) == {"type", "title", "status", "detail", "instance", "error_id"}
    assert not any(secret in response.text for secret in INTERNALS)


async def test_a_crash_is_logged_exactly_once_with_its_traceback_under_the_same_error_id(
    http: httpx.AsyncClient, log_lines: LogLines
) -> None:
    # Rule: one error line per crash, carrying the traceback and the id the client was given.
    response = await http.get("/crash", headers={"X-Request-ID": "crash-1"})

    error_id = response.json()["error_id"]
    with_traceback = [line for line in log_lines() if "exception" in line]
    assert len(with_traceback) == 1
    [line] = with_traceback
    assert line["error_id"] == error_id
    assert line["level"] == "error"
    assert line["request_id"] == "crash-1"
    assert line["status"] == 500
    assert "RuntimeError" in line["exception"]
    assert [entry for entry in log_lines() if entry["level"] == "error"] == [line]


async def test_a_crash_inside_another_middleware_is_caught_too(
    client_for: Callable[[FastAPI], httpx.AsyncClient], log_lines: LogLines
) -> None:
    # Rule: middleware added before install_error_handling sits inside it, so its crashes are ours.
    app = FastAPI()

    class Exploding:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            raise ValueError("tenant lookup failed for token=abc123")

    app.add_middleware(Exploding)
    install_error_handling(app)

    async with client_for(app) as client:
        response = await client.get("/anything")

    assert response.status_code == 500
    assert response.json()["detail"] == INTERNAL_ERROR_DETAIL
    assert "abc123" not in response.text
    [line] = [line for line in log_lines() if "exception" in line]
    assert line["error_id"] == response.json()["error_id"]


async def test_a_crash_after_the_response_started_is_logged_once_and_the_stream_is_cut(
    client_for: Callable[[FastAPI], httpx.AsyncClient], log_lines: LogLines
) -> None:
    # Rule: once headers are sent a 500 is impossible; log once, then let the server cut the body.
    app = FastAPI()

    async def rows() -> AsyncIterator[bytes]:
        yield b"id,status\n"
        raise RuntimeError("cursor lost mid-export")

    @app.get("/export")
    async def export() -> StreamingResponse:
        return StreamingResponse(rows(), media_type="text/csv")

    install_error_handling(app)

    async with client_for(app) as client:
        with pytest.raises(RuntimeError, match="cursor lost"):
            await client.get("/export")

    [line] = [line for line in log_lines() if "exception" in line]
    assert line["status"] == 200
    assert line["level"] == "error"
    assert line["error_id"]
