"""Attacks on the servers themselves: forwarded headers from a loopback peer, run as real processes.

uvicorn believes X-Forwarded-For/-Proto from 127.0.0.1 unless told otherwise; these tests start the
real `python -m app` and `python -m app.webhook_receiver` and send the headers an attacker would.
"""

from __future__ import annotations

import sys

import httpx

from api_security.callback_signer import CallbackSigner
from api_security.webhooks import BAD_SIGNATURE
from app.local_stack import stack_environment
from backing_services.local_processes import free_port, running

TOKEN = "forwarded-headers-test-token"
FORM = {"MessageSid": "SM1", "MessageStatus": "delivered"}


def test_attack_x_forwarded_proto_from_loopback_does_not_change_the_url_a_callback_is_checked_against(
    redis_url: str,
) -> None:
    """Signature borrowing: a callback signed for https://… must not validate over plain http just
    because a loopback peer says `X-Forwarded-Proto: https` (no proxy is trusted by default)."""
    port = free_port()
    env = {"REDIS_URL": redis_url, "API_SECURITY_WEBHOOK_AUTH_TOKEN": TOKEN}
    argv = [sys.executable, "-m", "app.webhook_receiver"]
    with running(argv, port=port, name="receiver", env={**env, "PORT": str(port)}):
        signer = CallbackSigner(TOKEN)
        for_https = signer.sign(f"https://127.0.0.1:{port}/status-callbacks", FORM)
        for_http = signer.sign(f"http://127.0.0.1:{port}/status-callbacks", FORM)
        borrowed = httpx.post(
            for_https.url.replace("https://", "http://", 1),
            data=FORM,
            headers={**for_https.headers, "X-Forwarded-Proto": "https"},
        )
        honest = httpx.post(for_http.url, data=FORM, headers=for_http.headers)

    assert borrowed.status_code == 403
    assert borrowed.json()["detail"] == BAD_SIGNATURE
    assert honest.status_code == 204


def test_attack_x_forwarded_for_from_loopback_does_not_dodge_the_login_throttle(
    redis_url: str, migrated_database_url: str
) -> None:
    """Throttle evasion: a new X-Forwarded-For per guess must not make each guess a new client."""
    port = free_port()
    env = {
        **stack_environment(redis_url, migrated_database_url),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "AUTH_LOGIN_PER_IP_CAPACITY": "2",
    }
    with running([sys.executable, "-m", "app"], port=port, name="api", env=env, timeout_s=30):
        statuses = [
            httpx.post(
                f"http://127.0.0.1:{port}/auth/token",
                data={"grant_type": "password", "username": f"guess{n}", "password": "x" * 12},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
                timeout=30,
            ).status_code
            for n in range(4)
        ]

    assert statuses[:2] == [400, 400]  # invalid_grant (RFC 6749 §5.2): a wrong password
    assert statuses[2:] == [429, 429]


def test_attack_x_forwarded_proto_from_loopback_does_not_change_the_scheme_microservices_see(
    redis_url: str, database_url: str
) -> None:
    """Scheme spoofing: a redirect's Location is built from the scheme the app believes; a loopback
    peer's `X-Forwarded-Proto: https` must not change it (no proxy sits before these pieces)."""
    port = free_port()
    env = {"REDIS_URL": redis_url, "DATABASE_URL": database_url}
    argv = [sys.executable, "-m", "microservices.serve", "accounts", "--port", str(port)]
    with running(argv, port=port, name="accounts", env=env, timeout_s=30):
        # A trailing slash makes Starlette redirect to the canonical path, as an absolute URL.
        response = httpx.get(
            f"http://127.0.0.1:{port}/accounts/AC1/", headers={"X-Forwarded-Proto": "https"}
        )

    assert response.status_code == 307
    assert response.headers["location"] == f"http://127.0.0.1:{port}/accounts/AC1"
