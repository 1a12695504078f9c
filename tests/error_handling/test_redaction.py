"""Secrets never reach the logs: a test feeds them through every path and hunts for them."""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
import structlog
from fastapi import FastAPI, Request
from hypothesis import given
from hypothesis import strategies as st

from error_handling.install import install_error_handling
from error_handling.redaction import REDACTED, scrub
from tests.error_handling.conftest import LogLines

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJlLXZhbHVl"
SECRETS = {
    "bearer": "s3cr3t-bearer-value",
    "basic": "YWRhOmxvdmVsYWNl",
    "password": "correct-horse-battery",
    "api_secret": "sk_live_51Hx0000secret",
    "signature": "RSbGk7QXAiv9d0vA3L5z6vbVw4E=",
    "db_password": "hunter2",
    "cookie": "session=abcdef0123456789",
    "query_token": "qtok-987654321",
}


def secret_app() -> FastAPI:
    """An app that logs carelessly — headers, body, exception text — as real apps do by mistake."""
    app = FastAPI()
    log = structlog.get_logger("careless")

    @app.post("/webhooks/twilio")
    async def webhook(request: Request) -> dict[str, str]:
        body = await request.json()
        log.info("webhook received", headers=dict(request.headers), body=body)
        log.info("raw headers", raw=request.scope["headers"])
        log.info(f"auth header was {request.headers['authorization']}")
        logging.getLogger("legacy").info("login for %s with password=%s", "ada", body["password"])
        logging.getLogger("legacy").info(
            "calling %s", f"https://api.example.com/v1?token={SECRETS['query_token']}"
        )
        log.info("issued", jwt_in_text=f"token is {JWT}")
        raise RuntimeError(
            f"upstream refused postgresql://app:{SECRETS['db_password']}@db:5432/x "
            f"with Authorization: Bearer {SECRETS['bearer']}"
        )

    install_error_handling(app)
    return app


async def test_no_secret_sent_through_any_path_appears_in_the_logs(
    client_for: Callable[[FastAPI], httpx.AsyncClient], log_lines: LogLines
) -> None:
    # Rule: headers, bodies, f-strings, %-args, URLs, JWTs and tracebacks are all scrubbed.
    async with client_for(secret_app()) as client:
        response = await client.post(
            "/webhooks/twilio",
            json={"password": SECRETS["password"], "api_secret": SECRETS["api_secret"], "jwt": JWT},
            headers={
                "Authorization": f"Bearer {SECRETS['bearer']}",
                "Proxy-Authorization": f"Basic {SECRETS['basic']}",
                "X-Twilio-Signature": SECRETS["signature"],
                "Cookie": SECRETS["cookie"],
            },
        )

    assert response.status_code == 500
    lines = log_lines()
    text = "\n".join(str(line) for line in lines)
    assert len(lines) >= 7  # the careless lines were written, only scrubbed
    assert "Traceback" in text
    leaked = [name for name, secret in SECRETS.items() if secret in text] + [JWT] * (JWT in text)
    assert leaked == []
    assert REDACTED in text


def test_a_sensitive_key_is_redacted_at_any_depth() -> None:
    # Rule: the key name decides, however deep the value sits and however the key is spelled.
    event = {"request": {"headers": [{"X-Api-Key": "k1"}], "Client-Secret": "k2"}, "ok": "visible"}

    assert scrub(event) == {
        "request": {"headers": [{"X-Api-Key": REDACTED}], "Client-Secret": REDACTED},
        "ok": "visible",
    }


@given(
    key=st.sampled_from(["password", "AccessToken", "api_key", "x-signature", "authorization"]),
    secret=st.text(min_size=8, max_size=40).filter(lambda text: text.strip() == text),
)
def test_any_value_under_a_sensitive_key_is_gone(key: str, secret: str) -> None:
    # Rule: the value does not matter — whatever it is, it is replaced.
    scrubbed = scrub({"event": "x", key: secret})

    assert scrubbed[key] == REDACTED


def test_ordinary_text_is_left_alone() -> None:
    # Rule: redaction must not eat the words people need to debug.
    text = (
        "message msg_123 to +14155550100 failed: carrier timeout after 3 attempts; "
        "the token is expired, a password reset was sent, basic plan"
    )

    assert scrub(text) == text
