"""`python -m auth` runs end to end against the real services and tells the story it promises."""

from __future__ import annotations

import os
import subprocess
import sys

from backing_services.resolve import ServiceURLs


def test_the_demo_narrates_login_reuse_detection_and_key_rotation(
    service_urls: ServiceURLs, redis_url: str
) -> None:
    # The demo is part of the answer: each step's outcome is printed, and the run must show them all.
    # It gets this package's Redis database, so its keys never mix with anyone else's.
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "DATABASE_URL": service_urls.database_url,
    }

    run = subprocess.run(
        [sys.executable, "-m", "auth"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "404 There is no account" in out
    assert "get the same answer: 400 The username or password is incorrect." in out
    assert "400 The refresh token was already used; its whole session is now revoked." in out
    assert "400 The refresh token's session has been revoked." in out
    assert out.count("401 The access token has been revoked.") == 2
    assert "the JWKS publishes 2 keys" in out
    assert "401 The token's algorithm is not the one its key is pinned to." in out
    assert "five times: 400, 400, 400, 400, 429" in out


def test_the_demo_says_in_one_line_when_redis_is_unreachable(service_urls: ServiceURLs) -> None:
    # A demo without its services fails with one line a person can act on, not a traceback.
    env = {
        **os.environ,
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "DATABASE_URL": service_urls.database_url,
    }

    run = subprocess.run(
        [sys.executable, "-m", "auth"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert run.returncode == 1
    assert run.stderr.strip().startswith(
        "cannot run the demo: Redis is not answering at 127.0.0.1:1"
    )
    assert "Traceback" not in run.stderr
