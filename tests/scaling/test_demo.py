"""`python -m scaling`: it runs small, explains a missing service in one line, and refuses bad flags."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from backing_services.local_processes import free_port


def demo(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scaling", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_the_demo_runs_small_and_reports_what_state_does(
    redis_url: str, database_url: str, tmp_path: Path
) -> None:
    # Rule: at a small size the demo finishes and says, in words, what the tables show:
    # 2 instances with in-memory buckets admit 2 × the limit, the Redis bucket exactly the limit.
    result = demo(
        *("--skip-throughput", "--keys", "2000", "--max-nodes", "3"),
        *("--accounts", "100", "--reads", "200", "--out", str(tmp_path)),
        env={"REDIS_URL": redis_url, "DATABASE_URL": database_url},
    )

    assert result.returncode == 0, result.stderr
    assert (
        "In memory each instance has its own bucket: 20 admitted (2× the limit)." in result.stdout
    )
    assert (
        "In Redis all instances share one bucket: 10 admitted, exactly the limit." in result.stdout
    )
    assert "the demo's schema and Redis keys are removed" in result.stdout


def test_the_demo_explains_an_unreachable_redis_in_one_line(database_url: str) -> None:
    # Rule: with Redis down the demo exits with one line naming the service and the variable.
    port = free_port()
    result = demo(env={"REDIS_URL": f"redis://127.0.0.1:{port}/0", "DATABASE_URL": database_url})

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(
        f"cannot run the demo: Redis is not answering at 127.0.0.1:{port} (REDIS_URL)"
    )


def test_the_demo_refuses_a_zero_process_count() -> None:
    # Rule: a bad flag is refused before anything starts, with the reason.
    result = demo("--processes", "0,2", env={})

    assert result.returncode == 2
    assert "each count must be between 1 and 16, not '0,2'" in result.stderr
