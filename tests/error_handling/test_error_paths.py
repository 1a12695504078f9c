"""Every error path of the demo API answers RFC 9457 problem+json with the right status and detail."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from error_handling.idempotency import MALFORMED
from error_handling.problems import PROBLEM_JSON, PROBLEM_TYPE_BASE

VALID = {"to": "+14155550100", "body": "hello"}
UNKNOWN_ID = "msg_" + "0" * 32

# (method, path, json body, headers, status, detail, type slug)
ERROR_PATHS: list[tuple[str, str, Any, dict[str, str], int, str, str | None]] = [
    ("GET", f"/messages/{UNKNOWN_ID}", None, {}, 404, f"No message {UNKNOWN_ID}.", "not-found"),
    (
        "GET",
        "/messages/not-an-id",
        None,
        {},
        422,
        "The request is not valid; see `errors` for each field.",
        "validation-failed",
    ),
    (
        "POST",
        "/messages",
        {"to": "5550100", "body": "hi"},
        {},
        422,
        "The request is not valid; see `errors` for each field.",
        "validation-failed",
    ),
    (
        "POST",
        "/messages",
        {"to": "+14155550100", "body": ""},
        {},
        422,
        "The request is not valid; see `errors` for each field.",
        "validation-failed",
    ),
    (
        "POST",
        "/messages",
        "not json",
        {},
        422,
        "The request is not valid; see `errors` for each field.",
        "validation-failed",
    ),
    ("POST", "/messages", VALID, {"Idempotency-Key": "k" * 256}, 400, MALFORMED, "bad-request"),
    ("GET", "/nowhere", None, {}, 404, "Not Found", None),
    ("DELETE", "/messages", None, {}, 405, "Method Not Allowed", None),
    (
        "GET",
        "/crash",
        None,
        {},
        500,
        "Something went wrong on our side. Quote the error_id if you contact us.",
        "internal-error",
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status", "detail", "slug"),
    ERROR_PATHS,
    ids=[f"{m} {p} -> {s}" for m, p, _, _, s, _, _ in ERROR_PATHS],
)
async def test_every_error_path_answers_problem_json_with_its_status_and_detail(
    http: httpx.AsyncClient,
    method: str,
    path: str,
    body: Any,
    headers: dict[str, str],
    status: int,
    detail: str,
    slug: str | None,
) -> None:
    # Rule: whatever goes wrong, the client gets one shape, the right status and a clear detail.
    if isinstance(body, str):
        response = await http.request(
            method, path, content=body, headers={**headers, "Content-Type": "application/json"}
        )
    else:
        response = await http.request(method, path, json=body, headers=headers)

    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert problem["status"] == status
    assert problem["detail"] == detail
    assert problem["type"] == (f"{PROBLEM_TYPE_BASE}{slug}" if slug else "about:blank")
    assert problem["title"]
    assert response.headers["x-request-id"]


async def test_a_validation_problem_lists_each_bad_field(http: httpx.AsyncClient) -> None:
    # Rule: field-level validation errors say where (location) and why (message) for every field.
    response = await http.post("/messages", json={"to": "nope", "body": ""})

    assert response.status_code == 422
    locations = [error["location"] for error in response.json()["errors"]]
    assert locations == [["body", "to"], ["body", "body"]]
