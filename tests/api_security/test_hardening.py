"""The hardening middleware: headers on every response class, 413, 415, CORS allow-list, trusted hosts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

import httpx
import pytest
from fastapi import FastAPI, Response
from pydantic import BaseModel, ValidationError

from api_security.body_limit import BAD_LENGTH, TOO_LARGE
from api_security.content_type import UNSUPPORTED
from api_security.cors import REFUSED
from api_security.install import install_security
from api_security.security_headers import SERVER_ERROR
from api_security.settings import PLACEHOLDER, SecuritySettings
from api_security.trusted_hosts import UNTRUSTED_HOST
from backing_services.settings import get_settings
from error_handling.problems import NotFound, install_problem_handlers

Serve = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]
ORIGIN = "https://console.example.com"
EXPECTED_HEADERS = {
    "strict-transport-security": "max-age=63072000; includeSubDomains",
    "x-content-type-options": "nosniff",
    "content-security-policy": "frame-ancestors 'none'",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
}


class Echo(BaseModel):
    text: str


def hardened_app(settings: SecuritySettings) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    install_security(app, settings)

    @app.get("/ok")
    async def ok() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/missing")
    async def missing() -> None:
        raise NotFound("nothing here")

    @app.get("/crash")
    async def crash() -> None:
        raise RuntimeError("a bug with secrets in its message")

    @app.get("/public")
    async def public() -> Response:
        return Response("cacheable", headers={"Cache-Control": "public, max-age=60"})

    @app.post("/echo")
    async def echo(body: Echo) -> Echo:
        return body

    return app


@pytest.fixture
async def hardened(settings: SecuritySettings, serve: Serve) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(hardened_app(settings)) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "status"), [("/ok", 200), ("/missing", 404), ("/nowhere", 404), ("/crash", 500)]
)
async def test_every_response_class_carries_the_security_headers(
    hardened: httpx.AsyncClient, path: str, status: int
) -> None:
    # Rule: 2xx, 4xx and even an unhandled crash (5xx) leave with the OWASP REST headers.
    response = await hardened.get(path)

    assert response.status_code == status
    assert {name: response.headers.get(name) for name in EXPECTED_HEADERS} == EXPECTED_HEADERS


async def test_a_crash_is_a_problem_without_a_stack_trace(hardened: httpx.AsyncClient) -> None:
    # Rule: a 500 says that it failed, never how: no exception text, no traceback.
    response = await hardened.get("/crash")

    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == SERVER_ERROR
    assert "secrets" not in response.text and "Traceback" not in response.text


async def test_a_route_may_opt_into_caching_explicitly(hardened: httpx.AsyncClient) -> None:
    # Rule: no-store is the default, not a lock: a route that sets Cache-Control keeps it.
    response = await hardened.get("/public")

    assert response.headers["cache-control"] == "public, max-age=60"


async def test_a_declared_body_over_the_limit_is_a_413_before_reading(
    hardened: httpx.AsyncClient,
) -> None:
    # Rule: Content-Length over max_body_bytes (1024 here) is refused up front.
    response = await hardened.post("/echo", json={"text": "x" * 2000})

    assert response.status_code == 413
    assert response.json()["detail"] == TOO_LARGE.format(limit=1024)
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_a_streamed_body_is_cut_off_at_the_limit(hardened: httpx.AsyncClient) -> None:
    # Rule: a chunked body with no Content-Length cannot slip past; it is a 413 once it crosses the limit.
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"text": "'
        for _ in range(10):
            yield b"x" * 200
        yield b'"}'

    response = await hardened.post(
        "/echo", content=chunks(), headers={"content-type": "application/json"}
    )

    assert response.status_code == 413
    assert response.json()["detail"] == TOO_LARGE.format(limit=1024)


async def test_a_body_under_the_limit_passes(hardened: httpx.AsyncClient) -> None:
    # Rule: the limit refuses only what is over it.
    response = await hardened.post("/echo", json={"text": "x" * 900})

    assert response.status_code == 200


async def test_a_content_length_that_is_not_a_number_is_a_400(hardened: httpx.AsyncClient) -> None:
    # Rule: a malformed Content-Length is bad input, not a crash.
    response = await hardened.post(
        "/echo", content=b"{}", headers={"content-type": "application/json", "content-length": "-5"}
    )

    assert response.status_code == 400
    assert response.json()["detail"] == BAD_LENGTH


@pytest.mark.parametrize(
    "content_type", ["application/xml", "text/plain", "multipart/form-data; boundary=x", None]
)
async def test_a_body_of_an_undeclared_media_type_is_a_415(
    hardened: httpx.AsyncClient, content_type: str | None
) -> None:
    # Rule: only the declared media types reach a parser.
    headers = {"content-type": content_type} if content_type else {}
    response = await hardened.post("/echo", content=b"<text>hi</text>", headers=headers)

    assert response.status_code == 415
    media_type = content_type.split(";")[0] if content_type else "(none)"
    allowed = "application/json, application/x-www-form-urlencoded"
    assert response.json()["detail"] == UNSUPPORTED.format(got=media_type, allowed=allowed)


async def test_json_with_a_charset_is_accepted(hardened: httpx.AsyncClient) -> None:
    # Rule: parameters of the media type do not matter; the type does.
    response = await hardened.post(
        "/echo",
        content=b'{"text": "hi"}',
        headers={"content-type": "application/json; charset=utf-8"},
    )

    assert response.status_code == 200


async def test_a_preflight_from_an_allowed_origin_is_answered(hardened: httpx.AsyncClient) -> None:
    # Rule: listed origins get their own origin echoed back (never `*`).
    response = await hardened.options(
        "/echo", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
    )

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN


@pytest.mark.parametrize(
    ("headers", "failures"),
    [
        ({"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}, "origin"),
        ({"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}, "method"),
        (
            {
                "Origin": ORIGIN,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "X-Admin",
            },
            "headers",
        ),
    ],
    ids=["origin", "method", "header"],
)
async def test_a_preflight_off_the_allow_list_is_a_403(
    hardened: httpx.AsyncClient, headers: dict[str, str], failures: str
) -> None:
    # Rule: an unlisted origin, method or header is refused, as problem+json, with no allow-origin.
    response = await hardened.options("/echo", headers=headers)

    assert response.status_code == 403
    assert response.json()["detail"] == REFUSED.format(failures=failures)
    assert "access-control-allow-origin" not in response.headers


async def test_a_simple_request_from_an_unlisted_origin_gets_no_cors_grant(
    hardened: httpx.AsyncClient,
) -> None:
    # Rule: the browser will hide the response from a page on an unlisted origin.
    response = await hardened.get("/ok", headers={"Origin": "https://evil.example"})

    assert "access-control-allow-origin" not in response.headers


def test_a_wildcard_origin_with_credentials_is_refused_at_startup() -> None:
    # Rule: `*` plus credentials would let every site act as the signed-in user; settings refuse it.
    with pytest.raises(ValidationError, match="lets any site act as the user"):
        SecuritySettings(cors_allow_origins=["*"], cors_allow_credentials=True)


def test_placeholder_secrets_are_refused_outside_development(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Rule: production must set real secrets; the development placeholder is refused.
    monkeypatch.setenv("ENVIRONMENT", "production")
    get_settings.cache_clear()
    try:
        with pytest.raises(ValidationError, match="API_SECURITY_WEBHOOK_AUTH_TOKEN"):
            SecuritySettings()
        assert (
            SecuritySettings(webhook_auth_token="real", api_key_pepper="real").api_key_pepper
            != PLACEHOLDER
        )
    finally:
        get_settings.cache_clear()


async def test_an_unlisted_host_header_is_a_400(hardened: httpx.AsyncClient) -> None:
    # Rule: Host must be one we serve, or absolute URLs built from it could point anywhere.
    response = await hardened.get("/ok", headers={"Host": "evil.example"})

    assert response.status_code == 400
    assert response.json()["detail"] == UNTRUSTED_HOST.format(host="evil.example")
    assert response.headers["x-frame-options"] == "DENY"


async def test_a_listed_host_with_a_port_is_accepted(hardened: httpx.AsyncClient) -> None:
    # Rule: the port is not part of the host name check.
    response = await hardened.get("/ok", headers={"Host": "localhost:8000"})

    assert response.status_code == 200


async def test_composed_with_error_handling_a_crash_keeps_its_error_id_and_gets_the_headers(
    settings: SecuritySettings, serve: Serve
) -> None:
    # Rule: install error_handling first and install_security last (outermost): error_handling answers
    # the crash with its error_id, and the security headers still wrap that 500.
    from error_handling.install import install_error_handling

    app = FastAPI()
    install_error_handling(app)
    install_security(app, settings)

    @app.get("/crash")
    async def crash() -> None:
        raise RuntimeError("boom")

    async with serve(app) as client:
        response = await client.get("/crash")

    assert response.status_code == 500
    assert "error_id" in response.json()
    assert {name: response.headers.get(name) for name in EXPECTED_HEADERS} == EXPECTED_HEADERS
