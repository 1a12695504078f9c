"""Every error path of the composed app answers RFC 9457 problem+json with the right status."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.walkthrough import PASSWORD
from backing_services import Settings
from error_handling.problems import PROBLEM_JSON

OTHER_ACCOUNT = "AC" + "0" * 32


@pytest.fixture
def signed_in(
    redis_url: str, migrated_database_url: str
) -> Iterator[tuple[TestClient, dict[str, str], str, str]]:
    app = create_app(Settings(redis_url=redis_url, database_url=migrated_database_url))
    with TestClient(app, base_url="http://localhost") as client:
        client.post("/auth/users", json={"username": "errors", "password": PASSWORD})
        token = client.post(
            "/auth/token",
            data={"grant_type": "password", "username": "errors", "password": PASSWORD},
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        account = client.post(
            "/2010-04-01/Accounts.json", data={"FriendlyName": "e"}, headers=auth
        ).json()
        yield client, auth, account["sid"], account["phone_numbers"][0]["phone_number"]


# (what, method, path template, request kwargs, whether to send the token, status, detail fragment)
CASES: list[tuple[str, str, str, dict[str, Any], bool, int, str]] = [
    ("unknown route", "GET", "/nowhere", {}, True, 404, "Not Found"),
    ("wrong method", "DELETE", "/healthz", {}, True, 405, "Method Not Allowed"),
    ("no token", "GET", "/auth/me", {}, False, 401, "bearer access token"),
    ("token in the URL", "GET", "/auth/me?access_token=x", {}, True, 400, "never in the URL"),
    (
        "another account (BOLA)",
        "GET",
        "/2010-04-01/Accounts/{other}/Messages.json",
        {},
        True,
        404,
        "is visible to you",
    ),
    (
        "unknown message",
        "GET",
        "/2010-04-01/Accounts/{account}/Messages/SM" + "0" * 32 + ".json",
        {},
        True,
        404,
        "No message",
    ),
    (
        "JSON to a form route",
        "POST",
        "/2010-04-01/Accounts/{account}/Messages.json",
        {"json": {"To": "+1"}},
        True,
        415,
        "x-www-form-urlencoded",
    ),
    (
        "invalid message",
        "POST",
        "/2010-04-01/Accounts/{account}/Messages.json",
        {"data": {"To": "12", "From": "{sender}", "Body": "x"}},
        True,
        422,
        "not valid",
    ),
    (
        "oversized body",
        "POST",
        "/2010-04-01/Accounts/{account}/Messages.json",
        {"data": {"To": "+15558675310", "From": "{sender}", "Body": "x" * 70_000}},
        True,
        413,
        "larger than",
    ),
    (
        "private callback URL (SSRF)",
        "POST",
        "/2010-04-01/Accounts/{account}/Messages.json",
        {
            "data": {
                "To": "+15558675310",
                "From": "{sender}",
                "Body": "x",
                "StatusCallback": "http://169.254.169.254/",
            }
        },
        True,
        422,
        "link-local",
    ),
    (
        "mass assignment",
        "POST",
        "/auth/users",
        {"json": {"username": "mallory", "password": PASSWORD, "role": "admin"}},
        False,
        422,
        "not valid",
    ),
    (
        "bad page size",
        "GET",
        "/2010-04-01/Accounts/{account}/Messages.json?PageSize=100000",
        {},
        True,
        422,
        "PageSize",
    ),
    (
        "forged Host",
        "GET",
        "/healthz",
        {"headers": {"Host": "evil.example"}},
        True,
        400,
        "not served here",
    ),
]


@pytest.mark.parametrize(
    ("what", "method", "path", "kwargs", "with_token", "status", "detail"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_each_error_path_answers_problem_json_with_its_status(
    signed_in: tuple[TestClient, dict[str, str], str, str],
    what: str,
    method: str,
    path: str,
    kwargs: dict[str, Any],
    with_token: bool,
    status: int,
    detail: str,
) -> None:
    # Rule: the status says what went wrong, the body is problem+json, the detail says why.
    client, auth, account, sender = signed_in
    fill = {"account": account, "other": OTHER_ACCOUNT, "sender": sender}
    if "data" in kwargs:
        kwargs = {**kwargs, "data": {k: v.format(**fill) for k, v in kwargs["data"].items()}}
    headers = {**(auth if with_token else {}), **kwargs.pop("headers", {})}

    response = client.request(method, path.format(**fill), headers=headers, **kwargs)

    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == status
    assert detail in body["detail"] or any(detail in str(e) for e in body.get("errors", [])), body
