"""Under a real server, a crash is still logged exactly once: no second traceback from uvicorn."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import httpx

from backing_services.local_processes import free_port, running


def test_a_crash_under_uvicorn_leaves_one_traceback_in_the_process_output(
    redis_url: str, tmp_path: Path
) -> None:
    # Rule: Starlette's ServerErrorMiddleware re-raises to the server, which logs again; ours
    # answers the crash itself, so the server never sees it.
    port, output = free_port(), tmp_path / "uvicorn.log"
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "error_handling.demo_app:create_app_from_settings",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
    ]
    env = {"REDIS_URL": redis_url, "ERROR_HANDLING_LOG_JSON": "true"}

    with running(argv, port=port, name="uvicorn", env=env, log_path=output):
        response = httpx.get(f"http://127.0.0.1:{port}/crash", timeout=10)
        ok = httpx.get(f"http://127.0.0.1:{port}/messages/msg_{'0' * 32}", timeout=10)

    text = output.read_text()
    assert response.status_code == 500
    assert ok.status_code == 404
    assert text.count("Traceback (most recent call last)") == 1
    json_lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    [crash] = [line for line in json_lines if "exception" in line]
    assert crash["error_id"] == response.json()["error_id"]
    assert crash["request_id"] == response.headers["x-request-id"]
