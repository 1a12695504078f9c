"""GraphQL errors carry the same problem in `extensions`; unexpected ones are masked and logged once."""

from __future__ import annotations

import httpx

from error_handling.problems import PROBLEM_TYPE_BASE
from error_handling.request_logging import INTERNAL_ERROR_DETAIL
from tests.error_handling.conftest import LogLines


async def test_a_domain_error_in_a_resolver_is_a_problem_in_extensions(
    http: httpx.AsyncClient,
) -> None:
    # Rule: a not-found reads the same over GraphQL as over REST.
    response = await http.post("/graphql", json={"query": '{ message(id: "msg_x") }'})

    [error] = response.json()["errors"]
    assert error["message"] == "No message msg_x."
    assert error["path"] == ["message"]
    assert error["extensions"] == {
        "type": f"{PROBLEM_TYPE_BASE}not-found",
        "title": "Not Found",
        "status": 404,
        "detail": "No message msg_x.",
    }


async def test_a_resolver_crash_is_masked_and_logged_once_under_its_error_id(
    http: httpx.AsyncClient, log_lines: LogLines
) -> None:
    # Rule: as with REST, the client gets an id to quote and the log gets the traceback.
    response = await http.post("/graphql", json={"query": "{ crash }"})

    [error] = response.json()["errors"]
    assert error["message"] == INTERNAL_ERROR_DETAIL
    assert error["extensions"]["status"] == 500
    assert "api_secret" not in response.text
    [logged] = [line for line in log_lines() if "exception" in line]
    assert logged["error_id"] == error["extensions"]["error_id"]
    assert logged["level"] == "error"


async def test_an_invalid_query_is_a_400_problem_naming_the_mistake(
    http: httpx.AsyncClient,
) -> None:
    # Rule: a query that does not fit the schema is the client's to fix, and says what is wrong.
    response = await http.post("/graphql", json={"query": "{ nope }"})

    [error] = response.json()["errors"]
    assert error["extensions"]["status"] == 400
    assert error["extensions"]["type"] == f"{PROBLEM_TYPE_BASE}graphql-invalid"
    assert error["message"] == "Cannot query field 'nope' on type 'Query'."
