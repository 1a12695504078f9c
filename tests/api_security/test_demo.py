"""`python -m api_security` runs end to end against the real services, and fails in one line without them."""

from __future__ import annotations

import os
import subprocess
import sys

from backing_services.local_processes import free_port


def run_demo(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "api_security"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_demo_shows_each_layer_refusing_what_it_should(
    redis_url: str, database_url: str
) -> None:
    # Rule: the demo accepts the genuine requests and refuses tampering, replay, size, scope and SSRF.
    base_database_url = database_url.split("?")[0]
    result = run_demo({"REDIS_URL": redis_url, "DATABASE_URL": base_database_url})

    assert result.returncode == 0, result.stderr
    for line in (
        "genuine webhook",
        "same signature, Body changed                               → 403",
        "the same request captured and replayed                     → 403",
        "→ 413  The request body is larger than 65536 bytes.",
        "sender key lists keys (scope it lacks)                     → 403",
        "another account's key revokes root's key (BOLA)            → 404",
        "the revoked key sends a message                            → 401  This API key was revoked.",
        "which is link-local (cloud metadata lives here)",
        "X-Frame-Options: DENY",
    ):
        assert line in result.stdout


def test_the_demo_explains_in_one_line_when_redis_is_unreachable(database_url: str) -> None:
    # Rule: a missing service is one clear line and a non-zero exit, not a traceback.
    result = run_demo(
        {"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0", "DATABASE_URL": database_url}
    )

    assert result.returncode != 0
    assert result.stderr.strip().startswith("cannot run the demo: Redis is not answering")
    assert "Traceback" not in result.stderr
