"""The checker over HTTP: verdicts for good and bad histories, problem+json for bad input."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from cap_theorem.api import MAX_OPERATIONS, router
from error_handling.problems import install_problem_handlers

URL = "/cap-theorem/linearizability-checks"


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(router)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as c:
        yield c


def write(value: int, invoked: float, completed: float, client: int = 0) -> dict[str, Any]:
    return {
        "client": client,
        "kind": "write",
        "value": value,
        "invoked": invoked,
        "completed": completed,
    }


def read(value: int | None, invoked: float, completed: float, client: int = 1) -> dict[str, Any]:
    return {
        "client": client,
        "kind": "read",
        "value": value,
        "invoked": invoked,
        "completed": completed,
    }


async def test_a_linearizable_history_is_reported_so(client: httpx.AsyncClient) -> None:
    # Write then a read that sees it: one order explains everything.
    response = await client.post(URL, json={"operations": [write(1, 0, 1), read(1, 2, 3)]})

    assert response.status_code == 200
    assert response.json() == {
        "linearizable": True,
        "verdict": "linearizable",
        "explanation": "every operation fits one order",
        "states_explored": 3,
    }


async def test_a_stale_read_is_reported_with_the_first_violation(client: httpx.AsyncClient) -> None:
    # The answer names the operation that no order can explain.
    history = [write(1, 0, 1), write(2, 2, 3), read(1, 4, 5)]

    response = await client.post(URL, json={"operations": history})

    assert response.status_code == 200
    body = response.json()
    assert (body["linearizable"], body["verdict"]) == (False, "NOT linearizable")
    assert body["explanation"].startswith("client 1's read returning 1 (4.000 s → 5.000 s)")


async def test_a_completion_before_the_invocation_is_refused(client: httpx.AsyncClient) -> None:
    # Time runs forward: such an operation cannot have happened.
    response = await client.post(URL, json={"operations": [write(1, 2, 1)]})

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["message"] == (
        "Value error, completed must not be earlier than invoked"
    )


async def test_an_ok_operation_without_a_completion_time_is_refused(
    client: httpx.AsyncClient,
) -> None:
    # "It succeeded" needs "when it answered"; an unknown outcome is status "info".
    operation = {"client": 0, "kind": "write", "value": 1, "invoked": 0}

    response = await client.post(URL, json={"operations": [operation]})

    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == (
        "Value error, an ok operation needs its completion time"
    )


async def test_a_write_without_a_value_is_refused(client: httpx.AsyncClient) -> None:
    # A write of nothing cannot be matched to the reads that saw it.
    operation = {"client": 0, "kind": "write", "invoked": 0, "completed": 1}

    response = await client.post(URL, json={"operations": [operation]})

    assert response.status_code == 422
    assert (
        response.json()["errors"][0]["message"] == "Value error, a write needs the value it wrote"
    )


async def test_an_unknown_kind_is_refused(client: httpx.AsyncClient) -> None:
    # The register knows reads and writes only.
    operation = {"client": 0, "kind": "cas", "value": 1, "invoked": 0, "completed": 1}

    response = await client.post(URL, json={"operations": [operation]})

    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == "Input should be 'read' or 'write'"


async def test_too_many_operations_are_refused(client: httpx.AsyncClient) -> None:
    # The search is bounded; so is what we accept.
    history = [write(i, i, i + 0.5) for i in range(MAX_OPERATIONS + 1)]

    response = await client.post(URL, json={"operations": history})

    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == (
        f"List should have at most {MAX_OPERATIONS} items after validation, not {MAX_OPERATIONS + 1}"
    )


async def test_a_body_that_is_not_json_is_refused(client: httpx.AsyncClient) -> None:
    # Bad bytes get a problem+json answer too, never a 500.
    response = await client.post(
        URL, content=b"{not json", headers={"content-type": "application/json"}
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "The request is not valid; see `errors` for each field."
