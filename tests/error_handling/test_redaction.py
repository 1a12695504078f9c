"""Secrets never reach the logs: a test feeds them through every path and hunts for them."""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
import pytest
import structlog
from fastapi import FastAPI, Request
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from error_handling.install import install_error_handling
from error_handling.redaction import DROPPED, REDACTED, scrub
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
        "message msg_123 to its recipient failed: carrier timeout after 3 attempts; "
        "the token is expired, a password reset was sent, basic plan"
    )

    assert scrub(text) == text


# --- attacks: shapes a secret or personal data takes on its way into a log line ----------------
#
# Each test feeds one shape through the real logging chain (structlog and the standard library,
# JSON renderer, traceback formatting) and hunts for the value in what was written.

PHONE = "+14155550100"
BODY = "Your verification code is 482913"


def written(log_lines: LogLines) -> str:
    return "\n".join(str(line) for line in log_lines())


async def test_a_password_in_a_sqlalchemy_parameter_dump_is_redacted(
    engine: AsyncEngine, log_lines: LogLines
) -> None:
    """Attack: a failed query's exception text repeats its parameters (`{'password': '…'}`)."""
    with pytest.raises(DBAPIError) as failed:
        async with engine.connect() as connection:
            await connection.execute(
                # A division by zero: the server's message names no value, only the dump does.
                text("SELECT CAST(:password AS text), 1 / 0"),
                {"password": "hunter2-in-params"},
            )
    assert "hunter2-in-params" in str(failed.value)  # the driver really did dump it

    structlog.get_logger("db").error("query failed", exc_info=failed.value)

    assert "hunter2-in-params" not in written(log_lines)
    assert "SELECT CAST" in written(log_lines)  # the statement itself is kept for debugging


async def test_a_failed_insert_leaks_neither_the_number_nor_the_body(
    engine: AsyncEngine, log_lines: LogLines
) -> None:
    """Attack: personal data in a failed INSERT's parameters reaches the error log."""
    with pytest.raises(DBAPIError) as failed:
        async with engine.connect() as connection:
            await connection.execute(
                text("SELECT CAST(:to AS text), CAST(:body AS text), 1 / 0"),
                {"to": PHONE, "body": BODY},
            )

    logging.getLogger("sqlalchemy.legacy").exception("insert failed", exc_info=failed.value)

    assert PHONE not in written(log_lines)
    assert BODY not in written(log_lines)


def test_a_quoted_client_secret_in_json_text_is_redacted(log_lines: LogLines) -> None:
    """Attack: an upstream's JSON answer, logged as text (`{"client_secret": "…"}`)."""
    structlog.get_logger("oauth").warning(
        'token endpoint said {"client_id": "app", "client_secret": "cs live 9f8e7d"}'
    )

    assert "cs live 9f8e7d" not in written(log_lines)
    assert '"client_id": "app"' in str(log_lines()[0]["event"])


def test_a_password_keyword_in_a_repr_is_redacted(log_lines: LogLines) -> None:
    """Attack: a repr or call logged as text (`Login(user='ada', password='…')`)."""
    logging.getLogger("legacy").info("login %s", "Login(user='ada', password='hunter2 x')")

    assert "hunter2 x" not in written(log_lines)
    assert log_lines()[0]["event"] == "login Login(user='ada', password='[REDACTED]')"


def test_a_redis_url_with_only_a_password_is_redacted(log_lines: LogLines) -> None:
    """Attack: `redis://:password@host` has no user name before the colon."""
    structlog.get_logger("cache").error("cannot reach redis://:pw-0nly-s3cret@cache:6379/0")

    assert "pw-0nly-s3cret" not in written(log_lines)
    assert "cache:6379/0" in written(log_lines)


def test_a_refresh_token_in_free_text_is_redacted(log_lines: LogLines) -> None:
    """Attack: an opaque refresh token (`rt_…`) quoted in a message, not under a key."""
    token = "rt_" + "Q" * 20 + "-x_" + "7" * 20
    structlog.get_logger("auth").warning(f"refresh with {token} was replayed")

    assert token not in written(log_lines)
    assert token[:8] not in written(log_lines)


def test_an_exception_message_carrying_every_shape_is_redacted(log_lines: LogLines) -> None:
    """Attack: one exception whose message holds all the shapes, logged with its traceback."""
    secrets = ["p-in-dict", "cs-in-json", "kw-pass", "pw-only", "rt_" + "a" * 40]
    try:
        raise RuntimeError(
            f"{{'password': '{secrets[0]}'}} {{\"client_secret\": \"{secrets[1]}\"}} "
            f"password='{secrets[2]}' redis://:{secrets[3]}@h:6379 {secrets[4]}"
        )
    except RuntimeError:
        logging.getLogger("worker").exception("job failed")

    assert "Traceback" in written(log_lines)
    assert [secret for secret in secrets if secret in written(log_lines)] == []


def test_a_phone_number_is_masked_wherever_it_appears(log_lines: LogLines) -> None:
    """Personal data: a number under a key, in free text and URL-encoded keeps only its ends."""
    structlog.get_logger("send").error(
        f"carrier refused {PHONE}", to=PHONE, form="To=%2B14155550100&From=%2B14155550199"
    )

    text = written(log_lines)
    assert "4155550100" not in text and "4155550199" not in text
    assert log_lines()[0]["to"] == "+14*******00"  # the ends are enough to tell numbers apart


def test_a_message_body_is_dropped_wherever_it_appears(log_lines: LogLines) -> None:
    """Personal data: a body under a key, in a dict dump and in a form body is dropped whole."""
    structlog.get_logger("send").error(
        f"send failed for {{'to': 'x', 'body': '{BODY}'}}",
        body=BODY,
        form=f"To=x&Body={BODY.replace(' ', '+')}&From=y",
    )

    text = written(log_lines)
    assert "482913" not in text
    assert log_lines()[0]["body"] == DROPPED
