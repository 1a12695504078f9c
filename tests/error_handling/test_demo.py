"""`python -m error_handling` runs end to end, and says in one line when a service is missing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from backing_services.local_processes import free_port

ROOT = Path(__file__).resolve().parents[2]


def run_demo(redis_url: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REDIS_URL": redis_url, "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "error_handling"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_demo_shows_the_worker_logging_under_the_api_request_id(
    redis_url: str, database_url: str
) -> None:
    # Rule: the demo's promise — one request id joins the client, the API and the worker.
    result = run_demo(redis_url, database_url)

    assert result.returncode == 0, result.stderr
    request_id = re.search(r"X-Request-ID (req-demo-[0-9a-f]{8})", result.stdout)
    assert request_id is not None
    worker_part = result.stdout.split("worker logged:")[1].split("▶")[0]
    assert worker_part.count(f"request_id={request_id.group(1)}") == 2
    assert "client got 500" in result.stdout
    assert "hunter2" not in result.stdout


def test_the_demo_explains_in_one_line_when_redis_is_unreachable(database_url: str) -> None:
    # Rule: a missing service is a sentence the reader can act on, not a traceback.
    result = run_demo(f"redis://127.0.0.1:{free_port()}/0", database_url)

    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("cannot run the demo: Redis is not answering")
